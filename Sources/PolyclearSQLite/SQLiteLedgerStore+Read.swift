public import PolyclearCore
import PolyclearStorage
import GRDB
import GRDBSQLite
import Foundation

extension SQLiteLedgerStore {
    static let accountColumns = """
        timestamp, id, ledger, code, flags, user_reference, debits_pending, debits_posted, credits_pending, credits_posted
        """
    static let transferColumns = """
        timestamp, id, debit_account_id, credit_account_id, amount, pending_id, user_reference,
        timeout_seconds, ledger, code, flags, status, fingerprint
        """

    /// Rebuilds the state machine: accounts in creation order, the index of every transfer,
    /// then the bodies of the transfers still pending — the tables with the redo rows not
    /// projected yet laid over them, read in one transaction. Checks every invariant at the end.
    public func restore() async throws -> LedgerStateMachine {
        do {
            return try await readCommitted { db, overlay in
                let lastTimestamp =
                    try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'last_timestamp'") ?? 0
                let accountCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") ?? 0
                let transferCount =
                    try Int.fetchOne(db, sql: "SELECT MAX(rowid) FROM transfers").map { _ in
                        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM transfers") ?? 0
                    } ?? 0
                var restorer = LedgerRestorer(
                    expectedAccountCount: accountCount + overlay.createdAccounts.count,
                    expectedTransferCount: transferCount + overlay.createdTransfers.count,
                    lastTimestamp: overlay.lastTimestamp ?? UInt64(bitPattern: lastTimestamp))
                try Self.forEachRow(db, "SELECT \(Self.accountColumns) FROM accounts ORDER BY timestamp") { s in
                    try restorer.restoreAccount(overlay.latest(try Self.decodeAccount(s)))
                }
                for account in overlay.createdAccounts { try restorer.restoreAccount(overlay.latest(account)) }
                try Self.forEachRow(db, "SELECT id, fingerprint, status FROM transfers") { s in
                    let id: UInt128 = try SQLiteValueCoding.readValue(s, 0)
                    try restorer.restoreTransfer(
                        id: id, fingerprint: UInt64(bitPattern: try SQLiteValueCoding.readInt(s, 1, as: Int64.self)),
                        status: overlay.status(of: id, stored: try Self.decodeStatus(s, 2)))
                }
                let created = overlay.createdTransfersResolved
                for stored in created {
                    try restorer.restoreTransfer(
                        id: stored.transfer.id, fingerprint: stored.fingerprint, status: stored.status)
                }
                try Self.forEachRow(
                    db, "SELECT \(Self.transferColumns) FROM transfers WHERE status = 1 ORDER BY timestamp"
                ) { s in
                    let transfer = try Self.decodeTransfer(s).transfer
                    if overlay.status(of: transfer.id, stored: .pending) == .pending {
                        try restorer.restorePending(transfer)
                    }
                }
                for stored in created where stored.status == .pending { try restorer.restorePending(stored.transfer) }
                return try restorer.finish()
            }
        } catch let violation as LedgerInvariantViolation {
            throw StoreError(.invariantViolated, "ledger database \(path) breaks an invariant: \(violation)")
        } catch is SQLiteDecodingError {
            throw StoreError(.corruptDatabase, "ledger database \(path) holds a malformed value")
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
        {
            throw StoreError(.corruptDatabase, "ledger database \(path) is damaged: \(Self.describe(error))")
        }
    }

    /// A writable store's reads wait until its tables hold every commit made before the read
    /// (read your writes); a read-only one reads what is projected (committed, if older).
    func awaitProjection() async throws { try await projector?.waitForCommitted() }

    /// Returns once the tables hold every commit made so far (benchmarks, tests).
    public func waitForProjection() async throws { try await awaitProjection() }

    public func account(id: UInt128) async throws -> Account? {
        try await awaitProjection()
        return try await tables.read { db in
            var found: Account?
            try Self.forEachRow(
                db, "SELECT \(Self.accountColumns) FROM accounts WHERE id = ?",
                bind: { s in
                    SQLiteValueCoding.bindID(s, 1, id)
                }
            ) { s in found = try Self.decodeAccount(s) }
            return found
        }
    }

    public func transfer(id: UInt128) async throws -> StoredTransfer? {
        try await awaitProjection()
        return try await tables.read { db in
            var found: StoredTransfer?
            try Self.forEachRow(
                db, "SELECT \(Self.transferColumns) FROM transfers WHERE id = ?",
                bind: { s in
                    SQLiteValueCoding.bindID(s, 1, id)
                }
            ) { s in found = try Self.decodeTransfer(s) }
            return found
        }
    }

    public func transfers(timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        let sql =
            "SELECT \(Self.transferColumns) FROM transfers WHERE timestamp >= ?1 AND timestamp < ?2 ORDER BY timestamp LIMIT ?3"
        return try await fetchTransfers(sql) { s in Self.bindRange(s, timestamps, limit: limit, firstIndex: 1) }
    }

    private func fetchTransfers(
        _ sql: String, bind: @escaping @Sendable (OpaquePointer) -> Void
    ) async throws -> [StoredTransfer] {
        try await awaitProjection()
        return try await tables.read { db in
            var found: [StoredTransfer] = []
            try Self.forEachRow(db, sql, bind: bind) { s in found.append(try Self.decodeTransfer(s)) }
            return found
        }
    }

    private static func bindRange(_ s: OpaquePointer, _ range: Range<UInt64>, limit: Int, firstIndex: Int32) {
        // Timestamps are below 2^63 (nanoseconds until the year 2262), so clamping is exact.
        sqlite3_bind_int64(s, firstIndex, Int64(clamping: range.lowerBound))
        sqlite3_bind_int64(s, firstIndex + 1, Int64(clamping: range.upperBound))
        sqlite3_bind_int64(s, firstIndex + 2, Int64(limit))
    }

    static func forEachRow(
        _ db: Database, _ sql: String, bind: (OpaquePointer) -> Void = { _ in },
        _ body: (OpaquePointer) throws -> Void
    ) throws {
        let statement = try db.makeStatement(sql: sql)
        let s = statement.sqliteStatement
        bind(s)
        defer { sqlite3_reset(s) }
        while true {
            let code = sqlite3_step(s)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            try body(s)
        }
    }

    static func decodeStatus(_ s: OpaquePointer, _ column: Int32) throws -> TransferStatus {
        guard let status = TransferStatus(rawValue: try SQLiteValueCoding.readInt(s, column, as: UInt8.self)) else {
            throw SQLiteDecodingError(column: column)
        }
        return status
    }

    static func decodeAccount(_ s: OpaquePointer) throws -> Account {
        var account = Account(
            id: try SQLiteValueCoding.readValue(s, 1),
            ledger: try SQLiteValueCoding.readInt(s, 2, as: UInt32.self),
            code: try SQLiteValueCoding.readInt(s, 3, as: UInt16.self),
            flags: AccountFlags(rawValue: try SQLiteValueCoding.readInt(s, 4, as: UInt16.self)),
            userReference: try SQLiteValueCoding.readValue(s, 5))
        account.timestamp = UInt64(bitPattern: try SQLiteValueCoding.readInt(s, 0, as: Int64.self))
        account.debitsPending = try SQLiteValueCoding.readValue(s, 6)
        account.debitsPosted = try SQLiteValueCoding.readValue(s, 7)
        account.creditsPending = try SQLiteValueCoding.readValue(s, 8)
        account.creditsPosted = try SQLiteValueCoding.readValue(s, 9)
        return account
    }

    static func decodeTransfer(_ s: OpaquePointer) throws -> StoredTransfer {
        var transfer = Transfer(
            id: try SQLiteValueCoding.readValue(s, 1),
            debitAccountID: try SQLiteValueCoding.readValue(s, 2),
            creditAccountID: try SQLiteValueCoding.readValue(s, 3),
            amount: try SQLiteValueCoding.readValue(s, 4),
            ledger: try SQLiteValueCoding.readInt(s, 8, as: UInt32.self),
            code: try SQLiteValueCoding.readInt(s, 9, as: UInt16.self),
            flags: TransferFlags(rawValue: try SQLiteValueCoding.readInt(s, 10, as: UInt16.self)),
            pendingID: try SQLiteValueCoding.readValue(s, 5),
            timeoutSeconds: try SQLiteValueCoding.readInt(s, 7, as: UInt32.self),
            userReference: try SQLiteValueCoding.readValue(s, 6))
        transfer.timestamp = UInt64(bitPattern: try SQLiteValueCoding.readInt(s, 0, as: Int64.self))
        return StoredTransfer(
            transfer: transfer, status: try decodeStatus(s, 11),
            fingerprint: UInt64(bitPattern: try SQLiteValueCoding.readInt(s, 12, as: Int64.self)))
    }
}
