/// Investigations: the payer's bank asks for a booked payment back (a recall, ISO 20022
/// camt.056); the payee's bank answers (camt.029) — accepting books the return, as pacs.004
/// does — or the recall expires unanswered at its deadline, which the hub's clock decides
/// (so replay decides identically). Every step is in the audit trail and delivered to the
/// other bank.
public struct RecallRequest: Hashable, Sendable, Codable {
    /// The case id (camt.056 Case/Id or CxlId, as a UUID).
    public var id: UInt128
    public var paymentID: UInt128
    /// ISO 20022 ExternalCancellationReason1Code: DUPL, FRAD, TECH, CUST, UPAY, AGNT, ...
    public var reasonCode: String
    /// How long the payee's bank has to answer (0: `defaultAnswerSeconds`).
    public var answerSeconds: UInt32
    public var actor: Actor

    public static let defaultAnswerSeconds: UInt32 = 10 * 86_400
    public static let answerSecondsMax: UInt32 = 90 * 86_400

    public init(id: UInt128, paymentID: UInt128, reasonCode: String, answerSeconds: UInt32 = 0, actor: Actor) {
        self.id = id
        self.paymentID = paymentID
        self.reasonCode = reasonCode
        self.answerSeconds = answerSeconds
        self.actor = actor
    }
}

public enum RecallStatus: UInt8, Hashable, Sendable, Codable {
    case open = 0, accepted = 1, rejected = 2, expired = 3

    public var code: String {
        switch self {
        case .open: "open"
        case .accepted: "accepted"
        case .rejected: "rejected"
        case .expired: "expired"
        }
    }
}

public struct Recall: Hashable, Sendable, Codable {
    public var request: RecallRequest
    public var requestedAt: UInt64
    public var dueAt: UInt64
    public var status: RecallStatus
    public var answerReasonCode: String?
    public var answeredAt: UInt64?
    /// The return an accepted recall booked.
    public var returnID: UInt128?

    /// The recall as it was when requested (what its `recallRequested` delivery reports).
    public var asRequested: Recall { Recall(request: request, requestedAt: requestedAt, dueAt: dueAt, status: .open) }
}

extension HubStateMachine {
    public func recall(_ id: UInt128) -> Recall? { recalls[id] }

    /// The recalls of a payment, oldest first.
    public func recalls(ofPayment id: UInt128) -> [Recall] {
        recalls.values.filter { $0.request.paymentID == id }.sorted { $0.requestedAt < $1.requestedAt }
    }

    static func isReasonCode(_ code: String) -> Bool {
        code.utf8.count == 4 && code.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) }
    }

    mutating func requestRecall(_ r: RecallRequest) -> HubResult {
        let result = checkedRecall(r)
        recordAudit(actor: r.actor, command: .requestRecall(r), result: result)
        return result
    }

    private mutating func checkedRecall(_ r: RecallRequest) -> HubResult {
        guard r.id != 0, Self.isReasonCode(r.reasonCode), r.answerSeconds <= RecallRequest.answerSecondsMax else {
            return .refused(.malformedField)
        }
        if let existing = recalls[r.id] { return existing.request == r ? .ok : .refused(.recallExists) }
        guard let index = paymentIndexByID.value(for: r.paymentID) else { return .refused(.paymentNotFound) }
        let payment = payments[index]
        guard payment.payerIndex.isKnown, payment.payeeIndex.isKnown else { return .refused(.paymentNotFound) }
        switch r.actor {
        case .participant(let bic) where bic == participants[payment.payerIndex].participant.bic: break
        case .operatorUser: break
        default: return .refused(.notAllowedForActor)
        }
        // Only a booked payment, not a return, and not one already (partly) returned.
        guard payment.status == .accepted, returnOf[r.paymentID] == nil, returns[r.paymentID] == nil else {
            return .refused(.paymentStateForbidsThis)
        }
        if recalls.values.contains(where: { $0.request.paymentID == r.paymentID && $0.status == .open }) {
            return .refused(.recallExists)
        }
        let seconds = r.answerSeconds == 0 ? RecallRequest.defaultAnswerSeconds : r.answerSeconds
        let dueAt = now + UInt64(seconds) * 1_000_000_000
        recalls[r.id] = Recall(request: r, requestedAt: now, dueAt: dueAt, status: .open)
        recallsDueAt = min(recallsDueAt, dueAt)
        deliver(.recallRequested, to: payment.payeeIndex, subject: r.id, status: payment.status)
        return .ok
    }

    mutating func answerRecall(id: UInt128, accept: Bool, reasonCode: String, actor: Actor) -> HubResult {
        let result = checkedAnswer(id: id, accept: accept, reasonCode: reasonCode, actor: actor)
        recordAudit(
            actor: actor, command: .answerRecall(id: id, accept: accept, reasonCode: reasonCode, actor: actor),
            result: result)
        return result
    }

    private mutating func checkedAnswer(id: UInt128, accept: Bool, reasonCode: String, actor: Actor) -> HubResult {
        guard let recall = recalls[id], let index = paymentIndexByID.value(for: recall.request.paymentID) else {
            return .refused(.recallNotFound)
        }
        let payment = payments[index]
        guard case .participant(let bic) = actor, bic == participants[payment.payeeIndex].participant.bic else {
            return .refused(.notAllowedForActor)
        }
        switch recall.status {
        case .open: break
        case .expired: return .refused(.recallExpired)
        case .accepted, .rejected: return .refused(.recallNotOpen)
        }
        guard Self.isReasonCode(reasonCode) || (accept && reasonCode.isEmpty) else { return .refused(.malformedField) }
        var returned: PaymentState?
        if accept {
            // The whole amount credited goes back, as a return following the cancellation request.
            let returnID = Self.returnID(ofRecall: id)
            let result = returnPayment(
                PaymentReturnInstruction(
                    id: returnID, originalID: recall.request.paymentID, amountMinor: payment.payeeAmountMinor,
                    uetr: returnID, reasonCode: "FOCR", actor: actor))
            guard case .payment(let state) = result, state.status != .rejected else {
                if case .payment = result { return .refused(.paymentStateForbidsThis) }
                return result
            }
            returned = state
            recalls[id]?.returnID = returnID
        }
        recalls[id]?.status = accept ? .accepted : .rejected
        recalls[id]?.answerReasonCode = reasonCode.isEmpty ? nil : reasonCode
        recalls[id]?.answeredAt = now
        deliver(.recallAnswered, to: payment.payerIndex, subject: id, status: payment.status)
        return .recallAnswered(returned)
    }

    /// The return's id: derived from the recall's so that replay books the same one, a
    /// version-4-shaped UUID. A payment already holding it makes the acceptance fail (the
    /// payee's bank may answer again; the recall stays open).
    static func returnID(ofRecall id: UInt128) -> UInt128 {
        var value = id ^ 0x5245_4341_4C4C_5245_5455_524E_0000_0000
        value = value & ~(UInt128(0xF) << 76) | UInt128(0x4) << 76
        return value & ~(UInt128(0x3) << 62) | UInt128(0x2) << 62
    }

    /// Open recalls past their deadline expire, in id order (replay decides the same).
    mutating func expireDueRecalls() {
        guard now >= recallsDueAt else { return }
        let due = recalls.values.filter { $0.status == .open && $0.dueAt <= now }.map(\.request.id).sorted()
        for id in due {
            recalls[id]?.status = .expired
            if let paymentIndex = paymentIndexByID.value(for: recalls[id]!.request.paymentID) {
                deliver(.recallAnswered, to: payments[paymentIndex].payerIndex, subject: id, status: .expired)
            }
        }
        recallsDueAt = recalls.values.filter { $0.status == .open }.map(\.dueAt).min() ?? .max
    }
}
