import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// Kills a real writer process with SIGKILL at random moments and checks, on the database it
/// left: every acknowledged batch is there in full, no batch is there in part, the ledger
/// invariants hold, the tables the restarted store caught up equal a projection made afresh
/// from the log, and a restarted writer carries on from the same file.
@Suite(.serialized) struct CrashTests {
    static let batchSize = 300

    /// The main file alone (the log: the redo rows), copied and opened, projects every table
    /// afresh; each of `store`'s answers must equal the fresh one's.
    static func expectEqualToAFreshProjection(
        _ store: SQLiteLedgerStore, db: String, directory: TemporaryDirectory, seed: UInt64
    ) async throws {
        let fresh = directory.path("fresh.sqlite")
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: db + suffix) {
            try FileManager.default.copyItem(atPath: db + suffix, toPath: fresh + suffix)
        }
        #expect(!FileManager.default.fileExists(atPath: SQLiteLedgerStore.projectionPath(of: fresh)))
        let rebuilt = try SQLiteLedgerStore(path: fresh)
        defer { try? rebuilt.close() }
        #expect(try await rebuilt.restore().makeSnapshot() == store.restore().makeSnapshot(), "seed \(seed)")
        let all = try await store.transfers(timestamps: 0..<UInt64.max, limit: .max)
        #expect(try await rebuilt.transfers(timestamps: 0..<UInt64.max, limit: .max) == all, "seed \(seed)")
        let accounts = Set(all.prefix(500).flatMap { [$0.transfer.debitAccountID, $0.transfer.creditAccountID] })
        for account in accounts.sorted().prefix(20) {
            #expect(try await rebuilt.account(id: account) == store.account(id: account))
            #expect(
                try await rebuilt.transfers(accountID: account, timestamps: 0..<UInt64.max, limit: .max)
                    == store.transfers(accountID: account, timestamps: 0..<UInt64.max, limit: .max),
                "account \(account), seed \(seed)")
        }
    }

    @Test(arguments: [(UInt64(1), 0), (2, 1), (3, 7), (4, 20), (5, 45), (6, 80)])
    func sigkillLosesNothingAcknowledgedAndLeavesNoHalfBatch(seed: UInt64, acknowledgementsBeforeKill: Int) async throws
    {
        let directory = TemporaryDirectory()
        let db = directory.path("ledger.sqlite")
        var random = SeededRandom(seed: seed)
        let child = try ChildProcess([
            "ledger", "load", "--db", db, "--accounts", "200", "--batch-size", "\(Self.batchSize)",
            "--concurrency", "4", "--seed", "\(seed)",
        ])
        let reached = await child.waitUntil(seconds: 60) { child in
            child.lines.first == "ready" && child.lines.count - 1 >= acknowledgementsBeforeKill
        }
        #expect(reached, "the writer never got going: \(child.standardError)")
        try await Task.sleep(for: .milliseconds(random.next() % 25))  // land anywhere in a commit
        child.kill()
        #expect(await child.waitForExit() != 0)
        let acknowledged = Set(child.lines.compactMap { $0.hasPrefix("ack ") ? Int($0.dropFirst(4)) : nil })

        // Before anything projects what the kill left, a reader sees the committed ledger
        // through the redo rows laid over the tables; opening to write projects them.
        let reader = try SQLiteLedgerStore(readingOnly: db)
        let seenBeforeProjection = try await reader.restore().makeSnapshot()
        try reader.close()
        let store = try SQLiteLedgerStore(path: db)
        #expect(try await store.unprojectedCommitCount() == 0)
        let ledger = try await store.restore()  // throws if any invariant is broken
        #expect(ledger.checkInvariants() == nil)
        #expect(ledger.makeSnapshot() == seenBeforeProjection, "seed \(seed)")
        let stored = try await store.transfers(timestamps: 0..<UInt64.max, limit: Int.max)
        var countsByBatch: [Int: Int] = [:]
        for transfer in stored {
            countsByBatch[LedgerWorkload.batchNumber(ofTransferID: transfer.transfer.id), default: 0] += 1
        }
        for batch in acknowledged {
            #expect(
                countsByBatch[batch] == Self.batchSize,
                "acknowledged batch \(batch) is missing or partial (seed \(seed))")
        }
        for (batch, count) in countsByBatch {
            #expect(count == Self.batchSize, "batch \(batch) is half-present: \(count) transfers (seed \(seed))")
        }
        #expect(stored.count == ledger.transferCount)
        try await Self.expectEqualToAFreshProjection(store, db: db, directory: directory, seed: seed)
        try store.close()

        // A restart from the same file carries on: resubmitted batches answer `exists`.
        let nextBatch = (countsByBatch.keys.max() ?? 0) + 1
        let restart = try await ChildProcess.run([
            "ledger", "load", "--db", db, "--accounts", "200", "--batch-size", "\(Self.batchSize)",
            "--first-batch", "\(max(1, nextBatch - 4))", "--batches", "8", "--seed", "\(seed)",
        ])
        #expect(restart.status == 0, "restart failed: \(restart.error)")
        #expect(restart.output.split(separator: "\n").filter { $0.hasPrefix("ack ") }.count == 8)
        let check = try await ChildProcess.run(["ledger", "check", "--db", db])
        #expect(check.status == 0 && check.output.hasPrefix("ok: 200 accounts"), "\(check.output) \(check.error)")
    }
}
