import ArgumentParser
import Foundation
import PolyclearCore

/// `polyclear net obligations.csv`: optimal, certified multilateral set-off of obligations.
struct NetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net",
        abstract: "Set off obligations optimally (min-cost flow, certified) and print the summary.",
        discussion: "Columns: id,debtor,creditor,amount[,currency][,due]. Amounts are minor units, or decimals with --decimal.")

    @Argument(help: "The obligations CSV file.") var file: String
    @Flag(help: "Amounts are decimals in the row's currency (exactly; too many decimals is an error).") var decimal = false
    @Flag(help: "Solve each currency separately when the file mixes currencies.") var perCurrency = false
    @Option(help: "Write id,set_off,remainder here (only if everything succeeded).") var out: String?

    func run() async throws {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { exitWithError("not_found", "cannot read \(file)") }
        let parseStart = ProcessMetrics.monotonicNanoseconds()
        let table: ObligationCSV
        do { table = try ObligationCSV(text, decimal: decimal, currencies: try CurrencyTable()) } catch let error as ObligationCSV.ParseError {
            exitWithError("malformed_obligations", error.description)
        }
        let parseMilliseconds = Double(ProcessMetrics.monotonicNanoseconds() - parseStart) / 1e6
        guard !table.rows.isEmpty else { exitWithError("malformed_obligations", "no obligations in \(file)") }
        let groups = table.currencies.sorted { ($0?.description ?? "") < ($1?.description ?? "") }
        guard groups.count == 1 || perCurrency else {
            exitWithError("mixed_currencies", "the file mixes \(groups.count) currencies; pass --per-currency to set off each separately")
        }
        var setOffByRow = [Int64](repeating: 0, count: table.rows.count)
        printFlushed(String(format: "parsed %d obligations among %d parties in %.1f ms", table.rows.count, table.parties.count, parseMilliseconds))
        for currency in groups {
            let (obligations, rowIndices) = table.obligations(currency: .some(currency))
            let start = ProcessMetrics.monotonicNanoseconds()
            let result: SetOffResult
            do { result = try ObligationSetOff.solve(partyCount: table.parties.count, obligations: obligations) } catch {
                exitWithError("set_off_failed", "\(error)")
            }
            let milliseconds = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e6
            for (position, row) in rowIndices.enumerated() { setOffByRow[row] = result.setOffMinor[position] }
            let share = result.grossMinor == 0 ? 0 : 100 * Double(result.totalSetOffMinor) / Double(result.grossMinor)
            printFlushed("\(currency?.description ?? "-"): \(obligations.count) obligations; gross \(result.grossMinor), "
                + "net liquidity need \(result.netLiquidityNeedMinor), optimal set-off \(result.totalSetOffMinor) "
                + String(format: "(%.2f%%)", share) + ", residual \(result.remainderMinor); certificate "
                + (result.certificate.isProven ? "proven (primal = dual = \(result.certificate.dual))" : "FAILED")
                + String(format: "; solve + certify %.1f ms", milliseconds))
        }
        if let out { try write(table: table, setOff: setOffByRow, to: out) }
    }

    /// Written to a temporary file and renamed into place: a reader never sees half a file.
    private func write(table: ObligationCSV, setOff: [Int64], to path: String) throws {
        var lines = ["id,set_off,remainder"]
        for (row, amount) in zip(table.rows, setOff) { lines.append("\(row.id),\(amount),\(row.amountMinor - amount)") }
        let temporary = path + ".partial-\(getpid())"
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }
}
