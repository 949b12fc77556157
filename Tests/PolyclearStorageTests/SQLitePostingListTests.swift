import Foundation
import GRDB
import PolyclearCore
@testable import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// The by-account index as posting lists (`v6-posting-lists`): a file written before keeps its
/// postings one row each; read only it answers from them, and once upgraded its queries span
/// both forms — in the same bucket (large buckets) and across buckets (small ones).
@Suite struct SQLitePostingListTests {
    /// Turns a file into what the previous version wrote: every posting its own row in
    /// `account_postings`, in the bucket its list was in, and no posting lists.
    static func downgradeToSinglePostings(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT bucket, account_id, timestamps FROM account_posting_lists")
            for row in rows {
                let packed: Data = row[2]
                #expect(packed.count % 8 == 0 && !packed.isEmpty)
                for offset in stride(from: 0, to: packed.count, by: 8) {
                    let timestamp = packed.withUnsafeBytes {
                        UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    }
                    try db.execute(
                        sql: "INSERT INTO account_postings (bucket, account_id, timestamp) VALUES (?, ?, ?)",
                        arguments: [row[0] as Int64, row[1] as Data, Int64(bitPattern: timestamp)])
                }
            }
            try db.execute(
                sql: """
                    DROP TABLE account_posting_lists;
                    DELETE FROM grdb_migrations WHERE identifier = 'v6-posting-lists';
                    """)
        }
    }

    @Test(arguments: [2, 16])
    func postingsWrittenBeforeTheListsStillAnswerBesideTheLists(shift: Int) async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let reference = InMemoryLedgerStore()
        var live = LedgerStateMachine()
        // Files of before v6 are single-file ones (`Layout.singleFile`).
        let store = try SQLiteLedgerStore(path: path, postingsPerBucketShift: shift, singleFileIfNew: true)
        try await SQLiteProjectionTests.drive(store, reference, seed: 21, batches: 25, continuing: &live)
        try await store.waitForProjection()
        try store.close()
        try Self.downgradeToSinglePostings(path)

        let reader = try SQLiteLedgerStore(readingOnly: path)
        try await SQLiteProjectionTests.expectQueriesMatch(reader, reference, seed: 21)
        try reader.close()

        let upgraded = try SQLiteLedgerStore(path: path)
        try await SQLiteProjectionTests.drive(
            upgraded, reference, seed: 22, batches: 10, continuing: &live, firstBatch: 25)
        try await SQLiteProjectionTests.expectQueriesMatch(upgraded, reference, seed: 22)
        let (single, lists) = try await upgraded.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account_postings") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account_posting_lists") ?? 0
            )
        }
        #expect(single > 0 && lists > 0, "the queries were meant to span both forms")
        try upgraded.close()
    }

    /// A list is one row per account and projection step: a busy account costs one row.
    @Test func aStepWritesOneListPerAccount() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let store = try SQLiteLedgerStore(path: path)
        var ledger = LedgerStateMachine()
        var results = ContiguousArray<EventResult>()
        try ledger.apply(
            (1...3).map { .createAccount(Account(id: UInt128($0), ledger: 1, code: 1)) }, now: 1_000,
            results: &results)
        try await store.commit(ledger.sealOutcome())
        ledger.outcomeCommitted()
        try ledger.apply(
            (1...500).map {
                .createTransfer(
                    Transfer(
                        id: UInt128(100 + $0), debitAccountID: 1, creditAccountID: UInt128(2 + $0 % 2), amount: 1,
                        ledger: 1, code: 1))
            }, now: 2_000, results: &results)
        #expect(results.allSatisfy { $0.isOK })
        try await store.commit(ledger.sealOutcome())
        try await store.waitForProjection()
        let rows = try store.tables.read { db in
            try Row.fetchAll(
                db, sql: "SELECT account_id, length(timestamps) FROM account_posting_lists ORDER BY account_id")
        }
        #expect(rows.map { $0[1] as Int } == [500 * 8, 250 * 8, 250 * 8])
        let account1 = try await store.transfers(accountID: 1, timestamps: 0..<UInt64.max, limit: 1_000)
        #expect(account1.map(\.transfer.id) == (1...500).map { UInt128(100 + $0) })
        let page = try await store.transfers(
            accountID: 2, timestamps: account1[10].transfer.timestamp..<UInt64.max, limit: 7)
        #expect(page.count == 7 && page.allSatisfy { $0.transfer.creditAccountID == 2 })
        #expect(page.first!.transfer.timestamp >= account1[10].transfer.timestamp)
        try store.close()
    }
}
