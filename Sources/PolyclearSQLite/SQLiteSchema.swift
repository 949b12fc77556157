import GRDB

/// The SQLite schema, as named migrations. Append only: never edit a shipped migration.
///
/// Storage choices:
/// - Ids are 16-byte big-endian BLOBs, always, so that equality lookups and index order work.
/// - Other 128-bit values (amounts, balances, references) are an INTEGER when they fit in 63
///   bits — nearly always — and a 16-byte BLOB otherwise (`SQLiteValueCoding`).
/// - A transfer's ledger timestamp is its rowid: unique and increasing, so inserts append and
///   time-range queries walk the table in order.
/// - The by-account index is *bucketed by time*: `account_posting_lists` keys, per projection
///   step, each account's postings (the timestamps of the transfers it is debited or credited
///   by) by (bucket, account, first timestamp), and a bucket closes after `postingsPerBucket`
///   postings. A plain (account, timestamp) index would put each batch's postings on as many
///   B-tree pages as accounts it touches — with 10,000 accounts, thousands of pages rewritten
///   into the WAL per batch, which capped durable throughput at ~33,000 transfers/s. Bucketed,
///   a batch only dirties the pages of the open bucket; a query by account seeks once per
///   bucket its time range overlaps (`posting_buckets`). Files from before `v6-posting-lists`
///   keep their older postings as one row each in `account_postings`.
enum SQLiteSchema {
    /// The snapshot file's tables (`SQLiteSnapshotFile`): those of `v4-snapshots`, which in
    /// the main file stay empty since snapshots have a file of their own.
    static let snapshotFileTables = """
        CREATE TABLE IF NOT EXISTS hub_snapshot_parts (
            sequence INTEGER NOT NULL,
            part INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (sequence, part)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS hub_snapshots (
            sequence INTEGER PRIMARY KEY,
            parts INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            taken_at INTEGER NOT NULL
        );
        """

    /// How the store's files are opened to write: a 10 s busy timeout, a label for GRDB's
    /// queues, and the page size a new file takes (before WAL mode fixes it; ignored after).
    static func writeConfiguration(label: String, pageBytes: Int) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = label
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA page_size = \(pageBytes)") }
        return configuration
    }

    /// `PRAGMA application_id`: "PCLR". A file without it is not ours and is never touched.
    static let applicationID: Int32 = 0x5043_4C52

    /// Postings per bucket of the by-account index, as a power of two (2^16 postings: about
    /// 32,768 transfers). Fixed when the file is created (stored in `ledger_meta`).
    static let defaultPostingsPerBucketShift = 16

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-ledger") { db in try db.execute(sql: ledgerTablesSQL) }
        migrator.registerMigration("v2-hub-log") { db in
            // The hub's durable log (one row per commit: JSON of the entries applied) and its
            // audit events (one row per commit). A ledger-only file leaves both empty.
            try db.execute(
                sql: """
                    CREATE TABLE hub_log (
                        sequence INTEGER PRIMARY KEY,
                        entries BLOB NOT NULL
                    );
                    CREATE TABLE hub_events (
                        sequence INTEGER PRIMARY KEY,
                        events BLOB NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v3-idempotency") { db in
            // Idempotency-Key records (`IdempotencyRecord`): written in the commit that executed
            // the request; the answer (status, headers, body) once it is made; dropped by age.
            try db.execute(
                sql: """
                    CREATE TABLE hub_idempotency (
                        caller TEXT NOT NULL,
                        key TEXT NOT NULL,
                        digest BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        results BLOB NOT NULL,
                        status INTEGER,
                        headers BLOB,
                        body BLOB,
                        PRIMARY KEY (caller, key)
                    ) WITHOUT ROWID;
                    CREATE INDEX hub_idempotency_by_age ON hub_idempotency (created_at);
                    """)
        }
        migrator.registerMigration("v4-snapshots") { db in
            // Hub snapshots (`HubSnapshot`), in parts of at most `SQLiteHubStore.snapshotPartBytes`
            // (a BLOB is limited to 1 GB). A snapshot exists once its row in `hub_snapshots` is
            // written, after all its parts, in the same transaction as the last part.
            try db.execute(
                sql: """
                    CREATE TABLE hub_snapshot_parts (
                        sequence INTEGER NOT NULL,
                        part INTEGER NOT NULL,
                        data BLOB NOT NULL,
                        PRIMARY KEY (sequence, part)
                    ) WITHOUT ROWID;
                    CREATE TABLE hub_snapshots (
                        sequence INTEGER PRIMARY KEY,
                        parts INTEGER NOT NULL,
                        bytes INTEGER NOT NULL,
                        taken_at INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v5-ledger-redo") { db in
            // The log is the commit (`LedgerRedoCodec`): a commit appends one redo row and is
            // fsynced; the ledger's tables above are a projection of the redo rows, written in
            // sequence order off the commit path. `projected_sequence` is the last row applied;
            // applying a row deletes it in the same transaction, so a row exists only until its
            // projection does. A file from before has no redo rows: everything is projected.
            try db.execute(
                sql: """
                    CREATE TABLE ledger_redo (
                        sequence INTEGER PRIMARY KEY,
                        outcome BLOB NOT NULL
                    );
                    INSERT INTO ledger_meta(key, value) VALUES ('projected_sequence', 0);
                    """)
        }
        migrator.registerMigration("v6-posting-lists") { db in
            // The by-account index as posting lists (`SQLiteLedgerStore+Postings`): one row per
            // account and projection step instead of one per posting — two B-tree rows per
            // transfer were most of the projection's cost. Rows written before stay in
            // `account_postings` (read as they are: they precede every list in time).
            try db.execute(sql: postingListsSQL)
        }
        migrator.registerMigration("v8-payment-archive") { db in
            // Payments of settled cycles that left the hub's memory (`HubStateMachine+Archive`),
            // by index, id and UETR; written in the commit that archived them.
            try db.execute(
                sql: """
                    CREATE TABLE hub_payment_archive (
                        payment_index INTEGER PRIMARY KEY,
                        id BLOB NOT NULL,
                        uetr BLOB,
                        body BLOB NOT NULL
                    );
                    CREATE INDEX hub_payment_archive_by_id ON hub_payment_archive(id);
                    CREATE INDEX hub_payment_archive_by_uetr ON hub_payment_archive(uetr) WHERE uetr IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v9-audit-archive") { db in
            // Audit records that left the hub's memory (`HubStateMachine+AuditArchive`), by their
            // position in the whole trail; written in the commit that archived them.
            try db.execute(
                sql: "CREATE TABLE hub_audit_archive (position INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        }
        migrator.registerMigration("v10-cycle-archive") { db in
            // Finished closed cycles (report and trade flows) that left the hub's memory
            // (`HubStateMachine+CycleArchive`), by number; written in the commit that archived them.
            try db.execute(sql: "CREATE TABLE hub_cycle_archive (number INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        }
        migrator.registerMigration("v11-projection-file") { db in
            // A file created from now on keeps the ledger's tables in a file of their own
            // (`SQLiteLedgerStore.Layout.projectionFile`), its redo rows kept for good; a file
            // that holds a ledger already keeps its tables here (`.singleFile`). The store id
            // ties a projection file to this file.
            try db.execute(
                sql: """
                    INSERT INTO ledger_meta(key, value) SELECT 'projection_file',
                        (SELECT COUNT(*) FROM accounts) = 0 AND (SELECT COUNT(*) FROM ledger_redo) = 0
                        AND (SELECT value FROM ledger_meta WHERE key = 'projected_sequence') = 0;
                    INSERT INTO ledger_meta(key, value) VALUES ('store_id', random());
                    """)
        }
        return migrator
    }

    /// The projection file's schema (`Layout.projectionFile`): the ledger's tables as in the
    /// main file's `v1-ledger` and `v6-posting-lists`, and the meta rows the projection keeps.
    static var projectionMigrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("p1-ledger-tables") { db in
            try db.execute(sql: ledgerTablesSQL + postingListsSQL)
            try db.execute(
                sql: "INSERT INTO ledger_meta(key, value) VALUES ('projected_sequence', 0), ('store_id', 0)")
        }
        return migrator
    }

    /// The ledger's tables (`v1-ledger`; shipped: never edit).
    static let ledgerTablesSQL = """
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
            CREATE INDEX transfers_pending ON transfers(timestamp) WHERE status = 1;
            CREATE TABLE account_postings (
                bucket INTEGER NOT NULL,
                account_id BLOB NOT NULL,
                timestamp INTEGER NOT NULL,
                PRIMARY KEY (bucket, account_id, timestamp)
            ) WITHOUT ROWID;
            CREATE TABLE posting_buckets (
                bucket INTEGER PRIMARY KEY,
                first_timestamp INTEGER NOT NULL
            );
            INSERT INTO ledger_meta(key, value) VALUES ('last_timestamp', 0), ('posting_count', 0);
        """

    /// The by-account posting lists (`v6-posting-lists`; shipped: never edit).
    static let postingListsSQL = """
            CREATE TABLE account_posting_lists (
                bucket INTEGER NOT NULL,
                account_id BLOB NOT NULL,
                first_timestamp INTEGER NOT NULL,
                last_timestamp INTEGER NOT NULL,
                timestamps BLOB NOT NULL,
                PRIMARY KEY (bucket, account_id, first_timestamp)
            ) WITHOUT ROWID;
        """
}
