import Logging
import PolyclearStorage
import PostgresNIO

/// The schema: append-only migrations, applied in order under an advisory lock (several nodes
/// may start at once). 128-bit values are 16-byte big-endian `bytea`.
enum PostgresSchema {
    static let migrations: [(String, String)] = [
        (
            "v1-ledger-and-hub",
            """
            CREATE TABLE ledger_meta (key text PRIMARY KEY, value bigint NOT NULL);
            INSERT INTO ledger_meta (key, value) VALUES ('last_timestamp', 0);
            CREATE TABLE accounts (
                timestamp bigint PRIMARY KEY, id bytea NOT NULL UNIQUE, ledger bigint NOT NULL, code integer NOT NULL,
                flags integer NOT NULL, user_reference bytea NOT NULL, debits_pending bytea NOT NULL, debits_posted bytea NOT NULL,
                credits_pending bytea NOT NULL, credits_posted bytea NOT NULL);
            CREATE TABLE transfers (
                timestamp bigint PRIMARY KEY, id bytea NOT NULL UNIQUE, debit_account_id bytea NOT NULL, credit_account_id bytea NOT NULL,
                amount bytea NOT NULL, pending_id bytea NOT NULL, user_reference bytea NOT NULL, timeout_seconds bigint NOT NULL,
                ledger bigint NOT NULL, code integer NOT NULL, flags integer NOT NULL, status smallint NOT NULL, fingerprint bigint NOT NULL);
            CREATE INDEX transfers_by_debit_account ON transfers (debit_account_id, timestamp);
            CREATE INDEX transfers_by_credit_account ON transfers (credit_account_id, timestamp);
            CREATE TABLE hub_log (sequence bigint PRIMARY KEY, entries bytea NOT NULL);
            CREATE TABLE hub_events (sequence bigint PRIMARY KEY, events bytea NOT NULL);
            """
        ),
        // The writer's fencing token: each restore takes the next epoch; each commit locks the
        // row (shared) and checks it still holds the epoch it took.
        (
            "v2-writer-fence",
            """
            CREATE TABLE writer_fence (id integer PRIMARY KEY CHECK (id = 1), epoch bigint NOT NULL);
            INSERT INTO writer_fence (id, epoch) VALUES (1, 0);
            """
        ),
        // The writer lease of a cluster of API nodes: who holds the role, where it answers,
        // and until when (by the database's clock, so the nodes' clocks do not matter).
        (
            "v3-writer-lease",
            """
            ALTER TABLE writer_fence ADD COLUMN holder text, ADD COLUMN endpoint text, ADD COLUMN lease_expires_at timestamptz
            """
        ),
        // Every commit rewrites the balances of the accounts it touched: room on each page lets
        // PostgreSQL keep the new row version beside the old one without touching the indexes
        // (a "HOT" update).
        (
            "v4-accounts-fillfactor",
            """
            ALTER TABLE accounts SET (fillfactor = 50)
            """
        ),
        // Idempotency-Key records: written in the commit that executed the request, the
        // answer added once made, dropped by age (`IdempotencyRecord`).
        (
            "v5-idempotency",
            """
            CREATE TABLE hub_idempotency (
                caller text NOT NULL, key text NOT NULL, digest bytea NOT NULL, created_at bigint NOT NULL,
                results bytea NOT NULL, status integer, headers bytea, body bytea, PRIMARY KEY (caller, key));
            CREATE INDEX hub_idempotency_by_age ON hub_idempotency (created_at)
            """
        ),
        // Hub snapshots (`HubSnapshot`) in parts (a bytea holds at most 1 GB); a snapshot exists
        // once its `hub_snapshots` row is written, after all its parts.
        (
            "v6-snapshots",
            """
            CREATE TABLE hub_snapshot_parts (
                sequence bigint NOT NULL, part integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (sequence, part));
            CREATE TABLE hub_snapshots (
                sequence bigint PRIMARY KEY, parts integer NOT NULL, bytes bigint NOT NULL, taken_at bigint NOT NULL)
            """
        ),
        // The log is the commit (`LedgerRedoCodec`): a commit inserts one redo row beside its log
        // row; the ledger's tables are a projection of the redo rows (`PostgresProjector`),
        // written in sequence order off the commit path. `projected_sequence` is the last row
        // applied; applying a row deletes it in the same transaction.
        (
            "v7-ledger-redo",
            """
            CREATE TABLE ledger_redo (sequence bigint PRIMARY KEY, outcome bytea NOT NULL);
            INSERT INTO ledger_meta (key, value) VALUES ('projected_sequence', 0)
            """
        ),
        // Payments of settled cycles that left the hub's memory (`HubStateMachine+Archive`), by
        // index, id and UETR; written in the commit that archived them.
        (
            "v8-payment-archive",
            """
            CREATE TABLE hub_payment_archive (payment_index bigint PRIMARY KEY, id bytea NOT NULL, uetr bytea, body bytea NOT NULL);
            CREATE INDEX hub_payment_archive_by_id ON hub_payment_archive (id);
            CREATE INDEX hub_payment_archive_by_uetr ON hub_payment_archive (uetr) WHERE uetr IS NOT NULL
            """
        ),
        (
            "v9-audit-archive",
            "CREATE TABLE hub_audit_archive (position bigint PRIMARY KEY, body bytea NOT NULL)"
        ),
        (
            "v10-cycle-archive",
            "CREATE TABLE hub_cycle_archive (number bigint PRIMARY KEY, body bytea NOT NULL)"
        ),
    ]

    /// Applies the migrations not applied yet, in order, under an advisory lock; refuses a
    /// database migrated by a newer version.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            // 0x50434C52, "PCLR"
            try await connection.query("SELECT pg_advisory_xact_lock(1346587730)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS polyclear_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger)
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM polyclear_migrations", logger: logger)
                .decode(String.self)
            { applied.insert(name) }
            let known = Set(migrations.map(\.0))
            if let unknown = applied.subtracting(known).first {
                throw StoreError(
                    .schemaTooNew, "the database has migration \(unknown), which this version does not know")
            }
            for (name, sql) in migrations where !applied.contains(name) {
                for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) })
                where !statement.isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO polyclear_migrations (name) VALUES (\(name))", logger: logger)
            }
        }
    }
}
