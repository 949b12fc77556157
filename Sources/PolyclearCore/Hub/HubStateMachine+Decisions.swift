/// Two-phase decisions, screening holds and reservation expiry.
extension HubStateMachine {
    /// Commit or reject a reserved payment: the payee, the payee's member or the operator.
    /// `fulfilled`: a trade-conditional payment's condition was met (only `fulfilCondition`
    /// commits one).
    mutating func decideReserved(id: UInt128, commit: Bool, actor: Actor, fulfilled: Bool = false) -> HubResult {
        guard let index = paymentIndexByID.value(for: id) else { return .refused(.paymentNotFound) }
        guard payments[index].status == .reserved else { return .refused(.paymentStateForbidsThis) }
        // No dictionary lookup on the commit path unless some payment ever carried a condition.
        if commit, !fulfilled, !conditions.isEmpty, conditions[id] != nil { return .refused(.conditionNotMet) }
        let payee = participants[payments[index].payeeIndex]
        switch actor {
        case .operatorUser: break
        case .participant(let bic) where bic.packed == payee.participant.bic.packed: break
        case .member(let member) where member == members[payee.memberIndex].member.id: break
        default: return .refused(.notAllowedForActor)
        }
        resolveReservation(index, post: commit)
        if commit {
            transition(index, to: .accepted, actor: actor)
            let payment = payments[index]
            afterInflow(payee: payment.payeeIndex, crossMember: payment.unitAmountMinor != 0)
        } else {
            let rejection: PaymentRejection =
                if case .operatorUser = actor { .rejectedByOperator } else { .rejectedByPayee }
            transition(index, to: .rejected, rejection, actor: actor)
            releaseFreedReservation(index)
        }
        return .payment(payments[index].state)
    }

    /// Posts or voids every pending leg of a reserved payment, as one chain.
    private mutating func resolveReservation(_ index: PaymentIndex, post: Bool) {
        let legs = payments[index].legs
        ledgerEvents.removeAll(keepingCapacity: true)
        for leg in UInt8(0)..<4 where legs.contains(PaymentLegs(rawValue: 1 << leg)) {
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: HubTransferID.paymentLegResolution(index, leg: leg), debitAccountID: 0, creditAccountID: 0,
                        amount: 0,
                        ledger: 0, code: 0, flags: [post ? .postPendingTransfer : .voidPendingTransfer, .linked],
                        pendingID: HubTransferID.paymentLeg(index, leg: leg), userReference: payments[index].id)))
        }
        ledgerEvents[ledgerEvents.count - 1] = Self.unlinked(ledgerEvents[ledgerEvents.count - 1])
        if legs.contains(.unit) {
            accrueUnionPosition(member: participants[payments[index].payerIndex].memberIndex)
            accrueUnionPosition(member: participants[payments[index].payeeIndex].memberIndex)
        }
        precondition(applyLedgerChain(), "a reserved payment's legs could not be resolved")
    }

    /// A released reservation gives the payer (and its member) room again.
    private mutating func releaseFreedReservation(_ index: PaymentIndex) {
        let payer = payments[index].payerIndex
        checkAlarm(participant: payer)
        releaseQueued(participants: [payer], members: [participants[payer].memberIndex])
    }

    /// Reserved payments past their deadline are voided; driven by `now` only.
    mutating func expireReservations() {
        while let earliest = reservationExpiries.earliest, earliest.expiresAt <= now {
            _ = reservationExpiries.removeEarliest()
            guard let index = paymentIndexByID.value(for: earliest.pendingID), payments[index].status == .reserved
            else { continue }
            resolveReservation(index, post: false)
            transition(index, to: .expired, .reservationExpired, actor: .system)
            releaseFreedReservation(index)
        }
    }

    /// The operator releases a payment held by screening (it then runs as if just received,
    /// queue included) or rejects it.
    /// `reason`: for the audit trail; at most 140 characters, no control characters.
    mutating func decideHeld(id: UInt128, release: Bool, actor: Actor, reason: String?) -> HubResult {
        if let reason {
            guard reason.count <= Self.nameLengthMax,
                !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { return .refused(.malformedField) }
        }
        guard let index = paymentIndexByID.value(for: id) else { return .refused(.paymentNotFound) }
        guard payments[index].status == .held else { return .refused(.paymentStateForbidsThis) }
        guard case .operatorUser = actor else { return .refused(.notAllowedForActor) }
        if release {
            transition(index, to: .received, actor: actor)
            if process(index, mayQueue: true) { afterBooking(index) }
        } else {
            transition(index, to: .rejected, .screeningRejected, actor: actor)
        }
        return .payment(payments[index].state)
    }

    func isScreeningHit(_ p: PaymentInstruction, payerIndex: ParticipantIndex, payeeIndex: ParticipantIndex) -> Bool {
        guard !screening.isEmpty else { return false }
        let payer = participants[payerIndex].participant, payee = participants[payeeIndex].participant
        if screening.bics.contains(payer.bic) || screening.bics.contains(payee.bic) { return true }
        if screening.countriesAlpha2.contains(payer.bic.countryAlpha2)
            || screening.countriesAlpha2.contains(payee.bic.countryAlpha2)
        {
            return true
        }
        return screening.matchesName(p.debtorName) || screening.matchesName(p.creditorName)
            || screening.matchesName(payer.name) || screening.matchesName(payee.name)
    }
}
