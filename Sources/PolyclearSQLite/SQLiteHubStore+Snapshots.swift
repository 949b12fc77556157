import PolyclearCore
public import PolyclearStorage
import Foundation
import GRDB

/// Snapshots beside the log, in a file of their own (`SQLiteSnapshotFile`).
extension SQLiteHubStore: HubSnapshotStore {
    /// A SQLite BLOB holds at most 1 GB: a snapshot is stored in parts of this size, each
    /// part written in its own transaction.
    static let snapshotPartBytes = 32 << 20

    public func lastLogRow() async throws -> LogRowMark? {
        try await ledgerStore.pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT sequence, entries FROM hub_log ORDER BY sequence DESC LIMIT 1")
            else { return nil }
            let entries: Data = row[1]
            return LogRowMark(sequence: UInt64(row[0] as Int64), digest: HubSnapshot.digest(ofLogRow: entries))
        }
    }

    public func storeSnapshot(_ snapshot: HubSnapshot, keep: Int) async throws {
        guard let snapshotFile else {
            throw StoreError(.ioFailure, "\(ledgerStore.path) is open to read only: no snapshot is stored")
        }
        // A snapshot taken before an erasure of personal data (which dropped them all) is not stored.
        _ = try await snapshotFile.store(
            sequence: Int64(snapshot.sequence), framed: snapshot.framed, partBytes: Self.snapshotPartBytes, keep: keep)
    }

    /// Snapshots from before `SQLiteSnapshotFile`, in the main file's tables, are never read:
    /// deleted when the database is opened to write, so that nothing personal stays in them.
    static func dropSnapshotsInMainFile(_ pool: DatabasePool) throws {
        try pool.write { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM hub_snapshot_parts") ?? 0 > 0 else { return }
            try dropSnapshots(db)
        }
    }

    /// Empties the main file's snapshot tables, their pages zeroed (`dropSnapshotsInMainFile`).
    static func dropSnapshots(_ db: Database) throws {
        try db.execute(sql: "PRAGMA secure_delete = ON")
        defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
        try db.execute(sql: "DELETE FROM hub_snapshot_parts")
        try db.execute(sql: "DELETE FROM hub_snapshots")
    }

    public func snapshotSequences() async throws -> [UInt64] {
        try await snapshotFile?.sequences() ?? []
    }

    /// The snapshot at `sequence`, checked against this log (`snapshot_refused` if it is not
    /// whole, not undamaged, not this format, or not of this log).
    func loadSnapshot(at sequence: UInt64) async throws -> HubStateMachine {
        let framed = try await snapshotFile?.framed(at: sequence) ?? []
        let logRow = try await ledgerStore.pool.read { db in
            try Data.fetchOne(db, sql: "SELECT entries FROM hub_log WHERE sequence = ?", arguments: [Int64(sequence)])
        }
        let snapshot = try HubSnapshot(framed: framed)
        guard snapshot.sequence == sequence, let logRow, HubSnapshot.digest(ofLogRow: logRow) == snapshot.logRowDigest
        else {
            throw StoreError(.snapshotRefused, "the snapshot names a log row this log does not hold")
        }
        return try snapshot.hub(configuration: configuration)
    }
}
