/// Forgetting transfers: the hub archives payments of settled cycles (`HubStateMachine+Archive`)
/// and with them their ledger transfers' ids, whose index entries would otherwise grow with
/// history. Only the hub does it, for ids it makes itself and never makes again (a payment's
/// legs carry its index), so forgetting loses no idempotency check. A pending transfer is
/// never forgotten: it still holds its reservation.
extension LedgerStateMachine {
    /// Removes a posted or voided transfer's index entry; true if there was one.
    @discardableResult
    mutating func forgetTransfer(id: UInt128) -> Bool {
        guard let packed = transferIndex.value(for: id), TransferIndexEntry.status(packed) != .pending,
            pendingByID.value(for: id) == nil
        else { return false }
        transferIndex.remove(id)
        return true
    }
}

extension HubStateMachine {
    /// Whether the hub's ledger may have forgotten this transfer: a leg of a payment that left
    /// memory, or a booking of a cycle that did (settlements, charges, excess settlements). A
    /// store's ledger still holds it, so a comparison with it passes over these.
    public func ledgerForgot(transferID id: UInt128) -> Bool {
        switch HubTransferID.kind(of: id) {
        case .paymentLeg:
            guard archive.isOn else { return false }
            let index = PaymentIndex(raw: UInt32(truncatingIfNeeded: id >> 4))
            return index.raw < payments.base  // archived once (a restored payment's legs stay forgotten)
        case .settlement, .imbalanceCharge, .chargeRedistribution, .excessSettlement:
            return Int(UInt32(truncatingIfNeeded: id >> 32)) <= cycleArchive.base  // the cycle, bits 32–63
        default: return false
        }
    }

    /// The hub's ledger is the stored one, but for the transfers of archived payments, which
    /// the hub forgot: same accounts, pending transfers and time, every transfer the hub holds
    /// held alike, and every other stored transfer one the hub forgot.
    public func ledgerMatches(stored: LedgerStateMachine) -> Bool {
        guard archive.isOn || cycleArchive.isOn else { return stored.makeSnapshot() == ledger.makeSnapshot() }
        let mine = ledger.makePendingAndAccountsSummary(), theirs = stored.makePendingAndAccountsSummary()
        guard mine.accounts == theirs.accounts, mine.pending == theirs.pending,
            stored.lastTimestamp == ledger.lastTimestamp
        else { return false }
        var matches = true
        ledger.transferIndex.forEach { id, packed in
            if stored.transferIndex.value(for: id) != packed { matches = false }
        }
        stored.transferIndex.forEach { id, _ in
            if ledger.transferIndex.value(for: id) == nil && !ledgerForgot(transferID: id) { matches = false }
        }
        return matches
    }
}
