import Foundation
import GRDB
import PolyclearCore
import PolyclearWorkload
@testable import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// The log is the commit: a commit writes one redo row; the tables are its projection, written
/// later. A store whose tables trail its log — as a crash leaves it — reads back exactly, and
/// catches up before it answers when opened again.
@Suite struct SQLiteProjectionTests {
    /// Commits `batches` of mixed traffic (two-phase transfers, posts, voids, expiries' status
    /// changes) to the store and to the reference store.
    static func drive(
        _ store: SQLiteLedgerStore, _ reference: InMemoryLedgerStore, seed: UInt64, batches: Int
    ) async throws -> LedgerStateMachine {
        var ledger = LedgerStateMachine()
        var results = ContiguousArray<EventResult>()
        var random = SeededRandom(seed: seed)
        var now: UInt64 = 1_000_000_000_000
        try ledger.apply(Traffic.accounts(), now: now, results: &results)
        for batch in 0...batches {
            let outcome = ledger.sealOutcome()
            try await store.commit(outcome)
            try await reference.commit(outcome)
            ledger.outcomeCommitted()
            guard batch < batches else { break }
            now += random.next() % 1_500_000_000
            try ledger.apply(
                Traffic.batch(&random, size: Int(1 + random.next() % 40), idBase: UInt128(1_000 + batch * 100)),
                now: now, results: &results)
        }
        return ledger
    }

    static func redoRowCount(_ path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_redo") ?? -1 }
    }

    /// What SIGKILL leaves: the files as they are on disk while the store runs.
    static func crashImage(of path: String, to copy: String) throws {
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + suffix)
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func aStoreWhoseTablesTrailItsLogReadsBackExactlyAndCatchesUpOnOpen(seed: UInt64) async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite"), crashed = directory.path("crashed.sqlite")
        let store = try SQLiteLedgerStore(path: path, postingsPerBucketShift: 2, projectionLagCommitsMax: 1_000)
        let reference = InMemoryLedgerStore()
        store.projector?.hold(true)
        let live = try await Self.drive(store, reference, seed: seed, batches: 30)
        try Self.crashImage(of: path, to: crashed)
        #expect(try Self.redoRowCount(crashed) >= 29, "the projection was meant to be held back")

        // A reader that cannot project (ledger check, stats, a backup's check) lays the redo
        // rows over the tables.
        let reader = try SQLiteLedgerStore(readingOnly: crashed)
        #expect(try await reader.restore().makeSnapshot() == live.makeSnapshot())
        #expect(try await reader.summary() == LedgerStoreSummary(of: live).withNewest(of: reference))
        try reader.close()

        // Opened to write, it projects everything before it answers: then the tables alone
        // equal the live ledger and every query equals the reference store's.
        let reopened = try SQLiteLedgerStore(path: crashed)
        #expect(try Self.redoRowCount(crashed) == 0)
        #expect(try await reopened.restore().makeSnapshot() == live.makeSnapshot())
        try await Self.expectQueriesMatch(reopened, reference, seed: seed)
        try reopened.close()
        store.projector?.hold(false)
        try await store.waitForProjection()
        try await Self.expectQueriesMatch(store, reference, seed: seed)
        try store.close()
    }

    static func expectQueriesMatch(
        _ store: SQLiteLedgerStore, _ reference: InMemoryLedgerStore, seed: UInt64
    ) async throws {
        let all = try await reference.transfers(timestamps: 0..<UInt64.max, limit: .max)
        #expect(all.count > 100)
        #expect(try await store.transfers(timestamps: 0..<UInt64.max, limit: .max) == all)
        var random = SeededRandom(seed: seed)
        for _ in 0..<100 {
            let stored = all[Int(random.next() % UInt64(all.count))]
            #expect(try await store.transfer(id: stored.transfer.id) == stored)
            let account = UInt128(1 + random.next() % 9)
            #expect(try await store.account(id: account) == reference.account(id: account))
            let a = stored.transfer.timestamp, b = all[Int(random.next() % UInt64(all.count))].transfer.timestamp
            let range = min(a, b)..<max(a, b) + 1
            #expect(
                try await store.transfers(accountID: account, timestamps: range, limit: 25)
                    == reference.transfers(accountID: account, timestamps: range, limit: 25))
        }
    }

    /// A read waits for the projection of every commit made before it: read your writes.
    @Test func aReadWaitsForTheProjectionOfEarlierCommits() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteLedgerStore(path: directory.path("ledger.sqlite"), projectionLagCommitsMax: 100)
        let reference = InMemoryLedgerStore()
        _ = try await Self.drive(store, reference, seed: 7, batches: 3)
        try await store.waitForProjection()
        store.projector?.hold(true)
        var ledger = try await store.restore()
        var results = ContiguousArray<EventResult>()
        try ledger.apply(
            [
                .createTransfer(
                    Transfer(id: 777_777, debitAccountID: 1, creditAccountID: 2, amount: 5, ledger: 1, code: 1))
            ],
            now: ledger.lastTimestamp + 1_000, results: &results)
        let accepted = results.allSatisfy { $0.isOK }
        #expect(accepted)
        try await store.commit(ledger.sealOutcome())
        let read = Task { try await store.transfer(id: 777_777) }
        try await Task.sleep(for: .milliseconds(50))
        store.projector?.hold(false)
        #expect(try await read.value?.transfer.amount == 5)
        try store.close()
    }

    /// A redo row that cannot be read is a damaged database: refused at open, never skipped.
    @Test func aDamagedRedoRowRefusesTheStore() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let store = try SQLiteLedgerStore(path: path, projectionLagCommitsMax: 100)
        store.projector?.hold(true)
        _ = try await Self.drive(store, InMemoryLedgerStore(), seed: 9, batches: 5)
        try store.close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE ledger_redo SET outcome = substr(outcome, 1, length(outcome) - 3)")
        }
        try queue.close()
        do {
            _ = try SQLiteLedgerStore(path: path)
            Issue.record("a damaged redo row was accepted")
        } catch {
            #expect(error.code == .corruptDatabase, "\(error)")
        }
        let reader = try SQLiteLedgerStore(readingOnly: path)
        await #expect(throws: StoreError.self) { _ = try await reader.restore() }
    }
}

extension LedgerStoreSummary {
    /// The newest transfer as the reference store has it.
    fileprivate func withNewest(of reference: InMemoryLedgerStore) async throws -> LedgerStoreSummary {
        var summary = self
        if let newest = try await reference.transfers(timestamps: 0..<UInt64.max, limit: .max).last {
            summary.newestTransfer = LedgerSnapshot.TransferEntry(
                id: newest.transfer.id, fingerprint: newest.fingerprint, status: newest.status)
        }
        return summary
    }
}
