import Crypto
import Foundation
import Hummingbird
import PolyclearCore
import PolyclearStorage

/// Payments: submit one or a batch, read one or a page, and the two-phase and cancel decisions.
enum PaymentRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.post("/v1/payments") { request, context -> EditedResponse<PaymentDTO> in
            let caller = try context.requireCaller()
            let body = try await request.decode(as: PaymentRequestDTO.self, context: context)
            let instruction = try await PaymentRequestDTO.instructions(
                [body], writer: api.writer, currencies: api.currencies)[0]
            try AccessPolicy.require(caller, .submitPayment(payer: instruction.payer))
            guard
                case .payment(let payment) = try await api.submitPayments([.submitPayment(instruction)], by: caller)
                    .first
            else {
                throw APIError.unexpectedResult
            }
            return EditedResponse(status: .created, response: payment)
        }
        router.post("/v1/payments/batch") { request, context -> PaymentListResponse in
            PaymentListResponse(payments: try await batch(request, context: context, api), currencies: api.currencies)
        }
        router.get("/v1/payments/:id") { _, context -> PaymentDTO in
            let caller = try context.requireCaller()
            let paymentID = try paymentID(context)
            let visible = try await api.readPayments(ids: [paymentID]) { view -> PaymentState? in
                guard let state = view.payment(paymentID), let parties = view.paymentParties(paymentID),
                    AccessPolicy.maySeePayment(
                        caller, payer: parties.payer, payee: parties.payee,
                        memberOf: { view.hub.participant($0)?.memberID })
                else { return nil }
                return state
            }
            // Another bank's payment answers 404 like a missing one: no existence leaks.
            guard let visible else { throw APIError(.notFound, code: "not_found", "no such payment") }
            return try await PaymentDTO(visible, writer: api.writer, currencies: api.currencies)
        }
        router.get("/v1/payments") { request, context -> PaymentPageDTO in
            try await page(request, context: context, api)
        }
        router.post("/v1/payments/:id/fulfil") { request, context -> PaymentDTO in
            try await fulfil(request, context, api)
        }
        router.post("/v1/payments/:id/commit") { _, context -> PaymentDTO in
            try await decide(context, commit: true, api)
        }
        router.post("/v1/payments/:id/reject") { _, context -> PaymentDTO in
            try await decide(context, commit: false, api)
        }
        router.post("/v1/payments/:id/cancel") { _, context -> PaymentDTO in
            let caller = try context.requireCaller()
            let id = try paymentID(context)
            // Those who may read the payment learn why they may not cancel it; others get 404.
            guard let payer = try await visiblePayer(id, to: caller, api) else {
                throw APIError(.notFound, code: "not_found", "no such payment")
            }
            try AccessPolicy.require(caller, .cancelPayment(payer: payer))
            switch try await api.submitPayments([.cancelPayment(id: id, actor: caller.actor)], by: caller).first {
            case .payment(let payment): return payment
            case .other(.refused(let rejection)):
                throw APIError.refused(rejection, "only a queued or held payment can be cancelled")
            default: throw APIError.unexpectedResult
            }
        }
    }

    static func paymentID(_ context: PolyclearRequestContext) throws -> UInt128 {
        guard let id = UUIDCoding.decode(try context.parameters.require("id")) else {
            throw APIError(.badRequest, code: "malformed_id", "payment ids are UUIDs")
        }
        return id
    }

    static func batch<A: HubAccess>(
        _ request: Request, context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> [PaymentSheet] {
        let caller = try context.requireCaller()
        let items = try await batchItems(request, context: context)
        let countMax = api.limits.batchPaymentCountMax
        guard !items.isEmpty else {
            throw APIError(.badRequest, code: "empty_batch", "a batch holds 1 to \(countMax) payments")
        }
        guard items.count <= countMax else {
            throw APIError(.contentTooLarge, code: "batch_too_large", "a batch holds 1 to \(countMax) payments")
        }
        // A batch costs one request per item (the request itself paid for one).
        guard api.limiter.allow(caller, cost: items.count - 1) else {
            throw APIError(
                .tooManyRequests, code: "rate_limited", "too many requests: a batch counts each payment",
                retryAfterSeconds: 1)
        }
        let instructions = try await PaymentRequestDTO.instructions(
            items, writer: api.writer, currencies: api.currencies)
        for (index, instruction) in instructions.enumerated()
        where !AccessPolicy.allows(caller, .submitPayment(payer: instruction.payer)) {
            throw APIError(.forbidden, code: "forbidden", "every payment of a batch must be the caller's own").forItem(
                index)
        }
        return try await api.submitPaymentSheets(instructions.map { .submitPayment($0) }, by: caller).map { answer in
            guard case .payment(let payment) = answer else { throw APIError.unexpectedResult }
            return payment
        }
    }

    /// The body's payments: the common flat shape read on its bytes, anything else by the
    /// decoder (with its errors).
    static func batchItems(_ request: Request, context: PolyclearRequestContext) async throws -> [PaymentRequestDTO] {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        if let items = body.withUnsafeReadableBytes(PaymentRequestFastPath.decode) { return items }
        return try await request.decode(as: [PaymentRequestDTO].self, context: context)
    }

    /// A page of the payments the caller may see, in submission order, after a cursor.
    static func page<A: HubAccess>(
        _ request: Request, context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> PaymentPageDTO {
        let caller = try context.requireCaller()
        let limit = try PolyclearAPI.integer(request, "limit", in: 1...api.limits.pageSizeMax) ?? 100
        let cursor = try PolyclearAPI.integer(request, "cursor", in: 0...Int.max) ?? 0
        let status = try PolyclearAPI.choice(request, "status", PaymentStatus.allCases.map { ($0.code, $0) })
        var asked = AccessPolicy.paymentFilter(caller, status: status)
        asked.counterparty = try PolyclearAPI.bic(request, "counterparty")
        asked.cycle = try PolyclearAPI.integer(request, "cycle", in: 0...Int(UInt32.max)).map(UInt32.init)
        let filter = asked
        let scanMax = api.limits.paymentPageScanMax
        let page = try await api.readPayments(page: PaymentPageScan(cursor: cursor, scanMax: scanMax)) { view in
            view.paymentPage(from: cursor, limit: limit, scanMax: scanMax, filter: filter)
        }
        let items = try await PaymentDTO.many(page.states, writer: api.writer, currencies: api.currencies)
        return PaymentPageDTO(items: items, nextCursor: page.next.map(String.init))
    }

    /// Commit or reject a reserved (two-phase) payment: its payee bank, the payee's member, or
    /// the operator (the hub decides who may); others get 404 (no existence leak) or 409.
    static func decide<A: HubAccess>(
        _ context: PolyclearRequestContext, commit: Bool, _ api: RouteDependencies<A>
    ) async throws -> PaymentDTO {
        let caller = try context.requireCaller()
        let id = try paymentID(context)
        guard try await visiblePayer(id, to: caller, api) != nil else {
            throw APIError(.notFound, code: "not_found", "no such payment")
        }
        let command: HubCommand =
            commit ? .commitPayment(id: id, actor: caller.actor) : .rejectPayment(id: id, actor: caller.actor)
        switch try await api.submitPayments([command], by: caller).first {
        case .payment(let payment): return payment
        case .other(.refused(.notAllowedForActor)):
            throw APIError(.forbidden, code: "forbidden", "only the payee side or the operator decides")
        case .other(.refused(let rejection)): throw APIError.refused(rejection, "the payment is not reserved")
        default: throw APIError.unexpectedResult
        }
    }

    /// The payee bank presents the document a trade-conditional payment waits for (base64,
    /// at most 3 MiB); the hub hashes it and books the payment if the SHA-256 matches.
    static func fulfil<A: HubAccess>(
        _ request: Request, _ context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> PaymentDTO {
        let caller = try context.requireCaller()
        let id = try paymentID(context)
        guard try await visiblePayer(id, to: caller, api) != nil else {
            throw APIError(.notFound, code: "not_found", "no such payment")
        }
        try AccessPolicy.require(caller, .fulfilCondition)
        let body = try await request.decode(as: FulfilmentDTO.self, context: context)
        guard body.document.utf8.count <= 4 << 20, let document = Data(base64Encoded: body.document), !document.isEmpty
        else { throw APIError(.badRequest, code: "malformed_document", "document is the document's bytes in base64") }
        let digest = SHA256.hash(data: document).map { String(format: "%02x", $0) }.joined()
        switch try await api.submitPayments(
            [.fulfilCondition(id: id, presentedSHA256Hex: digest, actor: caller.actor)], by: caller
        ).first {
        case .payment(let payment): return payment
        case .other(.refused(.notAllowedForActor)):
            throw APIError(.forbidden, code: "forbidden", "only the payee bank presents the document")
        case .other(.refused(let rejection)):
            throw APIError.refused(rejection, "the document does not fulfil the payment's condition")
        default: throw APIError.unexpectedResult
        }
    }

    /// The payment's payer bank, if `caller` may read the payment; nil for a payment it may
    /// not see or that does not exist.
    static func visiblePayer<A: HubAccess>(
        _ id: UInt128, to caller: Caller, _ api: RouteDependencies<A>
    ) async throws -> BIC? {
        try await api.readPayments(ids: [id]) { view -> BIC? in
            guard let parties = view.paymentParties(id),
                AccessPolicy.maySeePayment(
                    caller, payer: parties.payer, payee: parties.payee,
                    memberOf: { view.hub.participant($0)?.memberID })
            else { return nil }
            return parties.payer
        }
    }
}

/// `POST /v1/payments/{id}/fulfil`: the document whose SHA-256 the payment's condition is.
struct FulfilmentDTO: OneFieldBody {
    static let key = "document"
    var document: String

    init(_ document: String) { self.document = document }
}
