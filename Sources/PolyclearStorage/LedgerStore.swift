public import PolyclearCore

/// Where a state machine's committed state lives: what the single writer needs.
public protocol StateMachineStore: Sendable {
    associatedtype Machine: BatchStateMachine

    /// Commits one sealed outcome in one durable transaction (fsync before returning).
    /// A throw means the outcome may not be stored: the writer stops rather than guess.
    func commit(_ outcome: Machine.Outcome) async throws

    /// Commits an outcome with the idempotency records of the requests it executed, in the
    /// same transaction. Stores without durable idempotency take none.
    func commit(_ outcome: Machine.Outcome, idempotency: [IdempotencyRecord]) async throws

    /// Rebuilds the state machine from committed state, checking its invariants.
    func restore() async throws -> Machine

    /// Upkeep that must stay off the commit path (SQLite: WAL checkpoints). The writer calls
    /// it about every 100 ms, concurrently with commits. Failures are not fatal.
    func performMaintenance() async throws

    /// Commands the writer applies before a batch (its submissions' commands, in order), made
    /// from what the store holds and the machine does not (the hub: archived payments the
    /// commands name). Logged like any. The submissions are passed as they are — flattening
    /// thousands of commands into one array for every batch was a copy on the hot path.
    func preparation<Submissions: Collection<[Machine.Command]> & Sendable>(
        for submissions: Submissions, on machine: Machine
    ) async throws -> [Machine.Command]
}

extension StateMachineStore {
    public func performMaintenance() async throws {}

    public func preparation<Submissions: Collection<[Machine.Command]> & Sendable>(
        for submissions: Submissions, on machine: Machine
    ) async throws -> [Machine.Command] { [] }

    public func commit(_ outcome: Machine.Outcome, idempotency: [IdempotencyRecord]) async throws {
        precondition(idempotency.isEmpty, "\(Self.self) keeps no idempotency records")
        try await commit(outcome)
    }
}

/// Where the ledger's committed state lives. SQLite (the default), PostgreSQL and the
/// in-memory test store implement it; one test suite runs against each.
///
/// Only the writer calls `commit`; anyone may read. Reads see committed state only.
public protocol LedgerStore: StateMachineStore where Machine == LedgerStateMachine {

    func account(id: UInt128) async throws -> Account?

    func transfer(id: UInt128) async throws -> StoredTransfer?

    /// Transfers debiting or crediting the account, oldest first, within the timestamp range.
    func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer]

    /// All transfers within the timestamp range, oldest first.
    func transfers(timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer]
}

/// What a store holds of a ledger that a restore from a snapshot checks the snapshot against:
/// every account (creation order), every pending transfer (by id), the last timestamp, and
/// the newest transfer.
public struct LedgerStoreSummary: Sendable, Equatable {
    public var accounts: [Account]
    public var pending: [LedgerSnapshot.PendingEntry]
    public var lastTimestamp: UInt64
    public var newestTransfer: LedgerSnapshot.TransferEntry?

    public init(
        accounts: [Account], pending: [LedgerSnapshot.PendingEntry], lastTimestamp: UInt64,
        newestTransfer: LedgerSnapshot.TransferEntry?
    ) {
        self.accounts = accounts
        self.pending = pending
        self.lastTimestamp = lastTimestamp
        self.newestTransfer = newestTransfer
    }

    /// Of a ledger in memory (the reference stores have no cheaper way).
    public init(of ledger: LedgerStateMachine) {
        let (accounts, pending) = ledger.makePendingAndAccountsSummary()
        self.init(accounts: accounts, pending: pending, lastTimestamp: ledger.lastTimestamp, newestTransfer: nil)
    }
}

/// Store failures a caller can act on. Raw values are stable codes: append only.
public enum StoreErrorCode: UInt16, Sendable {
    case notAPolyclearDatabase = 1
    case corruptDatabase = 2
    case schemaTooNew = 3
    case invariantViolated = 4
    case ioFailure = 5
    /// Another writer took the role since this one restored: its commits are refused.
    case fenced = 6
    /// Another process (or store in this process) writes this database: one database has one writer.
    case databaseInUse = 7
    /// A backup or restore would overwrite a file that exists (or the file it copies).
    case destinationExists = 8
    /// The file named does not exist.
    case notFound = 9
    /// A hub snapshot that cannot be used: damaged, of another format, or of another log.
    /// A restore passes over it (loudly) to an older one or the whole log.
    case snapshotRefused = 10

    /// The stable name used in messages and JSON: `not_a_polyclear_database`.
    public var name: String {
        switch self {
        case .notAPolyclearDatabase: "not_a_polyclear_database"
        case .corruptDatabase: "corrupt_database"
        case .schemaTooNew: "schema_too_new"
        case .invariantViolated: "invariant_violated"
        case .ioFailure: "io_failure"
        case .fenced: "fenced"
        case .databaseInUse: "database_in_use"
        case .destinationExists: "destination_exists"
        case .notFound: "not_found"
        case .snapshotRefused: "snapshot_refused"
        }
    }
}

public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let code: StoreErrorCode
    public let description: String

    public init(_ code: StoreErrorCode, _ description: String) {
        self.code = code
        self.description = description
    }
}
