/// Clearing cycles: every accepted payment belongs to the cycle open when it was accepted.
/// Closing nets the cycle (from running totals kept as payments are booked), issues the
/// settlement instructions of the domestic legs, and opens the next cycle at once, so intake
/// never stops. Commands are applied one at a time, so a payment accepted before the close
/// command is in the closing cycle and one accepted after it in the next: never both, never
/// neither.
extension HubStateMachine {
    /// Adds an accepted payment to the open cycle's totals.
    mutating func recordInOpenCycle(_ index: PaymentIndex) {
        cycle.fit(participants: participants.count, members: members.count)
        let payment = payments[index]
        payments[index].cycle = cycle.number
        cycle.paymentCount += 1
        cycle.participantSent[payment.payerIndex.int] += Int128(payment.payerAmountMinor)
        cycle.participantReceived[payment.payeeIndex.int] += Int128(payment.payeeAmountMinor)
        guard payment.unitAmountMinor != 0 else { return }
        let payerMember = participants[payment.payerIndex].memberIndex.int
        let payeeMember = participants[payment.payeeIndex].memberIndex.int
        cycle.memberUnitSent[payerMember] += Int128(payment.unitAmountMinor)
        cycle.memberUnitReceived[payeeMember] += Int128(payment.unitAmountMinor)
        cycle.bilateral[payerMember * cycle.memberCount + payeeMember] += Int128(payment.unitAmountMinor)
        cycle.grossUnit += Int128(payment.unitAmountMinor)
        recordTradeFlow(index, cycle: cycle.number, payerMember: payerMember, payeeMember: payeeMember)
    }

    /// When the schedule closes the open cycle next, or the next settlement deadline falls
    /// (of a cycle's instructions or of an excess settlement's pay-in).
    var cycleDueAt: UInt64? {
        let scheduled = cycleTriggers.dueTime(openedAt: cycle.openedAt)
        guard cycleTriggers.settlementDeadlineSeconds > 0 else { return scheduled }
        let allowed = UInt64(cycleTriggers.settlementDeadlineSeconds) * 1_000_000_000
        var earliest = scheduled
        if let settling = closedCycles.first(where: { $0.state == .settling }) {
            earliest = min(earliest ?? .max, settling.closedAt + allowed)
        }
        if let first = excessPayInsDue.first, let closedAt = closedCycle(number: first.cycle)?.closedAt {
            earliest = min(earliest ?? .max, closedAt + allowed)
        }
        return earliest
    }

    func closedCycle(number: UInt32) -> CycleReport? { residentCycle(number: number) }

    /// Runs before every command and tick: schedule, thresholds, deadlines.
    mutating func closeDueCycle() {
        if let due = cycleTriggers.dueTime(openedAt: cycle.openedAt), now >= due {
            closeOpenCycle()
        } else if thresholdReached() {
            closeOpenCycle()
        }
        markMissedDeadlines()
    }

    private func thresholdReached() -> Bool {
        if let gross = cycleTriggers.grossUnitMinorMax, cycle.grossUnit >= Int128(gross) { return true }
        if let exposure = cycleTriggers.memberExposureUnitMinorMax {
            for index in cycle.memberUnitSent.indices
            where (cycle.memberUnitReceived[index] - cycle.memberUnitSent[index]).magnitude >= UInt128(exposure) {
                return true
            }
        }
        return false
    }

    /// A settling cycle past its deadline fails: the event names the members still due.
    private mutating func markMissedDeadlines() {
        guard cycleTriggers.settlementDeadlineSeconds > 0 else { return }
        let allowed = UInt64(cycleTriggers.settlementDeadlineSeconds) * 1_000_000_000
        for index in closedCycles.indices
        where closedCycles[index].state == .settling && now >= closedCycles[index].closedAt + allowed {
            closedCycles[index].state = .failed
            let late = Set(closedCycles[index].instructions.filter { !$0.isConfirmed }.map(\.member))
            record(
                .settlementDeadlineMissed(
                    cycle: closedCycles[index].number, members: late.sorted { $0.alpha3 < $1.alpha3 }))
        }
        markOverdueExcessSettlements(allowedNanoseconds: allowed)
    }

    mutating func closeCycle(number: UInt32) -> HubResult {
        guard number == cycle.number else { return .refused(.cycleNotOpen) }
        closeOpenCycle()
        return .ok
    }

    /// Gridlock resolution first when the policy asks for it, then the close.
    mutating func closeOpenCycle() {
        if gridlockPolicy.beforeCycleClose && queuedCount > 0 { record(.gridlockResolved(resolveGridlock())) }
        closeOpenCycleNow()
    }

    /// Nets the open cycle (`CycleClose`), books what the close implies (imbalance charges,
    /// pay-out reservations), records the closing positions and opens the next cycle.
    private mutating func closeOpenCycleNow() {
        cycle.fit(participants: participants.count, members: members.count)
        let fixing = fixingIndex(at: now)
        let closingMembers = members.hubIndices.map { index in
            CycleClose.Member(
                id: members[index].member.id, currency: members[index].member.currency,
                currencyExponent: members[index].currencyExponent,
                ratePerUnit: fixing.flatMap { fixings[$0].rate(of: index) })
        }
        let banks = participants.hubIndices.map { index in
            let position = ledger.account(id: participants[index].positionAccountID)!
            return CycleClose.Bank(
                bic: participants[index].participant.bic, member: participants[index].memberIndex.int,
                netDebitCapMinor: participants[index].participant.netDebitCapMinor,
                availableMinor: positionBalance(participant: index),
                postedMinor: Int64(truncatingIfNeeded: Int128(position.creditsPosted) - Int128(position.debitsPosted)))
        }
        var closed = CycleClose.report(
            totals: cycle, banks: banks, members: closingMembers, unit: configuration.unit,
            fixingInForce: fixing != nil,
            closedAt: now, lastLedgerTimestamp: ledger.lastTimestamp)
        closed.charges = applyImbalanceRules(cycleNumber: closed.number)
        closed.excessSettlements = CycleClose.excessSettlements(
            members: closingMembers,
            grossPositionsMinor: members.hubIndices.map { unionBalance(member: $0) &- members[$0].assetConfirmedMinor },
            quotasUnitMinor: members.map(\.member.quotaUnitMinor), issuedMinor: members.map(\.assetIssuedMinor),
            rules: imbalanceRules)
        for settlement in closed.excessSettlements {
            let member = memberIndexByID[settlement.member.alpha3]!
            members[member].assetIssuedMinor +=
                settlement.direction == .memberPays ? settlement.amountUnitMinor : -settlement.amountUnitMinor
            if settlement.direction == .memberPays { excessPayInsDue.append((closed.number, member)) }
        }
        reservePayouts(closed.instructions)
        // The window ends after what the close itself booked (charges, pay-out reservations).
        closed.lastLedgerTimestamp = ledger.lastTimestamp
        for index in members.hubIndices {
            let union = ledger.account(id: members[index].unionAccountID)!
            closed.members[index.int].closingUnionPositionMinor = unionBalance(member: index)
            closed.members[index.int].closingUnionPostedMinor = Int64(
                truncatingIfNeeded: Int128(union.creditsPosted) - Int128(union.debitsPosted))
        }
        closedCycles.append(closed)
        noteCycleClosed(closed)
        record(.cycleClosed(closed))
        deliverCycleClosed(closed.number)
        cycle = CycleAccumulator(number: cycle.number + 1, openedAt: now)
        cycle.ledgerTimestampAtOpen = closed.lastLedgerTimestamp
    }

    /// Brings a member's ∫ position dt up to now; call before its union position changes.
    mutating func accrueUnionPosition(member: MemberIndex) {
        cycle.fit(participants: participants.count, members: members.count)
        let elapsed = now - cycle.integratedUntil[member.int]
        if elapsed > 0 {
            cycle.positionIntegral[member.int] += Int128(unionBalance(member: member)) * Int128(elapsed)
            cycle.integratedUntil[member.int] = now
        }
    }

    /// Pay-outs are reserved at close (pending: they count as spent at once), so receipts of
    /// the closed cycle cannot also fund the next one; confirmation posts them. Pay-ins are
    /// booked only when the central bank confirms the money arrived.
    private mutating func reservePayouts(_ instructions: [SettlementInstruction]) {
        for instruction in instructions where instruction.direction == .payOut {
            let (participantIndex, member) = settlementParties(instruction)
            ledgerEvents.removeAll(keepingCapacity: true)
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: HubTransferID.settlement(cycle: instruction.cycle, instruction: instruction.index),
                        debitAccountID: participants[participantIndex].positionAccountID,
                        creditAccountID: member.fundingAccountID,
                        amount: UInt128(instruction.amountMinor), ledger: member.ledger,
                        code: HubTransferCode.settlement.rawValue, flags: .pending)))
            precondition(applyLedgerChain(), "a pay-out could not be reserved")
            checkAlarm(participant: participantIndex)
        }
    }

    private func settlementParties(_ instruction: SettlementInstruction) -> (ParticipantIndex, MemberRecord) {
        let participantIndex = participantIndexByBIC.value(for: UInt128(instruction.participant.packed))!
        return (participantIndex, members[participants[participantIndex].memberIndex])
    }

    /// A member's central bank confirms it executed instructions in its RTGS: one, or (index
    /// nil) all of its open ones in the cycle. A pay-in is booked (funding -> position); a
    /// pay-out, reserved at close, is posted (position -> funding). Together they bring each
    /// participant's position back to its prefunded balance. All confirmed: the cycle is settled.
    mutating func confirmSettlement(
        cycle number: UInt32, member: CountryCode, index: Int?, amountMinor: Int64?, actor: Actor
    ) -> HubResult {
        if let answer = archivedCycleAnswer(number: number, excessMember: nil) { return answer }
        guard let cycleIndex = closedCycles.firstIndex(where: { $0.number == number }) else {
            return .refused(.cycleNotFound)
        }
        guard closedCycles[cycleIndex].state == .settling || closedCycles[cycleIndex].state == .failed else {
            return .refused(.cycleNotSettling)
        }
        switch actor {
        case .operatorUser: break
        case .member(let id) where id == member: break
        default: return .refused(.notAllowedForActor)
        }
        let targets: [Int]
        if let index {
            guard closedCycles[cycleIndex].instructions.indices.contains(index),
                closedCycles[cycleIndex].instructions[index].member == member
            else { return .refused(.instructionNotFound) }
            let instruction = closedCycles[cycleIndex].instructions[index]
            guard !instruction.isConfirmed else { return .refused(.instructionAlreadyConfirmed) }
            guard amountMinor == nil || amountMinor == instruction.amountMinor else {
                return .refused(.instructionAmountDiffers)
            }
            targets = [index]
        } else {
            targets = closedCycles[cycleIndex].instructions.indices.filter {
                closedCycles[cycleIndex].instructions[$0].member == member
                    && !closedCycles[cycleIndex].instructions[$0].isConfirmed
            }
            guard !targets.isEmpty else { return .refused(.instructionNotFound) }
        }
        for target in targets { bookSettlement(cycleIndex: cycleIndex, instructionIndex: target) }
        if closedCycles[cycleIndex].instructions.allSatisfy(\.isConfirmed) {
            closedCycles[cycleIndex].state = .settled
            noteCycleSettled(number)
            record(.cycleSettled(number: number))
        }
        return .ok
    }

    private mutating func bookSettlement(cycleIndex: Int, instructionIndex: Int) {
        let instruction = closedCycles[cycleIndex].instructions[instructionIndex]
        let (participantIndex, member) = settlementParties(instruction)
        let transferID = HubTransferID.settlement(cycle: instruction.cycle, instruction: instruction.index)
        ledgerEvents.removeAll(keepingCapacity: true)
        if instruction.direction == .payIn {
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: transferID, debitAccountID: member.fundingAccountID,
                        creditAccountID: participants[participantIndex].positionAccountID,
                        amount: UInt128(instruction.amountMinor), ledger: member.ledger,
                        code: HubTransferCode.settlement.rawValue)))
        } else {
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: HubTransferID.settlementPost(cycle: instruction.cycle, instruction: instruction.index),
                        debitAccountID: 0, creditAccountID: 0, amount: 0, ledger: 0,
                        code: 0,
                        flags: .postPendingTransfer, pendingID: transferID)))
        }
        precondition(applyLedgerChain(), "a settlement transfer could not be booked")
        closedCycles[cycleIndex].instructions[instructionIndex].isConfirmed = true
        deliver(
            .settlementBooked, to: participantIndex,
            subject: Delivery.settlementSubject(cycle: instruction.cycle, index: instruction.index), status: .accepted)
        if instruction.direction == .payIn { afterInflow(payee: participantIndex, crossMember: false) }
    }

    /// The closed cycles in memory, oldest first: every one unless archiving is on (then the
    /// newest; numbers up to `archivedCycleCount` are in the store's archive).
    public var cycles: [CycleReport] { closedCycles }

    /// The number of the cycle open now.
    public var openCycleNumber: UInt32 { cycle.number }
}
