/// Payments: check, convert at the fixing, book as one chain, or queue.
///
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

    static func transferID(payment index: UInt32, leg: UInt8) -> UInt128 {
        UInt128(1) << 120 | UInt128(index) << 4 | UInt128(leg)
    }

    mutating func submitPayment(_ instruction: PaymentInstruction) -> HubResult {
        let fingerprint = PaymentValidation.fingerprint(instruction)
        if let existing = paymentIndexByID.value(for: instruction.id) {
            // Idempotency: the same instruction gets the original's outcome; another one is refused.
            if payments[Int(existing)].fingerprint == fingerprint { return .payment(payments[Int(existing)].state) }
            return .payment(PaymentState(id: instruction.id, status: .rejected, rejection: .duplicatePaymentID,
                                         payerAmountMinor: 0, payeeAmountMinor: 0, unitAmountMinor: 0, fixingVersion: 0))
        }
        guard instruction.id != 0 else {
            return .payment(PaymentState(id: 0, status: .rejected, rejection: .malformedField,
                                         payerAmountMinor: 0, payeeAmountMinor: 0, unitAmountMinor: 0, fixingVersion: 0))
        }
        let payerIndex = participantIndexByBIC.value(for: UInt128(instruction.payer.packed))
        let payeeIndex = participantIndexByBIC.value(for: UInt128(instruction.payee.packed))
        let index = UInt32(payments.count)
        paymentIndexByID.insertNew(instruction.id, index)
        payments.append(PaymentRecord(
            id: instruction.id, fingerprint: fingerprint, status: .received, payerIndex: payerIndex ?? .max,
            payeeIndex: payeeIndex ?? .max, priority: instruction.priority, instruction: instruction))
        record(.paymentStatus(id: instruction.id, status: .received, rejection: nil, actor: .participant(instruction.payer)))

        if let rejection = admissionRejection(instruction, payerIndex: payerIndex, payeeIndex: payeeIndex) {
            finish(index, .rejected, rejection, actor: .system)
        } else if isScreeningHit(instruction, payerIndex: payerIndex!, payeeIndex: payeeIndex!) {
            setStatus(index, .held, actor: .system)
        } else if process(index, mayQueue: true) {
            afterBooking(index)
        }
        return .payment(payments[Int(index)].state)
    }

    /// What a booked payment sets in motion: alarms on the payer side and, once final, the
    /// inflow's chance to release queued payments.
    mutating func afterBooking(_ index: UInt32) {
        let payment = payments[Int(index)]
        afterOutflow(payer: payment.payerIndex)
        if payment.status == .accepted { afterInflow(payee: payment.payeeIndex, crossMember: payment.unitAmountMinor != 0) }
    }

    /// Checks in order; the first failure is the payment's rejection reason.
    private mutating func admissionRejection(
        _ p: PaymentInstruction, payerIndex: UInt32?, payeeIndex: UInt32?
    ) -> PaymentRejection? {
        guard PaymentValidation.isWellFormed(p) else { return .malformedField }
        guard p.amountMinor > 0 else { return .amountNotPositive }
        guard let payerIndex else { return .unknownPayer }
        guard let payeeIndex else { return .unknownPayee }
        guard payerIndex != payeeIndex else { return .payerIsPayee }
        let payer = participants[Int(payerIndex)], payee = participants[Int(payeeIndex)]
        guard payer.participant.status == .active else { return .payerSuspended }
        guard payee.participant.status == .active else { return .payeeSuspended }
        guard members[Int(payer.memberIndex)].member.status == .active else { return .payerMemberSuspended }
        guard members[Int(payee.memberIndex)].member.status == .active else { return .payeeMemberSuspended }
        if let quoteID = p.quoteID {
            guard let quoteIndex = quotes.value(for: quoteID) else { return .quoteNotFound }
            let quote = quoteRecords[Int(quoteIndex)]
            guard quote.payerIndex == payerIndex, quote.payeeIndex == payeeIndex else { return .quoteForOtherParties }
            guard !quote.isUsed else { return .quoteAlreadyUsed }
            guard now < quote.expiresAt else { return .quoteExpired }
            quoteRecords[Int(quoteIndex)].isUsed = true
            payments[payments.count - 1].quoteIndex = Int(quoteIndex)
        }
        return nil
    }

    /// Converts and books the payment, or queues it (when allowed), or rejects it.
    /// Returns true if it was booked (accepted or reserved); the caller runs the after-effects
    /// (`afterBooking`), so that a release in progress keeps control of its worklist.
    @discardableResult
    mutating func process(_ index: UInt32, mayQueue: Bool) -> Bool {
        let amounts: Amounts
        switch convert(index) {
        case .success(let converted): amounts = converted
        case .failure(let rejection):
            finish(index, .rejected, rejection, actor: .system)
            return false
        }
        let payment = payments[Int(index)]
        let blockedByQueue = mayQueue && hasQueueAhead(payer: payment.payerIndex, priority: payment.priority)
        if blockedByQueue || !fitsLimits(index, amounts) {
            if payment.instruction!.immediateOrReject {
                finish(index, .rejected, .insufficientLiquidity, actor: .system)
            } else if mayQueue {
                enqueue(index)
            }
            return false
        }
        guard book(index, amounts) else {
            finish(index, .rejected, .amountTooLarge, actor: .system)  // a balance would overflow
            return false
        }
        let isTwoPhase = payments[Int(index)].instruction!.isTwoPhase
        if isTwoPhase {
            let timeout = payments[Int(index)].instruction!.timeoutSeconds
            let seconds = timeout == 0 ? configuration.defaultReservationTimeoutSeconds : timeout
            payments[Int(index)].expiresAt = now + UInt64(seconds) * 1_000_000_000
            reservationExpiries.insert(.init(expiresAt: payments[Int(index)].expiresAt, pendingID: payments[Int(index)].id))
            setStatus(index, .reserved, actor: .system)
        } else {
            finish(index, .accepted, nil, actor: .system)
        }
        return true
    }

    func convert(_ index: UInt32) -> Result<Amounts, PaymentRejection> {
        let payment = payments[Int(index)]
        let instruction = payment.instruction!
        let payerMember = participants[Int(payment.payerIndex)].memberIndex
        let payeeMember = participants[Int(payment.payeeIndex)].memberIndex
        if payerMember == payeeMember {
            return .success(Amounts(payer: instruction.amountMinor, payee: instruction.amountMinor, unit: 0, residue: 0, fixingVersion: 0))
        }
        let fixingIndex = payment.quoteIndex.map { quoteRecords[$0].fixingIndex } ?? fixingIndex(at: now)
        guard let fixingIndex,
              let payerRate = fixings[fixingIndex].ratesByMember[Int(payerMember)],
              let payeeRate = fixings[fixingIndex].ratesByMember[Int(payeeMember)]
        else { return .failure(.noFixingForCurrency) }
        let unitExponent = configuration.unit.exponent
        let specifiedIsPayer = instruction.amountSide == .payerDebit
        let (specifiedRate, otherRate) = specifiedIsPayer ? (payerRate, payeeRate) : (payeeRate, payerRate)
        let (specifiedExponent, otherExponent) = specifiedIsPayer
            ? (members[Int(payerMember)].currencyExponent, members[Int(payeeMember)].currencyExponent)
            : (members[Int(payeeMember)].currencyExponent, members[Int(payerMember)].currencyExponent)
        do {
            let unit = try FXConversion.unitMinor(
                fromCurrencyMinor: instruction.amountMinor, currencyExponent: specifiedExponent, rate: specifiedRate, unitExponent: unitExponent)
            let specifiedValue = try FXConversion.currencyMinor(
                fromUnitMinor: unit, currencyExponent: specifiedExponent, rate: specifiedRate, unitExponent: unitExponent)
            let other = try FXConversion.currencyMinor(
                fromUnitMinor: unit, currencyExponent: otherExponent, rate: otherRate, unitExponent: unitExponent)
            guard unit > 0, other > 0, specifiedValue > 0 else { return .failure(.amountZeroAfterConversion) }
            let residue = specifiedValue - instruction.amountMinor
            return .success(specifiedIsPayer
                ? Amounts(payer: instruction.amountMinor, payee: other, unit: unit, residue: residue, fixingVersion: fixings[fixingIndex].fixing.version)
                : Amounts(payer: other, payee: instruction.amountMinor, unit: unit, residue: residue, fixingVersion: fixings[fixingIndex].fixing.version))
        } catch {
            return .failure(.amountTooLarge)
        }
    }

    /// The payer's position may not fall below minus its cap; its member's union position
    /// not below minus its quota. Pending debits count as spent.
    func fitsLimits(_ index: UInt32, _ amounts: Amounts) -> Bool {
        let payment = payments[Int(index)]
        let payer = participants[Int(payment.payerIndex)]
        let available = Int128(positionBalance(participant: payment.payerIndex)) + Int128(payer.participant.netDebitCapMinor)
        guard Int128(amounts.payer) <= available else { return false }
        guard amounts.unit != 0 else { return true }
        let member = members[Int(payer.memberIndex)]
        return Int128(amounts.unit) <= Int128(unionBalance(member: payer.memberIndex)) + Int128(member.member.quotaUnitMinor)
    }

    /// Books every leg as one linked ledger chain (pending legs for a two-phase payment).
    private mutating func book(_ index: UInt32, _ amounts: Amounts) -> Bool {
        let payment = payments[Int(index)]
        let isTwoPhase = payment.instruction!.isTwoPhase
        let payer = participants[Int(payment.payerIndex)], payee = participants[Int(payment.payeeIndex)]
        let payerMember = members[Int(payer.memberIndex)], payeeMember = members[Int(payee.memberIndex)]
        ledgerEvents.removeAll(keepingCapacity: true)
        var legs: PaymentLegs = []
        func leg(_ number: UInt8, _ debit: UInt128, _ credit: UInt128, _ amount: Int64, _ ledgerID: UInt32, _ code: HubTransferCode) {
            ledgerEvents.append(.createTransfer(Transfer(
                id: Self.transferID(payment: index, leg: number), debitAccountID: debit, creditAccountID: credit,
                amount: UInt128(amount), ledger: ledgerID, code: code.rawValue,
                flags: isTwoPhase ? [.pending, .linked] : .linked, userReference: payment.id)))
        }
        if amounts.unit == 0 {
            leg(0, payer.positionAccountID, payee.positionAccountID, amounts.payer, payerMember.ledger, .payerLeg)
            legs = [.payer]
        } else {
            leg(0, payer.positionAccountID, payerMember.hubAccountID, amounts.payer, payerMember.ledger, .payerLeg)
            leg(1, payerMember.unionAccountID, payeeMember.unionAccountID, amounts.unit, unitLedger, .unitLeg)
            leg(2, payeeMember.hubAccountID, payee.positionAccountID, amounts.payee, payeeMember.ledger, .payeeLeg)
            legs = [.payer, .unit, .payee]
            if amounts.residue != 0 {
                // Specified side's hub account ends at exactly the value of `unit`.
                let side = payment.instruction!.amountSide == .payerDebit ? payerMember : payeeMember
                let hubGetsMore = (amounts.residue > 0) == (payment.instruction!.amountSide == .payerDebit)
                let (debit, credit) = hubGetsMore ? (side.roundingAccountID, side.hubAccountID) : (side.hubAccountID, side.roundingAccountID)
                leg(3, debit, credit, Int64(amounts.residue.magnitude), side.ledger, .roundingResidue)
                legs.insert(.residue)
            }
        }
        ledgerEvents[ledgerEvents.count - 1] = Self.unlinked(ledgerEvents[ledgerEvents.count - 1])
        guard applyLedgerChain() else { return false }
        payments[Int(index)].payerAmountMinor = amounts.payer
        payments[Int(index)].payeeAmountMinor = amounts.payee
        payments[Int(index)].unitAmountMinor = amounts.unit
        payments[Int(index)].fixingVersion = amounts.fixingVersion
        payments[Int(index)].legs = legs
        return true
    }

    static func unlinked(_ event: LedgerEvent) -> LedgerEvent {
        guard case .createTransfer(var transfer) = event else { return event }
        transfer.flags.remove(.linked)
        return .createTransfer(transfer)
    }

    mutating func setStatus(_ index: UInt32, _ status: PaymentStatus, actor: Actor) {
        payments[Int(index)].status = status
        record(.paymentStatus(id: payments[Int(index)].id, status: status, rejection: nil, actor: actor))
    }

    /// A final status: the instruction is no longer needed in memory.
    mutating func finish(_ index: UInt32, _ status: PaymentStatus, _ rejection: PaymentRejection?, actor: Actor) {
        payments[Int(index)].status = status
        payments[Int(index)].rejection = rejection
        payments[Int(index)].instruction = nil
        record(.paymentStatus(id: payments[Int(index)].id, status: status, rejection: rejection, actor: actor))
    }

    public func payment(_ id: UInt128) -> PaymentState? {
        paymentIndexByID.value(for: id).map { payments[Int($0)].state }
    }

    public var paymentCount: Int { payments.count }

    /// Every payment's state, in submission order.
    public var allPaymentStates: [PaymentState] { payments.map(\.state) }
}
