import Foundation
import GRDB
import PolyclearCore
@testable import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// The ledger's tables in a file of their own (`Layout.projectionFile`): derived from the redo
/// rows the main file keeps for good, so a projection file that is missing, belongs to another
/// database, is ahead of its log or is damaged is rebuilt — and never believed.
@Suite struct SQLiteProjectionFileTests {
    enum Damage: CaseIterable { case missing, foreign, ahead, garbage }

    /// A store with history, closed: its path, and the live ledger and reference it equals.
    static func history(
        in directory: TemporaryDirectory, name: String, seed: UInt64
    ) async throws -> (path: String, live: LedgerStateMachine, reference: InMemoryLedgerStore) {
        let path = directory.path(name)
        let store = try SQLiteLedgerStore(path: path, postingsPerBucketShift: 2)
        #expect(store.layout == .projectionFile)
        let reference = InMemoryLedgerStore()
        let live = try await SQLiteProjectionTests.drive(store, reference, seed: seed, batches: 12)
        try await store.waitForProjection()
        try store.close()
        return (path, live, reference)
    }

    /// Opened to write, the store has projected everything, restores to `live` and answers
    /// every query as `reference`.
    static func expectReopensCaughtUp(
        _ path: String, as live: LedgerStateMachine, _ reference: InMemoryLedgerStore, seed: UInt64
    ) async throws {
        let reopened = try SQLiteLedgerStore(path: path)
        #expect(try await reopened.unprojectedCommitCount() == 0)
        #expect(try await reopened.restore().makeSnapshot() == live.makeSnapshot())
        try await SQLiteProjectionTests.expectQueriesMatch(reopened, reference, seed: seed)
        try reopened.close()
    }

    static func damage(_ damage: Damage, _ path: String, other: String) throws {
        let tables = SQLiteLedgerStore.projectionPath(of: path)
        switch damage {
        case .missing:
            try FileManager.default.removeItem(atPath: tables)
        case .foreign:  // another database's projection (another store id)
            try FileManager.default.removeItem(atPath: tables)
            try FileManager.default.copyItem(atPath: SQLiteLedgerStore.projectionPath(of: other), toPath: tables)
        case .ahead:  // as a restored older copy of the main file leaves it
            let queue = try DatabaseQueue(path: tables)
            try queue.write { db in
                try db.execute(sql: "UPDATE ledger_meta SET value = value + 1 WHERE key = 'projected_sequence'")
            }
            try queue.close()
        case .garbage:
            var bytes = try Data(contentsOf: URL(fileURLWithPath: tables))
            for index in 100..<bytes.count { bytes[index] = UInt8(truncatingIfNeeded: index &* 31) }
            try bytes.write(to: URL(fileURLWithPath: tables))
        }
    }

    @Test(arguments: Damage.allCases)
    func anUnusableProjectionFileIsRebuiltFromTheRedoRows(damage: Damage) async throws {
        let directory = TemporaryDirectory()
        let (path, live, reference) = try await Self.history(in: directory, name: "ledger.sqlite", seed: 31)
        let (other, _, _) = try await Self.history(in: directory, name: "other.sqlite", seed: 32)
        try Self.damage(damage, path, other: other)

        // Read only: nothing is written, and the redo rows laid over an empty stand-in answer.
        let reader = try SQLiteLedgerStore(readingOnly: path)
        #expect(try await reader.restore().makeSnapshot() == live.makeSnapshot())
        #expect(try await reader.summary() == LedgerStoreSummary(of: live).withNewest(of: reference))
        try reader.close()

        try await Self.expectReopensCaughtUp(path, as: live, reference, seed: 31)
    }

    /// The tables' file trails by what a crash lost (its steps are not fsynced): opening to
    /// write projects the rest from the redo rows.
    @Test func aProjectionFileThatLostItsLastStepsCatchesUp() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let store = try SQLiteLedgerStore(path: path, postingsPerBucketShift: 2, projectionLagCommitsMax: 1_000)
        let reference = InMemoryLedgerStore()
        var live = LedgerStateMachine()
        try await SQLiteProjectionTests.drive(store, reference, seed: 33, batches: 8, continuing: &live)
        try await store.waitForProjection()
        let early = directory.path("early-tables")
        try store.close()
        try FileManager.default.copyItem(atPath: SQLiteLedgerStore.projectionPath(of: path), toPath: early)
        let again = try SQLiteLedgerStore(path: path, postingsPerBucketShift: 2)
        try await SQLiteProjectionTests.drive(again, reference, seed: 34, batches: 8, continuing: &live, firstBatch: 8)
        try await again.waitForProjection()
        try again.close()
        let tables = SQLiteLedgerStore.projectionPath(of: path)
        try FileManager.default.removeItem(atPath: tables)
        try FileManager.default.copyItem(atPath: early, toPath: tables)

        let reader = try SQLiteLedgerStore(readingOnly: path)
        #expect(try await reader.unprojectedCommitCount() == 9)
        #expect(try await reader.restore().makeSnapshot() == live.makeSnapshot())
        try reader.close()
        let reopened = try SQLiteLedgerStore(path: path)
        #expect(try await reopened.unprojectedCommitCount() == 0)
        try await SQLiteProjectionTests.expectQueriesMatch(reopened, reference, seed: 33)
        try reopened.close()
    }

    /// A step whose rows collide with rows already projected (the tables told they trail by
    /// one step they in fact hold) fails whole: the inserts end the transaction at the first
    /// conflict (`OR ROLLBACK`, which spares SQLite a statement journal per multi-row insert),
    /// nothing of the step stays, and the file takes the next transaction as before.
    @Test func aStepThatCollidesWithProjectedRowsLeavesNothingAndTheFileWritable() async throws {
        let directory = TemporaryDirectory()
        let (path, live, reference) = try await Self.history(in: directory, name: "ledger.sqlite", seed: 34)
        let main = try DatabasePool(path: path)
        let tables = try DatabasePool(path: SQLiteLedgerStore.projectionPath(of: path))
        func counts() throws -> [Int64] {
            try tables.read { db in
                try ["transfers", "accounts", "account_posting_lists"].map { table in
                    try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1
                } + [try SQLiteLedgerStore.projectedSequence(db)]
                    + [try Int64.fetchOne(db, sql: "SELECT SUM(debits_posted) FROM accounts") ?? -1]
            }
        }
        let projected = try await tables.read { db in try SQLiteLedgerStore.projectedSequence(db) }
        try await tables.write { db in
            try db.execute(sql: "UPDATE ledger_meta SET value = value - 1 WHERE key = 'projected_sequence'")
        }
        let before = try counts()
        #expect(throws: DatabaseError.self) {
            try SQLiteLedgerStore.projectIntoFile(main: main, tables: tables, rowCountMax: 10, committed: [], shift: 2)
        }
        #expect(try counts() == before)
        try await tables.write { db in
            try db.execute(
                sql: "UPDATE ledger_meta SET value = ? WHERE key = 'projected_sequence'", arguments: [projected])
        }
        try main.close()
        try tables.close()

        try await Self.expectReopensCaughtUp(path, as: live, reference, seed: 34)
    }
}
