import Foundation
import GRDB
import Synchronization
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
    /// changes) to the store and to the reference store, carrying on from `ledger`.
    static func drive(
        _ store: some LedgerStore, _ reference: InMemoryLedgerStore, seed: UInt64, batches: Int,
        continuing ledger: inout LedgerStateMachine, firstBatch: Int = 0
    ) async throws {
        var results = ContiguousArray<EventResult>()
        var random = SeededRandom(seed: seed)
        var now = max(ledger.lastTimestamp, 1_000_000_000_000)
        if ledger.accountCount == 0 { try ledger.apply(Traffic.accounts(), now: now, results: &results) }
        for batch in firstBatch...(firstBatch + batches) {
            let outcome = ledger.sealOutcome()
            try await store.commit(outcome)
            try await reference.commit(outcome)
            ledger.outcomeCommitted()
            guard batch < firstBatch + batches else { break }
            now += 1 + random.next() % 1_500_000_000
            try ledger.apply(
                Traffic.batch(&random, size: Int(1 + random.next() % 40), idBase: UInt128(1_000 + batch * 100)),
                now: now, results: &results)
        }
    }

    static func drive(
        _ store: some LedgerStore, _ reference: InMemoryLedgerStore, seed: UInt64, batches: Int
    ) async throws -> LedgerStateMachine {
        var ledger = LedgerStateMachine()
        try await drive(store, reference, seed: seed, batches: batches, continuing: &ledger)
        return ledger
    }

    static func redoRowCount(_ path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_redo") ?? -1 }
    }

    /// What SIGKILL leaves: the files as they are on disk while the store runs (the main file
    /// and the projection file, each with its WAL).
    static func crashImage(of path: String, to copy: String) throws {
        let projection = SQLiteLedgerStore.projectionPath(of: path)
        let projectionCopy = SQLiteLedgerStore.projectionPath(of: copy)
        for (from, to) in [(path, copy), (projection, projectionCopy)] {
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: from + suffix) {
                try FileManager.default.copyItem(atPath: from + suffix, toPath: to + suffix)
            }
        }
    }

    /// Redo rows the tables do not hold: counted in the main file (`singleFile` deletes each
    /// row as it projects it; `projectionFile` keeps them and counts past `projected_sequence`).
    static func unprojectedRows(_ path: String) async throws -> Int {
        let reader = try SQLiteLedgerStore(readingOnly: path)
        defer { try? reader.close() }
        let count = try await reader.unprojectedCommitCount()
        if reader.layout == .singleFile { #expect(try redoRowCount(path) == count) }
        return count
    }

    @Test(arguments: [UInt64(1), 2, 3], [false, true])
    func aStoreWhoseTablesTrailItsLogReadsBackExactlyAndCatchesUpOnOpen(seed: UInt64, singleFile: Bool) async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite"), crashed = directory.path("crashed.sqlite")
        let store = try SQLiteLedgerStore(
            path: path, postingsPerBucketShift: 2, projectionLagCommitsMax: 1_000, singleFileIfNew: singleFile)
        #expect(store.layout == (singleFile ? .singleFile : .projectionFile))
        let reference = InMemoryLedgerStore()
        // Half the history in the tables, then half held back in the redo log: the second
        // half updates accounts and resolves pending transfers the tables hold.
        var live = LedgerStateMachine()
        try await Self.drive(store, reference, seed: seed, batches: 20, continuing: &live)
        try await store.waitForProjection()
        #expect(try await Self.unprojectedRows(path) == 0)
        store.projector?.hold(true)
        try await Self.drive(store, reference, seed: seed + 100, batches: 20, continuing: &live, firstBatch: 20)
        try Self.crashImage(of: path, to: crashed)
        #expect(try await Self.unprojectedRows(crashed) == 21, "the projection was meant to be held back")

        // A reader that cannot project (ledger check, stats, a backup's check) lays the redo
        // rows over the tables.
        let reader = try SQLiteLedgerStore(readingOnly: crashed)
        #expect(try await reader.restore().makeSnapshot() == live.makeSnapshot())
        #expect(try await reader.summary() == LedgerStoreSummary(of: live).withNewest(of: reference))
        try reader.close()

        // Opened to write, it projects everything before it answers: then the tables alone
        // equal the live ledger and every query equals the reference store's.
        let reopened = try SQLiteLedgerStore(path: crashed)
        #expect(try await reopened.unprojectedCommitCount() == 0)
        #expect(try await reopened.restore().makeSnapshot() == live.makeSnapshot())
        try await Self.expectQueriesMatch(reopened, reference, seed: seed)
        try reopened.close()
        store.projector?.hold(false)
        try await store.waitForProjection()
        try await Self.expectQueriesMatch(store, reference, seed: seed)
        try store.close()
    }

    static func expectQueriesMatch(
        _ store: some LedgerStore, _ reference: InMemoryLedgerStore, seed: UInt64
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
        #expect(try store.synchronousMode() == 2, "a projection left the writer connection unsynced")
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
        let answered = Flag()
        let read = Task {
            defer { answered.set() }
            return try await store.transfer(id: 777_777)
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(!answered.isSet, "the read answered before its commit was projected")
        store.projector?.hold(false)
        #expect(try await read.value?.transfer.amount == 5)
        try store.close()
    }

    /// A commit waits while the tables trail by the lag bound; the projection lets it go on.
    @Test func aCommitWaitsWhileTheProjectionTrailsByTheBound() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteLedgerStore(path: directory.path("ledger.sqlite"), projectionLagCommitsMax: 2)
        let ledger = try await Self.expectACommitToWaitForRoom(store, heldBatches: 1)
        #expect(try await store.restore().makeSnapshot() == ledger.makeSnapshot())
        try store.close()
    }

    /// With the lag bound at 2: two commits held unprojected, then a third waits until the
    /// projection is let go. Answers the ledger committed.
    static func expectACommitToWaitForRoom(
        _ store: some ProjectingLedgerStore, heldBatches: Int
    ) async throws -> LedgerStateMachine {
        let reference = InMemoryLedgerStore()
        var ledger = LedgerStateMachine()
        try await drive(store, reference, seed: 4, batches: 2, continuing: &ledger)
        try await store.waitForProjection()
        store.holdProjection(true)
        try await drive(store, reference, seed: 5, batches: heldBatches, continuing: &ledger, firstBatch: 2)
        #expect(try await store.unprojectedCommitCount() == 2)
        var results = ContiguousArray<EventResult>()
        var random = SeededRandom(seed: 6)
        try ledger.apply(
            Traffic.batch(&random, size: 10, idBase: 90_000), now: ledger.lastTimestamp + 1_000, results: &results)
        let outcome = ledger.sealOutcome()
        let committed = Flag()
        let commit = Task {
            try await store.commit(outcome)
            committed.set()
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!committed.isSet, "a commit went past the lag bound")
        store.holdProjection(false)
        try await commit.value
        ledger.outcomeCommitted()
        try await store.waitForProjection()
        return ledger
    }

    /// A file written before the redo log existed (the previous schema) reads back read-only
    /// as it is, and opens to write (migrated) with nothing to project.
    @Test func aFileFromBeforeTheRedoLogStillReads() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let store = try SQLiteLedgerStore(
            path: path, postingsPerBucketShift: SQLiteSchema.defaultPostingsPerBucketShift, singleFileIfNew: true)
        let live = try await Self.drive(store, InMemoryLedgerStore(), seed: 8, batches: 6)
        try await store.waitForProjection()  // a file of before holds everything in its tables
        try store.close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    DROP TABLE ledger_redo;
                    DELETE FROM ledger_meta WHERE key = 'projected_sequence';
                    DELETE FROM grdb_migrations WHERE identifier = 'v5-ledger-redo';
                    """)
        }
        try queue.close()
        let reader = try SQLiteLedgerStore(readingOnly: path)
        #expect(try await reader.restore().makeSnapshot() == live.makeSnapshot())
        #expect(try await reader.unprojectedCommitCount() == 0)
        try reader.close()
        let reopened = try SQLiteLedgerStore(path: path)
        #expect(try await reopened.restore().makeSnapshot() == live.makeSnapshot())
        try reopened.close()
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
        try reader.close()
    }
}

/// A store whose tables are a projection the tests can hold back and wait for.
protocol ProjectingLedgerStore: LedgerStore {
    func holdProjection(_ held: Bool)
    func waitForProjection() async throws
    func unprojectedCommitCount() async throws -> Int
}

extension SQLiteLedgerStore: ProjectingLedgerStore {}

/// Set once by a task, read by the test.
final class Flag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

extension LedgerStoreSummary {
    /// The newest transfer as the reference store has it.
    func withNewest(of reference: InMemoryLedgerStore) async throws -> LedgerStoreSummary {
        var summary = self
        if let newest = try await reference.transfers(timestamps: 0..<UInt64.max, limit: .max).last {
            summary.newestTransfer = LedgerSnapshot.TransferEntry(
                id: newest.transfer.id, fingerprint: newest.fingerprint, status: newest.status)
        }
        return summary
    }
}
