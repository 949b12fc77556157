extension LedgerStateMachine {
    /// When the next pending transfer is due to expire, if any (may be stale: see `ExpiryHeap`).
    public var nextExpiry: UInt64? { expiries.earliest?.expiresAt }

    /// Expires every pending transfer whose deadline is at or before `now`, releasing its
    /// reservation. Driven only by `now`, so replaying the same batches expires the same ones.
    mutating func expirePending(now: UInt64) {
        precondition(!isRecordingUndo, "expiry never runs inside a linked chain")
        while let earliest = expiries.earliest, earliest.expiresAt <= now {
            _ = expiries.removeEarliest()
            guard let slot = pendingByID.slot(of: earliest.pendingID) else { continue }  // resolved already
            let pending = pendingByID[slot: slot]
            guard pending.expiresAt == earliest.expiresAt else { continue }  // a stale entry
            accounts[Int(pending.debitAccountIndex)].debitsPending -= pending.amount
            accounts[Int(pending.creditAccountIndex)].creditsPending -= pending.amount
            pendingByID.remove(earliest.pendingID)
            setStatus(of: earliest.pendingID, to: .pendingExpired)
            touch(pending.debitAccountIndex)
            touch(pending.creditAccountIndex)
        }
    }
}
