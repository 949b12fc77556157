public import Foundation

/// xmllint as a schema validator for tests. Tests that validate carry the trait
/// `.enabled(if: ExternalTool.xmllint.runs, ...)`: skipped with a reason where xmllint is
/// missing, and failing here when it is missing although `POLYCLEAR_REQUIRE_TOOLS=1`.
public enum XMLSchemaValidator {
    public static var xmllintPath: String? { ExternalTool.xmllint.location }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "xmllint is missing: apt-get install libxml2-utils" }
    }

    /// xmllint's complaint about `xml` against the schema file, or nil when valid. Waited for
    /// on a thread of its own (`onOwnThread`), not the cooperative pool: a test blocked there
    /// starves the others' database sessions (see `Script`).
    public static func errors(_ xml: String, schema: URL) async throws -> String? {
        try await onOwnThread { Result { try blockingErrors(xml, schema: schema) } }.get()
    }

    static func blockingErrors(_ xml: String, schema: URL) throws -> String? {
        guard let xmllint = xmllintPath else { throw Missing() }
        let directory = TemporaryDirectory()
        let file = directory.path("message.xml")
        try xml.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xmllint)
        process.arguments = ["--noout", "--nonet", "--schema", schema.path, file]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : output
    }
}
