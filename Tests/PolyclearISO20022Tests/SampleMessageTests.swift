import Foundation
import PolyclearISO20022
import PolyclearTestSupport
import Testing

/// The real samples: every one of a supported version parses, survives parse → generate →
/// parse unchanged, and what the hub generates from it is schema-valid; every other one —
/// other versions, and the header/Document mismatches the set contains — is refused.
@Suite(.offTheSharedPool) struct SampleMessageTests {
    static let supported = ISOFixtures.samples.filter(\.isSupported)
    static let unsupported = ISOFixtures.samples.filter { !$0.isSupported }

    @Test func theFixturesHaveBothKinds() {
        #expect(
            Self.supported.count >= 20 && Self.unsupported.count >= 25,
            "\(Self.supported.count) / \(Self.unsupported.count)")
        #expect(Self.unsupported.contains { !$0.headerMatchesDocument && !$0.headerMessageDefinition.isEmpty })
    }

    @Test(.enabled(if: ExternalTool.xmllint.runs, "\(ExternalTool.xmllint.skipReason)"), arguments: supported)
    func aSupportedSampleParsesAndRoundTrips(sample: ISOFixtures.Sample) async throws {
        let message = try ISOMessage.parse(sample.bytes)
        #expect(message.document.messageDefinition == sample.documentMessage)
        #expect((message.header != nil) == !sample.headerMessageDefinition.isEmpty)
        let again = try ISOMessage.parse(message.xml())
        #expect(again == message)
        let parts = message.parts()
        if let header = parts.header {
            #expect(try await ISOFixtures.schemaErrors(header, schema: "head.001.001.02") == nil)
        }
        let errors = try await ISOFixtures.schemaErrors(parts.document, schema: sample.documentMessage)
        #expect(errors == nil, "\(errors ?? "")")
    }

    @Test(arguments: unsupported)
    func anotherVersionOrAMismatchedHeaderIsRefused(sample: ISOFixtures.Sample) throws {
        do {
            _ = try ISOMessage.parse(sample.bytes)
            Issue.record("accepted \(sample.file)")
        } catch {
            if !sample.headerMessageDefinition.isEmpty && !sample.headerMatchesDocument {
                #expect(error.code == .headerMismatch, "\(error)")
            } else {
                #expect(error.code == .unsupportedMessage, "\(error)")
            }
        }
    }
}
