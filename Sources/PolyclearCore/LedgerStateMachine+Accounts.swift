extension LedgerStateMachine {
    /// Creates an account: checks in `AccountResult` order, then applies.
    mutating func createAccount(_ submitted: Account, timestamp: UInt64) -> AccountResult {
        if submitted.timestamp != 0 { return .timestampMustBeZero }
        if !AccountFlags.known.isSuperset(of: submitted.flags) { return .flagsUnknown }
        if submitted.id == 0 { return .idMustNotBeZero }
        if submitted.id == .max { return .idMustNotBeIntMax }
        if submitted.flags.isSuperset(of: .balanceLimits) {
            return .flagsAreMutuallyExclusive
        }
        if submitted.flags.contains(.closed) { return .closedFlagMustNotBeSet }
        if submitted.debitsPending != 0 || submitted.debitsPosted != 0
            || submitted.creditsPending != 0 || submitted.creditsPosted != 0
        {
            return .balancesMustBeZero
        }
        if submitted.ledger == 0 { return .ledgerMustNotBeZero }
        if submitted.code == 0 { return .codeMustNotBeZero }
        if let existingIndex = accountIndexByID.value(for: submitted.id) {
            let existing = accounts[Int(existingIndex)]
            let same =
                existing.ledger == submitted.ledger && existing.code == submitted.code
                && existing.flags.subtracting(.closed) == submitted.flags
                && existing.userReference == submitted.userReference
            return same ? .exists : .existsWithDifferentFields
        }

        var account = submitted
        account.timestamp = timestamp
        let index = UInt32(accounts.count)
        accounts.append(account)
        accountIndexByID.insertNew(account.id, index)
        touchedGeneration.append(0)
        recordUndo(.accountCreated(id: account.id))
        outcome.createdAccounts.append(account)
        return .ok
    }

    /// Closes an account. Only an account with nothing pending may close, so no pending
    /// transfer can ever need a closed account to post or void.
    mutating func closeAccount(id: UInt128) -> AccountResult {
        if id == 0 { return .idMustNotBeZero }
        if id == .max { return .idMustNotBeIntMax }
        guard let index = accountIndexByID.value(for: id) else { return .accountNotFound }
        let account = accounts[Int(index)]
        if account.flags.contains(.closed) { return .accountAlreadyClosed }
        if account.debitsPending != 0 || account.creditsPending != 0 { return .accountHasPendingAmounts }

        recordUndo(.accountClosed(index: index))
        accounts[Int(index)].flags.insert(.closed)
        touch(index)
        return .ok
    }
}
