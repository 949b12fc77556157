import ArgumentParser
import Foundation
import PolyclearCore

/// `polyclear bench net`: certified set-off on generated instances — power-law party sizes,
/// lognormal amounts, seeded; `--hierarchy` makes most debt flow down a chain (mostly acyclic).
struct BenchNetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "net", abstract: "Benchmark certified obligation set-off.")

    @Option(help: "Parties.") var parties = 1_000
    @Option(help: "Obligations.") var obligations = 100_000
    @Flag(help: "Mostly acyclic instance: 95% of obligations run from a later party to an earlier one.") var hierarchy = false
    @Option(help: "Seed.") var seed: UInt64 = 1

    func run() async throws {
        #if DEBUG
        printFlushed("warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench net")
        #endif
        let generateStart = ProcessMetrics.monotonicNanoseconds()
        let instance = ObligationGenerator.generate(parties: parties, obligations: obligations, hierarchy: hierarchy, seed: seed)
        let generateMilliseconds = Double(ProcessMetrics.monotonicNanoseconds() - generateStart) / 1e6
        let start = ProcessMetrics.monotonicNanoseconds()
        let result = try ObligationSetOff.solve(partyCount: parties, obligations: instance)
        let seconds = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e9
        printFlushed(String(format: "%d parties x %d obligations%@: set-off %.2f%% of gross, certificate %@, solve + certify %.3f s (generate %.0f ms)",
                            parties, obligations, hierarchy ? " (hierarchy)" : "",
                            100 * Double(result.totalSetOffMinor) / Double(result.grossMinor),
                            result.certificate.isProven ? "proven" : "FAILED", seconds, generateMilliseconds))
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
            while low < high { let mid = (low + high) / 2; if cumulative[mid] > point { high = mid } else { low = mid + 1 } }
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
