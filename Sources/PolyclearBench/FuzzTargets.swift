import Foundation
import PolyclearApp
public import PolyclearCore
import PolyclearWorkload
import PolyclearISO20022
import PolyclearServer
import PolyclearSimulation
import PolyclearStorage
import PolyclearUnion

/// The readers of untrusted input, as coverage-guided fuzz targets. The invariant for each:
/// any bytes end in acceptance or in a refusal with a stable code (snake_case), never in a
/// crash; a hang is caught by the fuzzer's per-input timeout. `scripts/fuzz.sh TARGET SECONDS`
/// runs one under libFuzzer; `polyclear fuzz replay` runs inputs through one in a normal build
/// (the seed corpus test does).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The XML parser (any XML, not only ISO 20022).
    case xml
    /// Every ISO 20022 reader (pacs.008/002/004/009/028, camt.029/053/054/056, head.001), by namespace.
    case iso20022
    /// Every JSON request body of the API, read as its route reads it.
    case json
    /// `polyclear serve --config`'s TOML.
    case tomlServe = "toml_serve"
    /// `polyclear simulate --rules`' TOML.
    case tomlRules = "toml_rules"
    /// The union file (`polyclear union check`, `serve --union`).
    case tomlUnion = "toml_union"
    /// The trade matrix CSV of the simulator.
    case tradeCSV = "trade_csv"
    /// The obligations CSV of `polyclear net`.
    case obligationCSV = "obligation_csv"
    /// The hub log codec (a damaged database must be refused, not crash the restore).
    case hubLog = "hub_log"

    /// The outcome for one input: nil when accepted, else the refusal's code.
    public func run(_ bytes: [UInt8]) -> [String?] {
        let text = String(decoding: bytes, as: UTF8.self)
        switch self {
        case .xml:
            do { _ = try XMLParser.parse(bytes); return [nil] } catch { return [error.code.rawValue] }
        case .iso20022:
            do { _ = try ISOMessage.parse(bytes); return [nil] } catch { return [error.code.rawValue] }
        case .json:
            return RequestFuzzing.refusals(bytes, currencies: Self.currencies)
        case .tomlServe:
            do { _ = try ServeSettings.resolve(flags: .init(), environment: [:], configText: text); return [nil] } catch
            { return ["invalid_configuration"] }
        case .tomlRules:
            do { _ = try SimulationRulesFile.parse(text, file: "rules.toml"); return [nil] } catch {
                return ["invalid_input"]
            }
        case .tomlUnion:
            do { _ = try UnionFile.parse(text, file: "union.toml", currencies: Self.currencies); return [nil] } catch {
                return ["invalid_input"]
            }
        case .tradeCSV:
            do { _ = try TradeFile.parse(text, file: "trade.csv"); return [nil] } catch { return ["invalid_input"] }
        case .obligationCSV:
            return [false, true].map { decimal in
                do {
                    _ = try ObligationCSV(bytes: bytes, decimal: decimal, currencies: Self.currencies); return nil
                } catch {
                    return "invalid_input"
                }
            }
        case .hubLog:
            return [Self.hubLogRoundTrip(Data(bytes))]
        }
    }

    /// What decodes must encode and decode to the same entries again.
    private static func hubLogRoundTrip(_ data: Data) -> String? {
        let entries: [HubLogEntry]
        do { entries = try HubLogCodec.decodeEntries(data) } catch { return "corrupt_database" }
        guard let again = try? HubLogCodec.decodeEntries(HubLogCodec.encode(entries)), again == entries else {
            preconditionFailure("hub log entries do not survive encode → decode")
        }
        return nil
    }

    public static let currencies = try! CurrencyTable()

    /// Runs one input and checks the invariant (a crash is what the fuzzer reports).
    public func check(_ bytes: [UInt8]) {
        for code in run(bytes) {
            guard let code else { continue }
            precondition(Self.isStableCode(code), "\(rawValue): refusal without a stable code: \(code)")
        }
    }

    public static func isStableCode(_ code: String) -> Bool {
        guard let first = code.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return code.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_")
        }
    }

    /// Seeds that files cannot give (the hub log is binary): written by `polyclear fuzz seeds`.
    public static func generatedSeeds() throws -> [(target: FuzzTarget, name: String, bytes: [UInt8])] {
        let currencies = Self.currencies
        let text = BundledData.text(.ecbReferenceRates)
        let union = try SampleUnion(
            ecbDay: ECBReferenceRates.parse(text)[0], participantsPerMember: 2, capUnitMinor: 1_000_000,
            quotaUnitMinor: 1_000_000_000, effectiveFrom: 0, currencies: currencies)
        let entries = union.setupCommands.enumerated().map {
            HubLogEntry(command: $0.element, time: UInt64($0.offset + 1) * 1_000_000_000)
        }
        return [
            (.hubLog, "sample-union-setup", Array(try HubLogCodec.encode(entries))),
            (.hubLog, "one-entry", Array(try HubLogCodec.encode(entries.prefix(1)))),
        ] + investigationSeeds()
    }

    /// The investigation messages banks send and receive (camt.056, camt.029, pacs.028), as the
    /// hub writes them, with a business application header.
    static func investigationSeeds() -> [(target: FuzzTarget, name: String, bytes: [UInt8])] {
        let uetr = "3f2a6b1c-9d4e-4f60-8a7b-0c1d2e3f4a5b", created = "2026-11-29T10:00:00Z"
        let assignment = CaseAssignment(
            id: "CASE-1", assignerBIC: "BANKBRSP", assigneeBIC: "POLYXXXX", creationDateTime: created)
        let recall = PaymentCancellationRequest(
            assignment: assignment, caseID: "CASE-1",
            transactions: [
                .init(
                    cancellationID: "CXL-1", originalEndToEndID: "E2E-1", originalUETR: uetr,
                    originalAmount: ISOAmount(value: "1250.75", currency: "BRL"), reasonCode: "DUPL",
                    additionalInformation: ["sent twice & <unchecked>"])
            ])
        let answer = InvestigationResolution(
            assignment: assignment, resolvedCaseID: "CASE-1", confirmation: "RJCR",
            transactions: [
                .init(
                    cancellationStatusID: "CXL-1", originalEndToEndID: "E2E-1", originalUETR: uetr, status: "RJCR",
                    reasonCode: "NOOR", additionalInformation: ["never received"])
            ])
        let enquiry = PaymentStatusRequest(
            messageID: "STSREQ-1", creationDateTime: created,
            transactions: [.init(statusRequestID: "SR-1", originalEndToEndID: "E2E-1", originalUETR: uetr)])
        let documents: [(String, String, ISODocument)] = [
            ("camt.056", PaymentCancellationRequest.messageDefinition, .cancellationRequest(recall)),
            ("camt.029", InvestigationResolution.messageDefinition, .investigationResolution(answer)),
            ("pacs.028", PaymentStatusRequest.messageDefinition, .statusRequest(enquiry)),
        ]
        return documents.flatMap { name, definition, document in
            let header = BusinessApplicationHeader(
                fromBIC: "BANKBRSP", toBIC: "POLYXXXX", businessMessageID: "MSG-\(name)",
                messageDefinitionID: definition, creationDate: created)
            return [
                (FuzzTarget.iso20022, name, Array(ISOMessage(header: nil, document: document).xml().utf8)),
                (
                    FuzzTarget.iso20022, name + "-with-header",
                    Array(ISOMessage(header: header, document: document).xml().utf8)
                ),
            ]
        }
    }
}
