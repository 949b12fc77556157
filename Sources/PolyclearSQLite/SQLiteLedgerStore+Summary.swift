import PolyclearCore
public import PolyclearStorage
import GRDB

extension SQLiteLedgerStore {
    /// What a restore from a snapshot checks it against (`LedgerStoreSummary`): accounts,
    /// pending transfers and the newest transfer — a few hundred rows, however long the history.
    public func summary() async throws -> LedgerStoreSummary {
        do {
            return try await readCommitted { db, overlay in
                let lastTimestamp =
                    try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'last_timestamp'") ?? 0
                var accounts: [Account] = []
                try Self.forEachRow(db, "SELECT \(Self.accountColumns) FROM accounts ORDER BY timestamp") { s in
                    accounts.append(overlay.latest(try Self.decodeAccount(s)))
                }
                accounts += overlay.createdAccounts.map(overlay.latest)
                var pending: [LedgerSnapshot.PendingEntry] = []
                try Self.forEachRow(db, "SELECT \(Self.transferColumns) FROM transfers WHERE status = 1") { s in
                    let transfer = try Self.decodeTransfer(s).transfer
                    if overlay.status(of: transfer.id, stored: .pending) == .pending {
                        pending.append(LedgerSnapshot.PendingEntry(pendingTransfer: transfer))
                    }
                }
                let created = overlay.createdTransfersResolved
                for stored in created where stored.status == .pending {
                    pending.append(LedgerSnapshot.PendingEntry(pendingTransfer: stored.transfer))
                }
                var newest: LedgerSnapshot.TransferEntry?
                try Self.forEachRow(db, "SELECT id, fingerprint, status FROM transfers ORDER BY timestamp DESC LIMIT 1")
                {
                    s in
                    newest = LedgerSnapshot.TransferEntry(
                        id: try SQLiteValueCoding.readValue(s, 0),
                        fingerprint: UInt64(bitPattern: try SQLiteValueCoding.readInt(s, 1, as: Int64.self)),
                        status: try Self.decodeStatus(s, 2))
                }
                if let last = created.last {
                    newest = LedgerSnapshot.TransferEntry(
                        id: last.transfer.id, fingerprint: last.fingerprint, status: last.status)
                } else if let entry = newest {
                    newest?.status = overlay.status(of: entry.id, stored: entry.status)
                }
                return LedgerStoreSummary(
                    accounts: accounts, pending: pending.sorted { $0.id < $1.id },
                    lastTimestamp: overlay.lastTimestamp ?? UInt64(bitPattern: lastTimestamp), newestTransfer: newest)
            }
        } catch is SQLiteDecodingError {
            throw StoreError(.corruptDatabase, "ledger database \(path) holds a malformed value")
        }
    }
}
