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
    /// credited, final_status, awaiting_decision, cycle_closed, recall_requested,
    /// recall_answered or settlement_booked.
    var kind: String
    /// When it happened, nanoseconds since 1970.
    var time: UInt64
    var paymentId: String?
    var status: String?
    var cycle: UInt32?
    /// format=json: the payment as `GET /v1/payments/{id}` shows it (as it was then).
    var payment: PaymentDTO?
    /// recall_requested, recall_answered (format=json): the recall as it was then.
    var recall: RecallDTO?
    /// settlement_booked (format=json): the executed instruction (always confirmed).
    var settlement: CycleReportDTO.Instruction?
    /// format=iso20022: pacs.008 (credited), pacs.002 (final_status, awaiting_decision),
    /// camt.053 (cycle_closed), camt.056 (recall_requested), camt.029 (recall_answered) or
    /// camt.054 (settlement_booked).
    var message: String?
}

struct OutboxDTO: ResponseCodable {
    var items: [DeliveryDTO]
    /// The bank's last acknowledged cursor, and its last delivery's.
    var acknowledged: UInt64
    var last: UInt64
}

extension Delivery {
    var isAboutRecall: Bool { kind == .recallRequested || kind == .recallAnswered }
    /// Its subject is a payment id.
    var isAboutPayment: Bool {
        switch kind {
        case .credited, .finalStatus, .awaitingDecision: true
        case .cycleClosed, .recallRequested, .recallAnswered, .settlementBooked: false
        }
    }
}

extension DeliveryKind {
    var code: String {
        switch self {
        case .credited: "credited"
        case .finalStatus: "final_status"
        case .awaitingDecision: "awaiting_decision"
        case .cycleClosed: "cycle_closed"
        case .recallRequested: "recall_requested"
        case .recallAnswered: "recall_answered"
        case .settlementBooked: "settlement_booked"
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
        /// A trade-conditional payment's condition (the document's SHA-256).
        var conditionSHA256: String?
    }

    func render(
        _ deliveries: [Delivery], for bic: BIC, format: DeliveryEndpoint.Format
    ) async throws -> [DeliveryDTO] {
        let recallIDs = deliveries.filter(\.isAboutRecall).map(\.subject)
        let paymentIDs = deliveries.filter(\.isAboutPayment).map(\.subject)
        let settlementNames = deliveries.compactMap(\.settlementInstruction)
        let currencies = api.currencies
        // Recalls name their payments: read first, so the payments read below includes them.
        let recalledIDs = try await api.read { hub in recallIDs.compactMap { hub.recall($0)?.request.paymentID } }
        let cycleNumbers = settlementNames.map(\.cycle)
        let instructions = try await PolyclearAPI.readCycles(
            api.writer, numbers: { _ in cycleNumbers.min().map { $0...cycleNumbers.max()! } }
        ) { view in Self.instructions(settlementNames, in: view) }
        let (facts, recalls) = try await api.readPayments(ids: paymentIDs + recalledIDs) { view in
            let hub = view.hub
            var recalls: [UInt128: Recall] = [:]
            for id in recallIDs { recalls[id] = hub.recall(id) }
            var byID: [UInt128: PaymentFacts] = [:]
            for id in paymentIDs + recalls.values.map(\.request.paymentID) where byID[id] == nil {
                byID[id] = Self.facts(of: id, in: view, currencies: currencies)
            }
            return (byID, recalls)
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
            } else if let name = delivery.settlementInstruction {
                guard let instruction = instructions[delivery.subject] else { continue }
                item.cycle = name.cycle
                if format == .json {
                    item.settlement = try CycleReportDTO.Instruction(instruction, money: api.money)
                } else {
                    let exponent = currencies[instruction.currency]?.exponent ?? 2
                    let report = ISOReports.settlementNotification(
                        instruction, bookedAt: delivery.time, exponent: exponent)
                    item.message = ISOMessage(header: nil, document: .notification(report)).xml()
                }
            } else if delivery.isAboutRecall {
                guard let recall = recalls[delivery.subject], let fact = facts[recall.request.paymentID] else {
                    continue
                }
                // What the delivery reports: the request as made, or the answer as given.
                let shown = delivery.kind == .recallRequested ? recall.asRequested : recall
                item.paymentId = UUIDCoding.encode(recall.request.paymentID)
                item.status = shown.status.code
                if format == .json {
                    item.recall = RecallDTO(shown)
                } else {
                    item.message = Self.recallMessage(shown, fact, delivery: delivery)
                }
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

    /// The settlement instructions named, by their delivery subject.
    static func instructions(
        _ names: [(cycle: UInt32, index: Int)], in view: CycleReadView
    ) -> [UInt128: SettlementInstruction] {
        var found: [UInt128: SettlementInstruction] = [:]
        for name in names {
            guard let cycle = view.cycle(name.cycle),
                cycle.instructions.indices.contains(name.index)
            else { continue }
            found[Delivery.settlementSubject(cycle: name.cycle, index: name.index)] = cycle.instructions[name.index]
        }
        return found
    }

    static func facts(of id: UInt128, in view: PaymentReadView, currencies: CurrencyTable) -> PaymentFacts? {
        let hub = view.hub
        guard let state = view.payment(id), let parties = view.paymentParties(id), let data = view.paymentData(id),
            let uetr = view.paymentUETR(id)
        else { return nil }
        func amount(_ minor: Int64, of bic: BIC) -> ISOAmount? {
            guard minor != 0, let code = hub.participant(bic).flatMap({ hub.member($0.memberID)?.currency }),
                let currency = currencies[code]
            else { return nil }
            return ISOAmount(
                value: Money(minorUnits: minor, currency: currency).decimalString, currency: code.description)
        }
        return PaymentFacts(
            dto: PaymentDTO.describe([state], in: view, currencies: currencies)[0], texts: data.texts,
            details: data.details, payer: parties.payer, payee: parties.payee,
            payerAmount: amount(state.payerAmountMinor, of: parties.payer),
            payeeAmount: amount(state.payeeAmountMinor, of: parties.payee), uetr: uetr,
            bookedAt: view.bookingTime(of: id), rejection: state.rejection,
            conditionSHA256: hub.hasConditions ? hub.condition(of: id)?.sha256Hex : nil)
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
            let note =
                delivery.kind != .awaitingDecision
                ? nil
                : fact.conditionSHA256.map { "present the document with SHA-256 \($0)" }
                    ?? "reserved: awaiting the payee's decision"
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
                            acceptanceDateTime: delivery.status == .accepted ? time : nil,
                            originalAmount: delivery.status == .accepted ? fact.payerAmount : nil,
                            originalReference: EntryDetails(
                                texts: fact.texts, details: fact.details, payer: fact.payer, payee: fact.payee))
                    ]))
        case .cycleClosed, .recallRequested, .recallAnswered, .settlementBooked:
            return nil
        }
        return ISOMessage(header: nil, document: document).xml()
    }

    /// camt.056 to the payee's bank (a recall), camt.029 to the payer's (its answer).
    static func recallMessage(_ recall: Recall, _ fact: PaymentFacts, delivery: Delivery) -> String {
        let caseID = UUIDText.format(recall.request.id).filter { $0 != "-" }
        let time = ISODateTime.format(nanoseconds: delivery.time)
        let document: ISODocument
        if delivery.kind == .recallRequested {
            document = .cancellationRequest(
                PaymentCancellationRequest(
                    assignment: CaseAssignment(
                        id: "PLCR" + caseID.prefix(31), assignerBIC: fact.payer.description,
                        assigneeBIC: fact.payee.description, creationDateTime: time),
                    caseID: caseID,
                    transactions: [
                        .init(
                            cancellationID: caseID, originalEndToEndID: fact.texts.endToEndID,
                            originalUETR: UUIDText.format(fact.uetr), originalAmount: fact.payeeAmount,
                            reasonCode: recall.request.reasonCode)
                    ]))
        } else {
            let accepted = recall.status == .accepted
            document = .investigationResolution(
                InvestigationResolution(
                    assignment: CaseAssignment(
                        id: "PLCA" + caseID.prefix(31), assignerBIC: fact.payee.description,
                        assigneeBIC: fact.payer.description, creationDateTime: time),
                    resolvedCaseID: caseID, confirmation: accepted ? "CNCL" : "RJCR",
                    transactions: [
                        .init(
                            cancellationStatusID: caseID, originalEndToEndID: fact.texts.endToEndID,
                            originalUETR: UUIDText.format(fact.uetr), status: accepted ? "ACCR" : "RJCR",
                            reasonCode: recall.status == .expired ? "NOAS" : recall.answerReasonCode,
                            additionalInformation: recall.status == .expired
                                ? ["no answer before the recall's deadline"] : [])
                    ]))
        }
        return ISOMessage(header: nil, document: document).xml()
    }

    func statement(of bic: BIC, cycle: UInt32) async throws -> String? {
        let (statement, closedAt) = try await CycleRoutes.statement(
            of: bic, cycle: cycle, caller: .participant(bic), api)
        let report = try await ISO20022Routes.report(statement, closedAt, api)
        return ISOMessage(header: nil, document: .statement(report)).xml()
    }
}
