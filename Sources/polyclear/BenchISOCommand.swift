import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearISO20022

/// `polyclear bench iso`: the ISO 20022 codec on one core — parse and map pacs.008 messages
/// (header + one CBPR+-style transaction, about 2.5 KB each) to hub payment instructions, and
/// generate pacs.002 status reports with their reply headers.
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
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores (one used); \(messages) messages per run, "
                + "\(inputs.map(\.count).reduce(0, +) / inputs.count) bytes each on average")
        var parseRates: [Double] = [], generateRates: [Double] = []
        for _ in 0..<runs {
            var mapped = 0
            var reports: [PaymentStatusReport.Transaction] = []
            let start = ProcessMetrics.monotonicNanoseconds()
            for index in 0..<messages {
                let message = try ISOMessage.parse(inputs[index % inputs.count])
                guard case .customerCreditTransfer(let transfer) = message.document else {
                    throw ValidationError("not a pacs.008")
                }
                for tx in transfer.transactions {
                    if case .success = mapper.instruction(tx) { mapped += 1 }
                }
                if index < 1 {
                    reports.append(
                        .init(
                            originalEndToEndID: transfer.transactions[0].endToEndID,
                            originalUETR: transfer.transactions[0].uetr, status: "ACSC"))
                }
            }
            let parsed = ProcessMetrics.monotonicNanoseconds()
            guard mapped == messages else { throw ValidationError("only \(mapped) of \(messages) mapped") }
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
            generateRates.append(Double(messages) / (Double(generated - parsed) / 1e9))
            printFlushed(
                String(
                    format:
                        "run: parse+map pacs.008 %.0f messages/s (%.1f µs each); generate pacs.002 %.0f messages/s (%.1f µs each, %d bytes)",
                    parseRates.last!, 1e6 / parseRates.last!, generateRates.last!, 1e6 / generateRates.last!,
                    bytes / messages))
        }
        printFlushed(
            String(
                format:
                    "parse+map pacs.008: %.0f–%.0f messages/s (target 20,000); generate pacs.002: %.0f–%.0f messages/s (target 50,000)",
                parseRates.min()!, parseRates.max()!, generateRates.min()!, generateRates.max()!))
    }

    /// A pacs.008 with its header in a Swift envelope, one transaction, CBPR+ shape.
    static func pacs008(index: Int) -> String {
        let uetr = UUIDText.format(
            UInt128(index + 1) | UInt128(0x4) << 76 | UInt128(0x2) << 62 | UInt128(0xABCDEF) << 96)
        let transfer = CustomerCreditTransfer(
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
        let header = BusinessApplicationHeader(
            fromBIC: "BKAABR22", toBIC: "POLYXXXX", businessMessageID: "MSG-\(index)",
            messageDefinitionID: CustomerCreditTransfer.messageDefinition, businessService: "swift.cbprplus.02",
            creationDate: "2026-11-29T10:00:00+00:00")
        return ISOMessage(header: header, document: .customerCreditTransfer(transfer)).xml()
    }
}
