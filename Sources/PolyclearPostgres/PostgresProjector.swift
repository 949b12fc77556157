import Logging
import PolyclearCore
import PolyclearStorage
import PostgresNIO
import Synchronization

/// Writes the ledger's tables from the redo log off the commit path, on a connection of its
/// own, and lets readers wait until the tables hold what they must see — `SQLiteProjector`'s
/// job on PostgreSQL.
///
/// It learns where the log stands when its store restores (or, for a store that commits
/// without restoring, before the first commit), is told of each commit (`didCommit`), and runs
/// a task that projects until it has caught up. Each step is one transaction
/// (`PostgresLedgerTables.projectRedo`) with `synchronous_commit = off`: a step lost in a crash
/// loses its table rows and its deletions of redo rows together, and the write-ahead log (or a
/// standby's copy of it) never holds a later commit without it. A step that runs out of time
/// is retried with more (`GrowingDeadline`: on a loaded server a large step may need it);
/// other retryable failures are retried within the retry budget; past either, or on damage,
/// the store fails: every waiter and every later commit.
final class PostgresProjector: Sendable {
    private struct State {
        /// Nil until `load`: what the database holds is not known yet.
        var progress: ProjectionProgress?
        /// The outcomes committed and not yet projected, in sequence order.
        var committed: [CommittedRedo] = []
        var isRunning = false
        var isStopped = false
        /// Tests hold the projection back to see a store whose tables trail its log.
        var isHeld = false
        var connection: PostgresConnection?
        /// Grows while steps run out of time (`GrowingDeadline`); kept from one run to the next.
        var stepDeadline: GrowingDeadline
        /// Steps abandoned at their deadline and retried with more time (for tests and logs).
        var stepsPastDeadline = 0
    }

    private let state: Mutex<State>
    private let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
        let limits = database.limits
        state = Mutex(
            State(
                stepDeadline: GrowingDeadline(
                    baseSeconds: limits.projectionStepDeadlineSeconds,
                    maxSeconds: limits.projectionStepDeadlineMaxSeconds)))
    }

    /// Steps that ran out of time and were retried with more.
    var stepsPastDeadline: Int { state.withLock { $0.stepsPastDeadline } }

    /// Takes the log's state from the database (at restore: the writer role is taken, so no
    /// other writer adds redo rows) and projects what a predecessor left.
    func load(_ connection: PostgresConnection) async throws {
        let (projected, written) = try await PostgresLedgerTables.redoSequences(connection, logger: database.logger)
        let lag = database.limits.projectionLagCommitsMax
        state.withLock { state in
            state.progress = ProjectionProgress(projected: projected, written: written, lagCommitsMax: lag)
            state.committed = []
        }
        startIfBehind()
    }

    /// Whether this store knows the log's state: it restored (or committed), so it is the
    /// writer — its reads can wait for its own commits' projection.
    var isLoaded: Bool { state.withLock { $0.progress != nil } }

    /// Before a commit transaction: reads the log's state if no restore did, waits while the
    /// projection lags too far, encodes the outcome and numbers it.
    func prepare(_ outcome: LedgerOutcome) async throws -> (sequence: Int64, bytes: [UInt8]) {
        if state.withLock({ $0.progress == nil }) {
            try await database.onWriterConnection { connection in try await self.load(connection) }
        }
        try await waitForRoom()
        let bytes = try LedgerRedoCodec.encodeForCommit(outcome)
        return (try nextSequence(), bytes)
    }

    /// The sequence of the next redo row (only the single writer commits; `load` first).
    func nextSequence() throws -> Int64 {
        try state.withLock { state in
            guard let progress = state.progress else {
                throw StoreError(.ioFailure, "the ledger's redo log was not read before a commit")
            }
            return try progress.nextSequence()
        }
    }

    func didCommit(_ sequence: Int64, _ outcome: LedgerOutcome) {
        state.withLock { state in
            state.progress?.didCommit(sequence)
            state.committed.append(CommittedRedo(sequence: sequence, outcome: outcome))
        }
        startIfBehind()
    }

    /// Returns once the tables hold every commit this store made before the call.
    func waitForCommitted() async throws { try await waitUntilProjected(through: \.committedGoal) }

    /// Returns once a commit may be added without the lag passing its bound.
    func waitForRoom() async throws { try await waitUntilProjected(through: \.roomGoal) }

    private func waitUntilProjected(through goal: KeyPath<ProjectionProgress, Int64>) async throws {
        try await withCheckedThrowingContinuation { (continuation: ProjectionProgress.Waiter) in
            let answer: Result<Void, StoreError>? = state.withLock { state in
                guard state.progress != nil else { return .success(()) }  // nothing committed here
                return state.progress!.wait(until: state.progress![keyPath: goal], continuation)
            }
            if let answer { continuation.resume(with: answer) }
        }
    }

    func hold(_ held: Bool) {
        state.withLock { $0.isHeld = held }
        if !held { startIfBehind() }
    }

    /// Stops projecting (what is left stays in the redo log for the next writer) and fails
    /// whoever still waits. A step in flight finishes or is rolled back; either is whole.
    func stop() {
        let (orphans, connection) = state.withLock { state in
            state.isStopped = true
            defer { state.connection = nil }
            return (state.progress?.stop() ?? [], state.connection)
        }
        for waiter in orphans { waiter.resume(throwing: ProjectionProgress.closed) }
        if let connection { Task { try? await connection.close() } }
    }

    /// Gives up the step in progress (its connection is closed, so it fails at once and is
    /// retried on a new one): for a caller that learned the server is gone — a step hung on a
    /// connection to a crashed primary would otherwise hold the writer's commits until its
    /// deadline.
    func abandonStep() { dropConnection() }

    private func startIfBehind() {
        let start = state.withLock { state in
            guard !state.isRunning, !state.isHeld, !state.isStopped, state.progress?.isBehind == true else {
                return false
            }
            state.isRunning = true
            return true
        }
        if start { Task { await self.run() } }
    }

    private func run() async {
        let limits = database.limits
        var retries = RetryBudget(seconds: limits.retryBudgetSeconds)
        var deadline = state.withLock { $0.stepDeadline }
        defer { state.withLock { $0.stepDeadline = deadline } }
        while true {
            let work: (pending: ArraySlice<CommittedRedo>, before: Int64)? = state.withLock { state in
                guard let progress = state.progress, progress.isBehind, !state.isHeld, !state.isStopped else {
                    state.isRunning = false
                    return nil
                }
                return (state.committed[...], progress.projected)
            }
            guard let work else { return }
            do {
                let now = try await step(work.pending, deadlineSeconds: deadline.seconds)
                guard now > work.before else {
                    throw StoreError(.corruptDatabase, "the ledger's redo log ends after sequence \(now)")
                }
                let ready = state.withLock { state in
                    state.committed.removeAll { $0.sequence <= now }
                    return state.progress?.advance(to: now) ?? []
                }
                for waiter in ready { waiter.resume() }
                retries = RetryBudget(seconds: limits.retryBudgetSeconds)
                deadline.finished()
            } catch {
                dropConnection()
                if Self.isSlowStep(error), deadline.ranOut() {
                    // Slow, not failed: the same step again with more time (the time spent is
                    // not a failed attempt of the retry budget's, which is for lost connections).
                    if error is DeadlineExceeded { state.withLock { $0.stepsPastDeadline += 1 } }
                    database.operations?.warning(
                        "the ledger's projection: a step after sequence \(work.before) \(error is DeadlineExceeded ? "ran out of time" : "lost its session (the server ended it)"); retried with \(deadline.seconds) s"
                    )
                    retries = RetryBudget(seconds: limits.retryBudgetSeconds)
                    continue
                }
                let refusal = PostgresErrors.storeError(in: error)
                if refusal == nil, PostgresErrors.isRetryable(error),
                    (try? await retries.pauseBeforeNextAttempt()) == true
                {
                    continue
                }
                let failure =
                    refusal
                    ?? StoreError(.ioFailure, "the ledger's projection failed: \(PostgresErrors.describe(error))")
                database.operations?.error("\(failure.description)")
                let failed = state.withLock { state in
                    state.isRunning = false
                    return state.progress?.fail(failure) ?? []
                }
                for waiter in failed { waiter.resume(throwing: failure) }
                return
            }
        }
    }

    /// A step that failed because this process was slow: it ran out of time, or the server
    /// ended its session (`ConnectionClosed`) — the server ends a session idle in its
    /// transaction for 5 s, which is what a step's session is while this process is starved of
    /// CPU between two of its statements, and a starved process's retries meet the same. Such
    /// a step is retried at once with a longer deadline, until the deadline is at its longest,
    /// before the retry budget counts (CI saw a starved test process fail its projection for
    /// good: every attempt of 30 s of retries ended by the server). A server that is gone
    /// fails the next connection attempt, which the budget does count.
    static func isSlowStep(_ error: any Error) -> Bool { error is DeadlineExceeded || error is ConnectionClosed }

    private func step(_ pending: ArraySlice<CommittedRedo>, deadlineSeconds: Double) async throws -> Int64 {
        let connection = try await projectionConnection()
        let logger = database.logger
        // Watching the connection: a session the server ended (idle too long inside the step's
        // transaction while this process was starved of CPU) fails the step at once, as a lost
        // connection, instead of at a deadline that grows with each step that ran out of time.
        return try await PostgresDeadline.withDeadline(
            seconds: deadlineSeconds, onTimeout: { self.dropConnection() }, watching: connection
        ) {
            try await PostgresLedgerTables.projectRedo(committed: pending, connection, logger: logger)
        }
    }

    private func projectionConnection() async throws -> PostgresConnection {
        if let existing = state.withLock({ $0.connection }), !existing.isClosed { return existing }
        let connection = try await database.connect().configured(
            "SET synchronous_commit = off", logger: database.logger)
        let keep = state.withLock { state in
            guard !state.isStopped else { return false }
            state.connection = connection
            return true
        }
        guard keep else {
            try? await connection.close()
            throw StoreError(.ioFailure, "the store is closed")
        }
        return connection
    }

    private func dropConnection() {
        if let connection = state.withLock({ state in
            defer { state.connection = nil }; return state.connection
        }) {
            Task { try? await connection.close() }
        }
    }
}
