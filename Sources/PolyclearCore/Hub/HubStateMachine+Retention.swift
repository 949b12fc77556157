/// Retention: a payment's personal data (names, accounts, addresses, identifiers, free
/// remittance lines) is kept for the union's retention period after settlement, then erased,
/// while amounts, ids, trade references and the audit trail remain. A run is a logged command
/// (`erasePersonalData`), so replay erases the same payments at the same point; its event
/// names each erased payment with what replay still needs of the erased data (the original
/// instruction's fingerprint, whether screening held it), and the store rewrites the logged
/// instructions without the data (`PaymentInstruction.redacted`), so nothing personal remains
/// in the log either and the rewritten log replays to the same state.
public struct Redaction: Hashable, Sendable, Codable {
    public var fingerprint: UInt64
    public var heldByScreening: Bool

    public init(fingerprint: UInt64, heldByScreening: Bool) {
        self.fingerprint = fingerprint
        self.heldByScreening = heldByScreening
    }
}

public struct ErasedPayment: Hashable, Sendable, Codable {
    public var id: UInt128
    public var redaction: Redaction

    public init(id: UInt128, redaction: Redaction) {
        self.id = id
        self.redaction = redaction
    }
}

extension PaymentInstruction {
    /// This instruction without personal data: names, free text and the parties and free
    /// remittance lines of its details go; amounts, ids, references and trade data stay.
    public func redacted(_ redaction: Redaction) -> PaymentInstruction {
        var copy = self
        copy.debtorName = nil
        copy.creditorName = nil
        copy.trade.freeText = nil
        copy.details = details.flatMap(\.withoutPersonalData)
        copy.redaction = redaction
        return copy
    }
}

extension PaymentDetails {
    /// What is not personal: the trade details and the creditor references (nil: nothing left).
    var withoutPersonalData: PaymentDetails? {
        let kept = PaymentDetails(
            remittance: remittance?.creditorReferences.map { Remittance(creditorReferences: $0) }, trade: trade)
        return kept.isEmpty ? nil : kept
    }
}

extension HubStateMachine {
    /// Erases what the retention rule says is due; answers how many payments it erased.
    mutating func erasePersonalData() -> Int {
        guard let days = paymentRules.personalDataRetentionDays else { return 0 }
        let keepNanoseconds = UInt64(days) * 86_400 * 1_000_000_000
        guard now > keepNanoseconds else { return 0 }
        let cutoff = now - keepNanoseconds
        // What a bank has not acknowledged yet is not changed under it.
        // (A cycle's statement shows its payments' parties: its payments wait for it too.)
        var undelivered = Set<UInt128>(), undeliveredCycles = Set<UInt32>()
        for participant in participants {
            let outbox = participant.outbox
            for item in outbox.items where item.cursor > outbox.acknowledged {
                if item.kind == .cycleClosed {
                    undeliveredCycles.insert(UInt32(truncatingIfNeeded: item.subject))
                } else if item.kind == .settlementBooked {
                    continue  // names no payment and shows no party
                } else {
                    undelivered.insert(item.subject)
                }
            }
        }
        var erased: [ErasedPayment] = []
        for index in payments.residentIndices where !payments.texts(index).isErased {
            guard !undelivered.contains(payments[index].id), !undeliveredCycles.contains(payments[index].cycle),
                isDueForErasure(index, cutoff: cutoff)
            else { continue }
            let payment = payments[index]
            erased.append(
                ErasedPayment(
                    id: payment.id,
                    redaction: Redaction(fingerprint: payment.fingerprint, heldByScreening: payment.wasHeldByScreening))
            )
            payments.modifyTexts(index) { texts in
                texts.debtorName = nil
                texts.creditorName = nil
                texts.trade.freeText = nil
                texts.isErased = true
            }
            paymentDetails[index] = paymentDetails[index].flatMap(\.withoutPersonalData)
        }
        if !erased.isEmpty { record(.personalDataErased(erased)) }
        return erased.count
    }

    /// Final before the cutoff (and, if booked, its cycle settled), no recall open (the caller
    /// checks that every delivery about it was acknowledged: one read again must not change).
    private func isDueForErasure(_ index: PaymentIndex, cutoff: UInt64) -> Bool {
        let payment = payments[index]
        guard PaymentLifecycle.isFinal(payment.status), payment.finalAt != 0, payment.finalAt <= cutoff else {
            return false
        }
        if payment.status == .accepted {
            guard isCycleSettled(number: payment.cycle) else { return false }
        }
        if !recalls.isEmpty,
            recalls.values.contains(where: { $0.request.paymentID == payment.id && $0.status == .open })
        {
            return false
        }
        return true
    }
}
