import Foundation
import PolyclearTestSupport
import Testing

/// `polyclear simulate` as a real process: the report, its determinism, bad inputs (exit 2,
/// the file, line and field named, no partial report), and the HTML in a headless browser.
@Suite struct SimulateTests {
    @Test func aRunWritesTheReportAndTheSameSeedWritesTheSameMetrics() async throws {
        let directory = TemporaryDirectory()
        var metrics: [Data] = []
        for name in ["one", "two"] {
            let run = try await ChildProcess.run([
                "simulate", "--scale", "20000", "--seed", "3", "--out", directory.path(name),
            ])
            #expect(run.status == 0, "\(run.error)")
            #expect(
                run.output.contains("hard currency / money needed: peak cycle")
                    && run.output.contains("polyclear_setoff"),
                "\(run.output)")
            for file in ["metrics.json", "models.csv", "members.csv", "positions.csv", "report.html"] {
                #expect(FileManager.default.fileExists(atPath: directory.path("\(name)/\(file)")), "\(file)")
            }
            metrics.append(try Data(contentsOf: URL(fileURLWithPath: directory.path("\(name)/metrics.json"))))
        }
        #expect(metrics[0] == metrics[1])
    }

    @Test func severalRuleSetsRunOnTheSameStream() async throws {
        let directory = TemporaryDirectory()
        try "cycle_days = 1\nquota_percent_of_trade = 20\n".write(
            toFile: directory.path("a.toml"), atomically: true, encoding: .utf8)
        try
            "cycle_days = 5\nquota_percent_of_trade = 100\n[[charges]]\nthreshold_percent_of_quota = 10\nannual_rate_basis_points = 200\n"
            .write(toFile: directory.path("b.toml"), atomically: true, encoding: .utf8)
        let run = try await ChildProcess.run([
            "simulate", "--scale", "10000", "--compare", directory.path("a.toml"), directory.path("b.toml"), "acu",
            "--out", directory.path("out"),
        ])
        #expect(run.status == 0, "\(run.error)")
        #expect(
            run.output.contains("== rules: \(directory.path("a.toml"))")
                && run.output.contains("== rules: \(directory.path("b.toml"))") && run.output.contains("== rules: acu"))
        // One column per rule set, and the shares of gross trade for each.
        #expect(run.output.contains("polyclear: acu") && run.output.contains("Settled by: offsetting / union credit"))
        #expect(FileManager.default.fileExists(atPath: directory.path("out/metrics-c.json")))
        let html = try String(contentsOfFile: directory.path("out/report.html"), encoding: .utf8)
        #expect(html.contains("id=\"table-metrics-compare\"") && html.contains("polyclear: acu"))
        let a = try String(contentsOfFile: directory.path("out/metrics-a.json"), encoding: .utf8)
        let b = try String(contentsOfFile: directory.path("out/metrics-b.json"), encoding: .utf8)
        #expect(a.contains("\"cycleDays\" : 1") && b.contains("\"cycleDays\" : 5"))
        // The same stream: the same flows.
        let flows = { (text: String) in
            text.components(separatedBy: "\"flowsUSDCents\"")[1].components(separatedBy: "]\n  ],")[0]
        }
        #expect(flows(a) == flows(b))
    }

    @Test func aSweepRunsTheSameStreamAcrossARangeAndWritesTheTradeOffs() async throws {
        let directory = TemporaryDirectory()
        let run = try await ChildProcess.run([
            "simulate", "--scale", "5000", "--rules", "epu-1950", "--sweep", "quota_percent_of_trade=10:50:20", "--out",
            directory.path("out"),
        ])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("quota_percent_of_trade = 30") && run.output.contains("largest position / quota"))
        let csv = try String(contentsOfFile: directory.path("out/sweep.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 4 && lines[0].hasPrefix("quota_percent_of_trade,hard_currency_usd_cents"))
        #expect(lines.dropFirst().map { $0.split(separator: ",")[0] } == ["10", "30", "50"])
        // More quota, more union credit and less hard currency.
        let hardCurrency = lines.dropFirst().map { Int64($0.split(separator: ",")[1])! }
        #expect(hardCurrency[0] > hardCurrency[2])
        let html = try String(contentsOfFile: directory.path("out/report.html"), encoding: .utf8)
        #expect(html.contains("id=\"chart-sweep\""))
        for (sweep, expected) in [
            ("quota_percent_of_trade=10:5:1", "FROM <= TO"), ("quota=1:2:1", "KEY=FROM:TO:STEP"),
            ("cycle_days=0:2:1", "cycle_days: 0"), ("cycle_days=1:1000:1", "at most 100 points"),
        ] {
            let bad = try await ChildProcess.run(["simulate", "--scale", "1000", "--sweep", sweep])
            #expect(
                bad.status != 0 && bad.error.contains("invalid_input") && bad.error.contains(expected), "\(bad.error)")
        }
    }

    @Test(
        arguments: [
            (
                "trade.csv", "year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,CHN,5\n2022,BRA,XXQ,7\n",
                nil as String?, "trade.csv:3: importer_iso3"
            ),
            (
                "trade.csv", "year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,CHN,-5\n", nil,
                "trade.csv:2: value_usd"
            ),
            (
                "trade.csv", "year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,CHN,5\n2022,BRA,CHN,6\n", nil,
                "trade.csv:3: exporter_iso3,importer_iso3"
            ),
            ("trade.csv", "year,exporter_iso3,importer_iso3,value_usd\n", nil, "trade.csv: matrix"),
            ("trade.csv", "year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,NOR,5\n", nil, "members.NOR.currency"),
            ("rules.toml", nil, "cycle_days = 0\n", "rules.toml:1: cycle_days"),
            ("rules.toml", nil, "quota_percent_of_trade = \"lots\"\n", "rules.toml:1: quota_percent_of_trade"),
            ("rules.toml", nil, "# the union\ncycle_dayz = 2\n", "rules.toml:2: cycle_dayz"),
            // A form feed where a key is expected aborted the process inside toml++ (found by fuzzing).
            ("rules.toml", nil, "cycle_days = 2\n [\u{0C}lo", "rules.toml:2: syntax"),
            (
                "rules.toml", nil, "[members.NOR]\ncurrency = \"NOK\"\n[members.BRA]\nrate_per_eur = -2\n",
                "rate_per_eur"
            ),
            ("rules.toml", nil, "cycle_days = = 1\n", "rules.toml:1: syntax"),
        ] as [(String, String?, String?, String)])
    func badInputExitsWithTwoNamingTheFaultAndWritesNothing(
        file: String, trade: String?, rules: String?, expected: String
    ) async throws {
        let directory = TemporaryDirectory()
        var arguments = ["simulate", "--scale", "1000", "--out", directory.path("report")]
        if let trade {
            try trade.write(toFile: directory.path(file), atomically: true, encoding: .utf8)
            arguments += ["--trade", directory.path(file)]
        }
        if let rules {
            try rules.write(toFile: directory.path(file), atomically: true, encoding: .utf8)
            arguments += ["--rules", directory.path(file)]
        }
        let run = try await ChildProcess.run(arguments)
        #expect(run.status == 2, "\(run.error)")
        #expect(run.error.contains("invalid_input") && run.error.contains(expected), "\(run.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("report")))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.url.path).allSatisfy {
                !$0.contains("partial")
            })
    }

    /// The report opens in headless Chromium (CI installs it; skipped without it unless
    /// tools are required): the rendered DOM has every chart, and a screenshot is not blank.
    @Test(.enabled(if: ExternalTool.chromium.runs, "\(ExternalTool.chromium.skipReason)"))
    func theReportOpensInAHeadlessBrowserWithEveryChart() async throws {
        let chromium = try #require(ExternalTool.chromium.location, "Chromium is missing: apt-get install chromium")
        let directory = TemporaryDirectory()
        let run = try await ChildProcess.run(["simulate", "--scale", "5000", "--out", directory.path("out")])
        #expect(run.status == 0, "\(run.error)")
        let page = "file://" + directory.path("out/report.html")
        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=" + directory.path("profile"),
        ]
        let dom = try await Self.run(chromium, flags + ["--dump-dom", page])
        for id in [
            "chart-flows", "chart-liquidity", "chart-positions", "chart-trapped", "table-metrics", "table-shares",
            "table-member-needs",
        ] {
            #expect(dom.contains("id=\"\(id)\""), "\(id) missing from the rendered page")
        }
        #expect(dom.components(separatedBy: "<svg").count > 12 && dom.contains("</html>"))
        _ = try await Self.run(
            chromium, flags + ["--window-size=1200,2400", "--screenshot=" + directory.path("shot.png"), page])
        let png = try Data(contentsOf: URL(fileURLWithPath: directory.path("shot.png")))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // A blank 1200×2400 page compresses to a few kilobytes; charts and text do not.
        #expect(png.count > 60_000, "screenshot of \(png.count) bytes looks blank")
    }

    @Test func theSimulationBenchmarkRunsAllModels() async throws {
        let run = try await ChildProcess.run(["bench", "simulate", "--payments", "3000"])
        #expect(
            run.status == 0 && run.output.contains("5 models") && run.output.contains("peak memory"),
            "\(run.output)\(run.error)")
    }

    /// Runs a program to its end on a thread of its own (Chromium takes seconds; blocking the
    /// cooperative pool that long starved other tests' database sessions).
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await onOwnThread { Result { try blockingRun(executable, arguments) } }.get()
    }

    static func blockingRun(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
