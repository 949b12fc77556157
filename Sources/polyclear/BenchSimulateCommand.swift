import PolyclearWorkload
import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearSimulation

/// `polyclear bench simulate`: a full simulated year — the bundled 12-member matrix, at least
/// 1,000,000 payments, all five models — timed stage by stage, with the peak memory.
struct BenchSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Benchmark a full simulated year (five models).")

    @Option(help: "Payments in the year.") var payments = 1_000_000
    @Option(help: "Seed.") var seed: UInt64 = 1

    func run() throws {
        #if DEBUG
            printFlushed(
                "warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench simulate")
        #endif
        let currencies = try CurrencyTable()
        let trade = try TradeFile.parse(BundledData.text(.tradeMatrix), file: BundledData.Resource.tradeMatrix.fileName)
        let day = try ECBReferenceRates.parse(BundledData.text(.ecbReferenceRates))[0]
        let members = try Simulation.members(
            countries: trade.countries, ecbDay: day, overrides: [:], rulesFile: "defaults", currencies: currencies)
        let start = ProcessMetrics.monotonicNanoseconds()
        var stageStart = start, lastStage = ""
        var stages: [(String, Double)] = []
        let result = try Simulation.run(
            trade: trade, members: members, rules: SimulationRules(), paymentCount: payments, seed: seed,
            currencies: currencies
        ) { stage, _ in
            guard stage != lastStage else { return }
            let now = ProcessMetrics.monotonicNanoseconds()
            if !lastStage.isEmpty { stages.append((lastStage, Double(now - stageStart) / 1e9)) }
            lastStage = stage
            stageStart = now
        }
        let total = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e9
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; \(result.paymentCount) payments, \(result.members.count) members, "
                + "\(result.cycleCount) cycles, \(result.models.count) models")
        for (stage, seconds) in stages {
            printFlushed(
                "  " + stage.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%6.2f s", seconds))
        }
        printFlushed(
            String(
                format: "total %.2f s (target 60 s); peak memory %.0f MiB", total,
                Double(ProcessMetrics.peakResidentBytes()) / 1_048_576))
    }
}
