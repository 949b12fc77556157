/// Booking of a cross-member payment of `a` (payer currency A) for `b` (payee currency B):
/// 1. payer position -> member A hub account, `a`            (ledger A)
/// 2. member A union account -> member B union account, `u`  (unit ledger)
/// 3. member B hub account -> payee position, `b`            (ledger B)
/// 4. the rounding residue between the specified side's hub account and the union's rounding
///    account on that currency's ledger.
/// Rounding rule: `u` is the specified amount converted to the unit, half-even; the other
/// side's amount is `u` converted back to its currency, half-even. The specified side's hub
/// account moves by exactly the value of `u` in its currency; the difference between that
/// and the specified amount (the residue) goes to the union rounding account. So members'
/// union positions always sum to zero, and every ledger balances to the minor unit.
/// A payment between two participants of one member is one transfer, payer -> payee.
extension HubStateMachine {
    struct Amounts {
        var payer: Int64
        var payee: Int64
        var unit: Int64
        /// Value of `unit` on the specified side minus the specified amount.
        var residue: Int64
        var fixingVersion: UInt32
    }

    // `mutating` only so that calls from the mutating payment path borrow `self` instead of
    // copying the whole hub (a non-mutating call there copied it: 20 retains a payment).
    mutating func convert(_ index: PaymentIndex) -> Result<Amounts, PaymentRejection> {
        let amountMinor = payments[index].amountMinor
        let payerMember = participants[payments[index].payerIndex].memberIndex
        let payeeMember = participants[payments[index].payeeIndex].memberIndex
        if payerMember == payeeMember {
            return .success(Amounts(payer: amountMinor, payee: amountMinor, unit: 0, residue: 0, fixingVersion: 0))
        }
        // No closure here: capturing `self` in one copied the whole hub on every payment.
        var lockedFixing: Int? = nil
        if let quote = payments[index].quoteIndex { lockedFixing = quoteRecords[quote].fixingIndex }
        guard let fixingIndex = lockedFixing ?? Self.fixingIndex(in: fixings, at: now),
            let payerRate = fixings[fixingIndex].rate(of: payerMember),
            let payeeRate = fixings[fixingIndex].rate(of: payeeMember)
        else { return .failure(.noFixingForCurrency) }
        let unitExponent = configuration.unit.exponent
        let specifiedIsPayer = payments[index].amountSide == .payerDebit
        let (specifiedRate, otherRate) = specifiedIsPayer ? (payerRate, payeeRate) : (payeeRate, payerRate)
        let (specifiedExponent, otherExponent) =
            specifiedIsPayer
            ? (members[payerMember].currencyExponent, members[payeeMember].currencyExponent)
            : (members[payeeMember].currencyExponent, members[payerMember].currencyExponent)
        do {
            let unit = try FXConversion.unitMinor(
                fromCurrencyMinor: amountMinor, currencyExponent: specifiedExponent, rate: specifiedRate,
                unitExponent: unitExponent)
            let specifiedValue = try FXConversion.currencyMinor(
                fromUnitMinor: unit, currencyExponent: specifiedExponent, rate: specifiedRate,
                unitExponent: unitExponent)
            let other = try FXConversion.currencyMinor(
                fromUnitMinor: unit, currencyExponent: otherExponent, rate: otherRate, unitExponent: unitExponent)
            guard unit > 0, other > 0, specifiedValue > 0 else { return .failure(.amountZeroAfterConversion) }
            let residue = specifiedValue - amountMinor
            return .success(
                specifiedIsPayer
                    ? Amounts(
                        payer: amountMinor, payee: other, unit: unit, residue: residue,
                        fixingVersion: fixings[fixingIndex].fixing.version)
                    : Amounts(
                        payer: other, payee: amountMinor, unit: unit, residue: residue,
                        fixingVersion: fixings[fixingIndex].fixing.version))
        } catch {
            return .failure(.amountTooLarge)
        }
    }

    /// The payer's position may not fall below minus its cap; its member's union position
    /// not below minus its quota where the rules make the quota stop payments (`hard` mode, or
    /// a member late with an excess settlement). Pending debits count as spent.
    mutating func fitsLimits(_ index: PaymentIndex, _ amounts: Amounts) -> Bool {  // mutating: see `convert`
        let payerIndex = payments[index].payerIndex
        let available =
            Int128(positionBalance(participant: payerIndex))
            + Int128(participants[payerIndex].participant.netDebitCapMinor)
        guard Int128(amounts.payer) <= available else { return false }
        guard amounts.unit != 0 else { return true }
        let memberIndex = participants[payerIndex].memberIndex
        guard imbalanceRules.enforcesQuota(isInDefault: members[memberIndex].overdueExcessCount > 0) else {
            return true
        }
        return Int128(amounts.unit) <= Int128(unionBalance(member: memberIndex))
            + Int128(members[memberIndex].member.quotaUnitMinor)
    }

    /// Books every leg as one linked ledger chain (pending legs for a two-phase payment).
    mutating func book(_ index: PaymentIndex, _ amounts: Amounts) -> Bool {
        let paymentID = payments[index].id
        let isTwoPhase = payments[index].isTwoPhase
        let specifiedIsPayer = payments[index].amountSide == .payerDebit
        let payerIndex = payments[index].payerIndex, payeeIndex = payments[index].payeeIndex
        let payerPosition = participants[payerIndex].positionAccountID,
            payeePosition = participants[payeeIndex].positionAccountID
        let payerMember = members[participants[payerIndex].memberIndex].accounts
        let payeeMember = members[participants[payeeIndex].memberIndex].accounts
        ledgerEvents.removeAll(keepingCapacity: true)
        var legs: PaymentLegs = []
        func leg(
            _ number: UInt8, _ debit: UInt128, _ credit: UInt128, _ amount: Int64, _ ledgerID: UInt32,
            _ code: HubTransferCode
        ) {
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: HubTransferID.paymentLeg(index, leg: number), debitAccountID: debit,
                        creditAccountID: credit,
                        amount: UInt128(amount), ledger: ledgerID, code: code.rawValue,
                        flags: isTwoPhase ? Self.pendingLinked : .linked, userReference: paymentID)))
        }
        if amounts.unit == 0 {
            leg(0, payerPosition, payeePosition, amounts.payer, payerMember.ledger, .payerLeg)
            legs = [.payer]
        } else {
            leg(0, payerPosition, payerMember.hubAccountID, amounts.payer, payerMember.ledger, .payerLeg)
            leg(1, payerMember.unionAccountID, payeeMember.unionAccountID, amounts.unit, unitLedger, .unitLeg)
            leg(2, payeeMember.hubAccountID, payeePosition, amounts.payee, payeeMember.ledger, .payeeLeg)
            legs = [.payer, .unit, .payee]
            if amounts.residue != 0 {
                // Specified side's hub account ends at exactly the value of `unit`.
                let side = specifiedIsPayer ? payerMember : payeeMember
                let hubGetsMore = (amounts.residue > 0) == specifiedIsPayer
                let (debit, credit) =
                    hubGetsMore
                    ? (side.roundingAccountID, side.hubAccountID) : (side.hubAccountID, side.roundingAccountID)
                leg(3, debit, credit, Int64(amounts.residue.magnitude), side.ledger, .roundingResidue)
                legs.insert(.residue)
            }
        }
        ledgerEvents[ledgerEvents.count - 1] = Self.unlinked(ledgerEvents[ledgerEvents.count - 1])
        if amounts.unit != 0 {
            accrueUnionPosition(member: participants[payerIndex].memberIndex)
            accrueUnionPosition(member: participants[payeeIndex].memberIndex)
        }
        guard applyLedgerChain() else { return false }
        payments[index].payerAmountMinor = amounts.payer
        payments[index].payeeAmountMinor = amounts.payee
        payments[index].unitAmountMinor = amounts.unit
        payments[index].fixingVersion = amounts.fixingVersion
        payments[index].legs = legs
        return true
    }

    static let pendingLinked = TransferFlags(rawValue: TransferFlags.pending.rawValue | TransferFlags.linked.rawValue)

    static func unlinked(_ event: LedgerEvent) -> LedgerEvent {
        guard case .createTransfer(var transfer) = event else { return event }
        transfer.flags.remove(.linked)
        return .createTransfer(transfer)
    }
}
