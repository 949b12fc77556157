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
            return .payment(
                PaymentState(
                    id: instruction.id, status: .rejected, rejection: .duplicatePaymentID,
                    payerAmountMinor: 0, payeeAmountMinor: 0, unitAmountMinor: 0, fixingVersion: 0))
        }
        guard instruction.id != 0 else {
            return .payment(
                PaymentState(
                    id: 0, status: .rejected, rejection: .malformedField,
                    payerAmountMinor: 0, payeeAmountMinor: 0, unitAmountMinor: 0, fixingVersion: 0))
        }
        let payerIndex = participantIndexByBIC.value(for: UInt128(instruction.payer.packed))
        let payeeIndex = participantIndexByBIC.value(for: UInt128(instruction.payee.packed))
        let index = UInt32(payments.count)
        paymentIndexByID.insertNew(instruction.id, index)
        payments.append(
            PaymentRecord(
                id: instruction.id, uetr: instruction.uetr, fingerprint: fingerprint, status: .received,
                payerIndex: payerIndex ?? .max,
                payeeIndex: payeeIndex ?? .max, priority: instruction.priority, amountMinor: instruction.amountMinor,
                amountSide: instruction.amountSide, isTwoPhase: instruction.isTwoPhase,
                immediateOrReject: instruction.immediateOrReject, timeoutSeconds: instruction.timeoutSeconds))
        record(
            .paymentStatus(
                id: instruction.id, status: .received, rejection: nil, actor: .participant(instruction.payer)))

        if let rejection = admissionRejection(instruction, payerIndex: payerIndex, payeeIndex: payeeIndex) {
            finish(index, .rejected, rejection, actor: .system)
        } else if isScreeningHit(instruction, payerIndex: payerIndex!, payeeIndex: payeeIndex!) {
            setStatus(index, .held, actor: .system)
        } else if process(index, mayQueue: true) {
            afterBooking(index)
        } else if payments[Int(index)].status == .queued {
            afterQueueGrew()
        }
        return .payment(payments[Int(index)].state)
    }

    /// What a booked payment sets in motion: alarms on the payer side and, once final, the
    /// inflow's chance to release queued payments.
    mutating func afterBooking(_ index: UInt32) {
        let payment = payments[Int(index)]
        afterOutflow(payer: payment.payerIndex)
        if payment.status == .accepted {
            afterInflow(payee: payment.payeeIndex, crossMember: payment.unitAmountMinor != 0)
        }
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
        guard participants[Int(payerIndex)].participant.status == .active else { return .payerSuspended }
        guard participants[Int(payeeIndex)].participant.status == .active else { return .payeeSuspended }
        guard members[Int(participants[Int(payerIndex)].memberIndex)].member.status == .active else {
            return .payerMemberSuspended
        }
        guard members[Int(participants[Int(payeeIndex)].memberIndex)].member.status == .active else {
            return .payeeMemberSuspended
        }
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
        let blockedByQueue =
            mayQueue && hasQueueAhead(payer: payments[Int(index)].payerIndex, priority: payments[Int(index)].priority)
        if blockedByQueue || !fitsLimits(index, amounts) {
            if payments[Int(index)].immediateOrReject {
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
        if payments[Int(index)].isTwoPhase {
            let timeout = payments[Int(index)].timeoutSeconds
            let seconds = timeout == 0 ? configuration.defaultReservationTimeoutSeconds : timeout
            payments[Int(index)].expiresAt = now + UInt64(seconds) * 1_000_000_000
            reservationExpiries.insert(
                .init(expiresAt: payments[Int(index)].expiresAt, pendingID: payments[Int(index)].id))
            setStatus(index, .reserved, actor: .system)
        } else {
            finish(index, .accepted, nil, actor: .system)
        }
        return true
    }

    // `mutating` only so that calls from the mutating payment path borrow `self` instead of
    // copying the whole hub (a non-mutating call there copied it: 20 retains a payment).
    mutating func convert(_ index: UInt32) -> Result<Amounts, PaymentRejection> {
        let amountMinor = payments[Int(index)].amountMinor
        let payerMember = participants[Int(payments[Int(index)].payerIndex)].memberIndex
        let payeeMember = participants[Int(payments[Int(index)].payeeIndex)].memberIndex
        if payerMember == payeeMember {
            return .success(Amounts(payer: amountMinor, payee: amountMinor, unit: 0, residue: 0, fixingVersion: 0))
        }
        // No closure here: capturing `self` in one copied the whole hub on every payment.
        var lockedFixing: Int? = nil
        if let quoteIndex = payments[Int(index)].quoteIndex { lockedFixing = quoteRecords[quoteIndex].fixingIndex }
        guard let fixingIndex = lockedFixing ?? Self.fixingIndex(in: fixings, at: now),
            let payerRate = fixings[fixingIndex].ratesByMember[Int(payerMember)],
            let payeeRate = fixings[fixingIndex].ratesByMember[Int(payeeMember)]
        else { return .failure(.noFixingForCurrency) }
        let unitExponent = configuration.unit.exponent
        let specifiedIsPayer = payments[Int(index)].amountSide == .payerDebit
        let (specifiedRate, otherRate) = specifiedIsPayer ? (payerRate, payeeRate) : (payeeRate, payerRate)
        let (specifiedExponent, otherExponent) =
            specifiedIsPayer
            ? (members[Int(payerMember)].currencyExponent, members[Int(payeeMember)].currencyExponent)
            : (members[Int(payeeMember)].currencyExponent, members[Int(payerMember)].currencyExponent)
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
    /// not below minus its quota. Pending debits count as spent.
    mutating func fitsLimits(_ index: UInt32, _ amounts: Amounts) -> Bool {  // mutating: see `convert`
        let payerIndex = payments[Int(index)].payerIndex
        let available =
            Int128(positionBalance(participant: payerIndex))
            + Int128(participants[Int(payerIndex)].participant.netDebitCapMinor)
        guard Int128(amounts.payer) <= available else { return false }
        guard amounts.unit != 0 else { return true }
        let memberIndex = participants[Int(payerIndex)].memberIndex
        return Int128(amounts.unit) <= Int128(unionBalance(member: memberIndex))
            + Int128(members[Int(memberIndex)].member.quotaUnitMinor)
    }

    /// Books every leg as one linked ledger chain (pending legs for a two-phase payment).
    mutating func book(_ index: UInt32, _ amounts: Amounts) -> Bool {
        let paymentID = payments[Int(index)].id
        let isTwoPhase = payments[Int(index)].isTwoPhase
        let specifiedIsPayer = payments[Int(index)].amountSide == .payerDebit
        let payerIndex = Int(payments[Int(index)].payerIndex), payeeIndex = Int(payments[Int(index)].payeeIndex)
        let payerPosition = participants[payerIndex].positionAccountID,
            payeePosition = participants[payeeIndex].positionAccountID
        let payerMember = members[Int(participants[payerIndex].memberIndex)].accounts
        let payeeMember = members[Int(participants[payeeIndex].memberIndex)].accounts
        ledgerEvents.removeAll(keepingCapacity: true)
        var legs: PaymentLegs = []
        func leg(
            _ number: UInt8, _ debit: UInt128, _ credit: UInt128, _ amount: Int64, _ ledgerID: UInt32,
            _ code: HubTransferCode
        ) {
            ledgerEvents.append(
                .createTransfer(
                    Transfer(
                        id: Self.transferID(payment: index, leg: number), debitAccountID: debit,
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
            accrueUnionPosition(member: Int(participants[payerIndex].memberIndex))
            accrueUnionPosition(member: Int(participants[payeeIndex].memberIndex))
        }
        guard applyLedgerChain() else { return false }
        payments[Int(index)].payerAmountMinor = amounts.payer
        payments[Int(index)].payeeAmountMinor = amounts.payee
        payments[Int(index)].unitAmountMinor = amounts.unit
        payments[Int(index)].fixingVersion = amounts.fixingVersion
        payments[Int(index)].legs = legs
        return true
    }

    static let pendingLinked = TransferFlags(rawValue: TransferFlags.pending.rawValue | TransferFlags.linked.rawValue)

    static func unlinked(_ event: LedgerEvent) -> LedgerEvent {
        guard case .createTransfer(var transfer) = event else { return event }
        transfer.flags.remove(.linked)
        return .createTransfer(transfer)
    }

    mutating func setStatus(_ index: UInt32, _ status: PaymentStatus, actor: Actor) {
        if payments[Int(index)].status == .queued { queuedCount -= 1 }
        if status == .queued { queuedCount += 1 }
        payments[Int(index)].status = status
        record(.paymentStatus(id: payments[Int(index)].id, status: status, rejection: nil, actor: actor))
    }

    /// A final status.
    mutating func finish(_ index: UInt32, _ status: PaymentStatus, _ rejection: PaymentRejection?, actor: Actor) {
        if payments[Int(index)].status == .queued { queuedCount -= 1 }
        payments[Int(index)].status = status
        payments[Int(index)].rejection = rejection
        if status == .accepted { recordInOpenCycle(index) }
        record(.paymentStatus(id: payments[Int(index)].id, status: status, rejection: rejection, actor: actor))
    }

    public func payment(_ id: UInt128) -> PaymentState? {
        paymentIndexByID.value(for: id).map { payments[Int($0)].state }
    }

    public var paymentCount: Int { payments.count }

    /// Every payment's state, in submission order (tools and simulations; the API pages).
    public var allPaymentStates: [PaymentState] { payments.map(\.state) }

    /// A page of payments in submission order, from position `cursor`: those `filter` keeps,
    /// at most `limit`, reading at most `scanMax` payments, so that a page costs the page and
    /// never the whole history (a page may come back short; continue from `next`, nil at
    /// the end).
    public func paymentPage(
        from cursor: Int, limit: Int, scanMax: Int, filter: PaymentFilter
    ) -> (states: [PaymentState], next: Int?) {
        var found: [PaymentState] = []
        found.reserveCapacity(min(limit, 1_024))
        var position = max(0, cursor)
        let scanEnd = position > payments.count - scanMax ? payments.count : position + scanMax
        while position < scanEnd && found.count < limit {
            let payment = payments[position]
            position += 1
            if let status = filter.status, payment.status != status { continue }
            if filter.party != nil || filter.member != nil {
                guard payment.payerIndex != .max, payment.payeeIndex != .max else { continue }
                let payer = participants[Int(payment.payerIndex)].participant,
                    payee = participants[Int(payment.payeeIndex)].participant
                if let party = filter.party, payer.bic != party && payee.bic != party { continue }
                if let member = filter.member, payer.memberID != member && payee.memberID != member { continue }
            }
            found.append(payment.state)
        }
        return (found, position < payments.count ? position : nil)
    }
}

/// Which payments a page keeps: all of them, or those in a status, of a bank (payer or
/// payee), of a member's banks.
public struct PaymentFilter: Sendable, Equatable {
    public var status: PaymentStatus?
    public var party: BIC?
    public var member: CountryCode?

    public init(status: PaymentStatus? = nil, party: BIC? = nil, member: CountryCode? = nil) {
        self.status = status
        self.party = party
        self.member = member
    }
}

extension HubStateMachine {
    /// The payer and payee banks of a payment.
    /// The UETR the payment's instruction carried.
    public func paymentUETR(_ id: UInt128) -> UInt128? {
        paymentIndexByID.value(for: id).map { payments[Int($0)].uetr }
    }

    public func paymentParties(_ id: UInt128) -> (payer: BIC, payee: BIC)? {
        guard let index = paymentIndexByID.value(for: id) else { return nil }
        let payment = payments[Int(index)]
        guard payment.payerIndex != .max, payment.payeeIndex != .max else { return nil }
        return (
            participants[Int(payment.payerIndex)].participant.bic, participants[Int(payment.payeeIndex)].participant.bic
        )
    }
}
