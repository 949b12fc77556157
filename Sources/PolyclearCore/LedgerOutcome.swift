/// Everything a group of applied batches changed, for the store to commit in one transaction.
///
/// The state machine fills these buffers in place (capacity is kept across commits, so the
/// apply loop does not allocate) and hands them out by `sealOutcome()`.
public struct LedgerOutcome: Sendable {
    public internal(set) var createdAccounts: ContiguousArray<Account> = []
    public internal(set) var createdTransfers: ContiguousArray<StoredTransfer> = []
    /// Pending transfers that were posted, voided or expired, in the order it happened.
    /// Apply after `createdTransfers`: a pending transfer may be created and posted in one group.
    public internal(set) var statusChanges: ContiguousArray<TransferStatusChange> = []
    /// The latest state of every account whose balances or flags changed (created ones too).
    public internal(set) var updatedAccounts: ContiguousArray<Account> = []
    /// The ledger clock after the group: restored on start so timestamps keep increasing.
    public internal(set) var lastTimestamp: UInt64 = 0

    public init() {}

    /// An outcome read back from a store's redo log (`LedgerRedoCodec`), to be projected.
    public init(
        createdAccounts: ContiguousArray<Account>, createdTransfers: ContiguousArray<StoredTransfer>,
        statusChanges: ContiguousArray<TransferStatusChange>, updatedAccounts: ContiguousArray<Account>,
        lastTimestamp: UInt64
    ) {
        self.createdAccounts = createdAccounts
        self.createdTransfers = createdTransfers
        self.statusChanges = statusChanges
        self.updatedAccounts = updatedAccounts
        self.lastTimestamp = lastTimestamp
    }

    public var isEmpty: Bool {
        createdAccounts.isEmpty && createdTransfers.isEmpty && statusChanges.isEmpty && updatedAccounts.isEmpty
    }

    mutating func removeAll() {
        createdAccounts.removeAll(keepingCapacity: true)
        createdTransfers.removeAll(keepingCapacity: true)
        statusChanges.removeAll(keepingCapacity: true)
        updatedAccounts.removeAll(keepingCapacity: true)
    }
}

public struct TransferStatusChange: Hashable, Sendable {
    public var transferID: UInt128
    public var status: TransferStatus

    public init(transferID: UInt128, status: TransferStatus) {
        self.transferID = transferID
        self.status = status
    }
}
