import Foundation
package import Logging
package import PolyclearCore
import PolyclearStorage
package import PostgresNIO

/// The ledger's tables (accounts, transfers, the ledger clock) and their encoding: rows in as
/// arrays (`UNNEST`, one statement per table per commit), rows out as Core's values.
package enum PostgresLedgerTables {
    static func bytes(_ value: UInt128) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt64(truncatingIfNeeded: value >> 64))
        buffer.writeInteger(UInt64(truncatingIfNeeded: value))
        return buffer
    }

    static func value(_ buffer: ByteBuffer) throws(StoreError) -> UInt128 {
        var copy = buffer
        guard copy.readableBytes == 16, let high = copy.readInteger(as: UInt64.self),
            let low = copy.readInteger(as: UInt64.self)
        else {
            throw StoreError(.corruptDatabase, "a 128-bit value is not 16 bytes")
        }
        return UInt128(high) << 64 | UInt128(low)
    }

    /// The statements that write an outcome's rows, built ahead of the transaction that runs
    /// them (encoding thousands of values takes a while; the transaction holds row locks).
    static func writeQueries(_ outcome: LedgerOutcome) -> [PostgresQuery] {
        var queries: [PostgresQuery] = []
        if !outcome.createdAccounts.isEmpty {
            let a = outcome.createdAccounts
            queries.append(
                """
                INSERT INTO accounts (timestamp, id, ledger, code, flags, user_reference, debits_pending, debits_posted, credits_pending, credits_posted)
                SELECT * FROM UNNEST(\(a.map { Int64(bitPattern: $0.timestamp) })::bigint[], \(a.map { bytes($0.id) })::bytea[],
                    \(a.map { Int64($0.ledger) })::bigint[], \(a.map { Int32($0.code) })::integer[], \(a.map { Int32($0.flags.rawValue) })::integer[],
                    \(a.map { bytes($0.userReference) })::bytea[], \(a.map { bytes($0.debitsPending) })::bytea[], \(a.map { bytes($0.debitsPosted) })::bytea[],
                    \(a.map { bytes($0.creditsPending) })::bytea[], \(a.map { bytes($0.creditsPosted) })::bytea[])
                """)
        }
        if !outcome.createdTransfers.isEmpty {
            // INSERT … UNNEST, one statement per batch. Not COPY: postgres-nio aborts the process
            // (a fatal error in its state machine) when a commit's deadline closes the connection
            // while a COPY is streaming, which a loaded machine reaches (CI did).
            let t = outcome.createdTransfers
            queries.append(
                """
                INSERT INTO transfers (\(unescaped: transferColumns))
                SELECT * FROM UNNEST(\(t.map { Int64(bitPattern: $0.transfer.timestamp) })::bigint[], \(t.map { bytes($0.transfer.id) })::bytea[],
                    \(t.map { bytes($0.transfer.debitAccountID) })::bytea[], \(t.map { bytes($0.transfer.creditAccountID) })::bytea[],
                    \(t.map { bytes($0.transfer.amount) })::bytea[], \(t.map { bytes($0.transfer.pendingID) })::bytea[],
                    \(t.map { bytes($0.transfer.userReference) })::bytea[], \(t.map { Int64($0.transfer.timeoutSeconds) })::bigint[],
                    \(t.map { Int64($0.transfer.ledger) })::bigint[], \(t.map { Int32($0.transfer.code) })::integer[],
                    \(t.map { Int32($0.transfer.flags.rawValue) })::integer[], \(t.map { Int16($0.status.rawValue) })::smallint[],
                    \(t.map { Int64(bitPattern: $0.fingerprint) })::bigint[])
                """)
        }
        if !outcome.statusChanges.isEmpty {
            // One statement for the batch: a pending transfer leaves `pending` once, so no id
            // appears twice (which would make UPDATE … FROM pick an arbitrary row).
            let c = outcome.statusChanges
            queries.append(
                """
                UPDATE transfers SET status = u.status
                FROM UNNEST(\(c.map { bytes($0.transferID) })::bytea[], \(c.map { Int16($0.status.rawValue) })::smallint[]) AS u(id, status)
                WHERE transfers.id = u.id
                """)
        }
        if !outcome.updatedAccounts.isEmpty {
            let a = outcome.updatedAccounts
            queries.append(
                """
                UPDATE accounts SET flags = u.flags, debits_pending = u.dp, debits_posted = u.dpo, credits_pending = u.cp, credits_posted = u.cpo
                FROM UNNEST(\(a.map { Int64(bitPattern: $0.timestamp) })::bigint[], \(a.map { Int32($0.flags.rawValue) })::integer[],
                    \(a.map { bytes($0.debitsPending) })::bytea[], \(a.map { bytes($0.debitsPosted) })::bytea[],
                    \(a.map { bytes($0.creditsPending) })::bytea[], \(a.map { bytes($0.creditsPosted) })::bytea[]) AS u(timestamp, flags, dp, dpo, cp, cpo)
                WHERE accounts.timestamp = u.timestamp
                """)
        }
        queries.append(
            "UPDATE ledger_meta SET value = \(Int64(bitPattern: outcome.lastTimestamp)) WHERE key = 'last_timestamp'")
        return queries
    }

    /// The ledger as stored (accounts, transfer fingerprints, pending transfers) with the
    /// unprojected redo rows laid over the tables, every invariant checked by
    /// `LedgerRestorer`. Inside `PostgresDatabase.inReadSnapshot`, so the two agree.
    package static func restoreLedger(
        _ connection: PostgresConnection, logger: Logger
    ) async throws -> LedgerStateMachine {
        let overlay = try await redoOverlay(connection, logger: logger)
        let lastTimestamp = try await lastTimestamp(connection, logger: logger)
        var restorer = LedgerRestorer(
            expectedAccountCount: 1_024, expectedTransferCount: 1 << 16,
            lastTimestamp: overlay.lastTimestamp ?? UInt64(bitPattern: lastTimestamp))
        for account in try await accounts(where: "TRUE", on: connection, logger: logger) {
            try restorer.restoreAccount(overlay.latest(account))
        }
        for account in overlay.createdAccounts { try restorer.restoreAccount(overlay.latest(account)) }
        for try await (id, fingerprint, status) in try await connection.query(
            "SELECT id, fingerprint, status FROM transfers", logger: logger
        ).decode((ByteBuffer, Int64, Int16).self) {
            guard let status = TransferStatus(rawValue: UInt8(status)) else {
                throw StoreError(.corruptDatabase, "a transfer has status \(status)")
            }
            let id = try value(id)
            try restorer.restoreTransfer(
                id: id, fingerprint: UInt64(bitPattern: fingerprint), status: overlay.status(of: id, stored: status))
        }
        let created = overlay.createdTransfersResolved
        for stored in created {
            try restorer.restoreTransfer(id: stored.transfer.id, fingerprint: stored.fingerprint, status: stored.status)
        }
        for stored in try await pendingTransfers(overlay, connection, logger: logger) {
            try restorer.restorePending(stored.transfer)
        }
        return try restorer.finish()
    }

    /// The transfers pending now: the tables' with the overlay's status changes, then the
    /// overlay's own, in timestamp order.
    static func pendingTransfers(
        _ overlay: LedgerRedoOverlay, _ connection: PostgresConnection, logger: Logger
    ) async throws -> [StoredTransfer] {
        let stored = try await transfers(where: "status = 1", limit: Int.max, on: connection, logger: logger)
        return stored.filter { overlay.status(of: $0.transfer.id, stored: .pending) == .pending }
            + overlay.createdTransfersResolved.filter { $0.status == .pending }
    }

    /// The ledger clock: every non-empty batch advances it, so a commit whose outcome is
    /// unknown is recognised by it.
    static func lastTimestamp(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var value: Int64 = 0
        for try await stored in try await connection.query(
            "SELECT value FROM ledger_meta WHERE key = 'last_timestamp'", logger: logger
        ).decode(Int64.self) {
            value = stored
        }
        return value
    }

    static func accounts(
        where condition: String, binds: PostgresBindings = PostgresBindings(), on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [Account] {
        let sql = """
            SELECT timestamp, id, ledger, code, flags, user_reference, debits_pending, debits_posted, credits_pending, credits_posted
            FROM accounts WHERE \(condition) ORDER BY timestamp
            """
        var found: [Account] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
            let (timestamp, id, ledger, code, flags, reference, dp, dpo, cp, cpo) =
                try row.decode(
                    (Int64, ByteBuffer, Int64, Int32, Int32, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer)
                        .self)
            var account = Account(
                id: try Self.value(id), ledger: UInt32(ledger), code: UInt16(code),
                flags: AccountFlags(rawValue: UInt16(flags)),
                userReference: try Self.value(reference))
            account.debitsPending = try Self.value(dp); account.debitsPosted = try Self.value(dpo)
            account.creditsPending = try Self.value(cp); account.creditsPosted = try Self.value(cpo)
            account.timestamp = UInt64(bitPattern: timestamp)
            found.append(account)
        }
        return found
    }

    /// Transfers debiting or crediting the account within the timestamp range, oldest first.
    static func transfers(
        accountID: UInt128, timestamps: Range<UInt64>, limit: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> [StoredTransfer] {
        var binds = PostgresBindings()
        binds.append(bytes(accountID))
        binds.append(Int64(bitPattern: timestamps.lowerBound))
        binds.append(Int64(bitPattern: min(timestamps.upperBound, UInt64(Int64.max))))
        return try await transfers(
            where: "(debit_account_id = $1 OR credit_account_id = $1) AND timestamp >= $2 AND timestamp < $3",
            binds: binds, limit: limit, on: connection, logger: logger)
    }

    static let transferColumns =
        "timestamp, id, debit_account_id, credit_account_id, amount, pending_id, user_reference, timeout_seconds, ledger, code, flags, status, fingerprint"

    static func transfers(
        where condition: String, binds: PostgresBindings = PostgresBindings(), limit: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [StoredTransfer] {
        let sql =
            "SELECT \(transferColumns) FROM transfers WHERE \(condition) ORDER BY timestamp"
            + (limit == .max ? "" : " LIMIT \(limit)")
        var found: [StoredTransfer] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
            let (
                timestamp, id, debit, credit, amount, pending, reference, timeout, ledger, code, flags, status,
                fingerprint
            ) =
                try row.decode(
                    (
                        Int64, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, Int64, Int64,
                        Int32, Int32, Int16, Int64
                    ).self)
            var transfer = Transfer(
                id: try Self.value(id), debitAccountID: try Self.value(debit), creditAccountID: try Self.value(credit),
                amount: try Self.value(amount), ledger: UInt32(ledger), code: UInt16(code),
                flags: TransferFlags(rawValue: UInt16(flags)),
                pendingID: try Self.value(pending), timeoutSeconds: UInt32(timeout),
                userReference: try Self.value(reference))
            transfer.timestamp = UInt64(bitPattern: timestamp)
            guard let state = TransferStatus(rawValue: UInt8(status)) else {
                throw StoreError(.corruptDatabase, "a transfer has status \(status)")
            }
            found.append(
                StoredTransfer(transfer: transfer, status: state, fingerprint: UInt64(bitPattern: fingerprint)))
        }
        return found
    }
}
