import Foundation
import PolyclearTestSupport
import Testing

/// `polyclear bench http` as a real process: it must drive the real server over HTTP, get
/// answers without errors, and find every acknowledged payment in the database afterwards.
/// (Figures are not checked here: benchmarks run on release builds, not in tests.)
@Suite struct BenchHTTPTests {
    @Test func theHTTPBenchmarkCommitsWhatItMeasuresAndVerifiesIt() async throws {
        let directory = TemporaryDirectory()
        let run = try await ChildProcess.run([
            "bench", "http", "--seconds", "1", "--single-connections", "2", "--batch-connections", "1",
            "--batch-size", "50", "--database-directory", directory.url.path,
        ])
        #expect(run.status == 0, "\(run.output)\n\(run.error)")
        let lines = run.output.split(separator: "\n")
        let single = lines.first { $0.hasPrefix("single POST /v1/payments") },
            batch = lines.first { $0.hasPrefix("POST /v1/payments/batch of 50") }
        #expect(
            single?.contains("errors 0;") == true && single?.contains("statuses: accepted") == true, "\(run.output)")
        #expect(batch?.contains("errors 0;") == true && batch?.contains("accepted") == true, "\(run.output)")
        #expect(!run.output.contains("rejected") && !run.output.contains("queued"), "\(run.output)")
        // The acknowledged count equals what the reopened database holds (the command exits
        // non-zero otherwise), and it is not zero.
        let verify = lines.first { $0.hasPrefix("verify:") }.map(String.init) ?? ""
        let stored = verify.split(separator: " ").firstIndex(of: "payments").map {
            verify.split(separator: " ")[$0 - 1]
        }
        #expect(verify.contains("invariants hold") && (stored.flatMap { Int($0) } ?? 0) > 50, "\(verify)")
        // Its database is removed afterwards.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }

    @Test(arguments: [
        ["--batch-size", "0"], ["--batch-size", "1001"], ["--seconds", "0"], ["--single-connections", "0"],
        ["--mode", "both"],
    ])
    func badOptionsAreRefused(arguments: [String]) async throws {
        let run = try await ChildProcess.run(["bench", "http"] + arguments)
        #expect(run.status == 64, "\(run.error)")
    }
}

/// `polyclear bench iso` as a real process: every generated pacs.008 must parse and map (the
/// command fails otherwise) and both rates are reported.
@Suite struct BenchISOTests {
    @Test func theISOBenchmarkParsesMapsAndGenerates() async throws {
        let run = try await ChildProcess.run(["bench", "iso", "--messages", "300", "--runs", "1"])
        #expect(run.status == 0, "\(run.output)\n\(run.error)")
        #expect(
            run.output.contains("parse+map pacs.008:") && run.output.contains("generate pacs.002:"), "\(run.output)")
        #expect(try await ChildProcess.run(["bench", "iso", "--messages", "0"]).status == 64)
    }
}

/// `polyclear bench ledger --store postgres` as a real process against the test server, and
/// its refusal without a URL.
@Suite struct BenchPostgresTests {
    @Test(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)"))
    func theLedgerBenchmarkRunsOnPostgreSQL() async throws {
        let url = ProcessInfo.processInfo.environment["POLYCLEAR_TEST_POSTGRES_URL"]!
        let run = try await ChildProcess.run([
            "bench", "ledger", "--mode", "sqlite", "--store", "postgres", "--postgres-url", url,
            "--scenario", "uniform", "--transfers", "20000", "--accounts", "100", "--batch-size", "2000",
        ])
        #expect(run.status == 0 && run.output.contains("postgres uniform"), "\(run.output)\(run.error)")
    }

    @Test func postgresWithoutAURLIsRefused() async throws {
        let run = try await ChildProcess.run([
            "bench", "ledger", "--mode", "sqlite", "--store", "postgres", "--transfers", "10",
        ])
        #expect(run.status != 0 && run.error.contains("--postgres-url"), "\(run.error)")
        for options in [
            ["--nodes", "2"], ["--nodes", "0", "--postgres-url", "postgres://x@127.0.0.1/x"],
            ["--postgres-url", "mysql://x"],
        ] {
            let http = try await ChildProcess.run(["bench", "http", "--seconds", "1"] + options)
            #expect(http.status == 64, "\(options): \(http.error)")
        }
    }

    /// `bench failover`: real serve processes, one SIGKILL of the writer, the time measured and
    /// every acknowledged payment found.
    @Test(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)"))
    func theFailoverBenchmarkKillsTheWriterAndFindsEveryPayment() async throws {
        let url = ProcessInfo.processInfo.environment["POLYCLEAR_TEST_POSTGRES_URL"]!
        let port = freeConsecutiveLocalPorts(2)  // the command uses it and the next one
        // A lease of 3 s: with 1 s, a run of the whole suite once failed it after 66 s (exit 2:
        // a node's role or the first payment after the kill not seen within 60 s).
        let run = try await ChildProcess.run([
            "bench", "failover", "--postgres-url", url, "--rounds", "1", "--lease-seconds", "3", "--port", "\(port)",
        ])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(
            run.output.contains("round 1: killed the writer") && run.output.contains(", 0 missing;"), "\(run.output)")
        for options in [["--rounds", "0"], ["--postgres-url", "mysql://x"]] {
            let refused = try await ChildProcess.run(["bench", "failover", "--postgres-url", url] + options)
            #expect(refused.status == 64, "\(options): \(refused.error)")
        }
    }

    /// Two API nodes in one process on a fresh database: connections to both (the follower
    /// forwards), no errors, and what was acknowledged is what the database holds.
    @Test(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)"))
    func theHTTPBenchmarkRunsOnTwoNodes() async throws {
        let url = ProcessInfo.processInfo.environment["POLYCLEAR_TEST_POSTGRES_URL"]!
        // Batches of 100: a debug build's commit of 4 × 1,000 payments beside a synchronous
        // standby took longer than the commit deadline on a loaded machine, and the writer
        // stepped down (a failover is `bench failover`'s to test, not this one's).
        let run = try await ChildProcess.run([
            "bench", "http", "--postgres-url", url, "--nodes", "2", "--seconds", "1", "--single-connections", "4",
            "--batch-size", "100",
        ])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(
            run.output.contains("2 API node(s)") && run.output.contains("errors 0;")
                && !run.output.contains("rejected"), "\(run.output)")
        #expect(run.output.contains("verify: stopped cleanly"), "\(run.output)")
    }
}
