extension HubStateMachine {
    /// What must hold after every command:
    /// - the ledger's invariants (every currency ledger and the unit ledger balance);
    /// - the members' union positions, the union reserve (imbalance charges) and the union's
    ///   settlement assets (excess settlements) sum to zero exactly, posted and pending;
    /// - every queued payment waits behind a head that really cannot go.
    public func checkInvariants() -> LedgerInvariantViolation? {
        if let violation = ledger.checkInvariants() { return violation }
        var posted: Int128 = 0, pending: Int128 = 0
        for accountID in members.map(\.unionAccountID) + [unionReserveAccountID, unionSettlementAssetsAccountID] {
            let account = ledger.account(id: accountID)!
            posted += Int128(account.creditsPosted) - Int128(account.debitsPosted)
            pending += Int128(account.creditsPending) - Int128(account.debitsPending)
        }
        if posted != 0 || pending != 0 {
            return LedgerInvariantViolation(
                description: "members' union positions sum to \(posted) posted, \(pending) pending")
        }
        // What members settled in the asset is exactly what the settlement-assets account holds.
        let assets = ledger.account(id: unionSettlementAssetsAccountID)!
        let confirmed = members.reduce(Int128(0)) { $0 + Int128($1.assetConfirmedMinor) }
        if confirmed != Int128(assets.debitsPosted) - Int128(assets.creditsPosted) {
            return LedgerInvariantViolation(
                description: "members settled \(confirmed) in the asset; the union's assets account differs")
        }
        return nil
    }

    /// For tests: the queue head of every payer that could go now under its limits.
    public func releasableQueueHeads() -> [UInt128] {
        var releasable: [UInt128] = []
        for payer in participants.hubIndices {
            var copy = self
            guard let head = copy.queueHead(payer) else { continue }
            if case .success(let amounts) = copy.convert(head), copy.fitsLimits(head, amounts) {
                releasable.append(payments[head].id)
            }
        }
        return releasable
    }
}
