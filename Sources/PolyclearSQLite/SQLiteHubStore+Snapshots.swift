import PolyclearCore
public import PolyclearStorage
import Foundation
import GRDB

/// Snapshots beside the log, in the same file (`hub_snapshots`, `hub_snapshot_parts`).
extension SQLiteHubStore: HubSnapshotStore {
    /// A SQLite BLOB holds at most 1 GB: a snapshot is stored in parts of this size, each
    /// part written in its own transaction so that commits are held up by one part at most.
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
        let sequence = Int64(snapshot.sequence)
        let parts = stride(from: 0, to: snapshot.framed.count, by: Self.snapshotPartBytes).map {
            snapshot.framed[$0..<min($0 + Self.snapshotPartBytes, snapshot.framed.count)]
        }
        // Leftover parts of an earlier attempt at the same row (a crash between parts) go first.
        try await ledgerStore.pool.write { db in
            try db.execute(sql: "DELETE FROM hub_snapshot_parts WHERE sequence = ?", arguments: [sequence])
            try db.execute(sql: "DELETE FROM hub_snapshots WHERE sequence = ?", arguments: [sequence])
        }
        for (index, part) in parts.enumerated() {
            try await ledgerStore.pool.write { db in
                try db.execute(
                    sql: "INSERT INTO hub_snapshot_parts (sequence, part, data) VALUES (?, ?, ?)",
                    arguments: [sequence, index, Data(part)])
                guard index == parts.count - 1 else { return }
                // The last part and the snapshot's row together: it exists whole or not at all.
                try db.execute(
                    sql: "INSERT INTO hub_snapshots (sequence, parts, bytes, taken_at) VALUES (?, ?, ?, ?)",
                    arguments: [sequence, parts.count, snapshot.framed.count, Int64(Date().timeIntervalSince1970)])
                try Self.pruneSnapshots(keep: keep, db)
            }
        }
    }

    static func pruneSnapshots(keep: Int, _ db: Database) throws {
        let old = try Int64.fetchAll(
            db, sql: "SELECT sequence FROM hub_snapshots ORDER BY sequence DESC LIMIT -1 OFFSET ?", arguments: [keep])
        for sequence in old {
            try db.execute(sql: "DELETE FROM hub_snapshot_parts WHERE sequence = ?", arguments: [sequence])
            try db.execute(sql: "DELETE FROM hub_snapshots WHERE sequence = ?", arguments: [sequence])
        }
        // Parts no snapshot row owns (an attempt a crash cut short).
        try db.execute(sql: "DELETE FROM hub_snapshot_parts WHERE sequence NOT IN (SELECT sequence FROM hub_snapshots)")
    }

    /// Snapshots hold personal data a retention run erases: they go with it (same transaction),
    /// their pages zeroed, not left in the file (a test searches the file for the erased names).
    static func dropSnapshots(_ db: Database) throws {
        try db.execute(sql: "PRAGMA secure_delete = ON")
        defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
        try db.execute(sql: "DELETE FROM hub_snapshot_parts")
        try db.execute(sql: "DELETE FROM hub_snapshots")
    }

    public func snapshotSequences() async throws -> [UInt64] {
        try await ledgerStore.pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT sequence FROM hub_snapshots ORDER BY sequence DESC").map(UInt64.init)
        }
    }

    /// The snapshot at `sequence`, checked against this log (`snapshot_refused` if it is not
    /// whole, not undamaged, not this format, or not of this log).
    func loadSnapshot(at sequence: UInt64) async throws -> HubStateMachine {
        let (framed, logRow): ([UInt8], Data?) = try await ledgerStore.pool.read { db in
            var framed: [UInt8] = []
            let parts = try Data.fetchCursor(
                db, sql: "SELECT data FROM hub_snapshot_parts WHERE sequence = ? ORDER BY part",
                arguments: [Int64(sequence)])
            while let part = try parts.next() { framed.append(contentsOf: part) }
            let logRow = try Data.fetchOne(
                db, sql: "SELECT entries FROM hub_log WHERE sequence = ?", arguments: [Int64(sequence)])
            return (framed, logRow)
        }
        let snapshot = try HubSnapshot(framed: framed)
        guard snapshot.sequence == sequence, let logRow, HubSnapshot.digest(ofLogRow: logRow) == snapshot.logRowDigest
        else {
            throw StoreError(.snapshotRefused, "the snapshot names a log row this log does not hold")
        }
        return try snapshot.hub(configuration: configuration)
    }
}
