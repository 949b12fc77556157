import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearISO20022

/// `polyclear bench iso`: the ISO 20022 codec on one core — parse and map pacs.008 messages
/// (header + one CBPR+-style transaction, about 2.5 KB each; and the same with full party,
/// account, address, identifier and structured remittance data, about 5 KB) to hub payment
/// instructions, and generate pacs.002 status reports with their reply headers.
struct BenchISOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iso", abstract: "Benchmark the ISO 20022 codec (pacs.008 in, pacs.002 out).")

    @Option(help: "Messages per run.") var messages = 200_000
    @Option(help: "Runs (the best and the worst are reported).") var runs = 3

    func validate() throws {
        guard messages >= 1, (1...20).contains(runs) else {
            throw ValidationError("need --messages >= 1 and 1 <= --runs <= 20")
        }
    }

    func run() throws {
        #if DEBUG
            printFlushed("warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench iso")
        #endif
        let currencies = try CurrencyTable()
        let banks: [(BIC, CurrencyCode)] = [
            (BIC("BKAABR22")!, CurrencyCode("BRL")!), (BIC("BKAACN22")!, CurrencyCode("CNY")!),
        ]
        let currencyByBIC = Dictionary(uniqueKeysWithValues: banks)
        let mapper = ISOPaymentMapper(currencies: currencies, currencyOf: { currencyByBIC[$0] })
        // Distinct messages (ids, UETRs, amounts), built before timing.
        let inputs: [[UInt8]] = (0..<min(messages, 10_000)).map { Array(Self.pacs008(index: $0).utf8) }
        let fullInputs: [[UInt8]] = (0..<min(messages, 10_000)).map { Array(Self.pacs008(index: $0, full: true).utf8) }
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores (one used); \(messages) messages per run, "
                + "\(inputs.map(\.count).reduce(0, +) / inputs.count) bytes each on average "
                + "(full data: \(fullInputs.map(\.count).reduce(0, +) / fullInputs.count))")
        var parseRates: [Double] = [], fullRates: [Double] = [], generateRates: [Double] = []
        let reports: [PaymentStatusReport.Transaction] = [
            .init(originalEndToEndID: "E2E-0", originalUETR: UUIDText.format(1 | UInt128(0x4) << 76), status: "ACSC")
        ]
        for _ in 0..<runs {
            let start = ProcessMetrics.monotonicNanoseconds()
            try Self.parseAndMap(inputs, count: messages, mapper: mapper)
            let parsed = ProcessMetrics.monotonicNanoseconds()
            try Self.parseAndMap(fullInputs, count: messages, mapper: mapper)
            let parsedFull = ProcessMetrics.monotonicNanoseconds()
            fullRates.append(Double(messages) / (Double(parsedFull - parsed) / 1e9))
            var bytes = 0
            for index in 0..<messages {
                let report = PaymentStatusReport(
                    messageID: "PLC\(index)", creationDateTime: "2026-11-29T10:00:00Z",
                    originalMessageID: "MSG-\(index)",
                    originalMessageNameID: CustomerCreditTransfer.messageDefinition, groupStatus: "ACSC",
                    transactions: reports)
                let header = BusinessApplicationHeader(
                    fromBIC: "POLYXXXX", toBIC: "BKAABR22", businessMessageID: "PLC\(index)",
                    messageDefinitionID: PaymentStatusReport.messageDefinition, creationDate: "2026-11-29T10:00:00Z")
                bytes += ISOMessage(header: header, document: .paymentStatusReport(report)).xml().utf8.count
            }
            let generated = ProcessMetrics.monotonicNanoseconds()
            parseRates.append(Double(messages) / (Double(parsed - start) / 1e9))
            generateRates.append(Double(messages) / (Double(generated - parsedFull) / 1e9))
            let stages = try Self.fullDataStages(fullInputs, count: min(messages, 50_000), mapper: mapper)
            printFlushed(
                String(
                    format: "  full data, per message: XML tree %.1f µs, read into the message %.1f µs, map %.1f µs",
                    stages.xml, stages.read, stages.map))
            printFlushed(
                String(
                    format:
                        "run: parse+map pacs.008 %.0f messages/s (%.1f µs each), with full data %.0f/s (%.1f µs); generate pacs.002 %.0f messages/s (%.1f µs each, %d bytes)",
                    parseRates.last!, 1e6 / parseRates.last!, fullRates.last!, 1e6 / fullRates.last!,
                    generateRates.last!, 1e6 / generateRates.last!, bytes / messages))
        }
        printFlushed(
            String(
                format:
                    "parse+map pacs.008: %.0f–%.0f messages/s, with full party and remittance data %.0f–%.0f (target 20,000); generate pacs.002: %.0f–%.0f messages/s (target 50,000)",
                parseRates.min()!, parseRates.max()!, fullRates.min()!, fullRates.max()!, generateRates.min()!,
                generateRates.max()!))
    }

    /// Parses `count` messages (cycling through `inputs`) and maps every transaction; all must map.
    static func parseAndMap(_ inputs: [[UInt8]], count: Int, mapper: ISOPaymentMapper) throws {
        var mapped = 0
        for index in 0..<count {
            let message = try ISOMessage.parse(inputs[index % inputs.count])
            guard case .customerCreditTransfer(let transfer) = message.document else {
                throw ValidationError("not a pacs.008")
            }
            for tx in transfer.transactions {
                if case .success = mapper.instruction(tx) { mapped += 1 }
            }
        }
        guard mapped == count else { throw ValidationError("only \(mapped) of \(count) mapped") }
    }

    /// Microseconds per message of each stage of `parseAndMap`: building the XML tree, reading
    /// the tree into the message (beyond the tree), and mapping the read transactions.
    static func fullDataStages(
        _ inputs: [[UInt8]], count: Int, mapper: ISOPaymentMapper
    ) throws -> (xml: Double, read: Double, map: Double) {
        let start = ProcessMetrics.monotonicNanoseconds()
        var elements = 0
        for index in 0..<count { elements += try XMLParser.parse(inputs[index % inputs.count]).children.count }
        let treeBuilt = ProcessMetrics.monotonicNanoseconds()
        var transactions: [CustomerCreditTransfer.Transaction] = []
        transactions.reserveCapacity(inputs.count)
        for index in 0..<count {
            guard
                case .customerCreditTransfer(let transfer) = try ISOMessage.parse(inputs[index % inputs.count]).document
            else { throw ValidationError("not a pacs.008") }
            if index < inputs.count { transactions.append(contentsOf: transfer.transactions) }
        }
        let read = ProcessMetrics.monotonicNanoseconds()
        var mapped = 0
        for index in 0..<count {
            if case .success = mapper.instruction(transactions[index % transactions.count]) { mapped += 1 }
        }
        let done = ProcessMetrics.monotonicNanoseconds()
        guard mapped == count, elements > 0 else { throw ValidationError("only \(mapped) of \(count) mapped") }
        let perMessage = { (nanoseconds: UInt64) in Double(nanoseconds) / 1_000 / Double(count) }
        return (
            perMessage(treeBuilt - start), perMessage(read - treeBuilt) - perMessage(treeBuilt - start),
            perMessage(done - read)
        )
    }

    /// A pacs.008 with its header in a Swift envelope, one transaction, CBPR+ shape; `full`:
    /// with accounts, addresses, identifiers, ultimate parties, HS codes and structured remittance.
    static func pacs008(index: Int, full: Bool = false) -> String {
        let uetr = UUIDText.format(
            UInt128(index + 1) | UInt128(0x4) << 76 | UInt128(0x2) << 62 | UInt128(0xABCDEF) << 96)
        var transfer = CustomerCreditTransfer(
            messageID: "MSG-\(index)", creationDateTime: "2026-11-29T10:00:00+00:00",
            interbankSettlementDate: "2026-11-29",
            transactions: [
                .init(
                    instructionID: "INSTR-\(index)", endToEndID: "E2E-\(index)", uetr: uetr,
                    interbankSettlementAmount: ISOAmount(
                        value: "\(1_000 + index % 9_000).\(index % 100 < 10 ? "0" : "")\(index % 100)", currency: "BRL"),
                    interbankSettlementDate: "2026-11-29", chargeBearer: "SHAR", instructingAgentBIC: "BKAABR22",
                    instructedAgentBIC: "POLYXXXX",
                    debtorName: "Exportadora Paulista de Soja Ltda", debtorAgentBIC: "BKAABR22",
                    creditorAgentBIC: "BKAACN22",
                    creditorName: "Shanghai Grain Import Co", purposeCode: "GDDS",
                    unstructuredRemittance: ["Soybeans, contract 2026/114, lot \(index)"],
                    referredDocumentNumbers: ["INV-2026-\(index)"])
            ])
        if full { fillFullData(&transfer.transactions[0], index: index) }
        let header = BusinessApplicationHeader(
            fromBIC: "BKAABR22", toBIC: "POLYXXXX", businessMessageID: "MSG-\(index)",
            messageDefinitionID: CustomerCreditTransfer.messageDefinition, businessService: "swift.cbprplus.02",
            creationDate: "2026-11-29T10:00:00+00:00")
        return ISOMessage(header: header, document: .customerCreditTransfer(transfer)).xml()
    }

    static func fillFullData(_ tx: inout CustomerCreditTransfer.Transaction, index: Int) {
        tx.debtor?.account = PartyAccount(iban: "BR1800360305000010009795493C1")
        tx.debtor?.address = PostalAddress(
            streetName: "Avenida Paulista", buildingNumber: "\(1_000 + index % 900)", postCode: "01311-000",
            townName: "Sao Paulo", country: "BR")
        tx.debtor?.lei = "5493001KJTIIGC8Y1R12"
        tx.creditor?.account = PartyAccount(other: "62284800\(10_000_000 + index)", scheme: "BBAN")
        tx.creditor?.address = PostalAddress(country: "CN", lines: ["88 Century Avenue", "Pudong, Shanghai"])
        tx.creditor?.organisationID = "91310000MA1FL\(1_000 + index % 9_000)X"
        tx.creditor?.organisationIDScheme = "TXID"
        tx.ultimateDebtor = Party(name: "Cooperativa Agricola \(index % 50)", address: PostalAddress(country: "BR"))
        tx.ultimateCreditor = Party(name: "Feed Mills Group", organisationID: "FMG-7", organisationIDScheme: "Registry")
        tx.intermediaryAgentBICs = ["DEUTDEFF"]
        tx.regulatoryReporting = [RegulatoryDetail(type: "HS", code: "120190", information: ["120110"])]
        tx.referredDocuments = [
            ReferredDocument(typeCode: "CINV", number: "INV-2026-\(index)", date: "2026-11-20"),
            ReferredDocument(typeCode: "BOLD", number: "MAEU\(100_000_000 + index)"),
        ]
        tx.creditorReferences = ["RF18539007547034"]
        tx.additionalRemittance = ["/INCO/FOB"]
    }
}
