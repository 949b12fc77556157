/// Reading payments: one by id, or a page.
extension HubStateMachine {
    public func payment(_ id: UInt128) -> PaymentState? {
        paymentIndexByID.value(for: id).map { payments[$0].state }
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
                guard payment.payerIndex.isKnown, payment.payeeIndex.isKnown else { continue }
                let payer = participants[payment.payerIndex].participant,
                    payee = participants[payment.payeeIndex].participant
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
        paymentIndexByID.value(for: id).map { payments[$0].uetr }
    }

    public func paymentParties(_ id: UInt128) -> (payer: BIC, payee: BIC)? {
        guard let index = paymentIndexByID.value(for: id) else { return nil }
        let payment = payments[index]
        guard payment.payerIndex.isKnown, payment.payeeIndex.isKnown else { return nil }
        return (
            participants[payment.payerIndex].participant.bic, participants[payment.payeeIndex].participant.bic
        )
    }

    /// What the payment said beyond the numbers: references, names, trade reference, and
    /// the details (parties, remittance) if it carried any. Personal data is gone once the
    /// retention rule erased it (`texts.isErased`).
    public func paymentData(_ id: UInt128) -> (texts: PaymentTexts, details: PaymentDetails?)? {
        guard let index = paymentIndexByID.value(for: id) else { return nil }
        return (paymentTexts[index.int], paymentDetails[index])
    }

    /// The payment an ISO 20022 message names by UETR: the one whose id it is (payments sent
    /// as pacs.008 are), else the latest payment that carried it. Two table lookups.
    public func paymentID(forUETR uetr: UInt128) -> UInt128? {
        if let index = paymentIndexByID.value(for: uetr), payments[index].uetr == uetr { return uetr }
        return paymentIndexByUETR.value(for: uetr).map { payments[$0].id }
    }
}
