import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearPostgres
import PolyclearSQLite
import PolyclearStorage

/// `polyclear bench ledger`: transfers per second, batch latency and memory, (a) applying
/// in memory only and (b) committing every batch durably to SQLite. Not a test: run it on a
/// release build (`swift run -c release polyclear bench ledger`) and read the figures.
struct BenchLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract:
            "Benchmark the ledger: in-memory apply and durable commits (SQLite, or PostgreSQL with --store postgres)."
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable { case memory, sqlite, all }
    enum Scenario: String, ExpressibleByArgument, CaseIterable { case uniform, hot, all }
    enum StoreChoice: String, ExpressibleByArgument, CaseIterable { case sqlite, postgres }

    @Option(help: "memory: apply only; sqlite (or the --store): through the writer, durable per batch; all: both.")
    var mode: Mode = .all
    @Option(
        help:
            "The durable store: sqlite (fsync per batch) or postgres (--postgres-url; a fresh database, dropped afterwards)."
    )
    var store: StoreChoice = .sqlite
    @Option(help: "A PostgreSQL URL with the right to create databases, for --store postgres.")
    var postgresURL: String?
    @Option(help: "uniform: random accounts; hot: every transfer between the hot accounts; all: both.")
    var scenario: Scenario = .all
    @Option(help: "Transfers per run (posts and voids count as transfers).")
    var transfers = 4_000_000
    @Option(help: "Accounts on the ledger.")
    var accounts = 10_000
    @Option(help: "Accounts in the hot scenario.")
    var hotAccounts = 10
    @Option(help: "Transfers per batch.")
    var batchSize = Limits.batchEventCountMax
    @Option(help: "Share of transfers that are two-phase (pending, then posted or voided), 0...100.")
    var twoPhasePercent = 0
    @Option(help: "Clients submitting concurrently in sqlite mode.")
    var clients = 1
    @Option(
        help:
            "Commits the tables (the projection of the redo log) may trail by before a commit waits (1...100000; default: 32 on SQLite, 8 on PostgreSQL)."
    )
    var projectionLag: Int?
    @Option(help: "Directory for the benchmark database (deleted afterwards).")
    var databaseDirectory = FileManager.default.temporaryDirectory.path
    @Option(help: "Workload seed.")
    var seed: UInt64 = 42

    func validate() throws {
        guard (1...Limits.batchEventCountMax).contains(batchSize) else {
            throw ValidationError("--batch-size must be 1...\(Limits.batchEventCountMax)")
        }
        guard accounts >= 2, (2...accounts).contains(hotAccounts), transfers > 0, (0...100).contains(twoPhasePercent),
            (1...64).contains(clients), (1...100_000).contains(projectionLag ?? 1)
        else {
            throw ValidationError("need accounts >= 2, 2 <= hot-accounts <= accounts, transfers > 0, two-phase 0...100")
        }
    }

    func run() async throws {
        #if DEBUG
            printFlushed(
                "warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench ledger")
        #endif
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, "
                + "\(ProcessInfo.processInfo.physicalMemory >> 30) GiB; \(transfers) transfers, \(accounts) accounts, "
                + "batches of \(batchSize), \(twoPhasePercent)% two-phase")
        let scenarios: [Scenario] = scenario == .all ? [.uniform, .hot] : [scenario]
        if mode != .sqlite {
            for scenario in scenarios { report(try runInMemory(scenario)) }
        }
        if mode != .memory {
            for scenario in scenarios {
                if store == .postgres {
                    guard let postgresURL else { throw ValidationError("--store postgres needs --postgres-url") }
                    let result = try await ScratchPostgres.withDatabase(
                        prefix: "polyclear_bench_ledger", adminURL: postgresURL
                    ) { url in
                        let postgres = try PostgresLedgerStore(
                            url: url,
                            limits: StoreLimits(
                                projectionLagCommitsMax: projectionLag ?? StoreLimits.default.projectionLagCommitsMax))
                        defer { postgres.close() }
                        return try await runDurable(scenario, label: "postgres", store: postgres) {
                            try await postgres.waitForProjection()
                        }
                    }
                    report(result)
                } else {
                    report(try await runSQLite(scenario))
                }
            }
        }
    }

    struct Report {
        var label: String
        var transferCount: Int
        var seconds: Double
        var batchLatenciesNanoseconds: [UInt64]
        var memory: LedgerMemoryUsage
        var ledgerTransferCount: Int
        var residentDeltaBytes: Int
        /// From the start until the store's tables held every commit (SQLite's projection).
        var caughtUpSeconds: Double? = nil
    }

    private func workload(_ scenario: Scenario, seed: UInt64) -> LedgerWorkload {
        LedgerWorkload(
            accountCount: accounts, hotAccountCount: scenario == .hot ? hotAccounts : 0,
            twoPhasePercent: twoPhasePercent, seed: seed)
    }

    /// (a) The state machine alone: generation is outside the timed region.
    private func runInMemory(_ scenario: Scenario) throws -> Report {
        var workload = workload(scenario, seed: seed)
        var ledger = LedgerStateMachine(expectedAccountCount: accounts)
        var results = ContiguousArray<EventResult>()
        results.reserveCapacity(Limits.batchEventCountMax)
        var now: UInt64 = 1_000_000_000
        for batch in workload.accountBatches() {
            try ledger.apply(batch, now: now, results: &results)
            ledger.outcomeCommitted()
        }
        let residentBefore = ProcessMetrics.residentBytes()
        var events: [LedgerEvent] = []
        events.reserveCapacity(batchSize)
        var latencies: [UInt64] = []
        var applied = 0
        var batchNumber = 1
        var rejected = 0
        var elapsed: UInt64 = 0
        while applied < transfers {
            let count = min(batchSize, transfers - applied)
            workload.fillTransferBatch(&events, batchNumber: batchNumber, count: count)
            now += 1_000_000
            let start = ProcessMetrics.monotonicNanoseconds()
            try ledger.apply(events, now: now, results: &results)
            _ = ledger.sealOutcome()
            ledger.outcomeCommitted()
            let duration = ProcessMetrics.monotonicNanoseconds() - start
            elapsed += duration
            latencies.append(duration)
            rejected += results.lazy.filter { !$0.isOK }.count
            applied += count
            batchNumber += 1
        }
        if let violation = ledger.checkInvariants() { throw ValidationError("invariant broken: \(violation)") }
        if rejected > 0 { printFlushed("note: \(rejected) transfers were rejected") }
        return Report(
            label: "memory \(scenario.rawValue)", transferCount: applied, seconds: Double(elapsed) / 1e9,
            batchLatenciesNanoseconds: latencies, memory: ledger.memoryUsage, ledgerTransferCount: ledger.transferCount,
            residentDeltaBytes: ProcessMetrics.residentBytes() - residentBefore)
    }

    /// (b) Through the single writer into SQLite, every batch committed with fsync.
    private func runSQLite(_ scenario: Scenario) async throws -> Report {
        let path = databaseDirectory + "/polyclear-bench-\(getpid())-\(scenario.rawValue).sqlite"
        defer {
            for file in SQLiteLedgerStore.files(ofDatabase: path) { try? FileManager.default.removeItem(atPath: file) }
        }
        let store: SQLiteLedgerStore
        do {
            store = try SQLiteLedgerStore(
                path: path, projectionLagCommitsMax: projectionLag ?? StoreLimits.default.sqliteProjectionLagCommitsMax)
        } catch {
            exitWithError(error.code.name, error.description)
        }
        defer { try? store.close() }
        return try await runDurable(scenario, label: "sqlite", store: store) { try await store.waitForProjection() }
    }

    private func runDurable<S: LedgerStore>(
        _ scenario: Scenario, label: String, store: S, catchUp: (() async throws -> Void)? = nil
    ) async throws -> Report {
        let writer = Writer(store: store)
        let batchesPerClient = (transfers + batchSize * clients - 1) / (batchSize * clients)
        return try await writer.whileRunning {
            for batch in workload(scenario, seed: seed).accountBatches() { _ = try await writer.submit(batch) }
            let residentBefore = ProcessMetrics.residentBytes()
            let start = ProcessMetrics.monotonicNanoseconds()
            let perClient = try await withThrowingTaskGroup(of: (Int, [UInt64]).self) { clientsGroup in
                for client in 0..<clients {
                    clientsGroup.addTask {
                        var workload = workload(scenario, seed: seed &+ UInt64(client))
                        var events: [LedgerEvent] = []
                        var latencies: [UInt64] = []
                        var sent = 0
                        for round in 0..<batchesPerClient {
                            let count = min(batchSize, transfers / clients - sent)
                            guard count > 0 else { break }
                            workload.fillTransferBatch(&events, batchNumber: 1 + round * clients + client, count: count)
                            let submitted = ProcessMetrics.monotonicNanoseconds()
                            _ = try await writer.submit(events)
                            latencies.append(ProcessMetrics.monotonicNanoseconds() - submitted)
                            sent += count
                        }
                        return (sent, latencies)
                    }
                }
                return try await clientsGroup.reduce(into: [(Int, [UInt64])]()) { $0.append($1) }
            }
            let elapsed = ProcessMetrics.monotonicNanoseconds() - start
            try await catchUp?()
            let caughtUp = ProcessMetrics.monotonicNanoseconds() - start
            let stats = writer.stats
            return Report(
                label: "\(label) \(scenario.rawValue)", transferCount: perClient.reduce(0) { $0 + $1.0 },
                seconds: Double(elapsed) / 1e9, batchLatenciesNanoseconds: perClient.flatMap(\.1),
                memory: stats.memory, ledgerTransferCount: stats.transferCount,
                residentDeltaBytes: ProcessMetrics.residentBytes() - residentBefore,
                caughtUpSeconds: catchUp == nil ? nil : Double(caughtUp) / 1e9)
        }
    }

    private func report(_ report: Report) {
        let latency = LatencySummary(nanoseconds: report.batchLatenciesNanoseconds)
        let perSecond = Int(Double(report.transferCount) / report.seconds)
        let bytesPerAccount = report.memory.accountBytes / max(1, accounts)
        let bytesPerTransfer = Double(report.memory.transferIndexBytes) / Double(max(1, report.ledgerTransferCount))
        printFlushed(
            "\(report.label.padding(toLength: 17, withPad: " ", startingAt: 0)) "
                + "\(perSecond) transfers/s  batch \(latency.text())  "
                + "peak RSS \(ProcessMetrics.peakResidentBytes() >> 20) MiB  "
                + "\(bytesPerAccount) B/account  \(String(format: "%.1f", bytesPerTransfer)) B/transfer (index)  "
                + "RSS growth \(String(format: "%.1f", Double(report.residentDeltaBytes) / Double(max(1, report.transferCount)))) B/transfer"
        )
        if let caughtUp = report.caughtUpSeconds {
            // Acknowledged above (the redo log fsynced); here with the tables caught up too.
            printFlushed(
                "\("".padding(toLength: 17, withPad: " ", startingAt: 0)) "
                    + "\(Int(Double(report.transferCount) / caughtUp)) transfers/s with the projection caught up "
                    + "(\(String(format: "%.2f", caughtUp - report.seconds)) s after the last acknowledgement)")
        }
    }
}
