/// Trade-conditional payments: reserved when accepted (two-phase, the reservation's timeout
/// its expiry), booked only when the payee's bank presents the document whose SHA-256 is the
/// condition, voided at expiry otherwise (the reservation's ordinary expiry). Neither a plain
/// commit nor the operator can book one; the payee bank or the operator can still reject it.
extension HubStateMachine {
    /// Whether any payment ever carried a condition (answers skip the lookup otherwise).
    public var hasConditions: Bool { !conditions.isEmpty }

    /// A payment's condition and when it was fulfilled (nil: unconditional).
    public func condition(of id: UInt128) -> (sha256Hex: String, fulfilledAt: UInt64?)? { conditions[id] }

    mutating func fulfilCondition(id: UInt128, presentedSHA256Hex digest: String, actor: Actor) -> HubResult {
        let result = checkedFulfilment(id: id, digest: digest, actor: actor)
        // Every attempt, met or not, is in the audit trail (investigations start there).
        recordAudit(
            actor: actor, command: .fulfilCondition(id: id, presentedSHA256Hex: digest, actor: actor), result: result)
        return result
    }

    private mutating func checkedFulfilment(id: UInt128, digest: String, actor: Actor) -> HubResult {
        guard let index = paymentIndexByID.value(for: id) else { return .refused(.paymentNotFound) }
        guard let condition = conditions[id] else { return .refused(.conditionNotMet) }
        guard case .participant(let bic) = actor,
            bic.packed == participants[payments[index].payeeIndex].participant.bic.packed
        else { return .refused(.notAllowedForActor) }
        guard payments[index].status == .reserved else { return .refused(.paymentStateForbidsThis) }
        guard digest == condition.sha256Hex else { return .refused(.conditionNotMet) }
        conditions[id]?.fulfilledAt = now
        return decideReserved(id: id, commit: true, actor: actor, fulfilled: true)
    }
}
