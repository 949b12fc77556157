import Foundation

/// A program or server some tests need beyond the Swift toolchain. On a fresh machine a
/// missing one skips those tests with its reason (`swift test` still passes); with
/// `POLYCLEAR_REQUIRE_TOOLS=1` (as `.ci/run` sets after installing them) the tests run anyway
/// and fail on what is missing, so CI never passes by skipping.
///
/// Use: `@Test(.enabled(if: ExternalTool.xmllint.runs, "\(ExternalTool.xmllint.skipReason)"))`.
public struct ExternalTool: Sendable {
    /// The program's path, or the server's URL; nil when missing.
    public let location: String?
    /// Why a test is skipped without it, and how to get it.
    public let skipReason: String

    /// Whether a missing tool fails the tests that need it instead of skipping them.
    public var isRequired = Self.areRequired

    /// Whether tests needing this tool run: it is here, or tools are required.
    public var runs: Bool { location != nil || isRequired }

    /// `POLYCLEAR_REQUIRE_TOOLS=1` (or the older `POLYCLEAR_REQUIRE_POSTGRES=1` for PostgreSQL).
    public static var areRequired: Bool { ProcessInfo.processInfo.environment["POLYCLEAR_REQUIRE_TOOLS"] == "1" }

    static func program(_ candidates: [String], skipReason: String) -> ExternalTool {
        ExternalTool(
            location: candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, skipReason: skipReason)
    }

    public static let xmllint = program(
        ["/usr/bin/xmllint", "/bin/xmllint", "/usr/local/bin/xmllint"],
        skipReason: "xmllint is missing (apt-get install libxml2-utils): schema validation skipped")
    public static let chromium = program(
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"],
        skipReason: "Chromium is missing (apt-get install chromium): browser test skipped")
    /// Chromium's WebDriver server, for the console's browser tests.
    public static let chromedriver = program(
        ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver", "/usr/local/bin/chromedriver"],
        skipReason: "chromedriver is missing (apt-get install chromium-driver): console browser tests skipped")
    /// PostgreSQL's own programs (initdb, pg_basebackup: the point-in-time recovery recipe
    /// starts servers of its own).
    public static let postgresPrograms: ExternalTool = {
        let bins = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted()
        return program(
            bins.reversed().map { "/usr/lib/postgresql/\($0)/bin/pg_basebackup" },
            skipReason: "PostgreSQL's programs are missing (apt-get install postgresql): recovery recipe test skipped")
    }()

    /// A PostgreSQL server given by URL in `variable` (`.ci/run` starts them); required also
    /// with the older `POLYCLEAR_REQUIRE_POSTGRES=1`.
    static func postgresServer(_ variable: String, skipReason: String) -> ExternalTool {
        let environment = ProcessInfo.processInfo.environment
        return ExternalTool(
            location: environment[variable], skipReason: skipReason,
            isRequired: areRequired || environment["POLYCLEAR_REQUIRE_POSTGRES"] == "1")
    }

    /// A PostgreSQL superuser URL (`POLYCLEAR_TEST_POSTGRES_URL`; `.ci/run` starts a server).
    public static let postgres = postgresServer(
        "POLYCLEAR_TEST_POSTGRES_URL",
        skipReason:
            "no PostgreSQL server (POLYCLEAR_TEST_POSTGRES_URL unset; .ci/run starts one): PostgreSQL test skipped")

    /// A hot standby of that server (`POLYCLEAR_TEST_POSTGRES_STANDBY_URL`; `.ci/run` starts a
    /// synchronous pair).
    public static let postgresStandby = postgresServer(
        "POLYCLEAR_TEST_POSTGRES_STANDBY_URL",
        skipReason:
            "no PostgreSQL standby (POLYCLEAR_TEST_POSTGRES_STANDBY_URL unset; .ci/run starts a pair): replication test skipped"
    )
}
