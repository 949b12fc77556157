import Foundation
import Hummingbird
import PolyclearCore

/// Recalls over JSON (ISO 20022: camt.056 and camt.029 on `/v1/iso20022/messages`): the
/// payer's bank asks for a booked payment back, the payee's bank accepts (the return is
/// booked) or rejects with a reason before the deadline, else it expires.
enum RecallRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.post("/v1/payments/:id/recall") { request, context -> EditedResponse<RecallDTO> in
            let caller = try context.requireCaller()
            let paymentID = try PaymentRoutes.paymentID(context)
            guard try await PaymentRoutes.visiblePayer(paymentID, to: caller, api) != nil else {
                throw APIError(.notFound, code: "not_found", "no such payment")
            }
            let body = try await request.decode(as: RecallRequestDTO.self, context: context)
            guard HubStateMachineCodes.isReasonCode(body.reason) else {
                throw APIError(
                    .badRequest, code: "malformed_reason", "reason is an ISO 20022 cancellation reason code, e.g. DUPL")
            }
            var random = SystemRandomNumberGenerator()
            let id = UInt128(random.next()) << 64 | UInt128(random.next())
            let recall = RecallRequest(
                id: id, paymentID: paymentID, reasonCode: body.reason, answerSeconds: body.answerSeconds ?? 0,
                actor: caller.actor)
            let (result, found) = try await PolyclearAPI.submit(api.writer, [.requestRecall(recall)], by: caller) {
                results, hub in (results.first, hub.recall(id))
            }
            if case .refused(let rejection) = result { throw APIError.refused(rejection, "the recall was refused") }
            guard let found else { throw APIError.unexpectedResult }
            return EditedResponse(status: .created, response: RecallDTO(found))
        }
        router.get("/v1/recalls/:id") { _, context -> RecallDTO in
            try await visibleRecall(context, api).dto
        }
        router.get("/v1/payments/:id/recalls") { _, context -> [RecallDTO] in
            let caller = try context.requireCaller()
            let paymentID = try PaymentRoutes.paymentID(context)
            guard try await PaymentRoutes.visiblePayer(paymentID, to: caller, api) != nil else {
                throw APIError(.notFound, code: "not_found", "no such payment")
            }
            return try await api.read { hub in hub.recalls(ofPayment: paymentID).map(RecallDTO.init) }
        }
        router.post("/v1/recalls/:id/accept") { _, context -> RecallDTO in
            try await answer(context, accept: true, reason: "", api)
        }
        router.post("/v1/recalls/:id/reject") { request, context -> RecallDTO in
            let body = try await request.decode(as: RecallRejectionDTO.self, context: context)
            guard HubStateMachineCodes.isReasonCode(body.reason) else {
                throw APIError(
                    .badRequest, code: "malformed_reason", "reason is an ISO 20022 code, e.g. NOOR, ARDT, CUST")
            }
            return try await answer(context, accept: false, reason: body.reason, api)
        }
    }

    /// The recall, for its two banks, their central banks and the operator (others: 404).
    static func visibleRecall<A: HubAccess>(
        _ context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> (id: UInt128, dto: RecallDTO) {
        let caller = try context.requireCaller()
        guard let id = UUIDCoding.decode(try context.parameters.require("id")), id != 0 else {
            throw APIError(.badRequest, code: "malformed_id", "recall ids are UUIDs")
        }
        let paymentID = try await api.read { hub in hub.recall(id)?.request.paymentID }
        let found = try await api.readPayments(ids: paymentID.map { [$0] } ?? []) { view -> RecallDTO? in
            guard let recall = view.hub.recall(id), let parties = view.paymentParties(recall.request.paymentID),
                AccessPolicy.maySeePayment(
                    caller, payer: parties.payer, payee: parties.payee,
                    memberOf: { view.hub.participant($0)?.memberID })
            else { return nil }
            return RecallDTO(recall)
        }
        guard let found else { throw APIError(.notFound, code: "not_found", "no such recall") }
        return (id, found)
    }

    static func answer<A: HubAccess>(
        _ context: PolyclearRequestContext, accept: Bool, reason: String, _ api: RouteDependencies<A>
    ) async throws -> RecallDTO {
        let caller = try context.requireCaller()
        let (id, _) = try await visibleRecall(context, api)
        let (result, found) = try await PolyclearAPI.submit(
            api.writer, [.answerRecall(id: id, accept: accept, reasonCode: reason, actor: caller.actor)], by: caller
        ) { results, hub in (results.first, hub.recall(id)) }
        if case .refused(let rejection) = result { throw APIError.refused(rejection, "the answer was refused") }
        guard let found else { throw APIError.unexpectedResult }
        return RecallDTO(found)
    }
}

enum HubStateMachineCodes {
    /// Four capitals or digits: an ISO 20022 external code.
    static func isReasonCode(_ code: String) -> Bool {
        code.utf8.count == 4 && code.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) }
    }
}

struct RecallRequestDTO: Decodable {
    var reason: String
    /// How long the payee's bank has to answer (default 10 days, at most 90).
    var answerSeconds: UInt32?

    enum CodingKeys: String, CodingKey, CaseIterable { case reason, answerSeconds }

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reason = try c.decode(String.self, forKey: .reason)
        answerSeconds = try c.decodeIfPresent(UInt32.self, forKey: .answerSeconds)
    }
}

struct RecallRejectionDTO: OneFieldBody {
    static let key = "reason"
    var reason: String
    init(_ value: String) { reason = value }
}

struct RecallDTO: ResponseCodable {
    var id: String
    var paymentId: String
    var reason: String
    /// open, accepted, rejected or expired.
    var status: String
    var requestedAt: UInt64
    /// The deadline for the payee's bank's answer (nanoseconds since 1970).
    var dueAt: UInt64
    var answerReason: String?
    var answeredAt: UInt64?
    /// The return an accepted recall booked.
    var returnId: String?

    init(_ recall: Recall) {
        id = UUIDCoding.encode(recall.request.id)
        paymentId = UUIDCoding.encode(recall.request.paymentID)
        reason = recall.request.reasonCode
        status = recall.status.code
        requestedAt = recall.requestedAt
        dueAt = recall.dueAt
        answerReason = recall.answerReasonCode
        answeredAt = recall.answeredAt
        returnId = recall.returnID.map(UUIDCoding.encode)
    }
}
