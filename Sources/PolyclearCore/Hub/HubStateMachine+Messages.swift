/// Inbound messages applied once per sender and message id, and payment returns.
extension HubStateMachine {
    mutating func applyMessage(sender: BIC, messageID: String, commands: [HubCommand]) -> HubResult {
        guard !messageID.isEmpty, messageID.utf8.count <= 35, !commands.isEmpty,
            commands.count <= Limits.batchEventCountMax
        else {
            return .refused(.malformedField)
        }
        for command in commands {
            if case .message = command { return .refused(.malformedField) }
            if case .attributed(_, .message) = command { return .refused(.malformedField) }
        }
        let key = "\(sender) \(messageID)"
        guard !messageKeys.contains(key) else { return .refused(.duplicateMessage) }
        messageKeys.insert(key)
        var results: [HubResult] = []
        results.reserveCapacity(commands.count)
        for command in commands { results.append(perform(command)) }
        return .message(results)
    }

    /// Whether this sender already sent this message id.
    public func hasMessage(sender: BIC, messageID: String) -> Bool { messageKeys.contains("\(sender) \(messageID)") }

    mutating func returnPayment(_ r: PaymentReturnInstruction) -> HubResult {
        guard let originalIndex = paymentIndexByID.value(for: r.originalID) else { return .refused(.paymentNotFound) }
        let original = payments[originalIndex]
        guard original.payerIndex.isKnown, original.payeeIndex.isKnown else { return .refused(.paymentNotFound) }
        let payer = participants[original.payerIndex].participant,
            payee = participants[original.payeeIndex].participant
        switch r.actor {
        case .participant(let bic) where bic == payee.bic: break
        case .member(let id) where id == payee.memberID: break
        case .operatorUser, .system: break
        default: return .refused(.notAllowedForActor)
        }
        guard original.status == .accepted, returnOf[r.originalID] == nil else {
            return .refused(.paymentStateForbidsThis)
        }
        guard r.amountMinor > 0 else { return .refused(.amountNotPositive) }
        let already = returns[r.originalID]?.returnedMinor ?? 0
        guard r.amountMinor <= original.state.payeeAmountMinor - already else { return .refused(.returnExceedsPayment) }
        let reason = r.reasonCode.utf8
        guard reason.count == 4, reason.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) }) else {
            return .refused(.malformedField)
        }
        // The reverse payment: the original payee pays back, in the currency it was credited.
        let reverse = PaymentInstruction(
            id: r.id, payer: payee.bic, payee: payer.bic, amountMinor: r.amountMinor, amountSide: .payerDebit,
            endToEndID: "RETURN-" + r.reasonCode, uetr: r.uetr,
            trade: TradeReference(
                invoiceNumber: "RETURN", purposeCode: "RETN",
                freeText: "return of \(UUIDText.format(r.originalID)), reason \(r.reasonCode)"))
        let result = submitPayment(reverse)
        if case .payment(let state) = result, state.status != .rejected, state.id == r.id {
            returnOf[r.id] = r.originalID
            var entry = returns[r.originalID] ?? (0, [])
            entry.returnedMinor += r.amountMinor
            entry.ids.append(r.id)
            returns[r.originalID] = entry
        }
        return result
    }

    /// Whether any payment was ever returned (lets readers skip the lookups below).
    public var hasReturns: Bool { !returnOf.isEmpty }

    /// The payment a return sent back, if `id` is a return.
    public func originalOfReturn(_ id: UInt128) -> UInt128? { returnOf[id] }

    /// The returns of a payment, oldest first, and the amount they took back.
    public func returnsOf(_ id: UInt128) -> (returnedMinor: Int64, ids: [UInt128]) { returns[id] ?? (0, []) }
}

extension HubStateMachine {
    /// The hub's clock: the latest time a command or tick carried (nanoseconds since 1970).
    public var currentTime: UInt64 { now }
}
