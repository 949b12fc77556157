import Foundation
import Hummingbird
import PolyclearCore
import PolyclearISO20022

/// One delivery as a bank receives it, pulled or pushed: its stable id (`BIC:cursor`), what
/// happened, and the message — a JSON payment or an ISO 20022 document. The content is made
/// only from values that never change once the delivery exists (the booked amounts and
/// parties, the status it reports, the closed cycle), so a delivery sent twice is the same.
struct DeliveryDTO: ResponseCodable {
    var deliveryId: String
    var cursor: UInt64
    /// credited, final_status, awaiting_decision or cycle_closed.
    var kind: String
    /// When it happened, nanoseconds since 1970.
    var time: UInt64
    var paymentId: String?
    var status: String?
    var cycle: UInt32?
    /// format=json: the payment as `GET /v1/payments/{id}` shows it (as it was then).
    var payment: PaymentDTO?
    /// format=iso20022: pacs.008 (credited), pacs.002 (final_status, awaiting_decision) or
    /// camt.053 (cycle_closed).
    var message: String?
}

struct OutboxDTO: ResponseCodable {
    var items: [DeliveryDTO]
    /// The bank's last acknowledged cursor, and its last delivery's.
    var acknowledged: UInt64
    var last: UInt64
}

extension DeliveryKind {
    var code: String {
        switch self {
        case .credited: "credited"
        case .finalStatus: "final_status"
        case .awaitingDecision: "awaiting_decision"
        case .cycleClosed: "cycle_closed"
        }
    }
}

/// Renders deliveries for the outbox route and the pusher alike.
struct DeliveryRenderer<A: HubAccess>: Sendable {
    let api: RouteDependencies<A>

    /// What the hub knows of a delivered payment (read once per page).
    struct PaymentFacts: Sendable {
        var dto: PaymentDTO
        var texts: PaymentTexts
        var details: PaymentDetails?
        var payer: BIC, payee: BIC
        var payerAmount: ISOAmount?, payeeAmount: ISOAmount?
        var uetr: UInt128
        var bookedAt: UInt64?
        var rejection: PaymentRejection?
    }

    func render(
        _ deliveries: [Delivery], for bic: BIC, format: DeliveryEndpoint.Format
    ) async throws -> [DeliveryDTO] {
        let ids = deliveries.filter { $0.kind != .cycleClosed }.map(\.subject)
        let currencies = api.currencies
        let facts = try await api.read { hub in
            var byID: [UInt128: PaymentFacts] = [:]
            for id in ids where byID[id] == nil { byID[id] = Self.facts(of: id, in: hub, currencies: currencies) }
            return byID
        }
        var items: [DeliveryDTO] = []
        items.reserveCapacity(deliveries.count)
        for delivery in deliveries {
            var item = DeliveryDTO(
                deliveryId: "\(bic):\(delivery.cursor)", cursor: delivery.cursor, kind: delivery.kind.code,
                time: delivery.time)
            if delivery.kind == .cycleClosed {
                item.cycle = UInt32(truncatingIfNeeded: delivery.subject)
                if format == .iso20022 { item.message = try await statement(of: bic, cycle: item.cycle!) }
            } else if let fact = facts[delivery.subject] {
                item.paymentId = UUIDCoding.encode(delivery.subject)
                item.status = delivery.status.code
                if format == .json {
                    var payment = fact.dto
                    payment.status = delivery.status.code
                    payment.returns = nil  // later returns are deliveries of their own
                    item.payment = payment
                } else {
                    item.message = Self.message(delivery, fact)
                }
            }
            items.append(item)
        }
        return items
    }

    static func facts(of id: UInt128, in hub: HubStateMachine, currencies: CurrencyTable) -> PaymentFacts? {
        guard let state = hub.payment(id), let parties = hub.paymentParties(id), let data = hub.paymentData(id),
            let uetr = hub.paymentUETR(id)
        else { return nil }
        func amount(_ minor: Int64, of bic: BIC) -> ISOAmount? {
            guard minor != 0, let code = hub.participant(bic).flatMap({ hub.member($0.memberID)?.currency }),
                let currency = currencies[code]
            else { return nil }
            return ISOAmount(
                value: Money(minorUnits: minor, currency: currency).decimalString, currency: code.description)
        }
        return PaymentFacts(
            dto: PaymentDTO.describe([state], in: hub, currencies: currencies)[0], texts: data.texts,
            details: data.details, payer: parties.payer, payee: parties.payee,
            payerAmount: amount(state.payerAmountMinor, of: parties.payer),
            payeeAmount: amount(state.payeeAmountMinor, of: parties.payee), uetr: uetr,
            bookedAt: hub.bookingTime(of: id), rejection: state.rejection)
    }

    static func message(_ delivery: Delivery, _ fact: PaymentFacts) -> String? {
        let document: ISODocument
        switch delivery.kind {
        case .credited:
            guard let payeeAmount = fact.payeeAmount, let payerAmount = fact.payerAmount else { return nil }
            document = .customerCreditTransfer(
                ISOReports.forwardedTransfer(
                    id: delivery.subject, uetr: fact.uetr, texts: fact.texts, details: fact.details, payer: fact.payer,
                    payee: fact.payee, payeeAmount: payeeAmount, payerAmount: payerAmount,
                    bookedAt: fact.bookedAt ?? delivery.time))
        case .finalStatus, .awaitingDecision:
            let (status, reason) = ISOPaymentMapper.status(
                delivery.status, rejection: delivery.status == .accepted ? nil : fact.rejection)
            let note = delivery.kind == .awaitingDecision ? "reserved: awaiting the payee's decision" : nil
            let time = ISODateTime.format(nanoseconds: delivery.time)
            let hexID = UUIDText.format(delivery.subject).filter { $0 != "-" }
            document = .paymentStatusReport(
                PaymentStatusReport(
                    messageID: String(("PLCS\(delivery.cursor)-" + hexID.prefix(20)).prefix(35)),
                    creationDateTime: time,
                    originalMessageID: nil, originalMessageNameID: "pacs.008.001.08",
                    transactions: [
                        .init(
                            originalEndToEndID: fact.texts.endToEndID, originalUETR: UUIDText.format(fact.uetr),
                            status: status,
                            reason: reason != nil || note != nil
                                ? .init(code: reason, additionalInformation: note) : nil,
                            acceptanceDateTime: delivery.status == .accepted ? time : nil)
                    ]))
        case .cycleClosed:
            return nil
        }
        return ISOMessage(header: nil, document: document).xml()
    }

    func statement(of bic: BIC, cycle: UInt32) async throws -> String? {
        let (statement, closedAt) = try await CycleRoutes.statement(
            of: bic, cycle: cycle, caller: .participant(bic), api)
        let exponent = try api.currency(statement.currency).exponent
        let report = ISOReports.statement(statement, closedAt: closedAt, exponent: exponent)
        return ISOMessage(header: nil, document: .statement(report)).xml()
    }
}
