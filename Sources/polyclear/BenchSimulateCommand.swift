import PolyclearWorkload
import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearRules
import PolyclearSimulation

/// `polyclear bench simulate`: a full simulated year — the bundled 12-member matrix, at least
/// 1,000,000 payments, all five models — under each rule preset, timed stage by stage, with the peak memory.
struct BenchSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Benchmark a full simulated year (five models).")

    @Option(help: "Payments in the year.") var payments = 1_000_000
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(parsing: .upToNextOption, help: "Rule presets to run, one after another (default: all four).")
    var rules: [String] = RulePreset.allCases.map(\.rawValue)

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
        let presets = try rules.map { (name) throws -> RulePreset in
            guard let preset = RulePreset(rawValue: name) else {
                throw ValidationError("unknown preset \(name): \(RulePreset.allCases.map(\.rawValue))")
            }
            return preset
        }
        let start = ProcessMetrics.monotonicNanoseconds()
        for preset in presets {
            let presetStart = ProcessMetrics.monotonicNanoseconds()
            var stageStart = presetStart, lastStage = ""
            var stages: [(String, Double)] = []
            let result = try Simulation.run(
                trade: trade, members: members, rules: preset.rules, paymentCount: payments, seed: seed,
                currencies: currencies
            ) { stage, _ in
                guard stage != lastStage else { return }
                let now = ProcessMetrics.monotonicNanoseconds()
                if !lastStage.isEmpty { stages.append((lastStage, Double(now - stageStart) / 1e9)) }
                lastStage = stage
                stageStart = now
            }
            let now = ProcessMetrics.monotonicNanoseconds()
            if lastStage != "done" { stages.append((lastStage, Double(now - stageStart) / 1e9)) }
            printFlushed(
                "\(preset.rawValue): \(result.paymentCount) payments, \(result.members.count) members, "
                    + "\(result.cycleCount) cycles, \(result.models.count) models: "
                    + String(format: "%.2f s", Double(now - presetStart) / 1e9))
            for (stage, seconds) in stages {
                printFlushed(
                    "  " + stage.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%6.2f s", seconds)
                )
            }
        }
        let total = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e9
        printFlushed("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores")
        printFlushed(
            String(
                format: "total %.2f s for %d rule sets (target 60 s each); peak memory %.0f MiB", total, presets.count,
                Double(ProcessMetrics.peakResidentBytes()) / 1_048_576))
    }
}
