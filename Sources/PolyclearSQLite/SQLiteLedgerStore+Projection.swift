import PolyclearCore
import PolyclearStorage
import GRDB
import GRDBSQLite
import Foundation

/// The redo log and its projection (schema `v5-ledger-redo`): a commit appends the outcome's
/// compact form; the tables are written from it later, in sequence order, idempotently.
extension SQLiteLedgerStore {
    /// Appends one redo row inside the caller's (commit) transaction.
    static func insertRedo(sequence: Int64, _ bytes: [UInt8], _ db: Database) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO ledger_redo (sequence, outcome) VALUES (?, ?)")
            .sqliteStatement
        try bytes.withUnsafeBytes { raw in
            try step(statement, db) { s in
                sqlite3_bind_int64(s, 1, sequence)
                // SQLITE_STATIC: the bytes outlive the step (the statement is reset after it).
                sqlite3_bind_blob(s, 2, raw.baseAddress, Int32(raw.count), nil)
            }
        }
    }

    /// The sequences a newly opened store continues from: the last one projected and the last
    /// one written (never reused, even after every row is projected and deleted).
    /// A file written before the redo log (opened read only, so not migrated) has none: all of
    /// it is in the tables.
    static func redoSequences(_ db: Database) throws -> (projected: Int64, written: Int64) {
        guard try hasRedoLog(db) else { return (0, 0) }
        let projected =
            try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'projected_sequence'") ?? 0
        let newest = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM ledger_redo") ?? 0
        return (projected, max(projected, newest))
    }

    static func hasRedoLog(_ db: Database) throws -> Bool { try db.tableExists("ledger_redo") }

    /// `Layout.singleFile`: projects up to `rowCountMax` redo rows in one transaction: their
    /// rows into the tables, `projected_sequence` advanced, the rows deleted. The outcomes are taken from `committed`
    /// (the projector's copies of what was just committed, in sequence order) when they follow
    /// on from the projected sequence, and read back from the redo rows otherwise (after a
    /// restart). Answers the new projected sequence (unchanged when nothing waits). Not fsynced
    /// by itself: the redo rows stay until the projection commits, and the next fsynced commit
    /// makes both durable.
    static func projectRedo(
        rowCountMax: Int, committed: ArraySlice<CommittedRedo> = [], shift: Int64, _ db: Database
    ) throws -> Int64 {
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
        let projected: Int64
        do {
            projected = try projectRedoTransaction(rowCountMax: rowCountMax, committed: committed, shift: shift, db)
        } catch {
            try db.execute(sql: "PRAGMA synchronous = FULL")
            throw error
        }
        // Not `try?`: a writer connection left at NORMAL would acknowledge unsynced commits.
        try db.execute(sql: "PRAGMA synchronous = FULL")
        return projected
    }

    private static func projectRedoTransaction(
        rowCountMax: Int, committed: ArraySlice<CommittedRedo>, shift: Int64, _ db: Database
    ) throws -> Int64 {
        var projected: Int64 = 0
        try db.inTransaction {
            projected = try redoSequences(db).projected
            guard
                let (merged, now) = try gatherRedo(
                    after: projected, rowCountMax: rowCountMax, committed: committed,
                    fetch: { after, count in try redoRows(after: after, count: count, db) })
            else { return .rollback }
            projected = now
            try write(merged.outcome, postingsPerBucketShift: shift, db)
            try db.execute(
                sql: "UPDATE ledger_meta SET value = ? WHERE key = 'projected_sequence'", arguments: [projected])
            try db.execute(sql: "DELETE FROM ledger_redo WHERE sequence <= ?", arguments: [projected])
            return .commit
        }
        return projected
    }

    /// Holds the projection back, or lets it go on (crash drills and tests: the state a kill
    /// leaves when it lands before the projection of the last commits).
    public func holdProjection(_ held: Bool) { projector?.hold(held) }

    /// Commits in the redo log not yet in the tables: 0 once the projection has caught up.
    public func unprojectedCommitCount() async throws -> Int {
        switch layout {
        case .singleFile:
            return try await pool.read { db in
                guard try Self.hasRedoLog(db) else { return 0 }
                let projected = try Self.redoSequences(db).projected
                return try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM ledger_redo WHERE sequence > ?", arguments: [projected]) ?? 0
            }
        case .projectionFile:
            let projected = try await tables.read { db in try Self.projectedSequence(db) }
            return try await pool.read { db in Int(try Self.newestRedoSequence(db) - projected) }
        }
    }

    static func decodeRedo(_ data: Data) throws -> LedgerOutcome {
        do {
            return try data.withUnsafeBytes { raw throws(LedgerRedoDecodingError) in try LedgerRedoCodec.decode(raw) }
        } catch {
            throw SQLiteDecodingError(column: 1)
        }
    }

    /// The redo rows not projected yet, as one overlay on the tables (read in the caller's
    /// transaction, so the two agree): what a reader that cannot wait for the projection (a
    /// read-only store beside a running hub, a backup's check) adds to what the tables hold.
    static func redoOverlay(_ db: Database) throws -> LedgerRedoOverlay {
        guard try hasRedoLog(db) else { return LedgerRedoOverlay() }
        return try redoOverlay(after: try redoSequences(db).projected, db)
    }

    /// The redo rows after `projected`, as one overlay.
    static func redoOverlay(after projected: Int64, _ db: Database) throws -> LedgerRedoOverlay {
        var overlay = LedgerRedoOverlay()
        let rows = try Row.fetchCursor(
            db, sql: "SELECT outcome FROM ledger_redo WHERE sequence > ? ORDER BY sequence", arguments: [projected])
        while let row = try rows.next() {
            let data: Data = row[0]
            overlay.add(try decodeRedo(data))
        }
        return overlay
    }
}
