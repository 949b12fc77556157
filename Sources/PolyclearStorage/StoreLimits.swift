/// Every bound and timeout of the durable stores and of the cluster, in one place (the
/// ledger's own bounds are `Limits` in Core, the HTTP API's `ServerLimits`). The defaults suit
/// one union on one PostgreSQL server; `polyclear serve` sets the lease and the pool.
public struct StoreLimits: Sendable, Equatable {
    /// A commit attempt not finished by then is abandoned (its connection closed, so the
    /// server rolls it back) and retried.
    public var commitDeadlineSeconds: Double
    /// The same for reading the whole store back at start or takeover.
    public var restoreDeadlineSeconds: Double
    /// How long a commit or restore is retried before the store gives up (`RetryBudget`).
    public var retryBudgetSeconds: Double
    /// Opening one connection to the database.
    public var connectDeadlineSeconds: Double
    /// The most connections reads (statements, checks) hold at once.
    public var readConnectionCountMax: Int
    /// How long a writer's lease lasts without renewal: the longest a dead writer blocks a
    /// takeover.
    public var leaseSeconds: Double
    /// How often a node renews its lease or, as a follower, reads new log entries.
    public var leasePollMilliseconds: Int
    /// Log entries a follower reads per query while catching up.
    public var catchUpBatchEntryCountMax: Int
    /// Commits a store's tables (its projection of the log) may trail the log by before a
    /// commit waits for them: bounds what a read that must see the latest commit waits for.
    public var projectionLagCommitsMax: Int
    /// The same for SQLite with its tables in a projection file of their own: the projection
    /// then holds no commit up, and a longer lag lets it write larger steps (a busy account's
    /// row and posting list once for more commits; `SQLiteLedgerStore`).
    public var sqliteProjectionLagCommitsMax: Int
    /// One projection step (PostgreSQL) not finished by then is abandoned and retried (as a
    /// commit's: a step hung on a dead primary holds the writer's commits behind it), with
    /// twice the time — a step that needs longer on a loaded server must get it — up to
    /// `projectionStepDeadlineMaxSeconds`; a step that runs out of that fails the store.
    public var projectionStepDeadlineSeconds: Double
    public var projectionStepDeadlineMaxSeconds: Double

    public init(
        commitDeadlineSeconds: Double = 10, restoreDeadlineSeconds: Double = 300, retryBudgetSeconds: Double = 30,
        connectDeadlineSeconds: Double = 5, readConnectionCountMax: Int = 4, leaseSeconds: Double = 3,
        leasePollMilliseconds: Int = 100, catchUpBatchEntryCountMax: Int = 1_000,
        projectionLagCommitsMax: Int = 8, sqliteProjectionLagCommitsMax: Int = 32,
        projectionStepDeadlineSeconds: Double = 10, projectionStepDeadlineMaxSeconds: Double = 320
    ) {
        self.commitDeadlineSeconds = commitDeadlineSeconds
        self.restoreDeadlineSeconds = restoreDeadlineSeconds
        self.retryBudgetSeconds = retryBudgetSeconds
        self.connectDeadlineSeconds = connectDeadlineSeconds
        self.readConnectionCountMax = readConnectionCountMax
        self.leaseSeconds = leaseSeconds
        self.leasePollMilliseconds = leasePollMilliseconds
        self.catchUpBatchEntryCountMax = catchUpBatchEntryCountMax
        self.projectionLagCommitsMax = projectionLagCommitsMax
        self.sqliteProjectionLagCommitsMax = sqliteProjectionLagCommitsMax
        self.projectionStepDeadlineSeconds = projectionStepDeadlineSeconds
        self.projectionStepDeadlineMaxSeconds = max(projectionStepDeadlineMaxSeconds, projectionStepDeadlineSeconds)
    }

    public static let `default` = StoreLimits()
}
