import Foundation
import GRDB
import PolyclearCore
@testable import PolyclearSQLite
@testable import PolyclearStorage
import PolyclearTestSupport
import Testing

/// SQLite hub snapshots in a file of their own (`SQLiteSnapshotFile`): stored beside the
/// commits (never behind the log's write lock), never stored when taken before an erasure of
/// personal data, and a database from before (snapshots in the main file) or a snapshot file
/// that is not one opens clean.
@Suite struct SnapshotFileTests {
    typealias H = HubStoreTests

    /// A store with the sample history and a snapshot of it that is not stored yet.
    static func storeAndSnapshot(_ path: String) async throws -> (SQLiteHubStore, HubSnapshot) {
        let store = try SQLiteHubStore(path: path, configuration: H.configuration)
        _ = try await H.write(try H.batches(try H.union()), to: store, clock: ManualClock())
        let hub = try await store.restore(snapshots: .none).hub
        let mark = try #require(try await store.lastLogRow())
        return (store, try HubSnapshot(of: hub, sequence: mark.sequence, logRowDigest: mark.digest))
    }

    /// Another connection holds the main file's write lock (as a long commit would): the
    /// snapshot is stored all the same. In the main file it waited for the lock (and failed
    /// after the busy timeout).
    @Test func aSnapshotIsStoredWhileTheLogIsLocked() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        let (store, snapshot) = try await Self.storeAndSnapshot(path)
        defer { try? store.close() }
        let other = try DatabaseQueue(path: path)
        defer { try? other.close() }
        let (locked, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let holder = Thread {
            try? other.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                release.wait()
                try db.execute(sql: "ROLLBACK")
            }
        }
        holder.start()
        locked.wait()
        let stored = await Task {
            try await withTimeLimit(seconds: 5) { try await store.storeSnapshot(snapshot, keep: 2) }
        }
        .result
        release.signal()
        try stored.get()
        #expect(try await store.snapshotSequences() == [snapshot.sequence])
        let (restored, report) = try await store.restore(snapshots: .newestValid)
        #expect(report.snapshotSequence == snapshot.sequence && report.replayedRows == 0)
        let replayed = try await store.restore(snapshots: .none).hub
        #expect(try restored.snapshotState() == replayed.snapshotState())
    }

    /// A snapshot in flight when an erasure starts, or taken before one committed, holds the
    /// erased data: it is not stored (and no part of it stays); one taken at or after it is.
    @Test func aSnapshotTakenBeforeAnErasureIsNotStored() async throws {
        let directory = TemporaryDirectory()
        let file = try SQLiteSnapshotFile.open(ofDatabase: directory.path("hub.sqlite"))
        defer { try? file.close() }
        let framed = [UInt8](repeating: 0x41, count: 3_000)
        #expect(try await file.store(sequence: 4, framed: framed, partBytes: 1_000, keep: 2))
        try await file.dropForErasure()
        #expect(try await file.sequences().isEmpty)
        #expect(try await !file.store(sequence: 5, framed: framed, partBytes: 1_000, keep: 2), "erasure under way")
        file.erasureCommitted(atSequence: 9)
        #expect(try await !file.store(sequence: 8, framed: framed, partBytes: 1_000, keep: 2), "taken before it")
        #expect(try await file.sequences().isEmpty)
        #expect(try await file.framed(at: 5).isEmpty, "no part left behind")
        #expect(try await file.framed(at: 8).isEmpty, "no part left behind")
        #expect(try await file.store(sequence: 9, framed: framed, partBytes: 1_000, keep: 2))
        #expect(try await file.sequences() == [9])
        #expect(try await file.framed(at: 9) == framed)
    }

    /// A database from before the snapshot file keeps its snapshots in the main file's tables:
    /// opened to write, those are deleted (never read), and the hub restores from its log.
    @Test func snapshotsInTheMainFileAreDroppedOnOpen() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        let (store, snapshot) = try await Self.storeAndSnapshot(path)
        let expected = try await store.restore(snapshots: .none).hub.snapshotState()
        try store.close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: "INSERT INTO hub_snapshot_parts (sequence, part, data) VALUES (?, 0, ?)",
                arguments: [Int64(snapshot.sequence), Data(snapshot.framed)])
            try db.execute(
                sql: "INSERT INTO hub_snapshots (sequence, parts, bytes, taken_at) VALUES (?, 1, ?, 0)",
                arguments: [Int64(snapshot.sequence), snapshot.framed.count])
        }
        try queue.close()
        let reopened = try SQLiteHubStore(path: path, configuration: H.configuration)
        defer { try? reopened.close() }
        let left = try await reopened.ledgerStore.pool.read { db in
            try Int.fetchOne(
                db, sql: "SELECT (SELECT count(*) FROM hub_snapshots) + (SELECT count(*) FROM hub_snapshot_parts)")
        }
        #expect(left == 0)
        let (hub, report) = try await reopened.restore(snapshots: .newestValid)
        #expect(report.snapshotSequence == nil && report.refused.isEmpty)
        #expect(try hub.snapshotState() == expected)
    }

    /// A file under the snapshot file's name that is not one (another program's, or damaged)
    /// is replaced by an empty snapshot file: the store opens and replays its log.
    @Test func aSnapshotFileThatIsNotOneIsReplaced() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        let (store, _) = try await Self.storeAndSnapshot(path)
        let expected = try await store.restore(snapshots: .none).hub.snapshotState()
        try store.close()
        for damage in [Data("not a database at all".utf8), Data(count: 70_000)] {
            let snapshots = SQLiteSnapshotFile.path(ofDatabase: path)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: snapshots + suffix) }
            try damage.write(to: URL(fileURLWithPath: snapshots))
            let reopened = try SQLiteHubStore(path: path, configuration: H.configuration)
            #expect(try await reopened.snapshotSequences().isEmpty)
            #expect(try await reopened.restore(snapshots: .newestValid).hub.snapshotState() == expected)
            try reopened.close()
        }
    }
}
