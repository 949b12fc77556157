/// Payments: check, then apply. Every admission check runs on the hub as it is and changes
/// nothing; only a payment that passes them all is held, queued or booked. Status changes go
/// through `transition`, which does what `PaymentLifecycle` says a change implies.
extension HubStateMachine {
    mutating func submitPayment(_ instruction: PaymentInstruction) -> HubResult {
        // An instruction rewritten after its personal data was erased keeps the original's fingerprint.
        let fingerprint = instruction.redaction?.fingerprint ?? PaymentValidation.fingerprint(instruction)
        if let existing = paymentIndexByID.value(for: instruction.id) {
            // Idempotency: the same instruction gets the original's outcome; another one is refused.
            if payments[existing].fingerprint == fingerprint { return .payment(payments[existing].state) }
            return .payment(.unrecorded(id: instruction.id, .duplicatePaymentID))
        }
        guard instruction.id != 0 else { return .payment(.unrecorded(id: 0, .malformedField)) }
        let payerIndex = participantIndexByBIC.value(for: UInt128(instruction.payer.packed)) ?? .unknown
        let payeeIndex = participantIndexByBIC.value(for: UInt128(instruction.payee.packed)) ?? .unknown
        let index = payments.nextIndex
        paymentIndexByID.insertNew(instruction.id, index)
        if instruction.uetr != instruction.id, instruction.uetr != 0 {
            if let slot = paymentIndexByUETR.slot(of: instruction.uetr) {
                paymentIndexByUETR[slot: slot] = index
            } else {
                paymentIndexByUETR.insertNew(instruction.uetr, index)
            }
        }
        payments.append(
            PaymentRecord(
                id: instruction.id, uetr: instruction.uetr, fingerprint: fingerprint, status: .received,
                payerIndex: payerIndex, payeeIndex: payeeIndex, priority: instruction.priority,
                purpose: TradeCodes.packPurpose(instruction.trade.purposeCode),
                hsHeading: TradeCodes.heading(instruction.trade.hsCode), amountMinor: instruction.amountMinor,
                amountSide: instruction.amountSide, isTwoPhase: instruction.isTwoPhase,
                immediateOrReject: instruction.immediateOrReject, timeoutSeconds: instruction.timeoutSeconds),
            texts: PaymentTexts(instruction))
        if let details = instruction.details { paymentDetails[index] = details }
        record(
            .paymentStatus(
                id: instruction.id, status: .received, rejection: nil, actor: .participant(instruction.payer)))
        if let condition = instruction.condition, condition.isWellFormed {
            conditions[instruction.id] = (condition.sha256Hex, nil)
            recordAudit(actor: .participant(instruction.payer), command: .submitPayment(instruction), result: .ok)
        }

        switch admission(instruction, payer: payerIndex, payee: payeeIndex) {
        case .failure(let rejection):
            transition(index, to: .rejected, rejection, actor: .system)
        case .success(let quote):
            payments[index].quoteIndex = quote
            let held =
                instruction.redaction?.heldByScreening
                ?? isScreeningHit(instruction, payerIndex: payerIndex, payeeIndex: payeeIndex)
            if held {
                transition(index, to: .held, actor: .system)
            } else if process(index, mayQueue: true) {
                afterBooking(index)
            } else if payments[index].status == .queued {
                afterQueueGrew()
            }
        }
        return .payment(payments[index].state)
    }

    /// The admission checks, in the order `PaymentRejection` lists them; the first failure is
    /// the rejection. Changes nothing (the quote is spent by `transition`, once admitted).
    /// Returns the quote the payment may use. `mutating` only to borrow `self` (see `convert`).
    private mutating func admission(
        _ p: PaymentInstruction, payer: ParticipantIndex, payee: ParticipantIndex
    ) -> Result<QuoteIndex?, PaymentRejection> {
        guard PaymentValidation.isWellFormed(p) else { return .failure(.malformedField) }
        if paymentRules.tradeReferenceRequired && (p.trade.invoiceNumber.isEmpty || p.trade.purposeCode.isEmpty) {
            return .failure(.tradeReferenceMissing)
        }
        guard p.amountMinor > 0 else { return .failure(.amountNotPositive) }
        guard payer.isKnown else { return .failure(.unknownPayer) }
        guard payee.isKnown else { return .failure(.unknownPayee) }
        guard payer != payee else { return .failure(.payerIsPayee) }
        guard participants[payer].participant.status == .active else { return .failure(.payerSuspended) }
        guard participants[payee].participant.status == .active else { return .failure(.payeeSuspended) }
        guard members[participants[payer].memberIndex].member.status == .active else {
            return .failure(.payerMemberSuspended)
        }
        guard members[participants[payee].memberIndex].member.status == .active else {
            return .failure(.payeeMemberSuspended)
        }
        guard let quoteID = p.quoteID else { return .success(nil) }
        guard let quoteIndex = quotes.value(for: quoteID) else { return .failure(.quoteNotFound) }
        let quote = quoteRecords[quoteIndex]
        guard quote.payerIndex == payer, quote.payeeIndex == payee else { return .failure(.quoteForOtherParties) }
        guard !quote.isUsed else { return .failure(.quoteAlreadyUsed) }
        guard now < quote.expiresAt else { return .failure(.quoteExpired) }
        return .success(quoteIndex)
    }

    /// What a booked payment sets in motion: alarms on the payer side and, once final, the
    /// inflow's chance to release queued payments.
    mutating func afterBooking(_ index: PaymentIndex) {
        let payment = payments[index]
        afterOutflow(payer: payment.payerIndex)
        if payment.status == .accepted {
            afterInflow(payee: payment.payeeIndex, crossMember: payment.unitAmountMinor != 0)
        }
    }

    /// Converts and books the payment, or queues it (when allowed), or rejects it: the
    /// conversion and liquidity checks run before anything is booked.
    /// Returns true if it was booked (accepted or reserved); the caller runs the after-effects
    /// (`afterBooking`), so that a release in progress keeps control of its worklist.
    @discardableResult
    mutating func process(_ index: PaymentIndex, mayQueue: Bool) -> Bool {
        let amounts: Amounts
        switch convert(index) {
        case .success(let converted): amounts = converted
        case .failure(let rejection):
            transition(index, to: .rejected, rejection, actor: .system)
            return false
        }
        let blockedByQueue =
            mayQueue && hasQueueAhead(payer: payments[index].payerIndex, priority: payments[index].priority)
        if blockedByQueue || !fitsLimits(index, amounts) {
            if payments[index].immediateOrReject {
                transition(index, to: .rejected, .insufficientLiquidity, actor: .system)
            } else if mayQueue {
                enqueue(index)
            }
            return false
        }
        guard book(index, amounts) else {
            transition(index, to: .rejected, .amountTooLarge, actor: .system)  // a balance would overflow
            return false
        }
        enterBooked(index)
        return true
    }

    /// After `book`: a two-phase payment is reserved until its deadline, any other accepted.
    mutating func enterBooked(_ index: PaymentIndex) {
        guard payments[index].isTwoPhase else {
            transition(index, to: .accepted, actor: .system)
            return
        }
        let timeout = payments[index].timeoutSeconds
        let seconds = timeout == 0 ? configuration.defaultReservationTimeoutSeconds : timeout
        payments[index].expiresAt = now + UInt64(seconds) * 1_000_000_000
        reservationExpiries.insert(.init(expiresAt: payments[index].expiresAt, pendingID: payments[index].id))
        transition(index, to: .reserved, actor: .system)
    }

    /// The one place a payment's status changes: does what `PaymentLifecycle` says the change
    /// implies and records the event. A change the lifecycle does not have is a bug in the hub.
    mutating func transition(
        _ index: PaymentIndex, to next: PaymentStatus, _ reason: PaymentRejection? = nil, actor: Actor
    ) {
        guard let effects = PaymentLifecycle.effects(from: payments[index].status, to: next) else {
            preconditionFailure("payment status \(payments[index].status) cannot become \(next)")
        }
        precondition(effects.contains(.setReason) == (reason != nil), "a final status carries its reason")
        if effects.contains(.leaveQueue) { queuedCount -= 1 }
        if effects.contains(.joinQueue) { queuedCount += 1 }
        if effects.contains(.spendQuote), let quote = payments[index].quoteIndex { quoteRecords[quote].isUsed = true }
        payments[index].status = next
        if effects.contains(.setReason) { payments[index].rejection = reason }
        if effects.contains(.joinOpenCycle) { recordInOpenCycle(index) }
        if next == .accepted { payments[index].bookedAt = now }
        if next == .held { payments[index].wasHeldByScreening = true }
        if PaymentLifecycle.isFinal(next) { payments[index].finalAt = now }
        record(.paymentStatus(id: payments[index].id, status: next, rejection: reason, actor: actor))
        deliverStatus(index, next)
    }
}

extension PaymentState {
    /// The answer to an instruction that was refused before it was recorded (no id, or an id
    /// already used by another instruction).
    static func unrecorded(id: UInt128, _ rejection: PaymentRejection) -> PaymentState {
        PaymentState(
            id: id, status: .rejected, rejection: rejection, payerAmountMinor: 0, payeeAmountMinor: 0,
            unitAmountMinor: 0, fixingVersion: 0)
    }
}
