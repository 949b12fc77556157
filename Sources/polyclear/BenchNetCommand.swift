import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearWorkload

/// `polyclear bench net`: certified set-off on generated instances — power-law party sizes,
/// lognormal amounts, seeded; `--hierarchy` makes most debt flow down a chain (mostly acyclic).
struct BenchNetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net", abstract: "Benchmark certified obligation set-off.")

    @Option(help: "Parties.") var parties = 1_000
    @Option(help: "Obligations.") var obligations = 100_000
    @Flag(help: "Mostly acyclic instance: 95% of obligations run from a later party to an earlier one.") var hierarchy =
        false
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Flag(help: "Benchmark gridlock resolution instead: --obligations queued payments among --parties banks.")
    var gridlock = false

    func run() async throws {
        #if DEBUG
            printFlushed("warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench net")
        #endif
        if gridlock { return runGridlock() }
        let generateStart = ProcessMetrics.monotonicNanoseconds()
        let instance = ObligationGenerator.generate(
            parties: parties, obligations: obligations, hierarchy: hierarchy, seed: seed)
        let generateMilliseconds = Double(ProcessMetrics.monotonicNanoseconds() - generateStart) / 1e6
        let start = ProcessMetrics.monotonicNanoseconds()
        let result = try ObligationSetOff.solve(partyCount: parties, obligations: instance)
        let seconds = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e9
        printFlushed(
            String(
                format:
                    "%d parties x %d obligations%@: set-off %.2f%% of gross, certificate %@, solve + certify %.3f s (generate %.0f ms)",
                parties, obligations, hierarchy ? " (hierarchy)" : "",
                100 * Double(result.totalSetOffMinor) / Double(result.grossMinor),
                result.certificate.isProven ? "proven" : "FAILED", seconds, generateMilliseconds))
    }
}

extension BenchNetCommand {
    /// A gridlocked single-currency queue: each bank's room is 5% of what it has queued to pay.
    func runGridlock() {
        let payments = ObligationGenerator.generate(
            parties: parties, obligations: obligations, hierarchy: hierarchy, seed: seed)
        var outflow = [Int64](repeating: 0, count: parties)
        for payment in payments { outflow[Int(payment.debtor)] += payment.amountMinor }
        let snapshot = QueueSnapshot(
            participantRoom: outflow.map { $0 / 20 }, participantMember: [Int32](repeating: 0, count: parties),
            memberRoom: [.max / 4],
            payments: payments.map {
                .init(
                    payer: $0.debtor, payee: $0.creditor, payerAmount: $0.amountMinor, payeeAmount: $0.amountMinor,
                    unitAmount: 0, value: $0.amountMinor)
            })
        let start = ProcessMetrics.monotonicNanoseconds()
        let selected = GridlockResolver.resolve(snapshot)
        let seconds = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e9
        let boundStart = ProcessMetrics.monotonicNanoseconds()
        let bound = GridlockResolver.divisibleUpperBound(snapshot)
        let boundSeconds = Double(ProcessMetrics.monotonicNanoseconds() - boundStart) / 1e9
        let unorderedStart = ProcessMetrics.monotonicNanoseconds()
        let unordered = GridlockResolver.resolveIgnoringQueueOrder(snapshot)
        let unorderedSeconds = Double(ProcessMetrics.monotonicNanoseconds() - unorderedStart) / 1e9
        let total = payments.map(\.amountMinor).reduce(0, +)
        func value(_ chosen: [Bool]) -> Int64 { zip(payments, chosen).filter(\.1).map(\.0.amountMinor).reduce(0, +) }
        printFlushed(
            String(
                format:
                    "gridlock: %d queued payments among %d banks; divisible upper bound %.1f%% of queued value (%.3f s)",
                obligations, parties, 100 * Double(bound) / Double(total), boundSeconds))
        printFlushed(
            String(
                format: "  FIFO per payer (TARGET2-style): %d released, %.1f%% of the bound, %.3f s",
                selected.filter { $0 }.count, 100 * Double(value(selected)) / Double(max(1, bound)), seconds))
        printFlushed(
            String(
                format: "  ignoring queue order (LP-guided): %d released, %.1f%% of the bound, %.3f s",
                unordered.filter { $0 }.count, 100 * Double(value(unordered)) / Double(max(1, bound)), unorderedSeconds)
        )
    }
}

/// Seeded instances: party k has weight 1/(k+1) (power law), amounts lognormal (median 10,000
/// minor units, sigma 1.5), debtor and creditor drawn by weight.
enum ObligationGenerator {
    static func generate(parties: Int, obligations: Int, hierarchy: Bool, seed: UInt64) -> [Obligation] {
        var random = SeededRandom(seed: seed)
        var cumulative: [Double] = [], total = 0.0
        for k in 0..<parties { total += 1 / Double(k + 1); cumulative.append(total) }
        func pick() -> Int32 {
            let point = Double(random.next() >> 11) / Double(1 << 53) * total
            var low = 0, high = parties - 1
            while low < high {
                let mid = (low + high) / 2; if cumulative[mid] > point { high = mid } else { low = mid + 1 }
            }
            return Int32(low)
        }
        func uniform() -> Double { (Double(random.next() >> 11) + 0.5) / Double(1 << 53) }
        var result: [Obligation] = []
        result.reserveCapacity(obligations)
        while result.count < obligations {
            var debtor = pick(), creditor = pick()
            guard debtor != creditor else { continue }
            if hierarchy && random.next() % 100 < 95 && debtor < creditor { swap(&debtor, &creditor) }
            let z = (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
            let amount = Int64(max(1, (exp(log(10_000.0) + 1.5 * z)).rounded()))
            result.append(Obligation(debtor: debtor, creditor: creditor, amountMinor: amount))
        }
        return result
    }
}
