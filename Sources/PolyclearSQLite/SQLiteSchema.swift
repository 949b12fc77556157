import GRDB

/// The SQLite schema, as named migrations. Append only: never edit a shipped migration.
///
/// Storage choices:
/// - Ids are 16-byte big-endian BLOBs, always, so that equality lookups and index order work.
/// - Other 128-bit values (amounts, balances, references) are an INTEGER when they fit in 63
///   bits — nearly always — and a 16-byte BLOB otherwise (`SQLiteValueCoding`).
/// - A transfer's ledger timestamp is its rowid: unique and increasing, so inserts append and
///   time-range queries walk the table in order.
enum SQLiteSchema {
    /// `PRAGMA application_id`: "PCLR". A file without it is not ours and is never touched.
    static let applicationID: Int32 = 0x5043_4C52

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-ledger") { db in
            try db.execute(sql: """
                CREATE TABLE ledger_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE accounts (
                    timestamp INTEGER PRIMARY KEY,
                    id BLOB NOT NULL UNIQUE,
                    ledger INTEGER NOT NULL,
                    code INTEGER NOT NULL,
                    flags INTEGER NOT NULL,
                    user_reference ANY NOT NULL,
                    debits_pending ANY NOT NULL,
                    debits_posted ANY NOT NULL,
                    credits_pending ANY NOT NULL,
                    credits_posted ANY NOT NULL
                );
                CREATE TABLE transfers (
                    timestamp INTEGER PRIMARY KEY,
                    id BLOB NOT NULL,
                    debit_account_id BLOB NOT NULL,
                    credit_account_id BLOB NOT NULL,
                    amount ANY NOT NULL,
                    pending_id BLOB NOT NULL,
                    user_reference ANY NOT NULL,
                    timeout_seconds INTEGER NOT NULL,
                    ledger INTEGER NOT NULL,
                    code INTEGER NOT NULL,
                    flags INTEGER NOT NULL,
                    status INTEGER NOT NULL,
                    fingerprint INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX transfers_by_id ON transfers(id);
                CREATE INDEX transfers_by_debit_account ON transfers(debit_account_id, timestamp);
                CREATE INDEX transfers_by_credit_account ON transfers(credit_account_id, timestamp);
                CREATE INDEX transfers_pending ON transfers(timestamp) WHERE status = 1;
                INSERT INTO ledger_meta(key, value) VALUES ('last_timestamp', 0);
                """)
        }
        return migrator
    }
}
