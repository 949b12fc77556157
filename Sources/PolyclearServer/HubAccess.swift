public import PolyclearCore
public import PolyclearStorage

/// What the API needs of the hub (the API's view, kept here so that storage knows nothing of
/// routes or nodes): reads of committed state, writes through the single writer,
/// and stored transfers. `Writer` is one (this process is the only writer); a cluster node of
/// several API processes on one database is another (it writes while it holds the writer
/// lease, and otherwise reads a replica of the log and sends writes to the node that holds it).
public protocol HubAccess: Sendable {
    /// Runs `body` on committed state (never a half-applied batch).
    func read<T: Sendable>(_ body: @escaping @Sendable (HubStateMachine) -> T) async throws(WriterError) -> T
    /// Runs `body`, which reads only the hub's reference data (banks, members, currencies),
    /// on committed state or on one that agrees with it on that data (`Writer.readReference`).
    func readReference<T: Sendable>(
        _ body: @escaping @Sendable (HubStateMachine) -> T
    ) async throws(WriterError) -> T
    /// Applies commands, waits until they are durably committed, and answers with `body` run
    /// on the state they were committed in. An answer built by a later `read` could fail after
    /// the commit (this node may lose the writer role in between) and report a committed
    /// write as failed: what the answer shows must come from here.
    ///
    /// - Parameter mark: an `Idempotency-Key` to record with the commit, with the results.
    func submit<T: Sendable>(
        _ commands: [HubCommand], idempotency mark: IdempotencyMark<HubResult>?,
        answering body: @escaping @Sendable ([HubResult], HubStateMachine) -> T
    ) async throws(WriterError) -> T
    /// The durable record of a caller's `Idempotency-Key`, if the store keeps one.
    func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord?
    /// Stores the answer of a recorded key durably; drops records older than the cut-off.
    func storeIdempotencyAnswer(
        caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64) async throws
    /// Committed transfers of one ledger account in a timestamp range (for statements).
    func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer]
    /// What the store's payment archive holds for these lookups (`PaymentReadView`).
    func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment]
    /// The audit records the store's archive holds at these positions, in order.
    func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord]
    /// The closed cycles the store's archive holds with these numbers, in order.
    func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle]
    /// Where a write request should go now.
    var writeRoute: WriteRoute { get }
    /// This node's part (`GET /v1/node`).
    var nodeStatus: HubNodeStatus { get }
}

extension HubAccess {
    /// Applies commands and waits until they are durably committed.
    public func submit(_ commands: [HubCommand]) async throws(WriterError) -> [HubResult] {
        try await submit(commands, idempotency: nil) { results, _ in results }
    }

    public func submit<T: Sendable>(
        _ commands: [HubCommand], answering body: @escaping @Sendable ([HubResult], HubStateMachine) -> T
    ) async throws(WriterError) -> T {
        try await submit(commands, idempotency: nil, answering: body)
    }
}

/// A node's role and progress, for operators and failover drills (the API says it in its own
/// form: `NodeStatusDTO`).
public struct HubNodeStatus: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        /// The only writer, no cluster.
        case single
        case writer
        /// Reads a replica of the log and forwards writes to the writer.
        case follower
        case starting
    }

    public let role: Role
    public let nodeID: String?
    /// host:port of the node holding the writer role, if known.
    public let writer: String?
    /// The last hub log sequence this node's state includes (followers; nil for a writer).
    public let appliedSequence: Int64?

    public init(role: Role, nodeID: String?, writer: String?, appliedSequence: Int64?) {
        self.role = role
        self.nodeID = nodeID
        self.writer = writer
        self.appliedSequence = appliedSequence
    }
}

/// Where a write request goes: this process, another node (HTTP), or nowhere for now (no
/// node holds the writer role: during a failover).
public enum WriteRoute: Sendable, Equatable {
    case local
    case forward(host: String, port: Int)
    case unavailable
}

extension Writer: HubAccess where Store: HubStore {
    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        try await store.transfers(accountID: accountID, timestamps: timestamps, limit: limit)
    }

    public var writeRoute: WriteRoute { .local }

    public func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment] {
        try await store.archivedPayments(lookups)
    }

    public func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord] {
        try await store.archivedAuditRecords(positions)
    }

    public func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle] {
        try await store.archivedCycles(numbers)
    }

    public func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord? {
        try await store.idempotencyRecord(caller: caller, key: key)
    }

    public func storeIdempotencyAnswer(
        caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64
    ) async throws {
        try await store.storeIdempotencyAnswer(caller: caller, key: key, answer: answer, expiringBefore: expiringBefore)
    }

    public var nodeStatus: HubNodeStatus {
        HubNodeStatus(role: .single, nodeID: nil, writer: nil, appliedSequence: nil)
    }

}
