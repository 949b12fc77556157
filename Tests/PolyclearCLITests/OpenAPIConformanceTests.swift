import Foundation
import PolyclearTestSupport
import Testing

/// Schemathesis against a live `polyclear serve` (the sample union), once with the operator's,
/// a member's and a bank's key: every response must be described by the OpenAPI document
/// (status, content type, headers, body schema), no 5xx, bad input refused, a bounded number
/// of examples per operation. The document under test is the one the server serves.
@Suite(.serialized, .enabled(if: ExternalTool.schemathesis.runs, "\(ExternalTool.schemathesis.skipReason)"))
struct OpenAPIConformanceTests {
    static let document = ServeTests.fxPath.replacingOccurrences(of: "Data/fx/eurofxref-latest.csv", with: "Sources/PolyclearServer/openapi.yaml")
    static let memberKey = "member:BRA:serve-test-member-secret"

    /// Operations whose valid-looking inputs the hub may still refuse by its state (an
    /// unknown bank, a currency's decimals, an unknown unit currency): checked without
    /// `positive_data_acceptance`, which no schema can satisfy for them.
    static let stateful = ["POST /v1/payments", "POST /v1/participants/{bic}/funds", "POST /v1/setoff-runs", "POST /v1/unit", "POST /v1/iso20022/messages"]

    /// The three runs for one key: (A) every other operation with every check — `/v1/events`
    /// is left out because a stream stays open until its events come (its statuses are
    /// tested in HostileInputTests and ServeTests); (B) the stateful ones; (C) the batch,
    /// whose 413 for more than 1,000 items is documented but not on Schemathesis's list of
    /// acceptable rejections.
    static func phases() -> [(name: String, arguments: [String])] {
        let batch = "POST /v1/payments/batch"
        return [
            ("A", ["--checks", "all", "--exclude-path", "/v1/events"] + (stateful + [batch]).flatMap { ["--exclude-name", $0] }),
            ("B", ["--checks", "all", "--exclude-checks", "positive_data_acceptance"] + stateful.flatMap { ["--include-name", $0] }),
            ("C", ["--checks", "all", "--exclude-checks", "positive_data_acceptance,negative_data_rejection", "--include-name", batch]),
        ]
    }

    @Test(.timeLimit(.minutes(20)), arguments: [("operator", "serve-test-operator-secret"), ("member", "serve-test-member-secret"), ("bank", "serve-test-bank-secret")])
    func theServerAnswersAsItsDocumentSays(role: String, secret: String) async throws {
        let schemathesis = try #require(ExternalTool.schemathesis.location, "Schemathesis is missing: pip install schemathesis")
        let directory = TemporaryDirectory()
        let port = freeLocalPort()
        let server = try ServeTests.start(db: directory.path("hub.sqlite"), port: port, extra: ["--api-key", Self.memberKey])
        defer { server.kill(signal: SIGTERM); _ = server.waitForExit(seconds: 30) }
        #expect(server.waitUntil(seconds: 60) { $0.standardOutput.contains("sample union ready") }, "\(server.standardError)")
        for phase in Self.phases() {
            let (status, text) = try await Self.run(schemathesis, Self.common(port: port, secret: secret) + phase.arguments, in: directory)
            #expect(status == 0, "schemathesis as \(role), run \(phase.name):\n\(text.suffix(6_000))")
            #expect(text.contains(" generated, ") && text.contains(" passed"), "schemathesis ran no case as \(role), run \(phase.name):\n\(text.suffix(3_000))")
        }
        #expect(!server.standardError.contains("Fatal error"), "the server crashed: \(server.standardError.suffix(3_000))")
    }

    /// Bounded: 5 examples an operation, one worker, 25 requests a second (the server limits
    /// failed authentications per address, and Schemathesis probes without a key).
    static func common(port: Int, secret: String) -> [String] {
        ["run", document, "--url", "http://127.0.0.1:\(port)", "-H", "Authorization: Bearer \(secret)", "--max-examples", "5",
         "--workers", "1", "--rate-limit", "25/s", "--generation-database", "none", "--no-color"]
    }

    /// Runs the program to its end (killed after 10 minutes): its status and output. Waits
    /// without blocking a thread of the test pool (other tests go on meanwhile).
    static func run(_ program: String, _ arguments: [String], in directory: TemporaryDirectory) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = directory.url
        let output = directory.url.appendingPathComponent("schemathesis-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(600)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}
