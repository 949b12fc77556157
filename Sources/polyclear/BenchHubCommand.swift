import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearPostgres
import PolyclearSQLite
import PolyclearStorage

/// `polyclear bench hub`: payments per second through the hub — 12 members, 20 banks each,
/// payments drawn from the bundled trade matrix — applied in memory, and durably through the
/// writer into SQLite (fsync per batch). Run on a release build.
struct BenchHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub", abstract: "Benchmark the clearing hub on trade-matrix payments.")

    enum Mode: String, ExpressibleByArgument { case memory, sqlite, postgres, all }

    @Option(
        help:
            "memory: apply only; sqlite: through the writer with an fsync per batch; postgres: through the writer into PostgreSQL (--postgres-url); all: memory and sqlite (and postgres with a URL)."
    )
    var mode: Mode = .all
    @Option(
        help:
            "A PostgreSQL URL with the right to create databases (postgres://user@host:port/db); the benchmark uses a new database and drops it."
    )
    var postgresURL: String?
    @Option(help: "Payments per run.")
    var payments = 2_000_000
    @Option(help: "Banks per member.")
    var participantsPerMember = 20
    @Option(help: "Payments per batch.")
    var batchSize = Limits.batchEventCountMax
    @Option(help: "Every bank's net debit cap, in units of account.")
    var capUnits: Int64 = 3_000_000
    @Option(
        help:
            "Every member's quota, in units of account (default: large enough not to bind; quotas are exercised by the tests)."
    )
    var quotaUnits: Int64 = 100_000_000_000_000
    @Option(help: "ECB reference-rate history (CSV); its newest day makes the fixing.")
    var fx = "Data/fx/eurofxref-hist.csv"
    @Option(help: "Bilateral trade matrix (CSV).")
    var trade = "Data/trade/trade_matrix.csv"
    @Option(help: "Directory for the benchmark database (deleted afterwards).")
    var databaseDirectory = FileManager.default.temporaryDirectory.path
    @Option(help: "Workload seed.")
    var seed: UInt64 = 7

    var setupOptions: BenchHubSetup.Options {
        BenchHubSetup.Options(
            payments: payments, participantsPerMember: participantsPerMember, capUnits: capUnits,
            quotaUnits: quotaUnits, fx: fx, trade: trade)
    }

    /// The union and workload, or the reason the files cannot give them (with a stable code).
    static func setup(_ options: BenchHubSetup.Options) -> BenchHubSetup {
        do { return try BenchHubSetup(options) } catch let error as BenchHubSetup.UnreadableFile {
            exitWithError("not_found", error.description)
        } catch { exitWithError("invalid_input", "\(error)") }
    }

    func run() async throws {
        #if DEBUG
            printFlushed("warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench hub")
        #endif
        let setup = Self.setup(setupOptions)
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; \(payments) payments, "
                + "\(setup.union.memberDefinitions.count) members x \(participantsPerMember) banks, batches of \(batchSize), "
                + "fixing from ECB \(setup.union.fixing.sourceDate)")
        if mode == .memory || mode == .all { try runInMemory(setup) }
        if mode == .sqlite || mode == .all { try await runSQLite(setup) }
        if mode == .postgres || (mode == .all && postgresURL != nil) {
            guard let postgresURL else { throw ValidationError("--mode postgres needs --postgres-url") }
            try await ScratchPostgres.withDatabase(prefix: "polyclear_bench_hub", adminURL: postgresURL) { url in
                let store = try PostgresHubStore(url: url, configuration: setup.configuration)
                defer { store.close() }
                try await setup.withDurableHub(store: store) { writer, store in
                    try await runDurable("postgres", setup: setup, writer: writer, store: store)
                }
            }
        }
    }

    private func runInMemory(_ setup: BenchHubSetup) throws {
        var hub = setup.newHub()
        var workload = setup.workload(seed: seed)
        var results = ContiguousArray<HubResult>()
        var batch: [HubCommand] = []
        var latencies: [UInt64] = []
        var elapsed: UInt64 = 0
        var counts = BenchHubCounts()
        var now = setup.startTime
        var nextID: UInt128 = 1
        var liquidity = BenchLiquidity(setup: setup)
        while nextID <= UInt128(payments) {
            batch.removeAll(keepingCapacity: true)
            liquidity.fillBatch(
                &batch, size: batchSize, workload: &workload, nextID: &nextID, lastID: UInt128(payments))
            now += 10_000_000
            let start = ProcessMetrics.monotonicNanoseconds()
            try hub.apply(batch, now: now, results: &results)
            let outcome = hub.sealOutcome()
            let duration = ProcessMetrics.monotonicNanoseconds() - start
            counts.add(outcome.events)
            liquidity.observe(results)
            hub.outcomeCommitted()
            elapsed += duration
            latencies.append(duration)
        }
        if let violation = hub.checkInvariants() { throw ValidationError("invariant broken: \(violation)") }
        report("memory", payments: payments, seconds: Double(elapsed) / 1e9, latencies: latencies, counts: counts)
    }

    private func runSQLite(_ setup: BenchHubSetup) async throws {
        try await setup.withDurableHub(in: databaseDirectory, name: "hub") { writer, store in
            try await runDurable("sqlite", setup: setup, writer: writer, store: store)
        }
    }

    private func runDurable<S: HubStore>(
        _ label: String, setup: BenchHubSetup, writer: Writer<S>, store: S
    ) async throws {
        var workload = setup.workload(seed: seed)
        var latencies: [UInt64] = []
        var counts = BenchHubCounts()
        var liquidity = BenchLiquidity(setup: setup)
        let start = ProcessMetrics.monotonicNanoseconds()
        var nextID: UInt128 = 1
        while nextID <= UInt128(payments) {
            var batch: [HubCommand] = []
            batch.reserveCapacity(batchSize)
            liquidity.fillBatch(
                &batch, size: batchSize, workload: &workload, nextID: &nextID, lastID: UInt128(payments))
            let submitted = ProcessMetrics.monotonicNanoseconds()
            let results = try await writer.submit(batch)
            latencies.append(ProcessMetrics.monotonicNanoseconds() - submitted)
            liquidity.observe(ContiguousArray(results))
        }
        let seconds = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e9
        counts.add(ContiguousArray(try await store.events(limit: .max)))  // from the durable audit trail
        report(label, payments: payments, seconds: seconds, latencies: latencies, counts: counts)
    }

    private func report(_ label: String, payments: Int, seconds: Double, latencies: [UInt64], counts: BenchHubCounts) {
        let latency = LatencySummary(nanoseconds: latencies)
        printFlushed(
            "\(label.padding(toLength: 8, withPad: " ", startingAt: 0)) \(Int(Double(payments) / seconds)) payments/s  "
                + "batch \(latency.text())  "
                + "queued \(counts.queued) (\(String(format: "%.1f", 100 * Double(counts.queued) / Double(payments)))%), "
                + "released \(counts.released), rejected \(counts.rejected)  peak RSS \(ProcessMetrics.peakResidentBytes() >> 20) MiB"
        )
    }
}
