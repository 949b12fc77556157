/// Reading payments: one by id, or a page. These read memory only; the API reads through
/// `PaymentReadView`, which adds the archived payments its reader fetched.
extension HubStateMachine {
    public func payment(_ id: UInt128) -> PaymentState? { PaymentReadView(hub: self).payment(id) }

    /// Every payment ever recorded (in memory or archived).
    public var paymentCount: Int { payments.count }

    /// Every payment in memory, in submission order (tools and simulations; the API pages).
    public var allPaymentStates: [PaymentState] { payments.residentIndices.map { payments[$0].state } }

    public func paymentPage(
        from cursor: Int, limit: Int, scanMax: Int, filter: PaymentFilter
    ) -> (states: [PaymentState], next: Int?) {
        PaymentReadView(hub: self).paymentPage(from: cursor, limit: limit, scanMax: scanMax, filter: filter)
    }
}

/// Which payments a page keeps: all of them, or those in a status, of a bank (payer or
/// payee), of a member's banks; and of those, the ones with a counterparty bank (payer or
/// payee) or booked in a cycle (the union's business day).
public struct PaymentFilter: Sendable, Equatable {
    public var status: PaymentStatus?
    public var party: BIC?
    public var member: CountryCode?
    public var counterparty: BIC?
    public var cycle: UInt32?

    public init(
        status: PaymentStatus? = nil, party: BIC? = nil, member: CountryCode? = nil, counterparty: BIC? = nil,
        cycle: UInt32? = nil
    ) {
        self.status = status
        self.party = party
        self.member = member
        self.counterparty = counterparty
        self.cycle = cycle
    }

    var needsParties: Bool { party != nil || member != nil || counterparty != nil }
}

extension HubStateMachine {
    public func paymentUETR(_ id: UInt128) -> UInt128? { PaymentReadView(hub: self).paymentUETR(id) }

    public func paymentParties(_ id: UInt128) -> (payer: BIC, payee: BIC)? {
        PaymentReadView(hub: self).paymentParties(id)
    }

    public func paymentData(_ id: UInt128) -> (texts: PaymentTexts, details: PaymentDetails?)? {
        PaymentReadView(hub: self).paymentData(id)
    }

    public func paymentID(forUETR uetr: UInt128) -> UInt128? { PaymentReadView(hub: self).paymentID(forUETR: uetr) }
}
