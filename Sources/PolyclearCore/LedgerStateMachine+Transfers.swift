extension LedgerStateMachine {
    static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    /// Creates a transfer: checks in `TransferResult` order, then applies.
    mutating func createTransfer(_ submitted: Transfer, timestamp: UInt64) -> TransferResult {
        if let failed = Self.validateFields(submitted) { return failed }
        let fingerprint = Fingerprint.of(submitted)
        if let existing = transferIndex.value(for: submitted.id) {
            return TransferIndexEntry.fingerprint(existing) == fingerprint ? .exists : .existsWithDifferentFields
        }
        if submitted.resolvesPending {
            return resolvePending(submitted, fingerprint: fingerprint, timestamp: timestamp)
        }
        return createSinglePhaseOrPending(submitted, fingerprint: fingerprint, timestamp: timestamp)
    }

    /// The checks that need nothing but the transfer itself.
    private static func validateFields(_ t: Transfer) -> TransferResult? {
        if t.timestamp != 0 { return .timestampMustBeZero }
        if !TransferFlags.known.isSuperset(of: t.flags) { return .flagsUnknown }
        if t.id == 0 { return .idMustNotBeZero }
        if t.id == .max { return .idMustNotBeIntMax }
        let phaseFlags = t.flags.intersection(.phases)
        if phaseFlags.rawValue.nonzeroBitCount > 1 { return .flagsAreMutuallyExclusive }
        let resolves = t.resolvesPending
        // A post or void may leave accounts, ledger and code zero: they come from the pending transfer.
        if t.debitAccountID == 0 && !resolves { return .debitAccountIDMustNotBeZero }
        if t.debitAccountID == .max { return .debitAccountIDMustNotBeIntMax }
        if t.creditAccountID == 0 && !resolves { return .creditAccountIDMustNotBeZero }
        if t.creditAccountID == .max { return .creditAccountIDMustNotBeIntMax }
        if t.debitAccountID == t.creditAccountID && t.debitAccountID != 0 { return .accountsMustBeDifferent }
        if resolves {
            if t.pendingID == 0 { return .pendingIDMustNotBeZero }
            if t.pendingID == .max { return .pendingIDMustNotBeIntMax }
            if t.pendingID == t.id { return .pendingIDMustBeDifferent }
        } else if t.pendingID != 0 {
            return .pendingIDMustBeZero
        }
        if t.timeoutSeconds != 0 && !t.flags.contains(.pending) { return .timeoutReservedForPendingTransfer }
        if t.timeoutSeconds > Limits.pendingTimeoutSecondsMax { return .timeoutTooLong }
        if t.amount == 0 && !resolves { return .amountMustNotBeZero }
        if t.ledger == 0 && !resolves { return .ledgerMustNotBeZero }
        if t.code == 0 && !resolves { return .codeMustNotBeZero }
        return nil
    }

    private mutating func createSinglePhaseOrPending(
        _ t: Transfer, fingerprint: UInt64, timestamp: UInt64
    ) -> TransferResult {
        guard let debitIndex = accountIndexByID.value(for: t.debitAccountID) else { return .debitAccountNotFound }
        guard let creditIndex = accountIndexByID.value(for: t.creditAccountID) else { return .creditAccountNotFound }
        let debit = accounts[Int(debitIndex)]
        let credit = accounts[Int(creditIndex)]
        if debit.ledger != credit.ledger { return .accountsMustHaveTheSameLedger }
        if t.ledger != debit.ledger { return .transferMustHaveTheSameLedgerAsAccounts }
        if debit.flags.contains(.closed) { return .debitAccountClosed }
        if credit.flags.contains(.closed) { return .creditAccountClosed }

        let isPending = t.flags.contains(.pending)
        let amount = t.amount
        if isPending {
            if debit.debitsPending.addingReportingOverflow(amount).overflow { return .overflowsDebitsPending }
            if credit.creditsPending.addingReportingOverflow(amount).overflow { return .overflowsCreditsPending }
        } else {
            if debit.debitsPosted.addingReportingOverflow(amount).overflow { return .overflowsDebitsPosted }
            if credit.creditsPosted.addingReportingOverflow(amount).overflow { return .overflowsCreditsPosted }
        }
        let (debitsBefore, debitsOverflowA) = debit.debitsPending.addingReportingOverflow(debit.debitsPosted)
        let (debitsAfter, debitsOverflowB) = debitsBefore.addingReportingOverflow(amount)
        if debitsOverflowA || debitsOverflowB { return .overflowsDebits }
        let (creditsBefore, creditsOverflowA) = credit.creditsPending.addingReportingOverflow(credit.creditsPosted)
        let (creditsAfter, creditsOverflowB) = creditsBefore.addingReportingOverflow(amount)
        if creditsOverflowA || creditsOverflowB { return .overflowsCredits }
        var expiresAt: UInt64 = 0
        if isPending && t.timeoutSeconds != 0 {
            let (timeout, overflowA) = UInt64(t.timeoutSeconds).multipliedReportingOverflow(
                by: Self.nanosecondsPerSecond)
            let (deadline, overflowB) = timestamp.addingReportingOverflow(timeout)
            if overflowA || overflowB { return .overflowsTimeout }
            expiresAt = deadline
        }
        if debit.flags.contains(.debitsMustNotExceedCredits) && debitsAfter > debit.creditsPosted {
            return .exceedsCredits
        }
        if credit.flags.contains(.creditsMustNotExceedDebits) && creditsAfter > credit.debitsPosted {
            return .exceedsDebits
        }

        // All checks passed: apply.
        recordUndo(.balancesMoved(debitIndex: debitIndex, creditIndex: creditIndex, amount: amount, pending: isPending))
        if isPending {
            accounts[Int(debitIndex)].debitsPending += amount
            accounts[Int(creditIndex)].creditsPending += amount
            pendingByID.insertNew(
                t.id,
                PendingTransfer(
                    debitAccountIndex: debitIndex, creditAccountIndex: creditIndex, amount: amount,
                    ledger: t.ledger, code: t.code, timestamp: timestamp, expiresAt: expiresAt))
            recordUndo(.pendingInserted(id: t.id))
            if expiresAt != 0 { expiries.insert(.init(expiresAt: expiresAt, pendingID: t.id)) }
        } else {
            accounts[Int(debitIndex)].debitsPosted += amount
            accounts[Int(creditIndex)].creditsPosted += amount
        }
        let status: TransferStatus = isPending ? .pending : .final
        transferIndex.insertNew(t.id, TransferIndexEntry.pack(fingerprint: fingerprint, status: status))
        recordUndo(.transferIndexed(id: t.id))
        var stored = t
        stored.timestamp = timestamp
        outcome.createdTransfers.append(StoredTransfer(transfer: stored, status: status, fingerprint: fingerprint))
        touch(debitIndex)
        touch(creditIndex)
        return .ok
    }

    /// Posts (in full or in part) or voids a pending transfer.
    private mutating func resolvePending(_ t: Transfer, fingerprint: UInt64, timestamp: UInt64) -> TransferResult {
        guard let pendingSlot = pendingByID.slot(of: t.pendingID) else {
            guard let entry = transferIndex.value(for: t.pendingID) else { return .pendingTransferNotFound }
            switch TransferIndexEntry.status(entry) {
            case .final: return .pendingTransferNotPending
            case .pendingPosted: return .pendingTransferAlreadyPosted
            case .pendingVoided: return .pendingTransferAlreadyVoided
            case .pendingExpired: return .pendingTransferExpired
            case .pending: preconditionFailure("a pending transfer is missing from the pending table")
            }
        }
        let pending = pendingByID[slot: pendingSlot]
        if pending.expiresAt != 0 && pending.expiresAt <= timestamp { return .pendingTransferExpired }
        let debit = accounts[Int(pending.debitAccountIndex)]
        let credit = accounts[Int(pending.creditAccountIndex)]
        if t.debitAccountID != 0 && t.debitAccountID != debit.id { return .pendingTransferHasDifferentDebitAccountID }
        if t.creditAccountID != 0 && t.creditAccountID != credit.id {
            return .pendingTransferHasDifferentCreditAccountID
        }
        if t.ledger != 0 && t.ledger != pending.ledger { return .pendingTransferHasDifferentLedger }
        if t.code != 0 && t.code != pending.code { return .pendingTransferHasDifferentCode }
        let isPost = t.flags.contains(.postPendingTransfer)
        let amount = isPost && t.amount == 0 ? pending.amount : t.amount
        if isPost && amount > pending.amount { return .exceedsPendingTransferAmount }
        if !isPost && t.amount != 0 && t.amount != pending.amount { return .pendingTransferHasDifferentAmount }
        if isPost {
            if debit.debitsPosted.addingReportingOverflow(amount).overflow { return .overflowsDebitsPosted }
            if credit.creditsPosted.addingReportingOverflow(amount).overflow { return .overflowsCreditsPosted }
        }

        // All checks passed: release the reservation, then post what is posted.
        recordUndo(
            .pendingResolved(
                debitIndex: pending.debitAccountIndex, creditIndex: pending.creditAccountIndex,
                pendingAmount: pending.amount,
                posted: isPost ? amount : 0))
        accounts[Int(pending.debitAccountIndex)].debitsPending -= pending.amount
        accounts[Int(pending.creditAccountIndex)].creditsPending -= pending.amount
        if isPost {
            accounts[Int(pending.debitAccountIndex)].debitsPosted += amount
            accounts[Int(pending.creditAccountIndex)].creditsPosted += amount
        }
        pendingByID.remove(t.pendingID)
        recordUndo(.pendingRemoved(id: t.pendingID, pending))
        let newStatus: TransferStatus = isPost ? .pendingPosted : .pendingVoided
        setStatus(of: t.pendingID, to: newStatus)
        transferIndex.insertNew(t.id, TransferIndexEntry.pack(fingerprint: fingerprint, status: .final))
        recordUndo(.transferIndexed(id: t.id))

        var stored = t
        stored.debitAccountID = debit.id
        stored.creditAccountID = credit.id
        stored.ledger = pending.ledger
        stored.code = pending.code
        stored.amount = isPost ? amount : pending.amount
        stored.timestamp = timestamp
        outcome.createdTransfers.append(StoredTransfer(transfer: stored, status: .final, fingerprint: fingerprint))
        touch(pending.debitAccountIndex)
        touch(pending.creditAccountIndex)
        return .ok
    }

    /// Records a pending transfer's new status in the index and in the outcome.
    mutating func setStatus(of pendingID: UInt128, to status: TransferStatus) {
        let slot = transferIndex.slot(of: pendingID)!
        let previous = transferIndex[slot: slot]
        recordUndo(.transferIndexChanged(id: pendingID, previous: previous))
        transferIndex[slot: slot] = TransferIndexEntry.pack(
            fingerprint: TransferIndexEntry.fingerprint(previous), status: status)
        outcome.statusChanges.append(TransferStatusChange(transferID: pendingID, status: status))
    }
}
