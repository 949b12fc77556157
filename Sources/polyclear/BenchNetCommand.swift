import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearWorkload

/// `polyclear bench net`: certified set-off on generated instances of several shapes
/// (`ObligationShape`), seeded; each can be written as CSV so other solvers run on exactly the
/// same input (`bench/ortools-net.sh`).
struct BenchNetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net", abstract: "Benchmark certified obligation set-off.")

    @Option(help: "Parties.") var parties = 1_000
    @Option(help: "Obligations.") var obligations = 100_000
    @Option(
        help: """
            Instance shape: \(ObligationShape.allCases.map(\.rawValue).joined(separator: ", ")), or all.
            """)
    var shape = ObligationShape.powerLaw.rawValue
    @Flag(help: "Same as --shape hierarchy: 95% of obligations run from a later party to an earlier one.")
    var hierarchy = false
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Solver: automatic, primal-dual or cost-scaling.") var solver = SetOffSolver.automatic.rawValue
    @Option(help: "Write each instance as CSV into this directory (<shape>-<parties>x<obligations>-<seed>.csv).")
    var writeCSV: String?
    @Flag(help: "Benchmark gridlock resolution instead: --obligations queued payments among --parties banks.")
    var gridlock = false

    var shapes: [ObligationShape] {
        get throws {
            if hierarchy { return [.hierarchy] }
            if shape == "all" { return ObligationShape.allCases }
            guard let one = ObligationShape(rawValue: shape) else {
                throw ValidationError("unknown --shape \(shape)")
            }
            return [one]
        }
    }

    func validate() throws {
        guard parties >= 4, obligations >= 1 else {
            throw ValidationError("need --parties >= 4 and --obligations >= 1")
        }
        _ = try shapes
        guard SetOffSolver(rawValue: solver) != nil else {
            throw ValidationError(
                "unknown --solver \(solver): \(SetOffSolver.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        #if DEBUG
            printFlushed("warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench net")
        #endif
        if gridlock { return runGridlock() }
        for shape in try shapes { try run(shape) }
    }

    private func run(_ shape: ObligationShape) throws {
        let generateStart = ProcessMetrics.monotonicNanoseconds()
        let instance = shape.generate(parties: parties, obligations: obligations, seed: seed)
        let generateMilliseconds = Double(ProcessMetrics.monotonicNanoseconds() - generateStart) / 1e6
        if let directory = writeCSV {
            let path = directory + "/\(shape.rawValue)-\(parties)x\(obligations)-\(seed).csv"
            try Data(ObligationShape.csv(instance)).write(to: URL(fileURLWithPath: path))
            printFlushed("wrote \(path)")
        }
        let start = ProcessMetrics.monotonicNanoseconds()
        let merged = try SetOffInstance(
            partyCount: parties, obligations: instance, partCount: NetCommand.cores, perform: NetCommand.performAtOnce)
        let mergedAt = ProcessMetrics.monotonicNanoseconds()
        let routing = ObligationSetOff.route(
            merged, solver: SetOffSolver(rawValue: solver) ?? .automatic, partCount: NetCommand.cores,
            perform: NetCommand.performAtOnce)
        let routedAt = ProcessMetrics.monotonicNanoseconds()
        let result = try ObligationSetOff.finish(merged, routing: routing, obligations: instance)
        let finishedAt = ProcessMetrics.monotonicNanoseconds()
        func ms(_ from: UInt64, _ to: UInt64) -> Double { Double(to - from) / 1e6 }
        printFlushed(
            String(
                format:
                    "%@: %d parties x %d obligations (%d pairs): set-off %.2f%% of gross, certificate %@; merge %.0f ms, solve %.0f ms (%@: %d phases, %d rounds, %d paths), certify and split %.0f ms, total %.3f s (generate %.0f ms)",
                shape.rawValue, parties, obligations, merged.pairCount,
                100 * Double(result.totalSetOffMinor) / Double(result.grossMinor),
                result.certificate.isProven ? "proven" : "FAILED", ms(start, mergedAt), ms(mergedAt, routedAt),
                routing.solver.rawValue, routing.solverStats.costPhases, routing.solverStats.blockingRounds,
                routing.solverStats.augmentations,
                ms(routedAt, finishedAt), ms(start, finishedAt) / 1e3, generateMilliseconds))
    }
}

extension BenchNetCommand {
    /// A gridlocked single-currency queue: each bank's room is 5% of what it has queued to pay.
    func runGridlock() {
        let payments = (hierarchy ? ObligationShape.hierarchy : .powerLaw).generate(
            parties: parties, obligations: obligations, seed: seed)
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
