public import PolyclearCore

extension HubStateMachine {
    /// What every store checks after replaying its hub log (a cold start, a takeover,
    /// `ledger check`): the replayed hub's ledger is exactly the stored ledger, and every
    /// invariant holds. `place` names the store in the refusal.
    public func verifyReplay(against stored: LedgerStateMachine, in place: String) throws(StoreError) {
        guard ledgerMatches(stored: stored) else {
            throw StoreError(.invariantViolated, "replaying the hub log of \(place) does not give its stored ledger")
        }
        if let violation = checkInvariants() { throw StoreError(.invariantViolated, violation.description) }
    }
}
