import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// Kills a real hub writer (payments, cycle closes, settlement confirmations) with SIGKILL at
/// random moments. On restart the hub log replays to exactly the stored ledger, every
/// acknowledged batch is there in full, no batch is there in part, each cycle is closed once
/// or not at all, and no payment is counted in two cycles. The writer takes a snapshot every
/// two batches, so kills also land while one is encoded or stored: the restore starts from
/// the newest whole one and gives exactly the hub the whole log gives.
@Suite(.serialized) struct HubCrashTests {
    static let batchSize = 300
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var dataArguments: [String] {
        [
            "--fx", root.appendingPathComponent("Data/fx/eurofxref-latest.csv").path,
            "--trade", root.appendingPathComponent("Data/trade/trade_matrix.csv").path,
        ]
    }

    static func unprojectedCommits(_ db: String) async throws -> Int {
        let reader = try SQLiteLedgerStore(readingOnly: db)
        defer { try? reader.close() }
        return try await reader.unprojectedCommitCount()
    }

    /// Seeds 2 and 4 hold the ledger's projection back (`--hold-projection`): their kills land
    /// with every commit unprojected, as a kill does by chance when the projection trails.
    @Test(arguments: [(UInt64(1), 0), (2, 2), (3, 5), (4, 9), (5, 14)])
    func sigkillDuringPaymentsClosesAndSettlementsLeavesOneConsistentState(
        seed: UInt64, acknowledgementsBeforeKill: Int
    ) async throws {
        let holdProjection = seed % 2 == 0
        let directory = TemporaryDirectory()
        let db = directory.path("hub.sqlite")
        var random = SeededRandom(seed: seed)
        let child = try ChildProcess(
            [
                "hub", "load", "--db", db, "--batch-size", "\(Self.batchSize)", "--close-every", "2",
                "--snapshot-every", "\(2 * Self.batchSize)",
            ] + (holdProjection ? ["--hold-projection"] : []) + Self.dataArguments)
        let reached = await child.waitUntil(seconds: 120) {
            $0.lines.first == "ready" && $0.lines.count - 1 >= acknowledgementsBeforeKill
        }
        #expect(reached, "the hub writer never got going: \(child.standardError)")
        try await Task.sleep(for: .milliseconds(random.next() % 40))
        child.kill()
        _ = await child.waitForExit()
        let acknowledged = Set(child.lines.compactMap { $0.hasPrefix("ack ") ? Int($0.dropFirst(4)) : nil })

        // The kill may land before the projection of the last commits: a reader sees them
        // laid over the tables, and opening the store to write projects them before it answers.
        let unprojected = try await Self.unprojectedCommits(db)
        if holdProjection { #expect(unprojected > acknowledgementsBeforeKill, "the projection was meant to be held") }
        let store = try SQLiteHubStore(path: db, configuration: HubConfiguration(currencies: try CurrencyTable()))
        #expect(try await store.ledgerStore.unprojectedCommitCount() == 0, "\(unprojected) were left to project")
        let (hub, report) = try await store.restore(snapshots: .newestValid)  // checked against the stored ledger
        #expect(hub.checkInvariants() == nil)
        #expect(report.refused.isEmpty, "a snapshot half-written by the killed process was offered: \(report.summary)")
        let replayed = try await store.restore(snapshots: .none).hub
        #expect(try hub.snapshotState() == replayed.snapshotState(), "\(report.summary) (seed \(seed))")
        let states = hub.allPaymentStates
        var presentBatches = Set<Int>()
        for batch in Set(states.map { Int($0.id / 1_000_000) }) {
            let count = states.filter { Int($0.id / 1_000_000) == batch }.count
            #expect(count == Self.batchSize, "batch \(batch) is half-present: \(count) payments (seed \(seed))")
            presentBatches.insert(batch)
        }
        #expect(acknowledged.isSubset(of: presentBatches), "an acknowledged batch is missing (seed \(seed))")
        // Batch 2c closes cycle c: the cycle exists exactly when its batch does.
        let lastBatch = presentBatches.max() ?? 0
        #expect(hub.cycles.map(\.number) == (0..<UInt32(lastBatch / 2)).map { $0 + 1 }, "seed \(seed)")
        let accepted = states.filter { $0.status == .accepted }
        #expect(hub.cycles.map(\.paymentCount).reduce(0, +) == accepted.filter { $0.cycle < hub.openCycleNumber }.count)
        // The tables alone (projected before and after the kill) equal the whole log's replay.
        let tables = try await store.ledgerStore.restore()
        #expect(tables.makeSnapshot() == replayed.ledgerState.makeSnapshot(), "seed \(seed)")
        try store.close()

        // A restart carries on from the same file; resubmitting the last batches is harmless.
        let restart = try await ChildProcess.run(
            [
                "hub", "load", "--db", db, "--batch-size", "\(Self.batchSize)", "--close-every", "2",
                "--first-batch", "\(max(1, lastBatch - 1))", "--batches", "4",
            ] + Self.dataArguments)
        #expect(restart.status == 0, "restart failed: \(restart.error)")
        #expect(restart.output.split(separator: "\n").filter { $0.hasPrefix("ack ") }.count == 4)
    }
}
