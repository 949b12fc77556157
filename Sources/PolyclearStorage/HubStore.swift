public import PolyclearCore

/// Where the hub's committed state lives: its command log (the source of truth: replaying it
/// rebuilds the hub), the ledger's tables (for queries, checked against the replay on start)
/// and the audit events.
public protocol HubStore: StateMachineStore, IdempotencyStore where Machine == HubStateMachine {
    /// Every audit event committed, in order (status history, alarms, funds).
    func events(limit: Int) async throws -> [HubEvent]

    /// Committed transfers of one ledger account in a timestamp range (for statements).
    func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer]

    /// Whether the store keeps the payment archive (`HubStateMachine+Archive`): archiving may
    /// be started on a hub of this store.
    var keepsPaymentArchive: Bool { get }

    /// What the archive holds for these lookups: payments by id, the payments that carried
    /// each UETR, and payments at these positions (those it holds; any order).
    func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment]

    /// The archived audit records at these positions that the archive holds, in position order
    /// (`HubStateMachine+AuditArchive`).
    func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord]

    /// The archived closed cycles with these numbers that the archive holds, in number order
    /// (`HubStateMachine+CycleArchive`).
    func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle]
}

extension HubStore {
    public var keepsPaymentArchive: Bool { false }

    public func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment] { [] }

    public func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord] { [] }

    public func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle] { [] }

    /// Archived payments the commands name come back first (`restoreArchivedPayments`).
    public func preparation<Submissions: Collection<[HubCommand]> & Sendable>(
        for submissions: Submissions, on hub: HubStateMachine
    ) async throws -> [HubCommand] {
        let ids = Set(hub.archivedReferences(submissions.joined()))
        guard !ids.isEmpty else { return [] }
        var lookups = PaymentReadView.ArchiveLookups()
        lookups.ids = ids.sorted()
        let found = try await archivedPayments(lookups).filter { ids.contains($0.id) }
        return found.isEmpty ? [] : [.restoreArchivedPayments(found.sorted { $0.index < $1.index })]
    }
}

/// The archive as a store keeps it in memory (the in-memory store; tests).
struct PaymentArchiveTable: Sendable {
    private var byIndex: [UInt32: ArchivedPayment] = [:]
    private var indexByID: [UInt128: UInt32] = [:]
    private var indicesByUETR: [UInt128: [UInt32]] = [:]

    /// Archived audit records by position.
    private var audit: [Int: AuditRecord] = [:]

    /// Archived closed cycles by number.
    private var cycles: [UInt32: ArchivedCycle] = [:]

    var count: Int { byIndex.count }
    var auditCount: Int { audit.count }
    var cycleCount: Int { cycles.count }

    mutating func insert(cycles archived: some Sequence<ArchivedCycle>) {
        for cycle in archived { cycles[cycle.number] = cycle }
    }

    func cycles(_ numbers: ClosedRange<UInt32>) -> [ArchivedCycle] {
        cycles.values.filter { numbers.contains($0.number) }.sorted { $0.number < $1.number }
    }

    mutating func insert(audit records: some Sequence<ArchivedAuditRecord>) {
        for archived in records { audit[archived.position] = archived.record }
    }

    func audit(_ positions: Range<Int>) -> [ArchivedAuditRecord] {
        positions.compactMap { position in audit[position].map { ArchivedAuditRecord(position: position, record: $0) } }
    }

    mutating func insert(_ payments: some Sequence<ArchivedPayment>) {
        for payment in payments {
            if byIndex.updateValue(payment, forKey: payment.index) == nil, payment.uetr != 0 {
                indicesByUETR[payment.uetr, default: []].append(payment.index)
            }
            indexByID[payment.id] = payment.index
        }
    }

    func lookup(_ lookups: PaymentReadView.ArchiveLookups) -> [ArchivedPayment] {
        var found: [UInt32: ArchivedPayment] = [:]
        for id in lookups.ids { if let index = indexByID[id] { found[index] = byIndex[index] } }
        for uetr in lookups.uetrs {
            for index in indicesByUETR[uetr] ?? [] { found[index] = byIndex[index] }
        }
        for position in lookups.positions { if let payment = byIndex[position] { found[position] = payment } }
        return found.keys.sorted().map { found[$0]! }
    }
}

/// The hub store for tests and in-process simulation: the same contract, minus durability.
public actor InMemoryHubStore: HubStore {
    private let configuration: HubConfiguration
    private var log: [HubLogEntry] = []
    private var committedEvents: [HubEvent] = []
    private let ledger = InMemoryLedgerStore()
    private var archive = PaymentArchiveTable()

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
        archive.insert(outcome.archived)
        archive.insert(audit: outcome.archivedAudit)
        archive.insert(cycles: outcome.archivedCycles)
    }

    public nonisolated var keepsPaymentArchive: Bool { configuration.paymentArchiveAvailable }

    public func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment] {
        archive.lookup(lookups)
    }

    public func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord] {
        archive.audit(positions)
    }

    public func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle] {
        archive.cycles(numbers)
    }

    /// Closed cycles in the archive (tests).
    public var archivedCycleCount: Int { archive.cycleCount }

    /// Payments in the archive (tests).
    public var archivedPaymentCount: Int { archive.count }

    /// Audit records in the archive (tests).
    public var archivedAuditRecordCount: Int { archive.auditCount }

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
