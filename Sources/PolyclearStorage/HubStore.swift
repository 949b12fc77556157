public import PolyclearCore

/// Where the hub's committed state lives: its command log (the source of truth: replaying it
/// rebuilds the hub), the ledger's tables (for queries, checked against the replay on start)
/// and the audit events.
public protocol HubStore: StateMachineStore, IdempotencyStore where Machine == HubStateMachine {
    /// Every audit event committed, in order (status history, alarms, funds).
    func events(limit: Int) async throws -> [HubEvent]

    /// Committed transfers of one ledger account in a timestamp range (for statements).
    func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer]
}

/// The hub store for tests and in-process simulation: the same contract, minus durability.
public actor InMemoryHubStore: HubStore {
    private let configuration: HubConfiguration
    private var log: [HubLogEntry] = []
    private var committedEvents: [HubEvent] = []
    private let ledger = InMemoryLedgerStore()

    public init(configuration: HubConfiguration) { self.configuration = configuration }

    private var idempotency: [String: IdempotencyRecord] = [:]

    public func commit(_ outcome: HubOutcome, idempotency records: [IdempotencyRecord]) async throws {
        try await commit(outcome)
        for record in records { idempotency[record.caller + "\u{0}" + record.key] = record }
    }

    public func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord? {
        idempotency[caller + "\u{0}" + key]
    }

    public func storeIdempotencyAnswer(
        caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64
    ) async throws {
        idempotency[caller + "\u{0}" + key]?.answer = answer
        idempotency = idempotency.filter { $0.value.createdAt >= expiringBefore }
    }

    public func commit(_ outcome: HubOutcome) async throws {
        try await ledger.commit(outcome.ledger)
        let erased = HubLogRedaction.erased(in: outcome.events)
        if !erased.isEmpty, let rewritten = HubLogRedaction.rewrite(log, erased: erased) { log = rewritten }
        log.append(contentsOf: outcome.log)
        committedEvents.append(contentsOf: outcome.events)
    }

    public func restore() async throws -> HubStateMachine {
        var hub = HubStateMachine(configuration: configuration)
        // A new hub's genesis is not stored yet: the first commit stores it.
        if log.isEmpty { return hub }
        hub.replay(log)
        hub.outcomeCommitted()
        try hub.verifyReplay(against: try await ledger.restore(), in: "the in-memory store")
        return hub
    }

    public func events(limit: Int) async throws -> [HubEvent] { Array(committedEvents.prefix(limit)) }

    /// The stored log (tests look for what a retention run must have erased).
    public var storedLog: [HubLogEntry] { log }

    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        try await ledger.transfers(accountID: accountID, timestamps: timestamps, limit: limit)
    }
}
