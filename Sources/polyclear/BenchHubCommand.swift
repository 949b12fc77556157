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

    func run() async throws {
        #if DEBUG
            printFlushed("warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench hub")
        #endif
        let setup = try BenchHubSetup(self)
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

/// What the benchmark counts from the hub's audit events.
struct BenchHubCounts {
    var queued = 0, released = 0, rejected = 0
    private var waiting = Set<UInt128>()

    mutating func add(_ events: ContiguousArray<HubEvent>) {
        for event in events {
            guard case .paymentStatus(let id, let status, _, _) = event.kind else { continue }
            switch status {
            case .queued: queued += 1; waiting.insert(id)
            case .accepted: if waiting.remove(id) != nil { released += 1 }
            case .rejected: rejected += 1
            default: break
            }
        }
    }

}

/// The banks' liquidity management in the benchmark: a bank whose payments queued gets a
/// prefunding from its central bank (funds in, confirmed) in the next batch, worth what
/// queued plus its cap. Real banks do this intraday; without it, net importers' banks would
/// sit at their caps and every later payment of theirs would queue.
struct BenchLiquidity {
    private let capByBIC: [BIC: Int64]
    private var paymentByID: [UInt128: (payer: BIC, amountMinor: Int64)] = [:]
    private var shortfallByBIC: [BIC: Int64] = [:]
    private var nextFundsID: UInt128 = UInt128(1) << 100

    init(setup: BenchHubSetup) {
        capByBIC = Dictionary(uniqueKeysWithValues: setup.union.participants.map { ($0.bic, $0.netDebitCapMinor) })
    }

    mutating func remember(_ payment: PaymentInstruction) {
        paymentByID[payment.id] = (payment.payer, payment.amountMinor)
    }

    /// The next batch: funds for the shortfalls observed so far, then payments up to `size`.
    mutating func fillBatch(
        _ batch: inout [HubCommand], size: Int, workload: inout HubWorkload, nextID: inout UInt128, lastID: UInt128
    ) {
        fundingCommands(into: &batch)
        while batch.count < size && nextID <= lastID {
            let payment = workload.nextPayment(id: nextID)
            remember(payment)
            batch.append(.submitPayment(payment))
            nextID += 1
        }
    }

    mutating func observe(_ results: ContiguousArray<HubResult>) {
        for case .payment(let state) in results {
            guard let payment = paymentByID.removeValue(forKey: state.id), state.status == .queued else { continue }
            shortfallByBIC[payment.payer, default: capByBIC[payment.payer]!] += payment.amountMinor
        }
    }

    mutating func fundingCommands(into batch: inout [HubCommand]) {
        for (bic, amount) in shortfallByBIC.sorted(by: { $0.key.packed < $1.key.packed }) {
            nextFundsID += 1
            batch.append(.requestFunds(id: nextFundsID, participant: bic, amountMinor: amount, direction: .into))
            batch.append(.confirmFunds(id: nextFundsID))
        }
        shortfallByBIC.removeAll()
    }
}

/// Time for the SQLite run: strictly increasing, a millisecond per batch.
final class BenchClock: Sendable {
    private let value: Mutex<UInt64>
    init(start: UInt64) { value = Mutex(start) }
    func next() -> UInt64 {
        value.withLock {
            $0 += 1_000_000; return $0
        }
    }
}

import Synchronization

struct BenchHubSetup {
    let configuration: HubConfiguration
    let currencies: CurrencyTable
    let union: SampleUnion
    let trade: TradeMatrix
    let startTime: UInt64 = 1_798_000_000_000_000_000

    init(_ options: BenchHubCommand) throws {
        currencies = try CurrencyTable()
        var configuration = HubConfiguration(currencies: currencies)
        configuration.expectedPaymentCount = options.payments
        self.configuration = configuration
        guard let fxText = try? String(contentsOfFile: options.fx, encoding: .utf8),
            let tradeText = try? String(contentsOfFile: options.trade, encoding: .utf8)
        else {
            exitWithError(
                "not_found",
                "cannot read \(options.fx) or \(options.trade) (run from the repository root, or pass --fx/--trade)")
        }
        let day = try ECBReferenceRates.parse(fxText)[0]
        union = try SampleUnion(
            ecbDay: day, participantsPerMember: options.participantsPerMember, capUnitMinor: options.capUnits * 10_000,
            quotaUnitMinor: options.quotaUnits * 10_000, effectiveFrom: startTime - 1, currencies: currencies)
        trade = try TradeMatrix.parse(tradeText)
    }

    func newHub() -> HubStateMachine {
        var hub = HubStateMachine(configuration: configuration)
        for command in union.setupCommands {
            precondition(hub.apply(command, now: startTime) == .ok, "union setup failed: \(command)")
        }
        hub.outcomeCommitted()
        return hub
    }

    func workload(seed: UInt64) -> HubWorkload {
        HubWorkload(union: union, trade: trade, currencies: currencies, seed: seed)
    }

    /// Runs `body` against a writer on a new SQLite hub (set up with the union) in `directory`;
    /// shuts the writer down and deletes the file afterwards.
    func withDurableHub<T: Sendable>(
        in directory: String, name: String, _ body: (Writer<SQLiteHubStore>, SQLiteHubStore) async throws -> T
    ) async throws -> T {
        let path = directory + "/polyclear-bench-\(name)-\(getpid()).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store: SQLiteHubStore
        do { store = try SQLiteHubStore(path: path, configuration: configuration) } catch {
            exitWithError(error.code.name, error.description)
        }
        return try await withDurableHub(store: store, body)
    }

    /// The hub through the writer on `store`, set up with the union.
    func withDurableHub<S: HubStore, T: Sendable>(store: S, _ body: (Writer<S>, S) async throws -> T) async throws -> T
    {
        let clock = BenchClock(start: startTime)
        let writer = Writer(store: store, clock: { clock.next() })
        return try await writer.whileRunning {
            _ = try await writer.submit(union.setupCommands)
            return try await body(writer, store)
        }
    }
}
