public import PolyclearCore
public import PolyclearStorage
import Foundation
public import Logging
import PostgresNIO
import Synchronization

/// The hub's replicated store: the same contract as `SQLiteHubStore` — the ledger's tables,
/// the hub's command log and its audit events, one transaction per commit — on PostgreSQL.
///
/// - Schema: append-only migrations, applied on start under an advisory lock (several nodes
///   may start at once). 128-bit values are 16-byte big-endian `bytea`.
/// - Commit: one transaction; rows go in as arrays (`UNNEST`), one statement per table. The
///   log row's sequence number is the commit's identity: after an error whose outcome is
///   unknown (a dropped connection during COMMIT), the store reads that row back — the same
///   bytes mean it committed, no row means it did not and it is retried, other bytes mean
///   another writer — so a batch is never half-applied and never applied twice.
/// - Restore: the log is replayed into a new hub and must give exactly the stored ledger.
public final class PostgresHubStore: HubStore {
    public let configuration: HubConfiguration
    /// Where it stores (for administration and drills).
    public let url: String
    let servers: PostgresServers
    let logger: Logger
    /// The writer's own connection (commits and restore run one at a time, from the single
    /// writer); reconnected after a failure. Reads use the read pool's connections, so
    /// they never see a commit in progress.
    let writerConnection = Mutex<PostgresConnection?>(nil)
    let connectionCounter = Atomic<Int>(0)
    let readPool: PostgresReadPool
    /// Whether this store applied (or found) the migrations: done once, before its first use.
    let migrated = Atomic<Bool>(false)
    /// The fencing epoch this store took when it restored (0: it has not restored, and does
    /// not fence — the ledger-only store and tools).
    let fenceEpoch = Atomic<Int64>(0)
    /// The next hub_log sequence (known after `restore`).
    let nextSequence = Mutex<Int64>(1)
    /// In a cluster: the node whose lease entitles this store to write (`restore` takes the
    /// fencing epoch only while that lease is held). Nil: it takes the role unconditionally.
    let leaseHolder: String?
    /// Where a failed commit attempt is reported (a warning each: retries are worth seeing).
    let operations: Logger?
    /// A replica of the log up to a sequence, which `restore` continues from instead of
    /// replaying the log from the start (a follower taking over).
    let continuation = Mutex<(hub: HubStateMachine, lastSequence: Int64)?>(nil)
    /// Gives up the commit attempt in progress (see `abandonCommitAttempt`).
    let abandonAttempt = Mutex<(@Sendable () -> Void)?>(nil)
    struct DeadlineExceeded: Error {}

    /// Runs `body`, or throws `DeadlineExceeded` (after `onTimeout`) if it takes longer — or if
    /// the closure handed to `abandon` is called first; a body that ignores cancellation is
    /// left behind rather than waited for. `lateResult` gets a value the body produced after
    /// the deadline (to close a connection).
    static func withDeadline<T: Sendable>(seconds: Double, onTimeout: @escaping @Sendable () -> Void,
                                          lateResult: @escaping @Sendable (T) -> Void = { _ in },
                                          abandon: (@Sendable (@escaping @Sendable () -> Void) -> Void)? = nil,
                                          _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let once = OnceFlag()
        return try await withCheckedThrowingContinuation { continuation in
            let work = Task {
                do {
                    let value = try await body()
                    if once.claim() { continuation.resume(returning: value) } else { lateResult(value) }
                } catch {
                    if once.claim() { continuation.resume(throwing: error) }
                }
            }
            let giveUp: @Sendable () -> Void = {
                if once.claim() {
                    work.cancel()
                    onTimeout()
                    continuation.resume(throwing: DeadlineExceeded())
                }
            }
            abandon?(giveUp)
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                giveUp()
            }
        }
    }

    /// Gives up the commit attempt in progress now, as its deadline would (its connection is
    /// closed; the commit reads back and retries). For a caller that learned the server is
    /// gone — a hung connection to a crashed primary need not be waited out.
    public func abandonCommitAttempt() {
        abandonAttempt.withLock { $0 }?()
    }

    /// Closes and forgets the writer's connection (the next attempt reconnects).
    func dropWriterConnection() {
        if let connection = writerConnection.withLock({ current in defer { current = nil }; return current }) {
            Task { try? await connection.close() }
        }
    }

    /// An attempt that has not finished by then is abandoned (its connection closed) and
    /// retried: a connection killed at the wrong moment must not hang the writer.
    let commitDeadlineSeconds: Double
    let restoreDeadlineSeconds: Double
    /// How long a commit or restore is retried after failures worth another attempt.
    let retryBudgetSeconds: Double

    /// - Parameters:
    ///   - url: see `PostgresURL` (several hosts, TLS by `sslmode`).
    ///   - readPoolSize: the most connections reads (statements, checks) hold at once.
    ///   - retryBudgetSeconds: how long a commit or restore is retried (`RetryBudget`).
    public init(url: String, configuration: HubConfiguration, commitDeadlineSeconds: Double = 10, restoreDeadlineSeconds: Double = 300,
                retryBudgetSeconds: Double = 30, leaseHolder: String? = nil, readPoolSize: Int = 4, operations: Logger? = nil) throws(StoreError) {
        guard (1...100).contains(readPoolSize) else { throw StoreError(.ioFailure, "the read pool size must be 1...100") }
        self.leaseHolder = leaseHolder
        self.operations = operations
        self.commitDeadlineSeconds = commitDeadlineSeconds
        self.restoreDeadlineSeconds = restoreDeadlineSeconds
        self.retryBudgetSeconds = retryBudgetSeconds
        guard let servers = PostgresURL.servers(url) else {
            throw StoreError(.ioFailure, "not a usable PostgreSQL URL (\(PostgresURL.hint)); a sslrootcert file must be readable")
        }
        self.servers = servers
        self.configuration = configuration
        self.url = url
        self.logger = Self.quietLogger()
        let logger = self.logger
        readPool = PostgresReadPool(size: readPoolSize) { id in try await Self.connect(servers, id: id, logger: logger) }
    }

    /// postgres-nio's own logging, kept to what is critical (its debug lines carry queries).
    static func quietLogger() -> Logger {
        var logger = Logger(label: "polyclear.postgres")
        logger.logLevel = .critical
        return logger
    }

    deinit { close() }

    public func close() {
        dropWriterConnection()
        readPool.close()
    }

    /// Connecting has its own short deadline: a backend killed during the handshake can
    /// leave the attempt waiting for ever.
    func connect() async throws -> PostgresConnection {
        try await Self.connect(servers, id: connectionCounter.add(1, ordering: .relaxed).newValue, logger: logger)
    }

    struct NoPrimary: Error, CustomStringConvertible {
        let tried: Int
        var description: String { "none of the \(tried) servers accepts writes (all standbys, or unreachable)" }
    }

    /// The first of `servers` that answers — and, when the URL names several, accepts writes.
    static func connect(_ servers: PostgresServers, id: Int, logger: Logger) async throws -> PostgresConnection {
        var lastError: (any Error)?
        for candidate in servers.candidates {
            do {
                let connection = try await connect(candidate, id: id, logger: logger)
                guard servers.requiresPrimary else { return connection }
                var isStandby = true
                do {
                    for try await value in try await connection.query("SELECT pg_is_in_recovery()", logger: logger).decode(Bool.self) { isStandby = value }
                } catch {
                    try? await connection.close()
                    throw error
                }
                if !isStandby { return connection }
                try? await connection.close()
                lastError = NoPrimary(tried: servers.candidates.count)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? NoPrimary(tried: 0)
    }

    static func connect(_ configuration: PostgresConnection.Configuration, id: Int, logger: Logger) async throws -> PostgresConnection {
        let connection = try await withDeadline(seconds: 5, onTimeout: {}, lateResult: { late in Task { try? await late.close() } }) {
            try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        }
        // A writer paused inside its commit (SIGSTOP, a stalled VM) must not keep the fence row
        // locked for ever: the server ends a session idle in a transaction after 5 s, so the
        // next writer can take over; the paused one's commit then fails and its retry meets
        // the fence.
        return try await connection.configured("SET idle_in_transaction_session_timeout = 5000", logger: logger)
    }

    /// Continue from `hub`, a replica of the log through `lastSequence`, at the next restore.
    public func continueFrom(_ hub: HubStateMachine, lastSequence: Int64) {
        continuation.withLock { $0 = (hub, lastSequence) }
    }

    /// Runs `body` on the writer's connection, connecting first if there is none (or it
    /// closed); a failure that closed it drops it, so the next call reconnects.
    func onWriterConnection<T>(_ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        let existing = writerConnection.withLock { $0 }
        let connection: PostgresConnection
        if let existing, !existing.isClosed {
            connection = existing
        } else {
            connection = try await connect()
            writerConnection.withLock { $0 = connection }
        }
        do {
            if !migrated.load(ordering: .acquiring) {
                try await migrate(connection)
                migrated.store(true, ordering: .releasing)
            }
            return try await body(connection)
        } catch {
            if connection.isClosed || Self.isRetryable(error) {
                writerConnection.withLock { if $0 === connection { $0 = nil } }
                try? await connection.close()
            }
            throw error
        }
    }

    /// A read on a connection of the read pool (never the writer's).
    func onReadConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await readPool.withConnection(body)
    }

    // MARK: Schema

    static let migrations: [(String, String)] = [
        ("v1-ledger-and-hub", """
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
            """),
        // The writer's fencing token: each restore takes the next epoch; each commit locks the
        // row (shared) and checks it still holds the epoch it took.
        ("v2-writer-fence", """
            CREATE TABLE writer_fence (id integer PRIMARY KEY CHECK (id = 1), epoch bigint NOT NULL);
            INSERT INTO writer_fence (id, epoch) VALUES (1, 0);
            """),
        // The writer lease of a cluster of API nodes: who holds the role, where it answers,
        // and until when (by the database's clock, so the nodes' clocks do not matter).
        ("v3-writer-lease", """
            ALTER TABLE writer_fence ADD COLUMN holder text, ADD COLUMN endpoint text, ADD COLUMN lease_expires_at timestamptz
            """),
        // Every commit rewrites the balances of the accounts it touched: room on each page lets
        // PostgreSQL keep the new row version beside the old one without touching the indexes
        // (a "HOT" update).
        ("v4-accounts-fillfactor", """
            ALTER TABLE accounts SET (fillfactor = 50)
            """),
    ]

    /// Applies the migrations not applied yet, in order, under an advisory lock.
    public func migrate() async throws {
        try await onWriterConnection { connection in try await migrate(connection) }
    }

    func migrate(_ connection: PostgresConnection) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(1346587730)", logger: logger)  // 0x50434C52, "PCLR"
            try await connection.query("CREATE TABLE IF NOT EXISTS polyclear_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", logger: logger)
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM polyclear_migrations", logger: logger).decode(String.self) { applied.insert(name) }
            let known = Set(Self.migrations.map(\.0))
            if let unknown = applied.subtracting(known).first {
                throw StoreError(.schemaTooNew, "the database has migration \(unknown), which this version does not know")
            }
            for (name, sql) in Self.migrations where !applied.contains(name) {
                for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO polyclear_migrations (name) VALUES (\(name))", logger: logger)
            }
        }
    }

    // MARK: Commit

    public func commit(_ outcome: HubOutcome) async throws {
        let log = try HubLogCodec.encode(outcome.log)
        let events = outcome.events.isEmpty ? nil : try HubLogCodec.encode(outcome.events)
        let sequence = nextSequence.withLock { $0 }
        var retries = RetryBudget(seconds: retryBudgetSeconds)
        while true {
            if retries.attempts > 0 {
                // Did the previous attempt commit after all?
                if let stored = try? await storedLog(sequence: sequence) {
                    guard stored == log else { throw StoreError(.fenced, "hub_log \(sequence) holds another writer's commit: this one lost the role") }
                    nextSequence.withLock { $0 = sequence + 1 }
                    return
                }
            }
            do {
                defer { abandonAttempt.withLock { $0 = nil } }
                try await Self.withDeadline(seconds: commitDeadlineSeconds, onTimeout: { self.dropWriterConnection() },
                                            abandon: { giveUp in self.abandonAttempt.withLock { $0 = giveUp } }) {
                    try await self.onWriterConnection { connection in try await connection.withTransaction(logger: self.logger) { connection in
                        try await Self.write(outcome.ledger, connection, logger: self.logger)
                        try await connection.query("INSERT INTO hub_log (sequence, entries) VALUES (\(sequence), \(ByteBuffer(bytes: log)))", logger: self.logger)
                        if let events {
                            try await connection.query("INSERT INTO hub_events (sequence, events) VALUES (\(sequence), \(ByteBuffer(bytes: events)))", logger: self.logger)
                        }
                        // Last, so that the fence row is locked only while the transaction commits:
                        // the lease lives in the same row, and a renewal waiting behind a long
                        // commit (seconds, under load) would let the lease run out under a
                        // healthy writer.
                        try await self.checkFence(connection)
                    } }
                }
                nextSequence.withLock { $0 = sequence + 1 }
                return
            } catch {
                operations?.warning("commit \(sequence), attempt \(retries.attempts + 1): \(Self.describe(error))")
                if let refusal = Self.storeError(in: error) { throw refusal }
                // An abandoned attempt may still have been committing (its COMMIT waiting for the
                // disk or a synchronous standby) when the read-back above found nothing: the retry
                // then meets its own rows (unique violation). Read back again before giving up.
                if retries.attempts > 0 || Self.isUniqueViolation(error), let stored = try? await storedLog(sequence: sequence) {
                    guard stored == log else { throw StoreError(.fenced, "hub_log \(sequence) holds another writer's commit: this one lost the role") }
                    nextSequence.withLock { $0 = sequence + 1 }
                    return
                }
                guard Self.isRetryable(error) else { throw StoreError(.ioFailure, "commit \(sequence) failed: \(Self.describe(error))") }
                guard try await retries.pauseBeforeNextAttempt() else {
                    throw StoreError(.ioFailure, "commit \(sequence) failed after \(retries.attempts) attempts in \(Int(retryBudgetSeconds)) s: \(Self.describe(error))")
                }
            }
        }
    }

    /// Inside a commit's transaction, after its writes: lock the fence row (shared, until the
    /// commit ends) and require this store's epoch. A new writer's epoch bump then either came
    /// first (this commit is refused) or waits until this commit is durable, and its restore
    /// reads it.
    func checkFence(_ connection: PostgresConnection) async throws {
        let mine = fenceEpoch.load(ordering: .acquiring)
        guard mine != 0 else { return }
        var current: Int64 = -1
        for try await value in try await connection.query("SELECT epoch FROM writer_fence WHERE id = 1 FOR SHARE", logger: logger).decode(Int64.self) {
            current = value
        }
        guard current == mine else {
            throw StoreError(.fenced, "another writer took over (epoch \(current), this one \(mine)): this commit is refused")
        }
    }

    func storedLog(sequence: Int64) async throws -> Data? {
        try await onReadConnection { connection in
            let rows = try await connection.query("SELECT entries FROM hub_log WHERE sequence = \(sequence)", logger: logger)
            for try await buffer in rows.decode(ByteBuffer.self) { return Data(buffer.readableBytesView) }
            return nil
        }
    }

    /// Dropped connections (no answer, class 08, or the server's 57P0x "terminating
    /// connection"), serialisation failures (40001) and deadlocks (40P01) are worth another
    /// attempt; anything else (a constraint, a bug) is not.
    /// The store's own refusal inside a transaction (e.g. `fenced`), if that is what failed.
    static func storeError(in error: any Error) -> StoreError? {
        if let store = error as? StoreError { return store }
        if let transaction = error as? PostgresTransactionError { return transaction.closureError.flatMap(storeError(in:)) }
        return nil
    }

    /// A unique constraint refused a row (23505): for a retried commit, its own earlier attempt.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        var candidates: [any Error] = [error]
        if let transaction = error as? PostgresTransactionError {
            candidates += [transaction.beginError, transaction.closureError, transaction.commitError].compactMap { $0 }
        }
        return candidates.contains { ($0 as? PSQLError)?.serverInfo?[.sqlState] == "23505" }
    }

    static func isRetryable(_ error: any Error) -> Bool {
        // No server accepts writes: a standby is being promoted, or the primary restarts.
        if error is DeadlineExceeded || error is NoPrimary { return true }
        var candidates: [any Error] = [error]
        if let transaction = error as? PostgresTransactionError {
            candidates += [transaction.beginError, transaction.closureError, transaction.commitError].compactMap { $0 }
        }
        for candidate in candidates {
            guard let psql = candidate as? PSQLError else { continue }
            if let state = psql.serverInfo?[.sqlState] {
                return state == "40001" || state == "40P01" || state.hasPrefix("08") || state.hasPrefix("57P0")
            }
            return true  // no server answer: the connection failed
        }
        return false
    }

    /// The URL without its password, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(unparsable URL)" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "(unparsable URL)"
    }

    static func describe(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError {
            let inner = [transaction.beginError, transaction.closureError, transaction.commitError].compactMap { $0 }.first
            return inner.map(describe) ?? "transaction failed"
        }
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return "\(message) (\(psql.serverInfo?[.sqlState] ?? ""))" }
            // No answer from the server: say what failed (the connection), not postgres-nio's
            // generic text; the underlying socket error carries no query or credentials.
            return "no answer from the server (\(psql.code)\(psql.underlying.map { ": \($0)" } ?? ""))"
        }
        return String(describing: error).prefix(300).description
    }

    static func bytes(_ value: UInt128) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt64(truncatingIfNeeded: value >> 64))
        buffer.writeInteger(UInt64(truncatingIfNeeded: value))
        return buffer
    }

    static func value(_ buffer: ByteBuffer) throws(StoreError) -> UInt128 {
        var copy = buffer
        guard copy.readableBytes == 16, let high = copy.readInteger(as: UInt64.self), let low = copy.readInteger(as: UInt64.self) else {
            throw StoreError(.corruptDatabase, "a 128-bit value is not 16 bytes")
        }
        return UInt128(high) << 64 | UInt128(low)
    }

    static func write(_ outcome: LedgerOutcome, _ connection: PostgresConnection, logger: Logger) async throws {
        if !outcome.createdAccounts.isEmpty {
            let a = outcome.createdAccounts
            try await connection.query("""
                INSERT INTO accounts (timestamp, id, ledger, code, flags, user_reference, debits_pending, debits_posted, credits_pending, credits_posted)
                SELECT * FROM UNNEST(\(a.map { Int64(bitPattern: $0.timestamp) })::bigint[], \(a.map { bytes($0.id) })::bytea[],
                    \(a.map { Int64($0.ledger) })::bigint[], \(a.map { Int32($0.code) })::integer[], \(a.map { Int32($0.flags.rawValue) })::integer[],
                    \(a.map { bytes($0.userReference) })::bytea[], \(a.map { bytes($0.debitsPending) })::bytea[], \(a.map { bytes($0.debitsPosted) })::bytea[],
                    \(a.map { bytes($0.creditsPending) })::bytea[], \(a.map { bytes($0.creditsPosted) })::bytea[])
                """, logger: logger)
        }
        if !outcome.createdTransfers.isEmpty {
            // INSERT … UNNEST, one statement per batch. Not COPY: postgres-nio aborts the process
            // (a fatal error in its state machine) when a commit's deadline closes the connection
            // while a COPY is streaming, which a loaded machine reaches (CI did).
            let t = outcome.createdTransfers
            try await connection.query("""
                INSERT INTO transfers (\(unescaped: transferColumns))
                SELECT * FROM UNNEST(\(t.map { Int64(bitPattern: $0.transfer.timestamp) })::bigint[], \(t.map { bytes($0.transfer.id) })::bytea[],
                    \(t.map { bytes($0.transfer.debitAccountID) })::bytea[], \(t.map { bytes($0.transfer.creditAccountID) })::bytea[],
                    \(t.map { bytes($0.transfer.amount) })::bytea[], \(t.map { bytes($0.transfer.pendingID) })::bytea[],
                    \(t.map { bytes($0.transfer.userReference) })::bytea[], \(t.map { Int64($0.transfer.timeoutSeconds) })::bigint[],
                    \(t.map { Int64($0.transfer.ledger) })::bigint[], \(t.map { Int32($0.transfer.code) })::integer[],
                    \(t.map { Int32($0.transfer.flags.rawValue) })::integer[], \(t.map { Int16($0.status.rawValue) })::smallint[],
                    \(t.map { Int64(bitPattern: $0.fingerprint) })::bigint[])
                """, logger: logger)
        }
        if !outcome.statusChanges.isEmpty {
            // One statement for the batch: a pending transfer leaves `pending` once, so no id
            // appears twice (which would make UPDATE … FROM pick an arbitrary row).
            let c = outcome.statusChanges
            try await connection.query("""
                UPDATE transfers SET status = u.status
                FROM UNNEST(\(c.map { bytes($0.transferID) })::bytea[], \(c.map { Int16($0.status.rawValue) })::smallint[]) AS u(id, status)
                WHERE transfers.id = u.id
                """, logger: logger)
        }
        if !outcome.updatedAccounts.isEmpty {
            let a = outcome.updatedAccounts
            try await connection.query("""
                UPDATE accounts SET flags = u.flags, debits_pending = u.dp, debits_posted = u.dpo, credits_pending = u.cp, credits_posted = u.cpo
                FROM UNNEST(\(a.map { Int64(bitPattern: $0.timestamp) })::bigint[], \(a.map { Int32($0.flags.rawValue) })::integer[],
                    \(a.map { bytes($0.debitsPending) })::bytea[], \(a.map { bytes($0.debitsPosted) })::bytea[],
                    \(a.map { bytes($0.creditsPending) })::bytea[], \(a.map { bytes($0.creditsPosted) })::bytea[]) AS u(timestamp, flags, dp, dpo, cp, cpo)
                WHERE accounts.timestamp = u.timestamp
                """, logger: logger)
        }
        try await connection.query("UPDATE ledger_meta SET value = \(Int64(bitPattern: outcome.lastTimestamp)) WHERE key = 'last_timestamp'", logger: logger)
    }

    // MARK: Restore and reads

    public func restore() async throws -> HubStateMachine {
        var retries = RetryBudget(seconds: retryBudgetSeconds)
        while true {
            do {
                return try await Self.withDeadline(seconds: restoreDeadlineSeconds, onTimeout: { self.dropWriterConnection() }) {
                    try await self.restoreOnce()
                }
            } catch {
                guard Self.isRetryable(error), try await retries.pauseBeforeNextAttempt() else {
                    throw error as? StoreError ?? StoreError(.ioFailure, "PostgreSQL at \(Self.redacted(url)): \(Self.describe(error))")
                }
            }
        }
    }

    func restoreOnce() async throws -> HubStateMachine {
        try await onWriterConnection { connection in try await restore(connection) }
    }

    func restore(_ connection: PostgresConnection) async throws -> HubStateMachine {
        try await migrate(connection)
        // Take the writer role first, then read: a commit of the previous writer either landed
        // before this (and is read below) or is refused by the fence.
        var epoch: Int64 = 0
        let bump: PostgresQuery = if let leaseHolder {
            "UPDATE writer_fence SET epoch = epoch + 1 WHERE id = 1 AND holder = \(leaseHolder) AND lease_expires_at > clock_timestamp() RETURNING epoch"
        } else {
            "UPDATE writer_fence SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch"
        }
        for try await value in try await connection.query(bump, logger: logger).decode(Int64.self) { epoch = value }
        guard epoch != 0 else { throw StoreError(.fenced, "this node's writer lease expired before it took the role") }
        fenceEpoch.store(epoch, ordering: .releasing)
        // Moved out (`if var` binds the returned value itself): the replica must be the only
        // reference to its storage when it changes, or the change would copy all of it.
        if var continued = continuation.withLock({ stored in defer { stored = nil }; return stored }) {
            // A follower taking over: its replica already holds the log through
            // `continued.lastSequence` (checked against the ledger tables when it loaded).
            let lastSequence = try await Self.replayLog(into: &continued.hub, after: continued.lastSequence, on: connection, logger: logger)
            nextSequence.withLock { $0 = lastSequence + 1 }
            if lastSequence == 0 { return continued.hub }  // genesis is stored by the first commit
            continued.hub.outcomeCommitted()
            if let violation = continued.hub.checkInvariants() { throw StoreError(.invariantViolated, violation.description) }
            return continued.hub
        }
        var hub = HubStateMachine(configuration: configuration)
        let lastSequence = try await Self.replayLog(into: &hub, after: 0, on: connection, logger: logger)
        nextSequence.withLock { $0 = lastSequence + 1 }
        if lastSequence == 0 { return hub }  // genesis is stored by the first commit
        hub.outcomeCommitted()
        try await verify(hub, on: connection)
        return hub
    }

    /// Replays the log rows after `sequence` into `hub`, in order, as they arrive, and returns
    /// the last sequence replayed (`sequence` if none).
    static func replayLog(into hub: inout HubStateMachine, after sequence: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var lastSequence = sequence
        do {
            for try await (next, entries) in try await connection.query(
                "SELECT sequence, entries FROM hub_log WHERE sequence > \(sequence) ORDER BY sequence", logger: logger).decode((Int64, ByteBuffer).self) {
                guard next == lastSequence + 1 else { throw StoreError(.corruptDatabase, "hub_log has a gap before \(next)") }
                hub.replay(try HubLogCodec.decodeEntries(Data(entries.readableBytesView)))
                lastSequence = next
            }
        } catch is HubLogCodecError {
            throw StoreError(.corruptDatabase, "the hub log cannot be read")
        }
        return lastSequence
    }

    /// The log rows after `sequence` (at most `limit`), in order, with their audit events —
    /// what a follower replays into its replica.
    static func logRows(after sequence: Int64, limit: Int, on connection: PostgresConnection, logger: Logger)
        async throws -> [(sequence: Int64, entries: [HubLogEntry], events: [HubEvent])] {
        var rows: [(sequence: Int64, entries: [HubLogEntry], events: [HubEvent])] = []
        var lastSequence = sequence
        do {
            for try await (next, entries, events) in try await connection.query("""
                SELECT l.sequence, l.entries, e.events FROM hub_log l LEFT JOIN hub_events e ON e.sequence = l.sequence
                WHERE l.sequence > \(sequence) ORDER BY l.sequence LIMIT \(limit)
                """, logger: logger).decode((Int64, ByteBuffer, ByteBuffer?).self) {
                guard next == lastSequence + 1 else { throw StoreError(.corruptDatabase, "hub_log has a gap before \(next)") }
                rows.append((next, try HubLogCodec.decodeEntries(Data(entries.readableBytesView)),
                             try events.map { try HubLogCodec.decodeEvents(Data($0.readableBytesView)) } ?? []))
                lastSequence = next
            }
        } catch is HubLogCodecError {
            throw StoreError(.corruptDatabase, "the hub log cannot be read")
        }
        return rows
    }


    /// Verifies what is stored without taking the writer role (a running cluster is not
    /// disturbed): the ledger tables hold every invariant and, if there is a hub log,
    /// replaying it gives exactly those tables. Returns the ledger, the hub the log replays to
    /// and the log's length.
    public func check() async throws -> (ledger: LedgerStateMachine, hub: HubStateMachine, logRows: Int64) {
        do {
            return try await onReadConnection { connection in
                let ledger = try await restoreLedger(connection)
                var hub = HubStateMachine(configuration: configuration)
                let logRows = try await Self.replayLog(into: &hub, after: 0, on: connection, logger: logger)
                if logRows > 0 {
                    hub.outcomeCommitted()
                    guard ledger.makeSnapshot() == hub.ledgerState.makeSnapshot() else {
                        throw StoreError(.invariantViolated, "replaying the hub log does not give the stored ledger")
                    }
                    if let violation = hub.checkInvariants() { throw StoreError(.invariantViolated, violation.description) }
                }
                return (ledger, hub, logRows)
            }
        } catch let violation as LedgerInvariantViolation {
            throw StoreError(.invariantViolated, "the ledger in PostgreSQL breaks an invariant: \(violation)")
        } catch let error as StoreError {
            throw error
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {  // undefined table
            throw StoreError(.notAPolyclearDatabase, "\(Self.redacted(url)) has no Polyclear tables (\(Self.describe(error))): an empty or a foreign database")
        } catch {
            throw StoreError(.ioFailure, "PostgreSQL at \(Self.redacted(url)): \(Self.describe(error))")
        }
    }

    /// Checks that `hub`, replayed from the log, gives exactly the stored ledger and holds the

    /// invariants (what every cold start verifies).
    func verify(_ hub: HubStateMachine, on connection: PostgresConnection) async throws {
        let stored = try await restoreLedger(connection)
        guard stored.makeSnapshot() == hub.ledgerState.makeSnapshot() else {
            throw StoreError(.invariantViolated, "replaying the hub log does not give the stored ledger")
        }
        if let violation = hub.checkInvariants() { throw StoreError(.invariantViolated, violation.description) }
    }


    func restoreLedger(_ connection: PostgresConnection) async throws -> LedgerStateMachine {
        var lastTimestamp: Int64 = 0
        for try await value in try await connection.query("SELECT value FROM ledger_meta WHERE key = 'last_timestamp'", logger: logger).decode(Int64.self) { lastTimestamp = value }
        var restorer = LedgerRestorer(expectedAccountCount: 1_024, expectedTransferCount: 1 << 16, lastTimestamp: UInt64(bitPattern: lastTimestamp))
        for account in try await accounts(where: "TRUE", on: connection) { try restorer.restoreAccount(account) }
        for try await (id, fingerprint, status) in try await connection.query("SELECT id, fingerprint, status FROM transfers", logger: logger).decode((ByteBuffer, Int64, Int16).self) {
            guard let status = TransferStatus(rawValue: UInt8(status)) else { throw StoreError(.corruptDatabase, "a transfer has status \(status)") }
            try restorer.restoreTransfer(id: try Self.value(id), fingerprint: UInt64(bitPattern: fingerprint), status: status)
        }
        for stored in try await transfers(where: "status = 1", limit: Int.max, on: connection) { try restorer.restorePending(stored.transfer) }
        return try restorer.finish()
    }

    func accounts(where condition: String, binds: PostgresBindings = PostgresBindings(), on connection: PostgresConnection) async throws -> [Account] {
        let sql = """
            SELECT timestamp, id, ledger, code, flags, user_reference, debits_pending, debits_posted, credits_pending, credits_posted
            FROM accounts WHERE \(condition) ORDER BY timestamp
            """
        var found: [Account] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
            let (timestamp, id, ledger, code, flags, reference, dp, dpo, cp, cpo) =
                try row.decode((Int64, ByteBuffer, Int64, Int32, Int32, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer).self)
            var account = Account(id: try Self.value(id), ledger: UInt32(ledger), code: UInt16(code), flags: AccountFlags(rawValue: UInt16(flags)),
                                  userReference: try Self.value(reference))
            account.debitsPending = try Self.value(dp); account.debitsPosted = try Self.value(dpo)
            account.creditsPending = try Self.value(cp); account.creditsPosted = try Self.value(cpo)
            account.timestamp = UInt64(bitPattern: timestamp)
            found.append(account)
        }
        return found
    }

    static let transferColumns = "timestamp, id, debit_account_id, credit_account_id, amount, pending_id, user_reference, timeout_seconds, ledger, code, flags, status, fingerprint"

    func transfers(where condition: String, binds: PostgresBindings = PostgresBindings(), limit: Int, on connection: PostgresConnection) async throws -> [StoredTransfer] {
        let sql = "SELECT \(Self.transferColumns) FROM transfers WHERE \(condition) ORDER BY timestamp" + (limit == .max ? "" : " LIMIT \(limit)")
        var found: [StoredTransfer] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
            let (timestamp, id, debit, credit, amount, pending, reference, timeout, ledger, code, flags, status, fingerprint) =
                try row.decode((Int64, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, Int64, Int64, Int32, Int32, Int16, Int64).self)
            var transfer = Transfer(id: try Self.value(id), debitAccountID: try Self.value(debit), creditAccountID: try Self.value(credit),
                                    amount: try Self.value(amount), ledger: UInt32(ledger), code: UInt16(code), flags: TransferFlags(rawValue: UInt16(flags)),
                                    pendingID: try Self.value(pending), timeoutSeconds: UInt32(timeout), userReference: try Self.value(reference))
            transfer.timestamp = UInt64(bitPattern: timestamp)
            guard let state = TransferStatus(rawValue: UInt8(status)) else { throw StoreError(.corruptDatabase, "a transfer has status \(status)") }
            found.append(StoredTransfer(transfer: transfer, status: state, fingerprint: UInt64(bitPattern: fingerprint)))
        }
        return found
    }

    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        var binds = PostgresBindings()
        binds.append(Self.bytes(accountID))
        binds.append(Int64(bitPattern: timestamps.lowerBound))
        binds.append(Int64(bitPattern: min(timestamps.upperBound, UInt64(Int64.max))))
        return try await onReadConnection { connection in
            try await transfers(where: "(debit_account_id = $1 OR credit_account_id = $1) AND timestamp >= $2 AND timestamp < $3", binds: binds, limit: limit, on: connection)
        }
    }

    public func events(limit: Int) async throws -> [HubEvent] {
        try await onReadConnection { connection in
            var found: [HubEvent] = []
            for try await buffer in try await connection.query("SELECT events FROM hub_events ORDER BY sequence", logger: logger).decode(ByteBuffer.self) {
                found.append(contentsOf: try HubLogCodec.decodeEvents(Data(buffer.readableBytesView)).prefix(limit - found.count))
                if found.count >= limit { break }
            }
            return found
        }
    }
}

/// True for the first caller of `claim()` only.
final class OnceFlag: Sendable {
    private let done = Mutex(false)
    func claim() -> Bool { done.withLock { done in defer { done = true }; return !done } }
}

extension PostgresConnection {
    /// Applies a session setting and returns the connection; if the setting fails, closes it
    /// (postgres-nio requires a close before release) and throws.
    func configured(_ setting: PostgresQuery, logger: Logger) async throws -> PostgresConnection {
        do {
            try await query(setting, logger: logger)
        } catch {
            try? await close()
            throw error
        }
        return self
    }
}
