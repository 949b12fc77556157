package import Logging
import PolyclearCore
import PolyclearStorage
package import PostgresNIO
import Synchronization

/// One PostgreSQL database as a store uses it: the servers its URL names (the primary found
/// among them), the single writer's connection, a pool of read connections, the migrations
/// (once, before first use), deadlines, and the commit loop both stores share.
package final class PostgresDatabase: Sendable {
    /// Where it stores (for administration, drills and messages: say it `redacted`).
    let url: String
    let servers: PostgresServers
    /// postgres-nio's own logging, kept to what is critical (its debug lines carry queries).
    let logger = PostgresDatabase.quietLogger()
    /// Where a failed commit attempt is reported (a warning each: retries are worth seeing).
    let operations: Logger?
    /// The writer's own connection (commits and restore run one at a time, from the single
    /// writer); reconnected after a failure. Reads use the read pool's connections, so
    /// they never see a commit in progress.
    let writerConnection = Mutex<PostgresConnection?>(nil)
    let connectionCounter = Atomic<Int>(0)
    let readPool: PostgresReadPool
    /// Whether the migrations were applied (or found): done once, before the first use.
    let migrated = Atomic<Bool>(false)
    /// Gives up the commit attempt in progress (see `abandonCommitAttempt`).
    let abandonAttempt = Mutex<(@Sendable () -> Void)?>(nil)
    /// Deadlines (an attempt not finished by its deadline is abandoned, its connection
    /// closed, and retried: a connection killed at the wrong moment must not hang the
    /// writer), the retry budget and the read pool's size.
    let limits: StoreLimits

    init(url: String, limits: StoreLimits, operations: Logger?) throws(StoreError) {
        guard (1...100).contains(limits.readConnectionCountMax) else {
            throw StoreError(.ioFailure, "the read pool size must be 1...100")
        }
        guard let servers = PostgresURL.servers(url) else {
            throw StoreError(
                .ioFailure, "not a usable PostgreSQL URL (\(PostgresURL.hint)); a sslrootcert file must be readable")
        }
        self.url = url
        self.servers = servers
        self.operations = operations
        self.limits = limits
        let logger = self.logger
        readPool = PostgresReadPool(size: limits.readConnectionCountMax) { id in
            try await Self.connect(servers, id: id, deadlineSeconds: limits.connectDeadlineSeconds, logger: logger)
        }
    }

    package static func quietLogger() -> Logger {
        var logger = Logger(label: "polyclear.postgres")
        logger.logLevel = .critical
        return logger
    }

    func close() {
        dropWriterConnection()
        readPool.close()
    }

    // MARK: Connections

    /// Connecting has its own short deadline: a backend killed during the handshake can
    /// leave the attempt waiting for ever.
    ///
    /// The server checks every second that the client is still there, even in the middle of a
    /// statement or a lock wait (PostgreSQL 14 and later): an attempt abandoned at its
    /// deadline closes its connection, and without the check its backend would go on with the
    /// work — holding the locks its own retry waits for — until it next wrote to the socket.
    func connect() async throws -> PostgresConnection {
        try await Self.connect(
            servers, id: connectionCounter.add(1, ordering: .relaxed).newValue,
            deadlineSeconds: limits.connectDeadlineSeconds, logger: logger
        )
        .configured(
            """
            SELECT set_config('client_connection_check_interval', '1000', false)
            WHERE current_setting('server_version_num')::int >= 140000
            """, logger: logger)
    }

    /// The first of `servers` that answers — and, when the URL names several, accepts writes.
    package static func connect(
        _ servers: PostgresServers, id: Int, deadlineSeconds: Double, logger: Logger
    ) async throws -> PostgresConnection {
        var lastError: (any Error)?
        for candidate in servers.candidates {
            do {
                let connection = try await connect(candidate, id: id, deadlineSeconds: deadlineSeconds, logger: logger)
                guard servers.requiresPrimary else { return connection }
                var isStandby = true
                do {
                    for try await value in try await connection.query("SELECT pg_is_in_recovery()", logger: logger)
                        .decode(Bool.self)
                    { isStandby = value }
                } catch {
                    try? await connection.close()
                    throw error
                }
                if !isStandby { return connection }
                try? await connection.close()
                lastError = PostgresErrors.NoPrimary(tried: servers.candidates.count)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? PostgresErrors.NoPrimary(tried: 0)
    }

    package static func connect(
        _ configuration: PostgresConnection.Configuration, id: Int, deadlineSeconds: Double, logger: Logger
    ) async throws -> PostgresConnection {
        let connection = try await PostgresDeadline.withDeadline(
            seconds: deadlineSeconds, onTimeout: {}, lateResult: { late in Task { try? await late.close() } }
        ) {
            try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        }
        return connection
    }

    /// The first statement of a transaction that holds locks others wait for (a commit holds
    /// the fence row, a projection step the projected sequence): a writer paused inside it
    /// (SIGSTOP, a stalled VM) must not keep them for ever, so the server ends the session
    /// once it is idle in the transaction for 5 s; the paused one's commit then fails and its
    /// retry meets the fence. Only there, never session-wide: a client merely starved of CPU
    /// between two statements of a long read had its connection ended under it, and a query
    /// sent on a connection the server ended may never be answered (postgres-nio drops the
    /// write's error) — so every transaction that sets it runs under a deadline.
    package static func limitIdleInTransaction(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SET LOCAL idle_in_transaction_session_timeout = 5000", logger: logger)
    }

    /// Runs `body` on the writer's connection, connecting (and migrating) first if there is
    /// none; a failure that closed it drops it, so the next call reconnects.
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
                try await PostgresSchema.migrate(connection, logger: logger)
                migrated.store(true, ordering: .releasing)
            }
            return try await body(connection)
        } catch {
            if connection.isClosed || PostgresErrors.isRetryable(error) {
                writerConnection.withLock { if $0 === connection { $0 = nil } }
                try? await connection.close()
            }
            throw error
        }
    }

    /// A read on a connection of the read pool (never the writer's), abandoned after
    /// `deadlineSeconds` (default: the restore deadline, for reads of whole tables).
    func onReadConnection<T: Sendable>(
        deadlineSeconds: Double? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await readPool.withConnection(deadlineSeconds: deadlineSeconds ?? limits.restoreDeadlineSeconds, body)
    }

    /// Closes and forgets the writer's connection (the next attempt reconnects).
    func dropWriterConnection() {
        if let connection = writerConnection.withLock({ current in
            defer { current = nil }; return current
        }) {
            Task { try? await connection.close() }
        }
    }

    /// Gives up the commit attempt in progress now, as its deadline would.
    func abandonCommitAttempt() {
        abandonAttempt.withLock { $0 }?()
    }

    // MARK: The commit loop

    /// Commits: `attempt` runs in one transaction on the writer's connection, under the commit
    /// deadline; failures worth another attempt are retried within the retry budget. After an
    /// attempt whose outcome is unknown (a connection dropped during COMMIT, an attempt
    /// abandoned at its deadline that committed after all), `landed` says whether it
    /// committed: true ends the loop, false retries; it throws a `StoreError` to refuse (say,
    /// another writer's commit in its place), and any other error of its own counts as "not
    /// known yet". So a batch is never half-applied and never applied twice.
    func commit(
        _ name: String, landed: @escaping () async throws -> Bool,
        attempt: @escaping @Sendable (PostgresConnection) async throws -> Void
    ) async throws {
        func hasLanded() async throws -> Bool {
            do { return try await landed() } catch let refusal as StoreError { throw refusal } catch { return false }
        }
        var retries = RetryBudget(seconds: limits.retryBudgetSeconds)
        while true {
            if retries.attempts > 0, try await hasLanded() { return }
            do {
                defer { abandonAttempt.withLock { $0 = nil } }
                // Watched: a session the server ended (idle in its transaction past the limit
                // below, while this process was starved of CPU) never answers again.
                let watched = WatchedConnection()
                try await PostgresDeadline.withDeadline(
                    seconds: limits.commitDeadlineSeconds, onTimeout: { self.dropWriterConnection() },
                    abandon: { giveUp in self.abandonAttempt.withLock { $0 = giveUp } }, watching: watched
                ) {
                    try await self.onWriterConnection { connection in
                        watched.watch(connection)
                        try await connection.withTransaction(logger: self.logger) { connection in
                            try await Self.limitIdleInTransaction(connection, logger: self.logger)
                            try await attempt(connection)
                        }
                    }
                }
                return
            } catch {
                operations?.warning("\(name), attempt \(retries.attempts + 1): \(PostgresErrors.describe(error))")
                if let refusal = PostgresErrors.storeError(in: error) { throw refusal }
                // An abandoned attempt may still have been committing (its COMMIT waiting for the
                // disk or a synchronous standby) when the check above found nothing: the retry
                // then meets its own rows (unique violation). Check again before giving up.
                if retries.attempts > 0 || PostgresErrors.isUniqueViolation(error), try await hasLanded() { return }
                // After an abandoned attempt, a unique violation not (yet) seen to have landed is
                // retried too: CI met one (`aStuckCommitAttemptIsAbandonedOnRequestAndRetried`),
                // the abandoned attempt's rows still being finished off on its old connection.
                // Safe: the log row decides — the next check finds it if that attempt committed,
                // and a real duplicate fails again until the budget ends. On a first attempt a
                // unique violation is the caller's to see at once.
                let afterAbandonedAttempt = retries.attempts > 0 && PostgresErrors.isUniqueViolation(error)
                guard PostgresErrors.isRetryable(error) || afterAbandonedAttempt else {
                    throw StoreError(.ioFailure, "\(name) failed: \(PostgresErrors.describe(error))")
                }
                guard try await retries.pauseBeforeNextAttempt() else {
                    throw StoreError(
                        .ioFailure,
                        "\(name) failed after \(retries.attempts) attempts in \(Int(limits.retryBudgetSeconds)) s: \(PostgresErrors.describe(error))"
                    )
                }
            }
        }
    }

    /// Runs `body` on the writer's connection under the restore deadline, retrying failures
    /// worth another attempt within the retry budget.
    func restore<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var retries = RetryBudget(seconds: limits.retryBudgetSeconds)
        while true {
            do {
                let watched = WatchedConnection()
                return try await PostgresDeadline.withDeadline(
                    seconds: limits.restoreDeadlineSeconds, givesUpWhenCancelled: true,
                    onTimeout: { self.dropWriterConnection() }, watching: watched
                ) {
                    try await self.onWriterConnection { connection in
                        watched.watch(connection)
                        return try await body(connection)
                    }
                }
            } catch let violation as LedgerInvariantViolation {
                throw StoreError(.invariantViolated, "the ledger in PostgreSQL breaks an invariant: \(violation)")
            } catch {
                guard PostgresErrors.isRetryable(error), try await retries.pauseBeforeNextAttempt() else {
                    throw error as? StoreError
                        ?? StoreError(
                            .ioFailure,
                            "PostgreSQL at \(PostgresErrors.redacted(url)): \(PostgresErrors.describe(error))")
                }
            }
        }
    }
}

extension PostgresConnection {
    /// Applies a session setting and returns the connection; if the setting fails, closes it
    /// (postgres-nio requires a close before release) and throws.
    package func configured(_ setting: PostgresQuery, logger: Logger) async throws -> PostgresConnection {
        do {
            try await query(setting, logger: logger)
        } catch {
            try? await close()
            throw error
        }
        return self
    }
}
