/// The hub as the single writer's state machine: batches of commands, a durable log of what
/// was applied (with the time each saw), and time passing on its own for expiries.
extension HubStateMachine: BatchStateMachine {
    public typealias Command = HubCommand
    public typealias CommandResult = HubResult

    public mutating func apply(
        _ commands: [HubCommand], now: UInt64, results: inout ContiguousArray<HubResult>
    ) throws(BatchRejection) {
        guard commands.count <= Limits.batchEventCountMax else { throw .batchTooLarge }
        results.removeAll(keepingCapacity: true)
        var warmed: UInt64 = 0
        for index in 0..<min(CacheWarming.distance, commands.count) { warmed ^= warmSlots(of: commands[index]) }
        for index in commands.indices {
            if index + CacheWarming.distance < commands.count {
                warmed ^= warmSlots(of: commands[index + CacheWarming.distance])
            }
            results.append(apply(commands[index], now: now))
        }
        CacheWarming.keep(warmed)
    }

    /// A payment's id and UETR slots, read ahead of its lookups (`IDTable.touch`).
    @inline(__always)
    private func warmSlots(of command: HubCommand) -> UInt64 {
        guard case .submitPayment(let payment) = command else { return 0 }
        return paymentIndexByID.touch(payment.id) ^ paymentIndexByUETR.touch(payment.uetr)
    }

    public var nextDeadline: UInt64? {
        if hasDeferredWork { return 0 }  // an archive pass is due: now
        return switch (reservationExpiries.earliest?.expiresAt, cycleDueAt) {
        case (let a?, let b?): min(a, b)
        case (let a?, nil): a
        case (nil, let b?): b
        case (nil, nil): nil
        }
    }

    public mutating func advance(now: UInt64) { tick(now: now) }

    public var statistics: MachineStatistics { ledger.statistics }
}

/// One entry of the hub's durable log: a command and the time it was applied at, or (no
/// command) a moment at which time alone advanced. Replaying the entries in order on a new
/// hub rebuilds the same state.
public struct HubLogEntry: Hashable, Sendable, Codable {
    public var command: HubCommand?
    public var time: UInt64

    public init(command: HubCommand?, time: UInt64) {
        self.command = command
        self.time = time
    }
}

/// What the hub changed since the last commit: its log entries, the ledger's changes and the
/// audit events.
public struct HubOutcome: BatchOutcome {
    public var log: ContiguousArray<HubLogEntry>
    public var ledger: LedgerOutcome
    public var events: ContiguousArray<HubEvent>
    /// Payments that left memory in these commands: the store keeps them in the same commit.
    public var archived = ContiguousArray<ArchivedPayment>()
    /// Audit records that left memory: the store keeps them in the same commit.
    public var archivedAudit = ContiguousArray<ArchivedAuditRecord>()
    /// Closed cycles that left memory: the store keeps them in the same commit.
    public var archivedCycles = ContiguousArray<ArchivedCycle>()

    /// Only payment commands (`HubCommand.keepsReferenceData`); a tick may enact anything.
    public let keepsReferenceData: Bool

    /// - Parameter keepsReferenceData: what the hub tracked as it applied `log` (nil: worked
    ///   out from `log`, a pass that copies every command).
    public init(
        log: ContiguousArray<HubLogEntry>, ledger: LedgerOutcome, events: ContiguousArray<HubEvent>,
        archived: ContiguousArray<ArchivedPayment> = [], archivedAudit: ContiguousArray<ArchivedAuditRecord> = [],
        archivedCycles: ContiguousArray<ArchivedCycle> = [], keepsReferenceData: Bool? = nil
    ) {
        self.keepsReferenceData =
            keepsReferenceData ?? log.allSatisfy { $0.command?.keepsReferenceData ?? false }
        self.log = log
        self.ledger = ledger
        self.events = events
        self.archived = archived
        self.archivedAudit = archivedAudit
        self.archivedCycles = archivedCycles
    }

    public var isEmpty: Bool {
        log.isEmpty && ledger.isEmpty && events.isEmpty && archived.isEmpty && archivedAudit.isEmpty
            && archivedCycles.isEmpty
    }

    public var movesStateToStore: Bool { !archived.isEmpty || !archivedAudit.isEmpty || !archivedCycles.isEmpty }

}

extension HubStateMachine {
    /// Replays a log on this hub (normally a new one).
    public mutating func replay(_ entries: some Sequence<HubLogEntry>) {
        for entry in entries {
            if let command = entry.command { _ = apply(command, now: entry.time) } else { tick(now: entry.time) }
        }
    }
}
