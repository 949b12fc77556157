public import PolyclearCore
public import PolyclearStorage
import GRDB
import GRDBSQLite
import Foundation

/// The embedded store: one SQLite file in WAL mode holding the log (every commit fsynced,
/// `synchronous = FULL`) and, since `v11-projection-file`, a second one beside it holding the
/// ledger's tables (`Layout`); readers on their own connections seeing committed state only.
public final class SQLiteLedgerStore: LedgerStore {
    public let path: String
    /// The main file: the redo rows (and, for a hub, its log and everything committed with it).
    let pool: DatabasePool
    /// Where the ledger's tables are: `pool` itself (`.singleFile`), or the projection file
    /// (read only: an empty stand-in in memory when it is missing).
    let tables: any DatabaseWriter
    let layout: Layout
    /// Checkpoints the projection file's WAL (nil when there is none to write).
    let tablesCheckpointer: DatabaseQueue?
    /// A connection of its own for WAL checkpoints, so that they never wait for, or hold up,
    /// the writer's commits.
    let checkpointer: DatabaseQueue
    /// log2 of postings per bucket in the by-account index, as stored in the file.
    let postingsPerBucketShift: Int64
    /// Held while this store may write (nil for a read-only store): a second writer on the
    /// same database is refused (`database_in_use`) instead of diverging from the first.
    private let writerLock: WriterLock?
    /// Writes the tables from the redo log off the commit path (nil for a read-only store).
    let projector: SQLiteProjector?

    /// Opens (or creates) a ledger database. A file that exists but is not a Polyclear ledger,
    /// or is damaged, or was written by a newer version, is refused and left untouched.
    ///
    /// - Parameter projectionLagCommitsMax: commits the tables may trail the redo log by
    ///   before a commit waits for them (`StoreLimits.projectionLagCommitsMax`).
    public convenience init(
        path: String, projectionLagCommitsMax: Int = StoreLimits.default.sqliteProjectionLagCommitsMax
    ) throws(StoreError) {
        try self.init(
            path: path, postingsPerBucketShift: SQLiteSchema.defaultPostingsPerBucketShift,
            projectionLagCommitsMax: projectionLagCommitsMax)
    }

    /// - Parameter postingsPerBucketShift: used only when the file is created (tests use
    ///   small buckets to exercise queries across many of them).
    /// - Parameter singleFileIfNew: tests only: a new file takes the layout of files from
    ///   before `v11-projection-file`, to keep that layout exercised.
    init(
        path: String, postingsPerBucketShift: Int,
        projectionLagCommitsMax: Int = StoreLimits.default.sqliteProjectionLagCommitsMax, singleFileIfNew: Bool = false
    ) throws(StoreError) {
        self.path = path
        try Self.validateExistingFile(at: path)
        writerLock = try WriterLock(database: path)
        do {
            let configuration = SQLiteSchema.writeConfiguration(label: "polyclear.ledger", pageBytes: 16_384)
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in
                // GRDB picks NORMAL for WAL, which does not fsync each commit. We must.
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA cache_size = -262144")  // 256 MiB: keeps the id index hot
                // Checkpoints run beside the writer (`performMaintenance`); this only bounds the
                // WAL (64 MiB, whatever the file's page size) should they stop.
                let pageBytes = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \((64 << 20) / max(512, pageBytes))")
            }
            try SQLiteSchema.migrator.migrate(pool)
            let meta = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA application_id = \(SQLiteSchema.applicationID)")
                try db.execute(
                    sql: "INSERT OR IGNORE INTO ledger_meta(key, value) VALUES ('postings_per_bucket_shift', ?)",
                    arguments: [postingsPerBucketShift])
                if singleFileIfNew, try Self.newestRedoSequence(db) == 0, try Self.projectedSequence(db) == 0 {
                    try db.execute(sql: "UPDATE ledger_meta SET value = 0 WHERE key = 'projection_file'")
                }
                return try Self.readMeta(db)
            }
            self.postingsPerBucketShift = meta.shift
            self.layout = meta.layout
            self.pool = pool
            self.checkpointer = try DatabaseQueue(path: path, configuration: configuration)
            switch meta.layout {
            case .singleFile:
                (tables, tablesCheckpointer) = (pool, nil)
                projector = try Self.catchUpProjection(pool, shift: meta.shift, lag: projectionLagCommitsMax)
            case .projectionFile:
                // The id index lives in the projection file: the log's appends need little cache.
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -32768") }
                let (tablesPool, tablesCheckpointer) = try Self.openProjectionFile(
                    of: path, storeID: meta.storeID, written: meta.written, shift: meta.shift,
                    configuration: configuration)
                (tables, self.tablesCheckpointer) = (tablesPool, tablesCheckpointer)
                projector = try Self.catchUpProjection(
                    main: pool, tables: tablesPool, shift: meta.shift, lag: projectionLagCommitsMax)
            }
        } catch let error as StoreError {
            throw error
        } catch is SQLiteDecodingError {
            throw StoreError(.corruptDatabase, "\(path) holds a redo record that cannot be read")
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
        {
            throw StoreError(.corruptDatabase, "\(path) is damaged: \(Self.describe(error))")
        } catch {
            throw StoreError(.ioFailure, "cannot open ledger database \(path): \(Self.describe(error))")
        }
    }

    /// Projects whatever the redo log holds beyond the tables (a crash left it there) before
    /// the store answers anything, and hands the rest of the work to a projector.
    private static func catchUpProjection(_ pool: DatabasePool, shift: Int64, lag: Int) throws -> SQLiteProjector {
        let project: @Sendable (ArraySlice<CommittedRedo>) throws -> Int64 = { committed in
            do {
                return try pool.writeWithoutTransaction { db in
                    try Self.projectRedo(
                        rowCountMax: Self.projectionRowsPerTransaction, committed: committed, shift: shift, db)
                }
            } catch is SQLiteDecodingError {
                throw StoreError(.corruptDatabase, "\(pool.path) holds a redo record that cannot be read")
            }
        }
        var (projected, written) = try pool.writeWithoutTransaction { db in try Self.redoSequences(db) }
        while projected < written {
            let now = try project([])
            guard now > projected else { throw SQLiteDecodingError(column: 0) }
            projected = now
        }
        return SQLiteProjector(
            projected: projected, written: written, lagCommitsMax: lag, project: project)
    }

    /// `Layout.projectionFile`: the same, into the projection file.
    private static func catchUpProjection(
        main: DatabasePool, tables: DatabasePool, shift: Int64, lag: Int
    ) throws -> SQLiteProjector {
        let project: @Sendable (ArraySlice<CommittedRedo>) throws -> Int64 = { committed in
            do {
                return try projectIntoFile(
                    main: main, tables: tables, rowCountMax: projectionFileRowsPerTransaction(lag: lag),
                    committed: committed,
                    shift: shift)
            } catch is SQLiteDecodingError {
                throw StoreError(.corruptDatabase, "\(main.path) holds a redo record that cannot be read")
            }
        }
        var projected = try tables.read { db in try projectedSequence(db) }
        let written = try main.read { db in try newestRedoSequence(db) }
        while projected < written {
            let now = try project([])
            guard now > projected else { throw SQLiteDecodingError(column: 0) }
            projected = now
        }
        return SQLiteProjector(projected: projected, written: written, lagCommitsMax: lag, project: project)
    }

    /// What the main file says about the ledger: postings bucket size, layout, store id, and
    /// the newest redo row.
    static func readMeta(_ db: Database) throws -> (shift: Int64, layout: Layout, storeID: Int64, written: Int64) {
        func value(_ key: String) throws -> Int64? {
            try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = ?", arguments: [key])
        }
        let layout: Layout = try value("projection_file") == 1 ? .projectionFile : .singleFile
        let written = try hasRedoLog(db) ? try newestRedoSequence(db) : 0
        return (
            try value("postings_per_bucket_shift") ?? Int64(SQLiteSchema.defaultPostingsPerBucketShift), layout,
            try value("store_id") ?? 0, written
        )
    }

    /// Redo rows per projection transaction: enough that a busy account's row is written once
    /// for several commits, few enough that a commit never waits long for the write lock.
    static let projectionRowsPerTransaction = 4
    /// In a projection file of its own a step holds up no commit, and larger steps write a
    /// busy account's row and posting list once for more commits; but a commit waiting for
    /// room waits for a whole step: a step is an eighth of the lag (4 commits at the default).
    static func projectionFileRowsPerTransaction(lag: Int) -> Int { min(8, max(1, lag / 8)) }

    /// Opens an existing ledger database to read only (`ledger check`): no writer lock, no
    /// migration, nothing written, so it runs beside a live hub without disturbing it (WAL:
    /// it reads the last committed state).
    public init(readingOnly path: String) throws(StoreError) {
        self.path = path
        guard (try? FileManager.default.attributesOfItem(atPath: path)) != nil else {
            throw StoreError(.ioFailure, "no such file: \(path)")
        }
        try Self.validateExistingFile(at: path)
        writerLock = nil
        projector = nil
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            configuration.label = "polyclear.ledger.readonly"
            let pool = try DatabasePool(path: path, configuration: configuration)
            guard
                let meta = try pool.read({ db in try db.tableExists("ledger_meta") ? try Self.readMeta(db) : nil })
            else {
                throw StoreError(.notAPolyclearDatabase, "\(path) holds no Polyclear ledger yet")
            }
            postingsPerBucketShift = meta.shift
            layout = meta.layout
            self.pool = pool
            self.checkpointer = try DatabaseQueue(path: path, configuration: configuration)
            tablesCheckpointer = nil
            switch meta.layout {
            case .singleFile: tables = pool
            case .projectionFile:
                tables = try Self.openProjectionFileReadingOnly(
                    of: path, storeID: meta.storeID, written: meta.written, configuration: configuration)
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
        {
            throw StoreError(.corruptDatabase, "\(path) is damaged: \(Self.describe(error))")
        } catch {
            throw StoreError(.ioFailure, "cannot open ledger database \(path): \(Self.describe(error))")
        }
    }

    /// Refuses a foreign, damaged or too-new file before anything writes to it.
    static func validateExistingFile(at path: String) throws(StoreError) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return }
        guard (attributes[.size] as? NSNumber)?.intValue ?? 0 > 0 else { return }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError(.ioFailure, "cannot read \(path)")
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        guard header == Data("SQLite format 3\0".utf8) else {
            throw StoreError(.notAPolyclearDatabase, "\(path) is not an SQLite database, so not a Polyclear ledger")
        }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.read { db in
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tableCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") ?? 0
                guard applicationID == SQLiteSchema.applicationID || (applicationID == 0 && tableCount == 0) else {
                    throw StoreError(.notAPolyclearDatabase, "\(path) is an SQLite database of another application")
                }
                if try SQLiteSchema.migrator.hasBeenSuperseded(db) {
                    throw StoreError(.schemaTooNew, "\(path) was written by a newer Polyclear; upgrade to open it")
                }
            }
            try queue.close()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.corruptDatabase, "\(path) is damaged: \(describe(error))")
        }
    }

    /// SQLite's own consistency check of every page and index (slow on big files).
    /// A file too damaged to check at all is `corrupt_database`, like one the check faults.
    public func integrityCheck() async throws -> [String] {
        do {
            let main = try await pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            guard layout == .projectionFile, main == ["ok"] else { return main }
            return try await tables.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
        {
            throw StoreError(.corruptDatabase, "\(path) is damaged: \(Self.describe(error))")
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL), for tests that guard durability.
    public func synchronousMode() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Copies committed WAL frames into the database file without blocking the writer.
    public func performMaintenance() async throws {
        try await Self.checkpoint(checkpointer)
        if let tablesCheckpointer { try await Self.checkpoint(tablesCheckpointer) }
    }

    private static func checkpoint(_ checkpointer: DatabaseQueue) async throws {
        // On GRDB's own dispatch queue: a checkpoint blocks, and must not block a Swift
        // concurrency thread.
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            checkpointer.asyncWriteWithoutTransaction { db in
                do {
                    _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }
        }
    }

    /// A store let go of without `close()` stops its projector first: the writer lock goes with
    /// the store, and nothing may write the file once another store can take it.
    deinit { projector?.stop() }

    /// Closes the database and releases the writer lock: another store may open it now.
    public func close() throws {
        defer { writerLock?.release() }
        projector?.stop()
        try checkpointer.close()
        try tablesCheckpointer?.close()
        // Readers first (`releaseMemory` closes them): GRDB closes a pool's writer before its
        // readers, and only the last connection to close checkpoints the WAL into the file.
        if layout == .projectionFile, let tables = tables as? DatabasePool {
            tables.releaseMemory()
            try tables.close()
        }
        pool.releaseMemory()
        try pool.close()
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "SQLite error \(error.resultCode.rawValue): \(error.message ?? "")"
        }
        return String(describing: error)
    }
}
