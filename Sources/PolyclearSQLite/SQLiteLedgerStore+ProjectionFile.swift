import PolyclearCore
import PolyclearStorage
import GRDB
import Foundation

/// Where the ledger's tables live (`v11-projection-file`).
///
/// SQLite has one write lock per file. With the tables in the file that holds the log, every
/// projection step held up the commits behind it, and the commit path ran at the projection's
/// speed. In their own file (`<database>-ledger`), the projection writes beside the commits:
/// a commit is the log rows' append and one fsync, whatever the projection is doing.
extension SQLiteLedgerStore {
    enum Layout: Sendable, Equatable {
        /// Files that held a ledger before `v11-projection-file`: the tables beside the log,
        /// each redo row deleted in the step that projects it.
        case singleFile
        /// Files created since: the tables in `<database>-ledger`, written without fsync
        /// (`synchronous = NORMAL`: a crash may lose the last steps, never damage the file),
        /// and the redo rows kept for good, so that the tables can always be rebuilt from them
        /// — after a crash, from a backup (which copies the main file only), or when the
        /// projection file is missing, stale or damaged.
        case projectionFile
    }

    /// The projection file of the main database at `path`.
    public static func projectionPath(of path: String) -> String { path + "-ledger" }

    /// Every file a database is made of (the main file, the projection file, a hub's snapshot
    /// file, their WAL and shared memory, the writer lock): what deleting a database
    /// (benchmarks) removes.
    public static func files(ofDatabase path: String) -> [String] {
        ["", "-wal", "-shm", "-journal", "-lock"].map { path + $0 }
            + ["", "-wal", "-shm"].map { projectionPath(of: path) + $0 }
            + ["", "-wal", "-shm"].map { SQLiteSnapshotFile.path(ofDatabase: path) + $0 }
    }

    /// `PRAGMA application_id` of a projection file: "PCLP".
    static let projectionApplicationID: Int32 = 0x5043_4C50

    /// Opens the projection file to write: a file that does not belong to this database
    /// (another store id), is ahead of its log (a restored older copy of the database) or is
    /// damaged is deleted and rebuilt from the redo rows (the name is this database's own).
    static func openProjectionFile(
        of path: String, storeID: Int64, written: Int64, shift: Int64, configuration: Configuration
    ) throws -> (pool: DatabasePool, checkpointer: DatabaseQueue) {
        let tablesPath = projectionPath(of: path)
        if FileManager.default.fileExists(atPath: tablesPath),
            try !isUsableProjection(tablesPath, storeID: storeID, written: written)
        {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: tablesPath + suffix) }
        }
        var configuration = configuration
        configuration.label = "polyclear.ledger.tables"
        let pool = try DatabasePool(path: tablesPath, configuration: configuration)
        try pool.writeWithoutTransaction { db in
            // NORMAL (GRDB's WAL default), said out loud: these tables are rebuilt from the
            // fsynced redo rows, so their steps need not be fsynced themselves.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -262144")
            let pageBytes = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \((64 << 20) / max(512, pageBytes))")
        }
        try SQLiteSchema.projectionMigrator.migrate(pool)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA application_id = \(projectionApplicationID)")
            try db.execute(
                sql: "UPDATE ledger_meta SET value = ? WHERE key = 'store_id' AND value = 0", arguments: [storeID])
            try db.execute(
                sql: "INSERT OR IGNORE INTO ledger_meta(key, value) VALUES ('postings_per_bucket_shift', ?)",
                arguments: [shift])
        }
        return (pool, try DatabaseQueue(path: tablesPath, configuration: configuration))
    }

    /// Opens the projection file to read only, or, when it is missing or unusable, an empty
    /// stand-in in memory: the reader then lays every redo row over it.
    static func openProjectionFileReadingOnly(
        of path: String, storeID: Int64, written: Int64, configuration: Configuration
    ) throws -> any DatabaseWriter {
        let tablesPath = projectionPath(of: path)
        if FileManager.default.fileExists(atPath: tablesPath),
            try isUsableProjection(tablesPath, storeID: storeID, written: written)
        {
            return try DatabasePool(path: tablesPath, configuration: configuration)
        }
        let standIn = try DatabaseQueue()
        try SQLiteSchema.projectionMigrator.migrate(standIn)
        return standIn
    }

    /// Whether the file at `tablesPath` is this database's projection, no further than its log.
    private static func isUsableProjection(_ tablesPath: String, storeID: Int64, written: Int64) throws -> Bool {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        do {
            let queue = try DatabaseQueue(path: tablesPath, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                guard applicationID == projectionApplicationID, try db.tableExists("ledger_meta") else {
                    return false
                }
                let id = try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'store_id'")
                return try id == storeID && projectedSequence(db) <= written
            }
        } catch {
            return false  // damaged: the tables are rebuilt from the redo rows
        }
    }

    static func projectedSequence(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'projected_sequence'") ?? 0
    }

    static func newestRedoSequence(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM ledger_redo") ?? 0
    }

    /// One projection step into the projection file: up to `rowCountMax` redo rows (the
    /// projector's copies when they follow on, read from the main file otherwise) written in
    /// one transaction of the projection file with its `projected_sequence`. The redo rows stay.
    static func projectIntoFile(
        main: DatabasePool, tables: DatabasePool, rowCountMax: Int, committed: ArraySlice<CommittedRedo>, shift: Int64
    ) throws -> Int64 {
        let projected = try tables.read { db in try projectedSequence(db) }
        guard
            let (merged, now) = try gatherRedo(
                after: projected, rowCountMax: rowCountMax, committed: committed,
                fetch: { after, count in
                    try main.read { db in try redoRows(after: after, count: count, db) }
                })
        else { return projected }
        try tables.writeWithoutTransaction { db in
            try db.inTransaction {
                try write(merged.outcome, postingsPerBucketShift: shift, db)
                try db.execute(
                    sql: "UPDATE ledger_meta SET value = ? WHERE key = 'projected_sequence'", arguments: [now])
                return .commit
            }
        }
        return now
    }

    /// The outcomes of the redo rows after `projected` (up to `rowCountMax`), merged: from
    /// `committed` when it follows on, from `fetch` otherwise. Nil when none is there.
    static func gatherRedo(
        after projected: Int64, rowCountMax: Int, committed: ArraySlice<CommittedRedo>,
        fetch: (Int64, Int) throws -> [(Int64, Data)]
    ) throws -> (LedgerOutcomeMerge, Int64)? {
        var merged = LedgerOutcomeMerge()
        var now = projected
        if let first = committed.first, first.sequence == projected + 1 {
            merged.reserve(for: committed.prefix(rowCountMax).lazy.map(\.outcome))
            for entry in committed.prefix(rowCountMax) {
                merged.add(entry.outcome)
                now = entry.sequence
            }
            return (merged, now)
        }
        let rows = try fetch(projected, rowCountMax)
        guard !rows.isEmpty else { return nil }
        for (sequence, data) in rows {
            // Sequences follow one another: a missing row is damage, never skipped.
            guard sequence == now + 1 else { throw SQLiteDecodingError(column: 0) }
            merged.add(try decodeRedo(data))
            now = sequence
        }
        return (merged, now)
    }

    static func redoRows(after projected: Int64, count: Int, _ db: Database) throws -> [(Int64, Data)] {
        try Row.fetchAll(
            db, sql: "SELECT sequence, outcome FROM ledger_redo WHERE sequence > ? ORDER BY sequence LIMIT ?",
            arguments: [projected, count]
        ).map { row in (row[0], row[1]) }
    }

    /// Reads the committed ledger: the tables, and the redo rows they do not hold yet laid
    /// over them. With a projection file, the tables are read first and the main file after:
    /// redo rows are never deleted there, so the overlay always continues where the tables end
    /// (a projection step between the two reads only adds rows the overlay holds as well).
    func readCommitted<T: Sendable>(
        _ body: @escaping @Sendable (Database, LedgerRedoOverlay) throws -> T
    ) async throws -> T {
        switch layout {
        case .singleFile:
            return try await pool.read { db in try body(db, try Self.redoOverlay(db)) }
        case .projectionFile:
            return try await tables.read { [pool] db in
                let projected = try Self.projectedSequence(db)
                let overlay = try pool.read { main in try Self.redoOverlay(after: projected, main) }
                return try body(db, overlay)
            }
        }
    }
}
