/// Utilisation alarms and funds in/out.
extension HubStateMachine {
    /// Utilisation in per mille of the limit: how much of the cap the negative position uses.
    static func utilisationPerMille(balance: Int64, limit: Int64) -> Int64 {
        guard balance < 0 else { return 0 }
        guard limit > 0 else { return Int64.max }
        return Int64(min(Int128(Int64.max), Int128(balance.magnitude) * 1_000 / Int128(limit)))
    }

    /// Emits an alarm for each threshold newly crossed upwards; falling back re-arms them.
    mutating func checkAlarm(participant index: ParticipantIndex) {
        let level = raiseAlarms(
            balance: positionBalance(participant: index), limit: participants[index].participant.netDebitCapMinor,
            previousLevel: participants[index].alarmLevel,
            subject: .participant(participants[index].participant.bic))
        participants[index].alarmLevel = level
    }

    mutating func checkAlarm(member index: MemberIndex) {
        let level = raiseAlarms(
            balance: unionBalance(member: index), limit: members[index].member.quotaUnitMinor,
            previousLevel: members[index].alarmLevel, subject: .member(members[index].member.id))
        members[index].alarmLevel = level
    }

    /// Records an alarm per threshold crossed since `previousLevel`; returns the new level.
    private mutating func raiseAlarms(balance: Int64, limit: Int64, previousLevel: Int, subject: AlarmSubject) -> Int {
        let perMille = Self.utilisationPerMille(balance: balance, limit: limit)
        let level = alarmLevel(perMille)
        if level > previousLevel {
            for threshold in alarmThresholdsPercent[previousLevel..<level] {
                record(.utilisationAlarm(subject: subject, thresholdPercent: threshold, utilisationPerMille: perMille))
            }
        }
        return level
    }

    private func alarmLevel(_ perMille: Int64) -> Int {
        var level = 0
        while level < alarmThresholdsPercent.count && Int64(alarmThresholdsPercent[level]) * 10 <= perMille {
            level += 1
        }
        return level
    }

    /// Reserves a funds-in (member central bank -> participant) or funds-out (participant ->
    /// member central bank). A funds-out needs the money itself: the cap is credit for
    /// payments, not for withdrawal.
    mutating func requestFunds(id: UInt128, bic: BIC, amountMinor: Int64, direction: FundsDirection) -> HubResult {
        guard id != 0 else { return .refused(.malformedField) }
        guard fundsIndexByID.value(for: id) == nil else { return .refused(.fundsTransferExists) }
        guard let participantIndex = participantIndexByBIC.value(for: UInt128(bic.packed)) else {
            return .refused(.participantNotFound)
        }
        guard amountMinor > 0 else { return .refused(.amountNotPositive) }
        let participant = participants[participantIndex]
        let member = members[participant.memberIndex]
        if direction == .outOf {
            guard participant.participant.status == .active else { return .refused(.participantSuspended) }
            guard amountMinor <= positionBalance(participant: participantIndex) else {
                return .refused(.insufficientFunds)
            }
        }
        let index = funds.nextIndex
        let transferID = HubTransferID.funds(index, leg: 0)
        let (debit, credit) =
            direction == .into
            ? (member.fundingAccountID, participant.positionAccountID)
            : (participant.positionAccountID, member.fundingAccountID)
        ledgerEvents.removeAll(keepingCapacity: true)
        ledgerEvents.append(
            .createTransfer(
                Transfer(
                    id: transferID, debitAccountID: debit, creditAccountID: credit, amount: UInt128(amountMinor),
                    ledger: member.ledger,
                    code: (direction == .into ? HubTransferCode.fundsIn : .fundsOut).rawValue, flags: .pending,
                    userReference: id)))
        guard applyLedgerChain() else { return .refused(.amountTooLarge) }
        fundsIndexByID.insertNew(id, index)
        funds.append(
            FundsRecord(
                id: id, participantIndex: participantIndex, amountMinor: amountMinor, direction: direction,
                status: .reserved, transferID: transferID))
        record(.fundsStatus(id: id, status: .reserved))
        return .ok
    }

    /// The central bank confirms (post) or the request is withdrawn (void).
    mutating func resolveFunds(id: UInt128, confirm: Bool) -> HubResult {
        guard let index = fundsIndexByID.value(for: id) else { return .refused(.fundsTransferNotFound) }
        let request = funds[index]
        guard request.status == .reserved else { return .refused(.paymentStateForbidsThis) }
        ledgerEvents.removeAll(keepingCapacity: true)
        ledgerEvents.append(
            .createTransfer(
                Transfer(
                    id: HubTransferID.funds(index, leg: 1), debitAccountID: 0, creditAccountID: 0, amount: 0,
                    ledger: 0, code: 0,
                    flags: confirm ? .postPendingTransfer : .voidPendingTransfer, pendingID: request.transferID,
                    userReference: id)))
        precondition(applyLedgerChain(), "a funds reservation could not be resolved")
        funds[index].status = confirm ? .confirmed : .cancelled
        record(.fundsStatus(id: id, status: funds[index].status))
        // Money in, or a withdrawal's reservation released: the participant may release queued payments.
        if (confirm && request.direction == .into) || (!confirm && request.direction == .outOf) {
            afterInflow(payee: request.participantIndex, crossMember: false)
        }
        return .ok
    }
}

extension HubStateMachine {
    /// The bank a funds request is for.
    public func fundsParticipant(_ id: UInt128) -> BIC? {
        fundsIndexByID.value(for: id).map { participants[funds[$0].participantIndex].participant.bic }
    }
}
