import Foundation
import PolyclearISO20022
import PolyclearTestSupport
import Testing

/// The copied ISO 20022 samples and schemas (see Fixtures/iso20022/README.md), and xmllint.
enum ISOFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures/iso20022")

    struct Sample: CustomTestStringConvertible, Sendable {
        let file: String
        let documentMessage: String
        let headerMessageDefinition: String
        let headerMatchesDocument: Bool
        var testDescription: String { file }
        var bytes: [UInt8] { Array(try! Data(contentsOf: root.appendingPathComponent("samples/" + file))) }
        var isSupported: Bool {
            ISODocument.supported.contains(documentMessage)
                && (headerMessageDefinition.isEmpty || headerMatchesDocument)
        }
    }

    /// Every sample in MANIFEST.csv.
    static let samples: [Sample] = {
        let text = try! String(contentsOf: root.appendingPathComponent("samples/MANIFEST.csv"), encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).dropFirst().map { line in  // CRLF lines
            let fields = csvFields(String(line))
            return Sample(
                file: fields[0], documentMessage: fields[1], headerMessageDefinition: fields[3],
                headerMatchesDocument: fields[4].lowercased() == "yes")
        }
    }()

    /// Splits one CSV line (quoted fields may hold commas; "" is a quote).
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = [], current = "", quoted = false
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            switch character {
            case "\"" where quoted && characters.first == "\"":
                current.append("\""); characters = characters.dropFirst()
            case "\"": quoted.toggle()
            case "," where !quoted: fields.append(current); current = ""
            default: current.append(character)
            }
        }
        fields.append(current)
        return fields
    }

    /// Validates `xml` against `Fixtures/iso20022/xsd/<schema>.xsd`; returns xmllint's
    /// complaint, or nil when valid. Throws (the test fails) when xmllint is missing.
    static func schemaErrors(_ xml: String, schema: String) async throws -> String? {
        try await XMLSchemaValidator.errors(xml, schema: root.appendingPathComponent("xsd/\(schema).xsd"))
    }
}
