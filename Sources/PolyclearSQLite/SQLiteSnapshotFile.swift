import Foundation
import GRDB
import GRDBSQLite
import PolyclearStorage
import Synchronization

/// Where a hub's snapshots live: a SQLite file of their own beside the database
/// (`<database>-snapshots`, tables `hub_snapshots` and `hub_snapshot_parts`).
///
/// Why not the main file: SQLite has one write lock per file. Storing a snapshot of a large hub
/// (hundreds of MiB in parts of 32 MiB) in the file that holds the log made every commit behind
/// a part wait for it, and sent every byte through the log's WAL and its checkpoint; under load
/// that cost about a sixth of the batch endpoint's throughput and made its latency tail. Here a
/// snapshot is written beside the commits, never ahead of them.
///
/// The file is a cache of the log: `synchronous = NORMAL` (a crash may lose the newest
/// snapshot, never damage the file; the older ones and the log remain), and a file that is not
/// a snapshot file or is damaged is replaced by an empty one. Every snapshot is checked against
/// the log it claims to follow before it is used, so one from another database is refused.
final class SQLiteSnapshotFile: Sendable {
    let path: String
    private let pool: DatabasePool
    /// Snapshots taken before this log sequence are not stored: an erasure of personal data
    /// committed there (`UInt64.max` while one is being committed). In memory: a restart
    /// drops every snapshot in flight anyway.
    private let storableFrom = Mutex<UInt64>(0)

    /// `PRAGMA application_id` of a snapshot file: "PCLS".
    static let applicationID: Int32 = 0x5043_4C53

    static func path(ofDatabase path: String) -> String { path + "-snapshots" }

    private init(path: String, pool: DatabasePool) {
        self.path = path
        self.pool = pool
    }

    /// Opens (or creates) the snapshot file of the database at `database` to write; one that
    /// is not a snapshot file or is damaged is deleted first (snapshots are a cache of the log).
    static func open(ofDatabase database: String) throws -> SQLiteSnapshotFile {
        let path = path(ofDatabase: database)
        if FileManager.default.fileExists(atPath: path), !isUsable(path) {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        // Snapshots are large blobs: big pages mean short overflow chains.
        let pool = try DatabasePool(
            path: path, configuration: SQLiteSchema.writeConfiguration(label: "polyclear.snapshots", pageBytes: 65_536))
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: SQLiteSchema.snapshotFileTables)
        }
        return SQLiteSnapshotFile(path: path, pool: pool)
    }

    /// The snapshot file to read only, or nil when there is none usable (the log is replayed).
    static func openReadingOnly(ofDatabase database: String) -> SQLiteSnapshotFile? {
        let path = path(ofDatabase: database)
        guard FileManager.default.fileExists(atPath: path), isUsable(path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        guard let pool = try? DatabasePool(path: path, configuration: configuration) else { return nil }
        return SQLiteSnapshotFile(path: path, pool: pool)
    }

    private static func isUsable(_ path: String) -> Bool {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                try Int32.fetchOne(db, sql: "PRAGMA application_id") == applicationID
                    && db.tableExists("hub_snapshots") && db.tableExists("hub_snapshot_parts")
            }
        } catch {
            return false
        }
    }

    /// Stores a snapshot's parts, each in a transaction of its own; the last one with the
    /// snapshot's row (it exists whole or not at all) and the pruning of older ones beyond
    /// `keep`. Answers false, storing nothing, for a snapshot taken before an erasure.
    func store(sequence: Int64, framed: [UInt8], partBytes: Int, keep: Int) async throws -> Bool {
        let starts = Array(stride(from: 0, to: framed.count, by: partBytes))
        // Leftover parts of an earlier attempt at the same row (a crash between parts) go first.
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM hub_snapshot_parts WHERE sequence = ?", arguments: [sequence])
            try db.execute(sql: "DELETE FROM hub_snapshots WHERE sequence = ?", arguments: [sequence])
        }
        for (index, start) in starts.enumerated() {
            let stored = try await pool.write { [self] db -> Bool in
                // Checked in every part's transaction: an erasure may start between two parts.
                guard UInt64(sequence) >= storableFrom.withLock({ $0 }) else {
                    try Self.secureDelete(db, sql: "DELETE FROM hub_snapshot_parts WHERE sequence = \(sequence)")
                    return false
                }
                try Self.insertPart(
                    sequence: sequence, index: index, framed, start..<min(start + partBytes, framed.count), db)
                guard index == starts.count - 1 else { return true }
                try db.execute(
                    sql: "INSERT INTO hub_snapshots (sequence, parts, bytes, taken_at) VALUES (?, ?, ?, ?)",
                    arguments: [sequence, starts.count, framed.count, Int64(Date().timeIntervalSince1970)])
                try Self.prune(keep: keep, db)
                return true
            }
            if !stored { return false }
        }
        return true
    }

    /// One part, bound straight from the snapshot's bytes (SQLITE_STATIC: they outlive the
    /// step): a part is 32 MiB, and a `Data` copy plus SQLite's own transient copy of it were
    /// two fresh allocations, two copies and their page faults for every part.
    private static func insertPart(
        sequence: Int64, index: Int, _ framed: [UInt8], _ range: Range<Int>, _ db: Database
    ) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO hub_snapshot_parts (sequence, part, data) VALUES (?, ?, ?)"
        ).sqliteStatement
        try framed.withUnsafeBytes { bytes in
            try SQLiteLedgerStore.step(statement, db) { s in
                sqlite3_bind_int64(s, 1, sequence)
                sqlite3_bind_int64(s, 2, Int64(index))
                sqlite3_bind_blob(s, 3, bytes.baseAddress! + range.lowerBound, Int32(range.count), nil)
            }
        }
    }

    private static func prune(keep: Int, _ db: Database) throws {
        let old = try Int64.fetchAll(
            db, sql: "SELECT sequence FROM hub_snapshots ORDER BY sequence DESC LIMIT -1 OFFSET ?", arguments: [keep])
        for sequence in old {
            try db.execute(sql: "DELETE FROM hub_snapshot_parts WHERE sequence = ?", arguments: [sequence])
            try db.execute(sql: "DELETE FROM hub_snapshots WHERE sequence = ?", arguments: [sequence])
        }
        // Parts no snapshot row owns (an attempt a crash cut short).
        try db.execute(sql: "DELETE FROM hub_snapshot_parts WHERE sequence NOT IN (SELECT sequence FROM hub_snapshots)")
    }

    /// Before a commit that erases personal data: every snapshot goes, its pages zeroed and
    /// the WAL emptied, and none taken before the erasure is stored from now on.
    func dropForErasure() async throws {
        storableFrom.withLock { $0 = .max }
        try await pool.write { db in
            try Self.secureDelete(db, sql: "DELETE FROM hub_snapshot_parts; DELETE FROM hub_snapshots")
        }
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// The erasure committed at log `sequence`: snapshots from there on may be stored again.
    func erasureCommitted(atSequence sequence: UInt64) { storableFrom.withLock { $0 = sequence } }

    private static func secureDelete(_ db: Database, sql: String) throws {
        try db.execute(sql: "PRAGMA secure_delete = ON")
        defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
        try db.execute(sql: sql)
    }

    /// Stored snapshots, newest first.
    func sequences() async throws -> [UInt64] {
        try await pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT sequence FROM hub_snapshots ORDER BY sequence DESC").map(UInt64.init)
        }
    }

    /// The framed bytes of the snapshot at `sequence` (empty when it has no parts).
    func framed(at sequence: UInt64) async throws -> [UInt8] {
        try await pool.read { db in
            var framed: [UInt8] = []
            let parts = try Data.fetchCursor(
                db, sql: "SELECT data FROM hub_snapshot_parts WHERE sequence = ? ORDER BY part",
                arguments: [Int64(sequence)])
            while let part = try parts.next() { framed.append(contentsOf: part) }
            return framed
        }
    }

    func close() throws {
        pool.releaseMemory()
        try pool.close()
    }
}
