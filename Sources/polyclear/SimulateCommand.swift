import PolyclearWorkload
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearRules
import PolyclearSimulation

/// `polyclear simulate`: how much liquidity a clearing union would save on real trade, under
/// given rules — the same payment stream through five settlement models, side by side.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Simulate a year of trade under five settlement models.")

    @Option(
        help: "Bilateral trade (year,exporter_iso3,importer_iso3,value_usd[,source]); default: the bundled 2022 matrix."
    ) var trade: String?
    @Option(help: "ECB reference rates (CSV); default: the bundled day.") var fx: String?
    @Option(
        help: ArgumentHelp(
            "Union rules: a preset (\(RulePreset.allCases.map(\.rawValue).joined(separator: ", "))) or a TOML file (keys in the README).",
            discussion:
                "Default: the \(RulePreset.default.rawValue) preset. A file may start from a preset: preset = \"epu-1950\"."
        ))
    var rules: String?
    @Option(help: "Payments in the year (the stream's size).") var scale = 1_000_000
    @Option(help: "Seed of the payment stream.") var seed: UInt64 = 1
    @Option(help: "Write metrics.json, CSVs and report.html here.") var out: String?
    @Option(
        name: .customLong("compare"), parsing: .upToNextOption,
        help: "Two or more rule sets (presets or files) run on the same stream, one column each.")
    var compare: [String] = []
    @Option(
        help: ArgumentHelp(
            "Run the --rules across a range of one numeric key: KEY=FROM:TO:STEP (e.g. quota_percent_of_trade=5:100:5).",
            discussion: "Keys: \(RulesSweep.keys.joined(separator: ", ")). Writes sweep.csv with --out."))
    var sweep: String?

    func validate() throws {
        guard (1...50_000_000).contains(scale) else {
            throw ValidationError("--scale must be 1 to 50,000,000 payments")
        }
        guard compare.isEmpty || (2...8).contains(compare.count) else {
            throw ValidationError("--compare takes 2 to 8 rule sets (presets or files)")
        }
        guard compare.isEmpty || rules == nil else { throw ValidationError("use --rules or --compare, not both") }
        guard compare.isEmpty || sweep == nil else { throw ValidationError("use --sweep or --compare, not both") }
    }

    func run() throws {
        do {
            try simulate()
        } catch let error as SimulationInputError {
            FileHandle.standardError.write(Data("polyclear: error [invalid_input]: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    func read(
        _ path: String?, resource: BundledData.Resource, what: String
    ) throws(SimulationInputError) -> (String, String) {
        if let path {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SimulationInputError(file: path, field: what, reason: "cannot read the file")
            }
            return (text, path)
        }
        return (BundledData.text(resource), "bundled " + resource.fileName)
    }

    typealias RuleSet = (label: String, rules: SimulationRules, overrides: [String: Simulation.MemberOverride])

    /// A preset by name, or a rules file.
    func ruleSet(_ spec: String) throws(SimulationInputError) -> RuleSet {
        if let preset = RulePreset(rawValue: spec) { return (spec, preset.rules, [:]) }
        guard let text = try? String(contentsOfFile: spec, encoding: .utf8) else {
            throw SimulationInputError(
                file: spec, field: "rules",
                reason: "neither a preset (\(RulePreset.allCases.map(\.rawValue).joined(separator: ", "))) "
                    + "nor a readable file")
        }
        let (parsed, overrides) = try SimulationRulesFile.parse(text, file: spec)
        return (spec, parsed, overrides)
    }

    /// The rule sets to run: `--compare`'s, or `--rules` (default preset) swept or alone.
    func ruleSets() throws(SimulationInputError) -> (sets: [RuleSet], sweep: RulesSweep?) {
        if !compare.isEmpty {
            var sets: [RuleSet] = []
            for spec in compare { sets.append(try ruleSet(spec)) }
            return (sets, nil)
        }
        let base = try ruleSet(rules ?? RulePreset.default.rawValue)
        guard let sweepText = sweep else { return ([base], nil) }
        let sweep = try RulesSweep(sweepText)
        var sets: [RuleSet] = []
        for value in sweep.values {
            sets.append(("\(sweep.key)=\(value)", try sweep.rules(base.rules, value: value), base.overrides))
        }
        return (sets, sweep)
    }

    func simulate() throws {
        let started = Date()
        let currencies = try CurrencyTable()
        let (tradeText, tradeName) = try read(trade, resource: .tradeMatrix, what: "trade")
        let matrix = try TradeFile.parse(tradeText, file: tradeName)
        let (fxText, fxName) = try read(fx, resource: .ecbReferenceRates, what: "fx")
        let ecbDay: ECBReferenceRates.Day
        do { ecbDay = try ECBReferenceRates.parse(fxText)[0] } catch {
            throw SimulationInputError(file: fxName, field: "rates", reason: "not ECB reference rates: \(error)")
        }
        let (sets, sweep) = try ruleSets()
        var results: [(label: String, result: SimulationResult)] = []
        for set in sets {
            let members = try Simulation.members(
                countries: matrix.countries, ecbDay: ecbDay, overrides: set.overrides, rulesFile: set.label,
                currencies: currencies)
            let result = try Simulation.run(
                trade: matrix, members: members, rules: set.rules, paymentCount: scale, seed: seed,
                currencies: currencies
            ) { stage, fraction in
                let filled = Int(fraction * 30)
                FileHandle.standardError.write(
                    Data(
                        "\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] \(Int(fraction * 100))% \(stage)        "
                            .utf8))
            }
            FileHandle.standardError.write(Data("\n".utf8))
            results.append((set.label, result))
        }
        let first = results[0].result
        print(
            "Polyclear simulation: \(first.members.count) members, \(first.year), \(first.paymentCount) payments worth \(SimulationReport.dollars(first.totalUSDCents)) USD, "
                + "\(first.cycleCount) cycles of \(first.cycleDays) business day(s), seed \(seed)")
        var points: [RulesSweep.Point] = []
        if let sweep {
            points = zip(sweep.values, results).compactMap { value, run in
                run.result.models.first { $0.model == "polyclear" }.map { RulesSweep.Point(value: value, model: $0) }
            }
            print("\nPolyclear across \(sweep.key) (rules: \(rules ?? RulePreset.default.rawValue))")
            print(RulesSweep.table(key: sweep.key, points))
        } else {
            report(results)
        }
        if let out { try write(results, sweep: sweep.map { ($0.key, points) }, to: out) }
        print(String(format: "\ndone in %.1f s", Date().timeIntervalSince(started)))
    }

    /// Each rule set's table, then the rule sets side by side, then the EPU table.
    func report(_ results: [(label: String, result: SimulationResult)]) {
        for (label, result) in results {
            if results.count > 1 { print("\n== rules: \(label)") }
            if let preset = RulePreset(rawValue: label) { print("rules: \(label): \(preset.summary)") }
            print(SimulationReport.table(result))
        }
        let columns = SimulationReport.comparisonColumns(results)
        if results.count > 1 {
            print("\n== the rule sets side by side (same stream)\n" + SimulationReport.table(columns))
        }
        print("\n" + SimulationReport.settlementSharesTable(columns, result: results[0].result))
        print("\n" + SimulationReport.memberNeedTable(columns, result: results[0].result))
    }

    /// Everything is written to a temporary folder first and moved into place at the end:
    /// a failed run leaves no partial report.
    func write(
        _ results: [(label: String, result: SimulationResult)], sweep: (key: String, points: [RulesSweep.Point])?,
        to directory: String
    ) throws {
        let manager = FileManager.default
        let staging = directory + ".partial-\(getpid())"
        try? manager.removeItem(atPath: staging)
        try manager.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        for (index, (_, result)) in results.enumerated() {
            // -a, -b, ... per rule set (then -27, -28, ... for a long sweep).
            let suffix =
                results.count == 1 ? "" : index < 26 ? "-" + String(UnicodeScalar(UInt8(97 + index))) : "-\(index + 1)"
            try encoder.encode(result).write(to: URL(fileURLWithPath: staging + "/metrics\(suffix).json"))
            let csv = SimulationReport.csv(result)
            try csv.models.write(toFile: staging + "/models\(suffix).csv", atomically: true, encoding: .utf8)
            try csv.members.write(toFile: staging + "/members\(suffix).csv", atomically: true, encoding: .utf8)
            try csv.positions.write(toFile: staging + "/positions\(suffix).csv", atomically: true, encoding: .utf8)
        }
        let description = RulePreset(rawValue: results[0].0).map { "\($0.rawValue): \($0.summary)" } ?? results[0].0
        var html: String
        if let sweep {
            try RulesSweep.csv(key: sweep.key, sweep.points).write(
                toFile: staging + "/sweep.csv", atomically: true, encoding: .utf8)
            html = SimulationReport.html(
                [results[0]], rulesDescription: description,
                extra: "<h2>Across \(sweep.key)</h2>" + RulesSweep.svg(key: sweep.key, sweep.points))
        } else {
            html = SimulationReport.html(results, rulesDescription: description)
        }
        try html.write(toFile: staging + "/report.html", atomically: true, encoding: .utf8)
        if manager.fileExists(atPath: directory) {
            for name in try manager.contentsOfDirectory(atPath: staging) {
                let target = directory + "/" + name
                try? manager.removeItem(atPath: target)
                try manager.moveItem(atPath: staging + "/" + name, toPath: target)
            }
            try manager.removeItem(atPath: staging)
        } else {
            try manager.moveItem(atPath: staging, toPath: directory)
        }
        print("report: \(directory)/report.html (metrics.json, models.csv, members.csv, positions.csv)")
    }
}
