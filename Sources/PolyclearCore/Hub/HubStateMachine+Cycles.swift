/// Clearing cycles: every accepted payment belongs to the cycle open when it was accepted.
/// Closing nets the cycle (from running totals kept as payments are booked), issues the
/// settlement instructions of the domestic legs, and opens the next cycle at once, so intake
/// never stops. Commands are applied one at a time, so a payment accepted before the close
/// command is in the closing cycle and one accepted after it in the next: never both, never
/// neither.
extension HubStateMachine {
    static func settlementTransferID(cycle: UInt32, index: Int) -> UInt128 {
        UInt128(3) << 120 | UInt128(cycle) << 32 | UInt128(index)
    }

    /// Adds an accepted payment to the open cycle's totals.
    mutating func recordInOpenCycle(_ index: UInt32) {
        cycle.fit(participants: participants.count, members: members.count)
        let payment = payments[Int(index)]
        payments[Int(index)].cycle = cycle.number
        cycle.paymentCount += 1
        cycle.participantSent[Int(payment.payerIndex)] += Int128(payment.payerAmountMinor)
        cycle.participantReceived[Int(payment.payeeIndex)] += Int128(payment.payeeAmountMinor)
        guard payment.unitAmountMinor != 0 else { return }
        let payerMember = Int(participants[Int(payment.payerIndex)].memberIndex)
        let payeeMember = Int(participants[Int(payment.payeeIndex)].memberIndex)
        cycle.memberUnitSent[payerMember] += Int128(payment.unitAmountMinor)
        cycle.memberUnitReceived[payeeMember] += Int128(payment.unitAmountMinor)
        cycle.bilateral[payerMember * cycle.memberCount + payeeMember] += Int128(payment.unitAmountMinor)
        cycle.grossUnit += Int128(payment.unitAmountMinor)
    }

    /// When the schedule closes the open cycle next, or the next settlement deadline falls.
    var cycleDueAt: UInt64? {
        let scheduled = cycleTriggers.dueTime(openedAt: cycle.openedAt)
        guard cycleTriggers.settlementDeadlineSeconds > 0,
            let settling = closedCycles.first(where: { $0.state == .settling })
        else { return scheduled }
        let deadline = settling.closedAt + UInt64(cycleTriggers.settlementDeadlineSeconds) * 1_000_000_000
        return min(scheduled ?? deadline, deadline)
    }

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

    /// Nets the open cycle, issues its instructions and opens the next one. A net payer gets a
    /// pay-in instruction for its net; a net receiver a pay-out of its net, reserved at once,
    /// but never more than keeps its position within its cap (its receipts may already back
    /// reserved payments): the rest carries over as its balance in the hub.
    private mutating func closeOpenCycleNow() {
        cycle.fit(participants: participants.count, members: members.count)
        var participantNets: [ParticipantNet] = []
        var instructions: [SettlementInstruction] = []
        var grossByMember = [Int128](repeating: 0, count: members.count)
        var neededByMember = [Int128](repeating: 0, count: members.count)
        var participantsNetByMember = [Int128](repeating: 0, count: members.count)
        for (index, record) in participants.enumerated() {
            let sent = cycle.participantSent[index], received = cycle.participantReceived[index]
            let net = received - sent
            let member = Int(record.memberIndex)
            let currency = members[member].member.currency
            grossByMember[member] += sent
            if net < 0 { neededByMember[member] += -net }
            participantsNetByMember[member] += net
            let position = ledger.account(id: record.positionAccountID)!
            participantNets.append(
                ParticipantNet(
                    bic: record.participant.bic, currency: currency, grossSentMinor: Int64(clamping: sent),
                    grossReceivedMinor: Int64(clamping: received), netMinor: Int64(clamping: net),
                    closingPostedMinor: Int64(
                        truncatingIfNeeded: Int128(position.creditsPosted) - Int128(position.debitsPosted))))
            // A pay-out never takes the position past its cap (receipts already committed to
            // reserved payments stay); what is not paid out stays in the hub as balance.
            let amount =
                net < 0
                ? -net
                : min(
                    net,
                    max(
                        0,
                        Int128(positionBalance(participant: UInt32(index)))
                            + Int128(record.participant.netDebitCapMinor)))
            if amount != 0 {
                instructions.append(
                    SettlementInstruction(
                        cycle: cycle.number, index: instructions.count, member: members[member].member.id,
                        participant: record.participant.bic,
                        currency: currency, direction: net < 0 ? .payIn : .payOut, amountMinor: Int64(clamping: amount),
                        isConfirmed: false))
            }
        }
        let memberNets = members.indices.map { index in
            MemberNet(
                id: members[index].member.id, currency: members[index].member.currency,
                participantsNetMinor: Int64(clamping: participantsNetByMember[index]),
                unitSentMinor: Int64(clamping: cycle.memberUnitSent[index]),
                unitReceivedMinor: Int64(clamping: cycle.memberUnitReceived[index]),
                unitNetMinor: Int64(clamping: cycle.memberUnitReceived[index] - cycle.memberUnitSent[index]))
        }
        let n = cycle.memberCount
        let bilateral = (0..<n).map { row in
            (0..<n).map { column in Int64(clamping: cycle.bilateral[row * n + column]) }
        }
        let efficiency = members.indices.map {
            NettingEfficiency(
                currency: members[$0].member.currency, gross: grossByMember[$0], needed: neededByMember[$0])
        }
        let report = CycleReport(
            number: cycle.number, openedAt: cycle.openedAt, closedAt: now,
            firstLedgerTimestamp: cycle.ledgerTimestampAtOpen + 1, lastLedgerTimestamp: ledger.lastTimestamp,
            state: instructions.isEmpty ? .settled : .settling,
            paymentCount: cycle.paymentCount, participants: participantNets, members: memberNets,
            bilateralUnitMinor: bilateral,
            efficiencyByCurrency: efficiency,
            overallEfficiency: overallEfficiency(gross: grossByMember, needed: neededByMember),
            instructions: instructions)
        var closed = report
        closed.charges = applyImbalanceRules(cycleNumber: report.number)
        if !imbalanceRules.excessSettlementAsset.isEmpty {
            closed.excessSettlements = members.indices.compactMap { index in
                let excess = -Int128(unionBalance(member: UInt32(index))) - Int128(members[index].member.quotaUnitMinor)
                guard excess > 0 else { return nil }
                return ExcessSettlement(
                    member: members[index].member.id, amountUnitMinor: Int64(excess),
                    settlementAsset: imbalanceRules.excessSettlementAsset, isConfirmed: false)
            }
        }
        reservePayouts(closed.instructions)
        // The window ends after what the close itself booked (charges, pay-out reservations).
        closed.lastLedgerTimestamp = ledger.lastTimestamp
        for index in closed.members.indices {
            let union = ledger.account(id: members[index].unionAccountID)!
            closed.members[index].closingUnionPositionMinor = unionBalance(member: UInt32(index))
            closed.members[index].closingUnionPostedMinor = Int64(
                truncatingIfNeeded: Int128(union.creditsPosted) - Int128(union.debitsPosted))
        }
        closedCycles.append(closed)
        record(.cycleClosed(closed))
        cycle = CycleAccumulator(number: cycle.number + 1, openedAt: now)
        cycle.ledgerTimestampAtOpen = closed.lastLedgerTimestamp
    }

    /// Brings a member's ∫ position dt up to now; call before its union position changes.
    mutating func accrueUnionPosition(member index: Int) {
        cycle.fit(participants: participants.count, members: members.count)
        let elapsed = now - cycle.integratedUntil[index]
        if elapsed > 0 {
            cycle.positionIntegral[index] += Int128(unionBalance(member: UInt32(index))) * Int128(elapsed)
            cycle.integratedUntil[index] = now
        }
    }

    /// Charges each member on its time-weighted average union position over the cycle (see
    /// `ImbalanceRules.charge`), booked union account -> union reserve, and raises the
    /// persistent-imbalance alarm. Returns the charges made.
    mutating func applyImbalanceRules(cycleNumber: UInt32) -> [MemberCharge] {
        let durationNanoseconds = now - cycle.openedAt
        var charges: [MemberCharge] = []
        while imbalanceStreaks.count < members.count { imbalanceStreaks.append(0) }
        for index in members.indices {
            accrueUnionPosition(member: index)
            let integral = cycle.positionIntegral[index]
            let average =
                durationNanoseconds == 0
                ? Int64(unionBalance(member: UInt32(index)))
                : Int64(integral.signum())
                    * Int64(DecimalMath.divideHalfEven(UInt128(integral.magnitude), UInt128(durationNanoseconds)))
            let quota = members[index].member.quotaUnitMinor
            let charge = imbalanceRules.charge(
                averagePositionMinor: average, quotaMinor: quota,
                cycleMilliseconds: Int64(durationNanoseconds / 1_000_000))
            if charge > 0 {
                ledgerEvents.removeAll(keepingCapacity: true)
                ledgerEvents.append(
                    .createTransfer(
                        Transfer(
                            id: UInt128(4) << 120 | UInt128(cycleNumber) << 32 | UInt128(index),
                            debitAccountID: members[index].unionAccountID,
                            creditAccountID: unionReserveAccountID, amount: UInt128(charge), ledger: unitLedger,
                            code: HubTransferCode.imbalanceCharge.rawValue)))
                precondition(applyLedgerChain(), "an imbalance charge could not be booked")
                charges.append(
                    MemberCharge(member: members[index].member.id, averagePositionMinor: average, chargeMinor: charge))
            }
            let position = unionBalance(member: UInt32(index))
            let beyond =
                Int128(position.magnitude) * 100 > Int128(imbalanceRules.persistentImbalancePercentOfQuota)
                * Int128(quota)
            imbalanceStreaks[index] = beyond ? imbalanceStreaks[index] + 1 : 0
            if imbalanceRules.persistentImbalanceCycles > 0
                && imbalanceStreaks[index] >= imbalanceRules.persistentImbalanceCycles
            {
                record(
                    .persistentImbalance(
                        member: members[index].member.id, cycles: imbalanceStreaks[index], positionMinor: position))
            }
        }
        return charges
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
                        id: Self.settlementTransferID(cycle: instruction.cycle, index: instruction.index),
                        debitAccountID: participants[Int(participantIndex)].positionAccountID,
                        creditAccountID: member.fundingAccountID,
                        amount: UInt128(instruction.amountMinor), ledger: member.ledger,
                        code: HubTransferCode.settlement.rawValue, flags: .pending)))
            precondition(applyLedgerChain(), "a pay-out could not be reserved")
            checkAlarm(participant: participantIndex)
        }
    }

    private func settlementParties(_ instruction: SettlementInstruction) -> (UInt32, MemberRecord) {
        let participantIndex = participantIndexByBIC.value(for: UInt128(instruction.participant.packed))!
        return (participantIndex, members[Int(participants[Int(participantIndex)].memberIndex)])
    }

    /// Gross and needed of every currency valued in the unit at the fixing in force (nil
    /// without one, or if a value does not convert).
    private func overallEfficiency(gross: [Int128], needed: [Int128]) -> NettingEfficiency? {
        guard let fixingIndex = fixingIndex(at: now) else { return nil }
        var grossUnit: Int128 = 0, neededUnit: Int128 = 0
        for index in members.indices {
            guard let rate = fixings[fixingIndex].ratesByMember[index],
                let g = try? FXConversion.unitMinor(
                    fromCurrencyMinor: Int64(clamping: gross[index]), currencyExponent: members[index].currencyExponent,
                    rate: rate, unitExponent: configuration.unit.exponent),
                let d = try? FXConversion.unitMinor(
                    fromCurrencyMinor: Int64(clamping: needed[index]),
                    currencyExponent: members[index].currencyExponent, rate: rate,
                    unitExponent: configuration.unit.exponent)
            else { return nil }
            grossUnit += Int128(g)
            neededUnit += Int128(d)
        }
        return NettingEfficiency(currency: configuration.unit.code, gross: grossUnit, needed: neededUnit)
    }

    /// A member's central bank confirms it executed instructions in its RTGS: one, or (index
    /// nil) all of its open ones in the cycle. A pay-in is booked (funding -> position); a
    /// pay-out, reserved at close, is posted (position -> funding). Together they bring each
    /// participant's position back to its prefunded balance. All confirmed: the cycle is settled.
    mutating func confirmSettlement(
        cycle number: UInt32, member: CountryCode, index: Int?, amountMinor: Int64?, actor: Actor
    ) -> HubResult {
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
            record(.cycleSettled(number: number))
        }
        return .ok
    }

    private mutating func bookSettlement(cycleIndex: Int, instructionIndex: Int) {
        let instruction = closedCycles[cycleIndex].instructions[instructionIndex]
        let (participantIndex, member) = settlementParties(instruction)
        let transferID = Self.settlementTransferID(cycle: instruction.cycle, index: instruction.index)
        ledgerEvents.removeAll(keepingCapacity: true)
        if instruction.direction == .payIn {
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: transferID, debitAccountID: member.fundingAccountID,
                        creditAccountID: participants[Int(participantIndex)].positionAccountID,
                        amount: UInt128(instruction.amountMinor), ledger: member.ledger,
                        code: HubTransferCode.settlement.rawValue)))
        } else {
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: transferID | UInt128(1) << 119, debitAccountID: 0, creditAccountID: 0, amount: 0, ledger: 0,
                        code: 0,
                        flags: .postPendingTransfer, pendingID: transferID)))
        }
        precondition(applyLedgerChain(), "a settlement transfer could not be booked")
        closedCycles[cycleIndex].instructions[instructionIndex].isConfirmed = true
        if instruction.direction == .payIn { afterInflow(payee: participantIndex, crossMember: false) }
    }

    /// The union confirms it received a member's excess settlement: the member's union debt
    /// falls by the amount (settlement assets -> member union account).
    mutating func confirmExcessSettlement(
        cycle number: UInt32, member: CountryCode, amountUnitMinor: Int64, actor: Actor
    ) -> HubResult {
        guard case .operatorUser = actor else { return .refused(.notAllowedForActor) }
        guard let cycleIndex = closedCycles.firstIndex(where: { $0.number == number }) else {
            return .refused(.cycleNotFound)
        }
        guard
            let settlementIndex = closedCycles[cycleIndex].excessSettlements.firstIndex(where: { $0.member == member })
        else {
            return .refused(.excessSettlementNotFound)
        }
        let settlement = closedCycles[cycleIndex].excessSettlements[settlementIndex]
        guard !settlement.isConfirmed else { return .refused(.instructionAlreadyConfirmed) }
        guard settlement.amountUnitMinor == amountUnitMinor else { return .refused(.instructionAmountDiffers) }
        let memberIndex = memberIndexByID[member.alpha3]!
        accrueUnionPosition(member: Int(memberIndex))
        ledgerEvents.removeAll(keepingCapacity: true)
        ledgerEvents.append(
            .createTransfer(
                Transfer(
                    id: UInt128(5) << 120 | UInt128(number) << 32 | UInt128(memberIndex),
                    debitAccountID: unionSettlementAssetsAccountID,
                    creditAccountID: members[Int(memberIndex)].unionAccountID, amount: UInt128(amountUnitMinor),
                    ledger: unitLedger,
                    code: HubTransferCode.excessSettlement.rawValue)))
        precondition(applyLedgerChain(), "an excess settlement could not be booked")
        closedCycles[cycleIndex].excessSettlements[settlementIndex].isConfirmed = true
        checkAlarm(member: memberIndex)
        releaseQueued(participants: [], members: [memberIndex])
        return .ok
    }

    /// Every closed cycle, oldest first.
    public var cycles: [CycleReport] { closedCycles }

    /// The number of the cycle open now.
    public var openCycleNumber: UInt32 { cycle.number }
}
