/// The union's imbalance rules at work: charges on average positions (kept or redistributed),
/// excess settlements in the settlement asset confirmed by the union, members in default when
/// a pay-in is late, and the year-end rules.
extension HubStateMachine {
    /// Charges each member on its time-weighted average union position over the cycle (see
    /// `ImbalanceRules.charge`), booked union account -> union reserve, and raises the
    /// persistent-imbalance alarm. Returns the charges made.
    mutating func applyImbalanceRules(cycleNumber: UInt32) -> [MemberCharge] {
        let durationNanoseconds = now - cycle.openedAt
        var charges: [MemberCharge] = []
        var averages: [Int64] = []
        while imbalanceStreaks.count < members.count { imbalanceStreaks.append(0) }
        for member in members.hubIndices {
            let index = member.int
            accrueUnionPosition(member: member)
            let integral = cycle.positionIntegral[index]
            let average =
                durationNanoseconds == 0
                ? Int64(unionBalance(member: member))
                : Int64(integral.signum())
                    * Int64(DecimalMath.divideHalfEven(UInt128(integral.magnitude), UInt128(durationNanoseconds)))
            averages.append(average)
            let quota = members[index].member.quotaUnitMinor
            let charge = imbalanceRules.charge(
                averagePositionMinor: average, quotaMinor: quota,
                cycleMilliseconds: Int64(durationNanoseconds / 1_000_000))
            if charge > 0 {
                ledgerEvents.removeAll(keepingCapacity: true)
                ledgerEvents.append(
                    .createTransfer(
                        Transfer(
                            id: HubTransferID.imbalanceCharge(cycle: cycleNumber, member: member),
                            debitAccountID: members[index].unionAccountID,
                            creditAccountID: unionReserveAccountID, amount: UInt128(charge), ledger: unitLedger,
                            code: HubTransferCode.imbalanceCharge.rawValue)))
                precondition(applyLedgerChain(), "an imbalance charge could not be booked")
                charges.append(
                    MemberCharge(member: members[index].member.id, averagePositionMinor: average, chargeMinor: charge))
            }
            let position = unionBalance(member: member)
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
        if imbalanceRules.chargeDisposition == .redistribute {
            redistributeCharges(cycleNumber: cycleNumber, charges: &charges, averages: averages)
        }
        return charges
    }

    /// Pays what each side was charged to the members on the other side, in proportion to
    /// their average positions (exact: largest remainders), union reserve -> member union
    /// account. A side with nobody opposite keeps its charges in the reserve.
    private mutating func redistributeCharges(cycleNumber: UInt32, charges: inout [MemberCharge], averages: [Int64]) {
        var received = [Int64](repeating: 0, count: members.count)
        for debtorsPay in [true, false] {
            let collected = charges.reduce(Int64(0)) { total, charge in
                (charge.averagePositionMinor < 0) == debtorsPay ? total + charge.chargeMinor : total
            }
            let weights = averages.map { average in
                (debtorsPay ? average > 0 : average < 0) ? average.magnitude : 0
            }
            guard let shares = SettlementSchedule.proportionalShares(of: collected, weights: weights) else { continue }
            for (index, share) in shares.enumerated() where share > 0 { received[index] += share }
        }
        for member in members.hubIndices where received[member.int] > 0 {
            ledgerEvents.removeAll(keepingCapacity: true)
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: HubTransferID.chargeRedistribution(cycle: cycleNumber, member: member),
                        debitAccountID: unionReserveAccountID, creditAccountID: members[member].unionAccountID,
                        amount: UInt128(received[member.int]), ledger: unitLedger,
                        code: HubTransferCode.chargeRedistribution.rawValue)))
            precondition(applyLedgerChain(), "a charge redistribution could not be booked")
            let id = members[member].member.id
            if let charged = charges.firstIndex(where: { $0.member == id }) {
                charges[charged].receivedMinor = received[member.int]
            } else {
                charges.append(
                    MemberCharge(
                        member: id, averagePositionMinor: averages[member.int], chargeMinor: 0,
                        receivedMinor: received[member.int]))
            }
        }
        charges.sort { memberIndexByID[$0.member.alpha3]!.raw < memberIndexByID[$1.member.alpha3]!.raw }
    }

    /// An excess pay-in unconfirmed at the deadline puts its member in default: from now until
    /// it pays, the quota stops the member's payments (`hard` for that member only). Pay-ins
    /// are due in close order, so only the front of the list can be late.
    mutating func markOverdueExcessSettlements(allowedNanoseconds allowed: UInt64) {
        while let first = excessPayInsDue.first {
            guard let cycleIndex = closedCycles.firstIndex(where: { $0.number == first.cycle }),
                now >= closedCycles[cycleIndex].closedAt + allowed
            else { return }
            excessPayInsDue.removeFirst()
            let id = members[first.member].member.id
            guard let settlement = closedCycles[cycleIndex].excessSettlements.first(where: { $0.member == id }),
                !settlement.isConfirmed
            else { continue }
            members[first.member].overdueExcessCount += 1
            overdueExcessSettlements.insert(OverdueExcess(cycle: first.cycle, member: first.member))
            record(
                .excessSettlementOverdue(cycle: first.cycle, member: id, amountUnitMinor: settlement.amountUnitMinor))
        }
    }

    /// The union confirms it received a member's excess settlement: the member's union debt
    /// falls by the amount (settlement assets -> member union account).
    mutating func confirmExcessSettlement(
        cycle number: UInt32, member: CountryCode, amountUnitMinor: Int64, actor: Actor
    ) -> HubResult {
        guard case .operatorUser = actor else { return .refused(.notAllowedForActor) }
        if let answer = archivedCycleAnswer(number: number, excessMember: member) { return answer }
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
        accrueUnionPosition(member: memberIndex)
        // The member pays: assets in, its union debt falls. The union pays: assets out, its
        // union claim falls.
        let memberPays = settlement.direction == .memberPays
        let (debit, credit) =
            memberPays
            ? (unionSettlementAssetsAccountID, members[memberIndex].unionAccountID)
            : (members[memberIndex].unionAccountID, unionSettlementAssetsAccountID)
        ledgerEvents.removeAll(keepingCapacity: true)
        ledgerEvents.append(
            .createTransfer(
                Transfer(
                    id: HubTransferID.excessSettlement(cycle: number, member: memberIndex), debitAccountID: debit,
                    creditAccountID: credit, amount: UInt128(amountUnitMinor), ledger: unitLedger,
                    code: HubTransferCode.excessSettlement.rawValue)))
        precondition(applyLedgerChain(), "an excess settlement could not be booked")
        closedCycles[cycleIndex].excessSettlements[settlementIndex].isConfirmed = true
        members[memberIndex].assetConfirmedMinor += memberPays ? amountUnitMinor : -amountUnitMinor
        if overdueExcessSettlements.remove(OverdueExcess(cycle: number, member: memberIndex)) != nil {
            members[memberIndex].overdueExcessCount -= 1
        }
        checkAlarm(member: memberIndex)
        releaseQueued(participants: [], members: [memberIndex])
        return .ok
    }

    /// The year ends: under Keynes' rule each creditor's position beyond its quota passes to
    /// the union reserve (member union account -> reserve); otherwise nothing happens.
    mutating func endYear() {
        yearsEnded += 1
        guard imbalanceRules.creditorExcessAtYearEnd == .toReserve else { return }
        for member in members.hubIndices {
            let beyond = Int128(unionBalance(member: member)) - Int128(members[member].member.quotaUnitMinor)
            guard beyond > 0 else { continue }
            accrueUnionPosition(member: member)
            ledgerEvents.removeAll(keepingCapacity: true)
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: HubTransferID.yearEnd(yearsEnded, member: member),
                        debitAccountID: members[member].unionAccountID, creditAccountID: unionReserveAccountID,
                        amount: UInt128(beyond), ledger: unitLedger, code: HubTransferCode.yearEndToReserve.rawValue)))
            precondition(applyLedgerChain(), "a year-end transfer could not be booked")
            checkAlarm(member: member)
        }
    }
}
