import Foundation
import GRDB
import PolyclearCore
import PolyclearWorkload
@testable import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

@Suite struct SQLiteStoreTests {
    @Test func everyCommitIsFsynced() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteLedgerStore(path: directory.path("ledger.sqlite"))
        #expect(try store.synchronousMode() == 2)  // FULL: WAL is fsynced at each commit
        // The projection writes unsynced (the next commit's fsync covers it), and sets it back.
        _ = try await LedgerStoreTests.drive(store, seed: 2, batches: 5)
        try await store.waitForProjection()
        #expect(try store.synchronousMode() == 2)
    }

    /// A second writer store on the same file is refused while the first is open (also in
    /// one process); a read-only store opens beside it and sees its commits; once the first
    /// is gone the file opens for writing again.
    @Test func oneDatabaseHasOneWriter() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        do {
            let first = try SQLiteLedgerStore(path: path)
            _ = try await LedgerStoreTests.drive(first, seed: 3)
            #expect(throws: StoreError.self) { _ = try SQLiteLedgerStore(path: path) }
            do { _ = try SQLiteLedgerStore(path: path) } catch { #expect(error.code == .databaseInUse) }
            let reader = try SQLiteLedgerStore(readingOnly: path)
            #expect(try await reader.restore().makeSnapshot() == first.restore().makeSnapshot())
            try first.close()
        }
        _ = try SQLiteLedgerStore(path: path)
    }

    @Test func reopeningKeepsStateAndTheClock() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let live: LedgerStateMachine
        do {
            let store = try SQLiteLedgerStore(path: path)
            live = try await LedgerStoreTests.drive(store, seed: 11)
            try store.close()
        }
        let reopened = try SQLiteLedgerStore(path: path)
        let restored = try await reopened.restore()
        #expect(restored.makeSnapshot() == live.makeSnapshot())
        #expect(restored.lastTimestamp == live.lastTimestamp && live.lastTimestamp > 0)
    }

    static func expectRefusedAndUntouched(_ path: String, _ code: StoreErrorCode) async throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        var caught: StoreError?
        do {
            let store = try SQLiteLedgerStore(path: path)
            _ = try await store.restore()
        } catch let error as StoreError {
            caught = error
        }
        #expect(caught?.code == code, "got \(String(describing: caught))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the refused file was modified")
    }

    @Test func aFileThatIsNotSQLiteIsRefusedUntouched() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("notes.txt")
        try Data("these are not the ledgers you are looking for\n".utf8).write(to: URL(fileURLWithPath: path))
        try await Self.expectRefusedAndUntouched(path, .notAPolyclearDatabase)
    }

    @Test func anotherApplicationsSQLiteFileIsRefusedUntouched() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("other.sqlite")
        let other = try DatabaseQueue(path: path)
        try await other.write { db in try db.execute(sql: "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)") }
        try other.close()
        try await Self.expectRefusedAndUntouched(path, .notAPolyclearDatabase)
    }

    @Test func aDamagedLedgerIsRefusedUntouched() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        do {
            let store = try SQLiteLedgerStore(path: path)
            _ = try await LedgerStoreTests.drive(store, seed: 3, batches: 40)
            try store.close()  // checkpoints the WAL into the main file
        }
        // Keep page 1 (header, schema root) and overwrite everything after it with garbage.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
        var random = SeededRandom(seed: 5)
        for index in pageSize..<bytes.count { bytes[index] = UInt8(truncatingIfNeeded: random.next()) }
        try bytes.write(to: URL(fileURLWithPath: path))
        try await Self.expectRefusedAndUntouched(path, .corruptDatabase)
    }

    @Test func aLedgerFromANewerVersionIsRefusedUntouched() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        try SQLiteLedgerStore(path: path).close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }
        try queue.close()
        try await Self.expectRefusedAndUntouched(path, .schemaTooNew)
    }
}

extension SQLiteStoreTests {
    /// Property: with tiny buckets (4 postings), queries by account across many buckets give
    /// exactly what the in-memory store gives, for random accounts, ranges and limits.
    @Test func bucketedAccountQueriesMatchTheReferenceStore() async throws {
        let directory = TemporaryDirectory()
        let sqlite = try SQLiteLedgerStore(path: directory.path("ledger.sqlite"), postingsPerBucketShift: 2)
        let reference = InMemoryLedgerStore()
        var ledger = LedgerStateMachine()
        var results = ContiguousArray<EventResult>()
        var random = SeededRandom(seed: 21)
        var now: UInt64 = 1_000_000
        try ledger.apply(Traffic.accounts(), now: now, results: &results)
        for batch in 0..<30 {
            let outcome = ledger.sealOutcome()
            try await sqlite.commit(outcome)
            try await reference.commit(outcome)
            ledger.outcomeCommitted()
            now += 1_000_000
            try ledger.apply(
                Traffic.batch(&random, size: 15, idBase: UInt128(1_000 + batch * 100)), now: now, results: &results)
        }
        let all = try await reference.transfers(timestamps: 0..<UInt64.max, limit: .max)
        #expect(all.count > 100)
        let timestamps = all.map(\.transfer.timestamp)
        for _ in 0..<300 {
            let account = UInt128(1 + random.next() % 9)
            let a = timestamps[Int(random.next() % UInt64(timestamps.count))]
            let b = timestamps[Int(random.next() % UInt64(timestamps.count))] + random.next() % 2
            let range = min(a, b)..<max(a, b)
            let limit = Int(1 + random.next() % 40)
            let expected = try await reference.transfers(accountID: account, timestamps: range, limit: limit)
            let actual = try await sqlite.transfers(accountID: account, timestamps: range, limit: limit)
            #expect(actual == expected, "account \(account) range \(range) limit \(limit)")
        }
    }
}
