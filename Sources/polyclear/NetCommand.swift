import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import Synchronization

/// `polyclear net obligations.csv`: optimal, certified multilateral set-off of obligations.
struct NetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net",
        abstract: "Set off obligations optimally (min-cost flow, certified) and print the summary.",
        discussion:
            "Columns: id,debtor,creditor,amount[,currency][,due]. Amounts are minor units, or decimals with --decimal.")

    @Argument(help: "The obligations CSV file.") var file: String
    @Flag(help: "Amounts are decimals in the row's currency (exactly; too many decimals is an error).") var decimal =
        false
    @Flag(help: "Solve each currency separately when the file mixes currencies.") var perCurrency = false
    @Flag(help: "Set off across currencies in the unit of account (needs --rates); reports the FX legs.")
    var crossCurrency = false
    @Option(help: "With --cross-currency: currency,rate_per_unit (a fixing).") var rates: String?
    @Option(help: "Write id,set_off,remainder here (only if everything succeeded).") var out: String?
    @Flag(help: "The file is a queue snapshot (id,payer,payee,amount in queue order); resolve gridlock instead.")
    var queue = false
    @Option(help: "With --queue: party,room (how much more each may pay out net).") var rooms: String?
    @Flag(help: "With --queue: ignore queue order (LP-guided) instead of keeping FIFO per payer.")
    var ignoreQueueOrder = false

    func run() async throws {
        if queue { return try runQueue() }
        let readStart = ProcessMetrics.monotonicNanoseconds()
        guard let bytes = FileBytes.read(file) else { exitWithError("not_found", "cannot read \(file)") }
        let parseStart = ProcessMetrics.monotonicNanoseconds()
        let table: ObligationCSV
        do {
            // Parts of a large file read at once, one per core (the answer is the one-piece reading's).
            table = try ObligationCSV(
                bytes: bytes, decimal: decimal, currencies: try CurrencyTable(), partCount: Self.cores,
                perform: Self.performAtOnce)
        } catch let error as ObligationCSV.ParseError {
            exitWithError("malformed_obligations", error.description)
        }
        let parseMilliseconds = Double(ProcessMetrics.monotonicNanoseconds() - parseStart) / 1e6
        let readMilliseconds = Double(parseStart - readStart) / 1e6
        guard table.rowCount > 0 else { exitWithError("malformed_obligations", "no obligations in \(file)") }
        if crossCurrency { return try runCrossCurrency(table) }
        let groups = table.currencies.sorted { ($0?.description ?? "") < ($1?.description ?? "") }
        guard groups.count == 1 || perCurrency else {
            exitWithError(
                "mixed_currencies",
                "the file mixes \(groups.count) currencies; pass --per-currency to set off each separately")
        }
        // One currency: every row in file order, so the set-off is already by row (no copies
        // through row indices: at a million rows they cost 40 ms).
        let oneGroup = groups.count == 1
        var setOffByRow = oneGroup ? [] : [Int64](repeating: 0, count: table.rowCount)
        printFlushed(
            String(
                format: "parsed %d obligations among %d parties in %.1f ms (file read in %.1f ms)", table.rowCount,
                table.parties.count, parseMilliseconds, readMilliseconds))
        for currency in groups {
            let (obligations, rowIndices) =
                oneGroup ? (table.obligations, []) : table.obligations(currency: currency)
            let start = ProcessMetrics.monotonicNanoseconds()
            let result: SetOffResult
            let routed: UInt64
            do {
                let instance = try SetOffInstance(
                    partyCount: table.parties.count, obligations: obligations, partCount: Self.cores,
                    perform: Self.performAtOnce)
                let routing = ObligationSetOff.route(instance, partCount: Self.cores, perform: Self.performAtOnce)
                routed = ProcessMetrics.monotonicNanoseconds()
                result = try ObligationSetOff.finish(instance, routing: routing, obligations: obligations)
            } catch {
                exitWithError("set_off_failed", "\(error)")
            }
            let solveMilliseconds = Double(routed - start) / 1e6
            let certifyMilliseconds = Double(ProcessMetrics.monotonicNanoseconds() - routed) / 1e6
            if oneGroup { setOffByRow = result.setOffMinor }
            for (position, row) in rowIndices.enumerated() { setOffByRow[row] = result.setOffMinor[position] }
            let share = result.grossMinor == 0 ? 0 : 100 * Double(result.totalSetOffMinor) / Double(result.grossMinor)
            printFlushed(
                "\(currency?.description ?? "-"): \(obligations.count) obligations; gross \(result.grossMinor), "
                    + "net liquidity need \(result.netLiquidityNeedMinor), optimal set-off \(result.totalSetOffMinor) "
                    + String(format: "(%.2f%%)", share) + ", residual \(result.remainderMinor); certificate "
                    + (result.certificate.isProven ? "proven (primal = dual = \(result.certificate.dual))" : "FAILED")
                    + String(
                        format: "; solve %.1f ms, certify and split %.1f ms", solveMilliseconds, certifyMilliseconds))
        }
        if let out { write(table: table, setOff: setOffByRow, to: out) }
        // Done, the output flushed: the process ends without handing back its arrays one by one
        // (tens of megabytes at a million obligations; the system reclaims them at once).
        Foundation.exit(0)
    }

    private func runCrossCurrency(_ table: ObligationCSV) throws {
        guard let ratesPath = rates, let ratesText = try? String(contentsOfFile: ratesPath, encoding: .utf8) else {
            exitWithError("missing_rates", "--cross-currency needs --rates FILE with currency,rate_per_unit")
        }
        var ratesPerUnit: [CurrencyCode: DecimalNumber] = [:]
        for (offset, line) in ratesText.split(separator: "\n").enumerated() {
            let cells = line.split(separator: ",").map { String($0) }
            if offset == 0 && cells.first == "currency" { continue }
            guard cells.count == 2, let code = CurrencyCode(cells[0]), let rate = DecimalNumber(cells[1]), !rate.isZero
            else {
                exitWithError(
                    "malformed_rates", "\(ratesPath) line \(offset + 1): expected currency,positive decimal rate")
            }
            ratesPerUnit[code] = rate
        }
        guard !table.rowCurrencies.contains(nil) else {
            exitWithError("malformed_obligations", "--cross-currency needs a currency on every row")
        }
        let obligations = table.obligations
        let start = ProcessMetrics.monotonicNanoseconds()
        let result: CrossCurrencySetOff
        do {
            result = try CrossCurrencySetOff.solve(
                partyCount: table.parties.count, obligations: obligations,
                currencies: table.rowCurrencies.map { $0! }, ratesPerUnit: ratesPerUnit, table: try CurrencyTable())
        } catch { exitWithError("set_off_failed", "\(error)") }
        let milliseconds = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e6
        let unit = result.unitResult
        printFlushed(
            "in the unit: gross \(unit.grossMinor), net liquidity need \(unit.netLiquidityNeedMinor), optimal set-off \(unit.totalSetOffMinor); "
                + "certificate " + (unit.certificate.isProven ? "proven" : "FAILED")
                + String(format: "; %.1f ms", milliseconds))
        for leg in result.fxLegs {
            printFlushed(
                "fx leg: \(table.parties[Int(leg.party)]) \(leg.currency) \(leg.amountMinor > 0 ? "delivered" : "taken") \(leg.amountMinor.magnitude)"
            )
        }
        if let out { write(table: table, setOff: result.setOffMinor, to: out) }
    }

    static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Runs the parts of a reading or writing on every core at once.
    static func performAtOnce(_ count: Int, _ body: @Sendable (Int) -> Void) {
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }

    /// Written to a temporary file and renamed into place: a reader never sees half a file.
    /// Each core sizes its share of the rows, then writes it at its offset in chunks of
    /// `splitChunkBytes` (no buffer the size of the file: at a million rows, tens of megabytes
    /// of fresh pages to fault in and hand back).
    private func write(table: ObligationCSV, setOff: [Int64], to path: String) {
        let partCount = max(1, min(Self.cores, table.rowCount / 4096))
        let parts = (0..<partCount).map { table.rowCount * $0 / partCount..<table.rowCount * ($0 + 1) / partCount }
        let sizes = Mutex([(byteCount: Int, longestLine: Int)](repeating: (0, 0), count: partCount))
        Self.performAtOnce(partCount) { part in
            let size = table.splitByteCount(setOffMinor: setOff, rows: parts[part])
            sizes.withLock { $0[part] = size }
        }
        let measured = sizes.withLock { $0 }
        var start = ObligationCSV.splitHeader.count
        let offsets = measured.map { size in
            defer { start += size.byteCount }
            return start
        }
        do {
            try FileBytes.replace(path, partCount: partCount, perform: Self.performAtOnce) { part, descriptor in
                if part == 0, let failure = FileBytes.write(ObligationCSV.splitHeader, to: descriptor, at: 0) {
                    return failure
                }
                var buffer = [UInt8](repeating: 0, count: max(Self.splitChunkBytes, measured[part].longestLine + 43))
                var rows = parts[part], offset = offsets[part]
                while !rows.isEmpty {
                    let (rowCount, byteCount) = buffer.withUnsafeMutableBufferPointer {
                        table.writeSplitLines(setOffMinor: setOff, rows: rows, into: $0)
                    }
                    guard rowCount > 0 else { return EINVAL }  // cannot happen: the buffer holds the longest line
                    if let failure = FileBytes.write(buffer[..<byteCount], to: descriptor, at: offset) {
                        return failure
                    }
                    rows = rows.dropFirst(rowCount)
                    offset += byteCount
                }
                return nil
            }
        } catch { exitWithError("write_failed", error.description) }
    }

    static let splitChunkBytes = 1 << 20
}

extension NetCommand {
    /// `polyclear net --queue queue.csv --rooms rooms.csv`: which queued payments can settle
    /// together; prints the released share of the divisible bound, writes `id,released` with --out.
    func runQueue() throws {
        guard let roomsPath = rooms else { exitWithError("missing_rooms", "--queue needs --rooms party,room") }
        guard let queueText = try? String(contentsOfFile: file, encoding: .utf8),
            let roomsText = try? String(contentsOfFile: roomsPath, encoding: .utf8)
        else { exitWithError("not_found", "cannot read \(file) or \(roomsPath)") }
        var partyIndex: [String: Int32] = [:], room: [Int64] = []
        for (offset, line) in roomsText.split(separator: "\n").enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
            if offset == 0 && cells.first == "party" { continue }
            guard cells.count == 2, let value = Int64(cells[1]), partyIndex[cells[0]] == nil else {
                exitWithError(
                    "malformed_rooms", "\(roomsPath) line \(offset + 1): expected a new party and a whole-number room")
            }
            partyIndex[cells[0]] = Int32(room.count)
            room.append(value)
        }
        var ids: [String] = [], payments: [QueueSnapshot.Payment] = [], seen = Set<String>()
        for (offset, line) in queueText.split(separator: "\n").enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
            if offset == 0 && cells.first == "id" { continue }
            guard cells.count == 4, let amount = Int64(cells[3]), amount > 0, let payer = partyIndex[cells[1]],
                let payee = partyIndex[cells[2]],
                payer != payee, seen.insert(cells[0]).inserted
            else {
                exitWithError(
                    "malformed_queue",
                    "\(file) line \(offset + 1): expected a new id, two different known parties and a positive amount")
            }
            ids.append(cells[0])
            payments.append(
                .init(
                    payer: payer, payee: payee, payerAmount: amount, payeeAmount: amount, unitAmount: 0, value: amount))
        }
        let snapshot = QueueSnapshot(
            participantRoom: room, participantMember: room.map { _ in 0 }, memberRoom: [.max / 4], payments: payments)
        let start = ProcessMetrics.monotonicNanoseconds()
        let selected =
            ignoreQueueOrder ? GridlockResolver.resolveIgnoringQueueOrder(snapshot) : GridlockResolver.resolve(snapshot)
        let milliseconds = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e6
        let bound = GridlockResolver.divisibleUpperBound(snapshot)
        let released = zip(payments, selected).filter(\.1).map(\.0.value).reduce(0, +)
        printFlushed(
            String(
                format: "%d queued, %d released, value %lld of divisible bound %lld (%.1f%%), %.1f ms",
                payments.count, selected.filter { $0 }.count, released, bound,
                100 * Double(released) / Double(max(1, bound)), milliseconds))
        if let out {
            let lines = ["id,released"] + zip(ids, selected).map { "\($0),\($1 ? 1 : 0)" }
            let temporary = out + ".partial-\(getpid())"
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
            _ = try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.moveItem(atPath: temporary, toPath: out)
        }
    }
}
