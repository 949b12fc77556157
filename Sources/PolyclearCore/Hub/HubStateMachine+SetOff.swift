/// Obligation set-off inside the hub: the engine's optimal, certified result becomes one
/// linked chain of ledger transfers (debtor position -> creditor position, the amount set off),
/// so it is all booked or none, and every bank's position ends where it was.
extension HubStateMachine {
    mutating func setOffObligations(runID: UInt128, obligations: [SetOffObligation]) -> HubResult {
        guard runID != 0, !obligations.isEmpty else { return .refused(.malformedField) }
        guard obligations.count <= Limits.batchEventCountMax else { return .refused(.tooManyObligations) }
        guard setOffRuns[runID] == nil else { return .refused(.setOffRunExists) }
        var partyByParticipant: [ParticipantIndex: Int32] = [:], participantsInRun: [ParticipantIndex] = [],
            ids = Set<UInt128>()
        var engineInput: [Obligation] = []
        var ledgerID: UInt32? = nil
        for obligation in obligations {
            guard ids.insert(obligation.id).inserted, obligation.amountMinor > 0,
                obligation.debtor != obligation.creditor
            else {
                return .refused(.malformedField)
            }
            guard let debtor = participantIndexByBIC.value(for: UInt128(obligation.debtor.packed)),
                let creditor = participantIndexByBIC.value(for: UInt128(obligation.creditor.packed))
            else { return .refused(.participantNotFound) }
            let debtorLedger = members[participants[debtor].memberIndex].ledger
            guard debtorLedger == members[participants[creditor].memberIndex].ledger,
                ledgerID == nil || ledgerID == debtorLedger
            else {
                return .refused(.obligationsMixCurrencies)
            }
            ledgerID = debtorLedger
            for participant in [debtor, creditor] where partyByParticipant[participant] == nil {
                partyByParticipant[participant] = Int32(participantsInRun.count)
                participantsInRun.append(participant)
            }
            engineInput.append(
                Obligation(
                    debtor: partyByParticipant[debtor]!, creditor: partyByParticipant[creditor]!,
                    amountMinor: obligation.amountMinor, dueDay: obligation.dueDay))
        }
        let result: SetOffResult
        do { result = try ObligationSetOff.solve(partyCount: participantsInRun.count, obligations: engineInput) } catch
        {
            return .refused(.amountTooLarge)  // the only input failure left: totals overflow
        }
        ledgerEvents.removeAll(keepingCapacity: true)
        for (position, obligation) in obligations.enumerated() where result.setOffMinor[position] > 0 {
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: HubTransferID.setOff(runID: runID, obligation: position),
                        debitAccountID: participants[
                            participantIndexByBIC.value(for: UInt128(obligation.debtor.packed))!
                        ].positionAccountID,
                        creditAccountID: participants[
                            participantIndexByBIC.value(for: UInt128(obligation.creditor.packed))!
                        ].positionAccountID,
                        amount: UInt128(result.setOffMinor[position]), ledger: ledgerID!,
                        code: HubTransferCode.obligationSetOff.rawValue,
                        flags: .linked, userReference: obligation.id)))
        }
        if !ledgerEvents.isEmpty {
            ledgerEvents[ledgerEvents.count - 1] = Self.unlinked(ledgerEvents[ledgerEvents.count - 1])
            guard applyLedgerChain() else { return .refused(.amountTooLarge) }
        }
        let outcome = SetOffRunOutcome(
            runID: runID, grossMinor: result.grossMinor, totalSetOffMinor: result.totalSetOffMinor,
            setOffMinor: result.setOffMinor, certificate: result.certificate)
        setOffRuns[runID] = outcome
        setOffRunCurrencies[runID] = members[participants[participantsInRun[0]].memberIndex].member.currency
        record(.setOffRun(outcome))
        return .setOff(outcome)
    }
}

extension HubStateMachine {
    /// A set-off run's outcome, if the run was booked.
    public func setOffRun(_ runID: UInt128) -> SetOffRunOutcome? { setOffRuns[runID] }

    /// The currency a booked set-off run's amounts are in.
    public func setOffRunCurrency(_ runID: UInt128) -> CurrencyCode? { setOffRunCurrencies[runID] }
}
