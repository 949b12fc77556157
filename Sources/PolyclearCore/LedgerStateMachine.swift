/// The ledger: a deterministic state machine over accounts and transfers.
///
/// It applies batches of events and returns one result per event; the same state and the same
/// batch (with the same `now`) always give the same results and the same new state. Time comes
/// in as `now` (nanoseconds), ids come in with the events, nothing here does I/O.
///
/// Each event is checked completely before anything changes (checks in the order of the
/// result enums), so a rejected event leaves no trace. Linked chains are made atomic with an
/// undo log that is kept only while a chain is open.
public struct LedgerStateMachine {
    struct PendingTransfer: Codable {
        var debitAccountIndex: UInt32
        var creditAccountIndex: UInt32
        var amount: UInt128
        var ledger: UInt32
        var code: UInt16
        var timestamp: UInt64
        /// Zero: never expires.
        var expiresAt: UInt64

        static let empty = PendingTransfer(
            debitAccountIndex: 0, creditAccountIndex: 0, amount: 0, ledger: 0, code: 0, timestamp: 0, expiresAt: 0)
    }

    /// Dense storage: an account's index never changes once its creation is committed.
    var accounts: ContiguousArray<Account> = []
    var accountIndexByID: IDTable<UInt32>
    /// Every transfer id ever created -> `TransferIndexEntry` (fingerprint and status).
    var transferIndex: IDTable<UInt64>
    /// Pending transfers that still hold their reservation.
    var pendingByID: IDTable<PendingTransfer>
    var expiries = ExpiryHeap()
    public internal(set) var lastTimestamp: UInt64 = 0

    var outcome = LedgerOutcome()
    /// `touchedGeneration[i] == generation` iff account i is already in `touchedAccountIndices`.
    var touchedGeneration: ContiguousArray<UInt32> = []
    var touchedAccountIndices: ContiguousArray<UInt32> = []
    var generation: UInt32 = 1

    var undoLog: ContiguousArray<UndoEntry> = []
    var isRecordingUndo = false

    /// - Parameters: expected counts size the tables up front, so that a known workload does
    ///   not pay for growth in the middle of a batch.
    public init(expectedAccountCount: Int = 0, expectedTransferCount: Int = 0, expectedPendingCount: Int = 0) {
        accountIndexByID = IDTable(emptyValue: 0, minimumCapacity: expectedAccountCount)
        transferIndex = IDTable(emptyValue: 0, minimumCapacity: expectedTransferCount)
        pendingByID = IDTable(emptyValue: .empty, minimumCapacity: expectedPendingCount)
        expiries.reserveCapacity(expectedPendingCount)
        accounts.reserveCapacity(expectedAccountCount)
        touchedGeneration.reserveCapacity(expectedAccountCount)
        undoLog.reserveCapacity(64)
    }

    public var accountCount: Int { accounts.count }
    public var transferCount: Int { transferIndex.count }
    public var pendingCount: Int { pendingByID.count }

    public func account(id: UInt128) -> Account? {
        accountIndexByID.value(for: id).map { accounts[Int($0)] }
    }

    /// All accounts, in creation order.
    public var allAccounts: ContiguousArray<Account> { accounts }

    /// The status of a transfer, or nil if no transfer has this id.
    public func transferStatus(id: UInt128) -> TransferStatus? {
        transferIndex.value(for: id).map(TransferIndexEntry.status)
    }

    /// Applies one batch. `results` is cleared and receives one result per event, in order.
    /// Pending transfers due at `now` expire first. Results and changes accumulate in the
    /// outcome until `sealOutcome()` / `outcomeCommitted()`; several batches may share one.
    public mutating func apply(
        _ events: [LedgerEvent], now: UInt64, results: inout ContiguousArray<EventResult>
    ) throws(BatchRejection) {
        guard events.count <= Limits.batchEventCountMax else { throw .batchTooLarge }
        results.removeAll(keepingCapacity: true)
        expirePending(now: now)
        guard !events.isEmpty else { return }
        let baseTimestamp = Swift.max(lastTimestamp + 1, now)
        var chainStartIndex: Int? = nil
        var chainBroken = false
        var saved = SavedLengths()
        var warmed: UInt64 = 0
        for index in 0..<Swift.min(CacheWarming.distance, events.count) { warmed ^= warmSlots(of: events[index]) }
        defer { CacheWarming.keep(warmed) }

        for index in events.indices {
            if index + CacheWarming.distance < events.count {
                warmed ^= warmSlots(of: events[index + CacheWarming.distance])
            }
            let event = events[index]
            let timestamp = baseTimestamp + UInt64(index)
            if chainStartIndex == nil && event.isLinked {
                chainStartIndex = index
                chainBroken = false
                beginChain(&saved)
            }
            if chainBroken {
                results.append(Self.linkedEventFailed(event))
            } else {
                let result = applyOne(event, timestamp: timestamp)
                results.append(result)
                if !result.isOK, let start = chainStartIndex {
                    rollBackChain(saved)
                    chainBroken = true
                    for earlier in start..<index { results[earlier] = Self.linkedEventFailed(events[earlier]) }
                }
            }
            if chainStartIndex != nil && !event.isLinked {
                chainStartIndex = nil
                chainBroken = false
                endChain()
            }
        }
        if let start = chainStartIndex {
            // The batch ended inside a chain: the chain cannot be complete, so none of it applies.
            if !chainBroken { rollBackChain(saved) }
            endChain()
            for earlier in start..<events.count - 1 { results[earlier] = Self.linkedEventFailed(events[earlier]) }
            results[events.count - 1] = Self.linkedEventChainOpen(events[events.count - 1])
        }
        lastTimestamp = baseTimestamp + UInt64(events.count - 1)
        outcome.lastTimestamp = lastTimestamp
    }

    /// A transfer's id slot, read ahead of its lookup (`IDTable.touch`).
    @inline(__always)
    private func warmSlots(of event: LedgerEvent) -> UInt64 {
        if case .createTransfer(let transfer) = event { transferIndex.touch(transfer.id) } else { 0 }
    }

    private mutating func applyOne(_ event: LedgerEvent, timestamp: UInt64) -> EventResult {
        switch event {
        case .createAccount(let account): .account(createAccount(account, timestamp: timestamp))
        case .createTransfer(let transfer): .transfer(createTransfer(transfer, timestamp: timestamp))
        case .closeAccount(let id, _): .account(closeAccount(id: id))
        }
    }

    private static func linkedEventFailed(_ event: LedgerEvent) -> EventResult {
        if case .createTransfer = event { return .transfer(.linkedEventFailed) }
        return .account(.linkedEventFailed)
    }

    private static func linkedEventChainOpen(_ event: LedgerEvent) -> EventResult {
        if case .createTransfer = event { return .transfer(.linkedEventChainOpen) }
        return .account(.linkedEventChainOpen)
    }

    /// The changes since the last commit, with the final state of every changed account.
    public mutating func sealOutcome() -> LedgerOutcome {
        outcome.updatedAccounts.removeAll(keepingCapacity: true)
        for index in touchedAccountIndices { outcome.updatedAccounts.append(accounts[Int(index)]) }
        outcome.lastTimestamp = lastTimestamp
        return outcome
    }

    /// The store has committed the sealed outcome: start a new one (buffers keep capacity).
    public mutating func outcomeCommitted() {
        outcome.removeAll()
        touchedAccountIndices.removeAll(keepingCapacity: true)
        generation &+= 1
        if generation == 0 {
            // Wrapped after 4 billion commits: clear marks so no stale one matches.
            for index in touchedGeneration.indices { touchedGeneration[index] = 0 }
            generation = 1
        }
    }

    @inline(__always)
    mutating func touch(_ accountIndex: UInt32) {
        guard touchedGeneration[Int(accountIndex)] != generation else { return }
        touchedGeneration[Int(accountIndex)] = generation
        touchedAccountIndices.append(accountIndex)
    }
}

extension LedgerStateMachine: Sendable {}
extension LedgerStateMachine.PendingTransfer: Sendable {}
