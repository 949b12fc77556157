public import PolyclearCore
import PolyclearStorage
import GRDB
import GRDBSQLite

extension SQLiteLedgerStore {
    /// Commits one outcome: one redo row (its compact form), fsynced. The tables follow from
    /// it off the commit path (`SQLiteProjector`); reads wait for them.
    public func commit(_ outcome: LedgerOutcome) async throws {
        let redo = try await prepareRedo(outcome)
        try await pool.write { db in try Self.insertRedo(sequence: redo.sequence, redo.bytes, db) }
        committedRedo(redo.sequence, outcome)
    }

    /// Before a commit transaction: waits while the projection lags too far, encodes the
    /// outcome and numbers it.
    func prepareRedo(_ outcome: LedgerOutcome) async throws -> (sequence: Int64, bytes: [UInt8]) {
        guard let projector else { throw StoreError(.ioFailure, "\(path) is open to read only") }
        try await projector.waitForRoom()
        let bytes = try LedgerRedoCodec.encodeForCommit(outcome)
        return (try projector.nextSequence(), bytes)
    }

    /// After the commit transaction: the projection may write its rows.
    func committedRedo(_ sequence: Int64, _ outcome: LedgerOutcome) { projector?.didCommit(sequence, outcome) }

    /// Writes a ledger outcome's rows inside the caller's transaction (the projection).
    static func write(_ outcome: LedgerOutcome, postingsPerBucketShift: Int64, _ db: Database) throws {
        try Self.insertAccounts(outcome.createdAccounts, db)
        try Self.insertTransfers(outcome.createdTransfers, db)
        try Self.insertPostingLists(outcome.createdTransfers, shift: postingsPerBucketShift, db)
        try Self.updateStatuses(outcome.statusChanges, db)
        try Self.updateAccounts(outcome.updatedAccounts, db)
        let meta = try db.cachedStatement(sql: "UPDATE ledger_meta SET value = ? WHERE key = 'last_timestamp'")
        try Self.step(meta.sqliteStatement, db) { statement in
            sqlite3_bind_int64(statement, 1, Int64(bitPattern: outcome.lastTimestamp))
        }
    }

    private static func insertAccounts(_ accounts: ContiguousArray<Account>, _ db: Database) throws {
        guard !accounts.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO accounts (timestamp, id, ledger, code, flags, user_reference,
                    debits_pending, debits_posted, credits_pending, credits_posted)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).sqliteStatement
        for account in accounts {
            try step(statement, db) { s in
                SQLiteValueCoding.bindInt(s, 1, Int64(bitPattern: account.timestamp))
                SQLiteValueCoding.bindID(s, 2, account.id)
                SQLiteValueCoding.bindInt(s, 3, account.ledger)
                SQLiteValueCoding.bindInt(s, 4, account.code)
                SQLiteValueCoding.bindInt(s, 5, account.flags.rawValue)
                SQLiteValueCoding.bindValue(s, 6, account.userReference)
                SQLiteValueCoding.bindValue(s, 7, account.debitsPending)
                SQLiteValueCoding.bindValue(s, 8, account.debitsPosted)
                SQLiteValueCoding.bindValue(s, 9, account.creditsPending)
                SQLiteValueCoding.bindValue(s, 10, account.creditsPosted)
            }
        }
    }

    private static func updateStatuses(_ changes: ContiguousArray<TransferStatusChange>, _ db: Database) throws {
        guard !changes.isEmpty else { return }
        let statement = try db.cachedStatement(sql: "UPDATE transfers SET status = ? WHERE id = ?").sqliteStatement
        for change in changes {
            try step(statement, db, expectChanges: 1) { s in
                SQLiteValueCoding.bindInt(s, 1, change.status.rawValue)
                SQLiteValueCoding.bindID(s, 2, change.transferID)
            }
        }
    }

    /// `OR ROLLBACK`: a conflict (never expected: a step is projected once) ends the whole
    /// transaction, as the caller's rollback would. With the default (`ABORT`) SQLite must be
    /// able to undo just the failing statement, so every multi-row insert kept a statement
    /// journal of the pages it touched — 16 KiB each, spilled to a temporary file past 64 KiB:
    /// about half of all bytes the batch endpoint wrote, and 10–15% of the ledger's throughput.
    private static let transferRows = SQLiteRowChunks(
        head: """
            INSERT OR ROLLBACK INTO transfers (timestamp, id, debit_account_id, credit_account_id, amount, pending_id,
                user_reference, timeout_seconds, ledger, code, flags, status, fingerprint) VALUES
            """,
        columnCount: 13, slotBytes: 6 * 16)

    private static func insertTransfers(_ transfers: ContiguousArray<StoredTransfer>, _ db: Database) throws {
        try transferRows.run(transfers, db) { stored, row, slot, s in
            let t = stored.transfer
            let first = row * 13
            sqlite3_bind_int64(s, first + 1, Int64(bitPattern: t.timestamp))
            SQLiteRowChunks.bindID(s, first + 2, t.id, slot)
            SQLiteRowChunks.bindID(s, first + 3, t.debitAccountID, slot + 16)
            SQLiteRowChunks.bindID(s, first + 4, t.creditAccountID, slot + 32)
            SQLiteRowChunks.bindValue(s, first + 5, t.amount, slot + 48)
            SQLiteRowChunks.bindID(s, first + 6, t.pendingID, slot + 64)
            SQLiteRowChunks.bindValue(s, first + 7, t.userReference, slot + 80)
            sqlite3_bind_int64(s, first + 8, Int64(t.timeoutSeconds))
            sqlite3_bind_int64(s, first + 9, Int64(t.ledger))
            sqlite3_bind_int64(s, first + 10, Int64(t.code))
            sqlite3_bind_int64(s, first + 11, Int64(t.flags.rawValue))
            sqlite3_bind_int64(s, first + 12, Int64(stored.status.rawValue))
            sqlite3_bind_int64(s, first + 13, Int64(bitPattern: stored.fingerprint))
        }
    }

    /// Every account must exist: an update that changes no row aborts.
    private static let accountUpdates = SQLiteRowChunks(
        oneRow: """
            UPDATE accounts SET flags = ?2, debits_pending = ?3, debits_posted = ?4, credits_pending = ?5,
                credits_posted = ?6 WHERE timestamp = ?1
            """,
        slotBytes: 4 * 16, changesOneRowEach: true)

    private static func updateAccounts(_ accounts: ContiguousArray<Account>, _ db: Database) throws {
        try accountUpdates.run(accounts, db) { account, row, slot, s in
            let first = row * 6
            sqlite3_bind_int64(s, first + 1, Int64(bitPattern: account.timestamp))
            sqlite3_bind_int64(s, first + 2, Int64(account.flags.rawValue))
            SQLiteRowChunks.bindValue(s, first + 3, account.debitsPending, slot)
            SQLiteRowChunks.bindValue(s, first + 4, account.debitsPosted, slot + 16)
            SQLiteRowChunks.bindValue(s, first + 5, account.creditsPending, slot + 32)
            SQLiteRowChunks.bindValue(s, first + 6, account.creditsPosted, slot + 48)
        }
    }

    /// Binds, runs and resets one write statement; any failure aborts the transaction.
    @inline(__always)
    static func step(
        _ statement: OpaquePointer, _ db: Database, expectChanges: Int32? = nil, bind: (OpaquePointer) -> Void
    ) throws {
        bind(statement)
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
        if let expectChanges, sqlite3_changes(db.sqliteConnection) != expectChanges {
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "commit: expected row to update is missing")
        }
    }
}
