/// A deterministic state machine that a single writer drives: the ledger, and the hub on top
/// of it. Batches of commands go in with a time; results come out; the changes accumulate in an
/// outcome that the store commits before the writer replies.
public protocol BatchStateMachine: Sendable {
    associatedtype Command: Sendable
    associatedtype CommandResult: Sendable
    associatedtype Outcome: BatchOutcome

    /// Applies one batch (at most `Limits.batchEventCountMax` commands); `results` is cleared
    /// and gets one result per command.
    mutating func apply(
        _ commands: [Command], now: UInt64, results: inout ContiguousArray<CommandResult>) throws(BatchRejection)

    /// The next time something happens without a command (an expiry), if any.
    var nextDeadline: UInt64? { get }

    /// Lets time pass: whatever is due at `now` happens.
    mutating func advance(now: UInt64)

    /// Work to do after a batch, before its commit (the hub: an archive pass): the writer
    /// then `advance`s, which does it.
    var hasDeferredWork: Bool { get }

    mutating func sealOutcome() -> Outcome
    mutating func outcomeCommitted()
    func checkInvariants() -> LedgerInvariantViolation?

    /// Sizes for metrics and benchmarks.
    var statistics: MachineStatistics { get }
}

public protocol BatchOutcome: Sendable {
    var isEmpty: Bool { get }
    /// Whether committing it moves state out of the machine into the store (the hub's
    /// archive), which a later command may need read back: the writer then lets the commit
    /// land before it applies more.
    var movesStateToStore: Bool { get }
    /// Whether its commands left the machine's reference data as it was (for the hub: which
    /// banks there are, their members and the members' currencies). A reference read
    /// (`Writer.readReference`) may then be served while this outcome's commit is in flight:
    /// on that data the applied state and the committed one agree. False when unsure.
    var keepsReferenceData: Bool { get }
}

extension BatchOutcome {
    public var movesStateToStore: Bool { false }
    public var keepsReferenceData: Bool { false }
}

public struct MachineStatistics: Sendable {
    public var accountCount = 0
    public var transferCount = 0
    public var pendingCount = 0
    public var memory = LedgerMemoryUsage()

    public init() {}
}

extension LedgerOutcome: BatchOutcome {}

extension BatchStateMachine {
    public var hasDeferredWork: Bool { false }
}

extension LedgerStateMachine: BatchStateMachine {
    public var nextDeadline: UInt64? { nextExpiry }

    public mutating func advance(now: UInt64) { expirePending(now: now) }

    public var statistics: MachineStatistics {
        var statistics = MachineStatistics()
        statistics.accountCount = accountCount
        statistics.transferCount = transferCount
        statistics.pendingCount = pendingCount
        statistics.memory = memoryUsage
        return statistics
    }
}
