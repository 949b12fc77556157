/// Linked chains: every change made inside an open chain is logged so the chain can be
/// undone as a whole when one of its events fails.
extension LedgerStateMachine {
    /// Compact on purpose (a few words, not whole accounts): every linked transfer logs one.
    enum UndoEntry {
        case accountCreated(id: UInt128)
        case accountClosed(index: UInt32)
        /// `amount` was added to the debit side of one account and the credit side of another,
        /// pending or posted.
        case balancesMoved(debitIndex: UInt32, creditIndex: UInt32, amount: UInt128, pending: Bool)
        /// A pending amount was released, and `posted` of it posted.
        case pendingResolved(debitIndex: UInt32, creditIndex: UInt32, pendingAmount: UInt128, posted: UInt128)
        case transferIndexed(id: UInt128)
        case transferIndexChanged(id: UInt128, previous: UInt64)
        case pendingInserted(id: UInt128)
        case pendingRemoved(id: UInt128, PendingTransfer)
    }

    /// Outcome buffer lengths at the start of a chain, to truncate back to.
    struct SavedLengths {
        var createdAccounts = 0
        var createdTransfers = 0
        var statusChanges = 0
        var touchedAccounts = 0
    }

    mutating func beginChain(_ saved: inout SavedLengths) {
        saved = SavedLengths(
            createdAccounts: outcome.createdAccounts.count, createdTransfers: outcome.createdTransfers.count,
            statusChanges: outcome.statusChanges.count, touchedAccounts: touchedAccountIndices.count)
        undoLog.removeAll(keepingCapacity: true)
        isRecordingUndo = true
    }

    mutating func endChain() {
        undoLog.removeAll(keepingCapacity: true)
        isRecordingUndo = false
    }

    @inline(__always)
    mutating func recordUndo(_ entry: UndoEntry) {
        if isRecordingUndo { undoLog.append(entry) }
    }

    /// Undoes the chain's changes newest first, then drops what it added to the outcome.
    mutating func rollBackChain(_ saved: SavedLengths) {
        while let entry = undoLog.popLast() {
            switch entry {
            case .accountCreated(let id):
                let removed = accounts.removeLast()
                precondition(removed.id == id, "undo: accounts must be removed newest first")
                accountIndexByID.remove(id)
                touchedGeneration.removeLast()
            case .accountClosed(let index):
                accounts[Int(index)].flags.remove(.closed)
            case .balancesMoved(let debitIndex, let creditIndex, let amount, let pending):
                if pending {
                    accounts[Int(debitIndex)].debitsPending -= amount
                    accounts[Int(creditIndex)].creditsPending -= amount
                } else {
                    accounts[Int(debitIndex)].debitsPosted -= amount
                    accounts[Int(creditIndex)].creditsPosted -= amount
                }
            case .pendingResolved(let debitIndex, let creditIndex, let pendingAmount, let posted):
                accounts[Int(debitIndex)].debitsPending += pendingAmount
                accounts[Int(creditIndex)].creditsPending += pendingAmount
                accounts[Int(debitIndex)].debitsPosted -= posted
                accounts[Int(creditIndex)].creditsPosted -= posted
            case .transferIndexed(let id):
                transferIndex.remove(id)
            case .transferIndexChanged(let id, let previous):
                transferIndex[slot: transferIndex.slot(of: id)!] = previous
            case .pendingInserted(let id):
                pendingByID.remove(id)
            case .pendingRemoved(let id, let pending):
                pendingByID.insertNew(id, pending)
            }
        }
        for index in touchedAccountIndices[saved.touchedAccounts...] where Int(index) < touchedGeneration.count {
            touchedGeneration[Int(index)] = 0
        }
        touchedAccountIndices.removeSubrange(saved.touchedAccounts...)
        outcome.createdAccounts.removeSubrange(saved.createdAccounts...)
        outcome.createdTransfers.removeSubrange(saved.createdTransfers...)
        outcome.statusChanges.removeSubrange(saved.statusChanges...)
    }
}
