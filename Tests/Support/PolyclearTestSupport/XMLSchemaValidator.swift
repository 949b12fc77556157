public import Foundation

/// xmllint as a schema validator for tests. A test that needs it fails (never skips) when it
/// is missing: `apt-get install libxml2-utils` (CI installs it).
public enum XMLSchemaValidator {
    public static let xmllintPath = ["/usr/bin/xmllint", "/bin/xmllint", "/usr/local/bin/xmllint"].first { FileManager.default.isExecutableFile(atPath: $0) }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "xmllint is missing: apt-get install libxml2-utils" }
    }

    /// xmllint's complaint about `xml` against the schema file, or nil when valid.
    public static func errors(_ xml: String, schema: URL) throws -> String? {
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
