public import Hummingbird
import Foundation
public import PolyclearCore
import PolyclearISO20022
public import PolyclearStorage

/// The JSON API, version 1. Reads go through the writer between batches (committed state);
/// writes are hub commands submitted to the single writer.
public enum PolyclearAPI {
    /// The most payments one `POST /v1/payments/batch` may carry.
    public static var batchPaymentCountMax: Int { ServerLimits.default.batchPaymentCountMax }
    /// The most movements one statement lists.
    public static var statementEntryCountMax: Int { ServerLimits.default.statementEntryCountMax }

    /// - Parameters: limits: rates, streams, cache sizes (`ServerLimits`).
    public static func router<A: HubAccess>(
        writer: A, keys: APIKeyStore, currencies: CurrencyTable, events: EventBroadcaster = EventBroadcaster(),
        metrics: ServerMetrics = ServerMetrics(), limits: ServerLimits = .default
    ) -> Router<PolyclearRequestContext> {
        let router = Router(context: PolyclearRequestContext.self)
        let limiter = RateLimiter<Caller>(ratePerSecond: Double(limits.requestsPerSecond), burst: Double(limits.requestBurst))
        events.startDelivering(resolve: EventAudience.resolver(writer))
        // Method and path at debug level, each line with Hummingbird's request id; never
        // headers or bodies (keys, names and account details stay out of the logs).
        router.add(middleware: LogRequestsMiddleware(.debug))
        let routes = RouteList()
        router.add(middleware: ErrorAnswerMiddleware(routes: routes))
        router.add(middleware: MetricsMiddleware<PolyclearRequestContext>(metrics: metrics))
        router.add(middleware: WriteForwardingMiddleware(hub: writer, forwarder: HTTPForwarder()))
        router.add(middleware: AuthenticationMiddleware(
            keys: keys, limiter: limiter,
            failures: RateLimiter(ratePerSecond: Double(limits.failedAuthenticationsPerSecond), burst: Double(limits.failedAuthenticationBurst))))
        router.add(middleware: JSONDepthLimitMiddleware())
        router.add(middleware: IdempotencyMiddleware(cache: IdempotencyCache(
            bytesMax: limits.idempotencyBytesMax, bytesPerCallerMax: limits.idempotencyBytesPerCallerMax, retentionSeconds: limits.idempotencyRetentionSeconds)))
        router.get("/healthz") { _, _ in "ok" }
        router.get("/readyz") { _, _ -> String in
            do { return try await writer.read { _ in "ready" } } catch { throw APIError(.serviceUnavailable, code: "not_ready", "the writer is not running") }
        }
        router.get("/openapi.yaml") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
        router.get("/metrics") { _, context -> Response in
            guard case .operatorUser = try context.requireCaller() else { throw APIError(.forbidden, code: "forbidden", "metrics are for the operator") }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metrics.text)))
        }
        router.get("/v1/node") { _, context -> HubNodeStatus in
            guard case .operatorUser = try context.requireCaller() else { throw APIError(.forbidden, code: "forbidden", "node status is for the operator") }
            return writer.nodeStatus
        }
        router.get("/v1/members") { _, context -> [MemberDTO] in
            _ = try context.requireCaller()
            return try await read(writer) { hub in hub.allMembers.map(MemberDTO.init) }
        }
        router.get("/v1/participants") { _, context -> [ParticipantDTO] in
            let caller = try context.requireCaller()
            return try await read(writer) { hub in
                hub.allParticipants.filter(caller.maySee).map(ParticipantDTO.init)
            }
        }
        router.post("/v1/payments") { request, context -> EditedResponse<PaymentDTO> in
            let caller = try context.requireCaller()
            let body = try await request.decode(as: PaymentRequestDTO.self, context: context)
            let instruction = try await PaymentRequestDTO.instructions([body], writer: writer, currencies: currencies)[0]
            switch caller {
            case .operatorUser: break
            case .participant(let bic) where bic == instruction.payer: break
            default: throw APIError(.forbidden, code: "forbidden", "only the payer bank or the operator may submit a payment")
            }
            let answers = try await submitPayments(writer, [.submitPayment(instruction)], by: caller, currencies: currencies)
            guard case .payment(let payment) = answers.first else { throw APIError(.internalServerError, code: "internal", "unexpected result") }
            return EditedResponse(status: .created, response: payment)
        }
        router.get("/v1/payments/:id") { _, context -> PaymentDTO in
            let caller = try context.requireCaller()
            let id = try context.parameters.require("id")
            guard let paymentID = UUIDCoding.decode(id) else { throw APIError(.badRequest, code: "malformed_id", "payment ids are UUIDs") }
            let visible = try await read(writer) { hub -> PaymentState? in
                guard let state = hub.payment(paymentID), let parties = hub.paymentParties(paymentID) else { return nil }
                switch caller {
                case .operatorUser: return state
                case .participant(let bic): return parties.payer == bic || parties.payee == bic ? state : nil
                case .member(let member):
                    let members = [hub.participant(parties.payer)?.memberID, hub.participant(parties.payee)?.memberID]
                    return members.contains(member) ? state : nil
                }
            }
            // Another bank's payment answers 404 like a missing one: no existence leaks.
            guard let visible else { throw APIError(.notFound, code: "not_found", "no such payment") }
            return try await PaymentDTO(visible, writer: writer, currencies: currencies)
        }
        router.post("/v1/payments/:id/commit") { _, context -> PaymentDTO in
            try await decide(writer, context: context, commit: true, currencies: currencies)
        }
        router.post("/v1/payments/:id/reject") { _, context -> PaymentDTO in
            try await decide(writer, context: context, commit: false, currencies: currencies)
        }
        router.post("/v1/payments/batch") { request, context -> [PaymentDTO] in
            let caller = try context.requireCaller()
            let items = try await request.decode(as: [PaymentRequestDTO].self, context: context)
            guard !items.isEmpty else { throw APIError(.badRequest, code: "empty_batch", "a batch holds 1 to \(limits.batchPaymentCountMax) payments") }
            guard items.count <= limits.batchPaymentCountMax else {
                throw APIError(.contentTooLarge, code: "batch_too_large", "a batch holds 1 to \(limits.batchPaymentCountMax) payments")
            }
            // A batch costs one request per item (the request itself paid for one).
            guard limiter.allow(caller, cost: items.count - 1) else {
                throw APIError(.tooManyRequests, code: "rate_limited", "too many requests: a batch counts each payment", retryAfterSeconds: 1)
            }
            let instructions = try await PaymentRequestDTO.instructions(items, writer: writer, currencies: currencies)
            for instruction in instructions {
                switch caller {
                case .operatorUser: break
                case .participant(let bic) where bic == instruction.payer: break
                default: throw APIError(.forbidden, code: "forbidden", "every payment of a batch must be the caller's own")
                }
            }
            let answers = try await submitPayments(writer, instructions.map { .submitPayment($0) }, by: caller, currencies: currencies)
            return try answers.map { answer in
                guard case .payment(let payment) = answer else { throw APIError(.internalServerError, code: "internal", "unexpected result") }
                return payment
            }
        }
        router.get("/v1/queue") { _, context -> [String] in
            let caller = try context.requireCaller()
            return try await read(writer) { hub in
                hub.allParticipants.filter(caller.maySee).flatMap { hub.queuedPayments(of: $0.bic) }.map(UUIDCoding.encode)
            }
        }
        router.get("/v1/positions") { _, context -> [PositionDTO] in
            let caller = try context.requireCaller()
            return try await read(writer) { hub in
                var positions: [PositionDTO] = []
                for participant in hub.allParticipants {
                    guard caller.maySee(participant), let member = hub.member(participant.memberID), let currency = currencies[member.currency] else { continue }
                    positions.append(PositionDTO(holder: participant.bic.description, kind: "participant",
                                                 amount: Money(minorUnits: hub.position(of: participant.bic) ?? 0, currency: currency).decimalString,
                                                 currency: member.currency.description, limit: Money(minorUnits: participant.netDebitCapMinor, currency: currency).decimalString))
                }
                for member in hub.allMembers {
                    let visible: Bool = switch caller {
                    case .operatorUser: true
                    case .member(let id): member.id == id
                    case .participant: false
                    }
                    guard visible else { continue }
                    positions.append(PositionDTO(holder: member.id.alpha3, kind: "member_union",
                                                 amount: Money(minorUnits: hub.unionPosition(of: member.id) ?? 0, currency: currencies.unit).decimalString,
                                                 currency: currencies.unit.code.description, limit: Money(minorUnits: member.quotaUnitMinor, currency: currencies.unit).decimalString))
                }
                return positions
            }
        }
        router.get("/v1/cycles/:number") { _, context -> CycleReportDTO in
            let caller = try context.requireCaller()
            guard !caller.isParticipant else { throw APIError(.forbidden, code: "forbidden", "cycles are for members and the operator") }
            let number = try context.parameters.require("number", as: UInt32.self)
            guard var report = try await read(writer, { hub in hub.cycles.first { $0.number == number } }) else {
                throw APIError(.notFound, code: "not_found", "no such closed cycle")
            }
            if case .member(let id) = caller {
                // A member sees its own banks and instructions; the union-level figures stay.
                report.participants = report.participants.filter { $0.currency == report.members.first { $0.id == id }?.currency }
                report.instructions = report.instructions.filter { $0.member == id }
            }
            return CycleReportDTO(report: report)
        }
        router.post("/v1/cycles/:number/confirm") { _, context -> CycleDTO in
            let caller = try context.requireCaller()
            guard case .member(let id) = caller else {
                throw APIError(.forbidden, code: "forbidden", "a member's central bank confirms its own instructions")
            }
            let number = try context.parameters.require("number", as: UInt32.self)
            let (result, cycle) = try await submit(writer, [.confirmSettlement(cycle: number, member: id, instructionIndex: nil, amountMinor: nil, actor: .member(id))],
                                                   by: caller) { results, hub in
                (results.first, hub.cycles.first { $0.number == number }.map(CycleDTO.init) ?? CycleDTO(openNumber: hub.openCycleNumber))
            }
            if case .refused(let rejection) = result { throw APIError(.conflict, code: rejection.code, "nothing to confirm") }
            return cycle
        }
        router.get("/v1/statements/:bic/cycles/:number") { request, context -> Response in
            let caller = try context.requireCaller()
            guard let bic = BIC(try context.parameters.require("bic")) else { throw APIError(.badRequest, code: "malformed_bic", "not a BIC") }
            let number = try context.parameters.require("number", as: UInt32.self)
            let asked = try format(request, allowed: ["json", "csv"])
            let statement = try await statement(of: bic, cycle: number, caller: caller, writer: writer).0
            if asked == "csv" {
                let exponent = currencies[statement.currency]?.exponent ?? 2
                return Response(status: .ok, headers: [.contentType: "text/csv"], body: .init(byteBuffer: ByteBuffer(string: statement.csv(exponent: exponent))))
            }
            return try StatementDTO(statement).response(from: request, context: context)
        }
        router.get("/v1/payments") { request, context -> PaymentPageDTO in
            let caller = try context.requireCaller()
            let limit = try integer(request, "limit", in: 1...limits.pageSizeMax) ?? 100
            let cursor = try integer(request, "cursor", in: 0...Int.max) ?? 0
            let status = request.uri.queryParameters["status"].map(String.init)
            let page = try await read(writer) { hub -> ([PaymentState], Int?) in
                let states = hub.allPaymentStates
                var found: [PaymentState] = [], position = max(0, cursor)
                while position < states.count && found.count < limit {
                    let state = states[position]
                    position += 1
                    if let status, String(describing: state.status) != status { continue }
                    guard let parties = hub.paymentParties(state.id) else { continue }
                    let visible: Bool = switch caller {
                    case .operatorUser: true
                    case .participant(let bic): parties.payer == bic || parties.payee == bic
                    case .member(let id): hub.participant(parties.payer)?.memberID == id || hub.participant(parties.payee)?.memberID == id
                    }
                    if visible { found.append(state) }
                }
                return (found, position < states.count ? position : nil)
            }
            let items = try await PaymentDTO.many(page.0, writer: writer, currencies: currencies)
            return PaymentPageDTO(items: items, nextCursor: page.1.map(String.init))
        }
        router.post("/v1/payments/:id/cancel") { _, context -> PaymentDTO in
            let caller = try context.requireCaller()
            guard let id = UUIDCoding.decode(try context.parameters.require("id")) else { throw APIError(.badRequest, code: "malformed_id", "payment ids are UUIDs") }
            // Those who may read the payment learn why they may not cancel it; others get 404.
            guard let payer = try await visiblePayer(writer, id, to: caller) else { throw APIError(.notFound, code: "not_found", "no such payment") }
            switch caller {
            case .operatorUser: break
            case .participant(let bic) where bic == payer: break
            default: throw APIError(.forbidden, code: "forbidden", "only the payer bank or the operator cancels a payment")
            }
            switch try await submitPayments(writer, [.cancelPayment(id: id, actor: caller.actor)], by: caller, currencies: currencies).first {
            case .payment(let payment): return payment
            case .other(.refused(let rejection)): throw APIError(.conflict, code: rejection.code, "only a queued or held payment can be cancelled")
            default: throw APIError(.internalServerError, code: "internal", "unexpected result")
            }
        }
        router.get("/v1/fixings/current") { _, context -> FixingDTO in
            _ = try context.requireCaller()
            guard let fixing = try await read(writer, { hub in hub.currentFixing }) else {
                throw APIError(.notFound, code: "no_fixing", "no fixing is in force")
            }
            return FixingDTO(fixing, unit: currencies.unit)
        }
        router.get("/v1/unit") { _, context -> UnitDTO in
            _ = try context.requireCaller()
            return try await read(writer) { hub in UnitDTO(unit: currencies.unit, amounts: hub.unitDefinition, fixing: hub.currentFixing) }
        }
        router.post("/v1/unit") { request, context -> UnitDTO in
            let caller = try context.requireCaller()
            guard case .operatorUser = caller else { throw APIError(.forbidden, code: "forbidden", "the operator records the union's unit definition") }
            let body = try await request.decode(as: UnitRequestDTO.self, context: context)
            let command = HubCommand.defineUnit(amountsPerUnit: try body.amounts(), checks: limits.rateChecks(confirmed: body.confirmLargeMove ?? false))
            let (result, unit) = try await submit(writer, [command], by: caller) { results, hub in
                (results.first, UnitDTO(unit: currencies.unit, amounts: hub.unitDefinition, fixing: hub.currentFixing))
            }
            if case .refused(let rejection) = result { throw APIError(.unprocessableContent, code: rejection.code, "the unit definition was refused") }
            return unit
        }
        router.get("/v1/audit") { request, context -> AuditPageDTO in
            guard case .operatorUser = try context.requireCaller() else { throw APIError(.forbidden, code: "forbidden", "the audit trail is the operator's") }
            let limit = try integer(request, "limit", in: 1...limits.pageSizeMax) ?? 100
            let after = try integer(request, "after", in: 0...Int.max) ?? 0
            return try await read(writer) { hub in
                let trail = hub.auditRecords
                // `after` may be anything up to Int.max: never add it to the limit unchecked.
                let end = after >= trail.count ? trail.count : min(trail.count, after + limit)
                let records = after < end ? trail[after..<end].map(AuditRecordDTO.init) : []
                return AuditPageDTO(records: records, next: end < trail.count ? end : nil)
            }
        }
        router.post("/v1/fixings") { request, context -> EditedResponse<FixingDTO> in
            let caller = try context.requireCaller()
            guard case .operatorUser = caller else { throw APIError(.forbidden, code: "forbidden", "the operator publishes fixings") }
            let fixing = try await request.decode(as: FixingRequestDTO.self, context: context).fixing(limits: limits)
            let results = try await submit(writer, [.publishFixing(fixing)], by: caller)
            if case .refused(let rejection) = results.first { throw APIError(.conflict, code: rejection.code, "the fixing was refused") }
            return EditedResponse(status: .created, response: FixingDTO(fixing, unit: currencies.unit))
        }
        router.post("/v1/quotes") { request, context -> EditedResponse<QuoteDTO> in
            let caller = try context.requireCaller()
            let body = try await request.decode(as: QuoteRequestDTO.self, context: context)
            guard let id = UUIDCoding.decode(body.id) else { throw APIError(.badRequest, code: "malformed_id", "quote ids are UUIDs") }
            guard let payer = BIC(body.payer), let payee = BIC(body.payee) else { throw APIError(.badRequest, code: "malformed_bic", "payer and payee must be BICs") }
            switch caller {
            case .operatorUser: break
            case .participant(let bic) where bic == payer: break
            default: throw APIError(.forbidden, code: "forbidden", "only the payer or the operator asks for a quote")
            }
            let results = try await submit(writer, [.issueQuote(id: id, payer: payer, payee: payee, validitySeconds: body.validitySeconds ?? 60)], by: caller)
            switch results.first {
            case .quote(let quote): return EditedResponse(status: .created, response: QuoteDTO(quote))
            case .refused(.malformedField): throw APIError(.badRequest, code: "malformed_validity", "validitySeconds is 1 to 86,400")
            case .refused(let rejection): throw APIError(.conflict, code: rejection.code, "no quote")
            default: throw APIError(.internalServerError, code: "internal", "unexpected result")
            }
        }
        router.post("/v1/participants/:bic/funds") { request, context -> FundsDTO in
            let caller = try context.requireCaller()
            guard let bic = BIC(try context.parameters.require("bic")) else { throw APIError(.badRequest, code: "malformed_bic", "not a BIC") }
            let body = try await request.decode(as: FundsRequestDTO.self, context: context)
            let currency = try await read(writer) { hub -> (CountryCode, CurrencyCode)? in
                hub.participant(bic).flatMap { participant in hub.member(participant.memberID).map { (participant.memberID, $0.currency) } }
            }
            guard let (memberID, code) = currency, caller.mayManageFunds(of: memberID) else { throw APIError(.notFound, code: "not_found", "no such participant") }
            guard let id = UUIDCoding.decode(body.id) else { throw APIError(.badRequest, code: "malformed_id", "funds ids are UUIDs") }
            let amount: Money
            do { amount = try Money(parsing: body.amount, currency: currencies[code]!, sign: .positive) } catch {
                throw APIError(.badRequest, code: "malformed_amount", "amount: \(error)")
            }
            let direction = try WireChoice.decode(body.direction, field: "direction", ["in": FundsDirection.into, "out": .outOf])
            let results = try await submit(writer, [.requestFunds(id: id, participant: bic, amountMinor: amount.minorUnits, direction: direction)], by: caller)
            if case .refused(let rejection) = results.first { throw APIError(.conflict, code: rejection.code, "the funds request was refused") }
            return FundsDTO(id: body.id, status: "reserved")
        }
        router.post("/v1/funds/:id/:decision") { _, context -> FundsDTO in
            let caller = try context.requireCaller()
            guard !caller.isParticipant else { throw APIError(.forbidden, code: "forbidden", "members and the operator decide funds") }
            return try await decideFunds(writer, context: context, caller: caller)
        }
        router.post("/v1/setoff-runs") { request, context -> SetOffRunDTO in
            let caller = try context.requireCaller()
            guard case .operatorUser = caller else { throw APIError(.forbidden, code: "forbidden", "the operator runs set-off") }
            let body = try await request.decode(as: SetOffRunRequestDTO.self, context: context)
            guard let runID = UUIDCoding.decode(body.id) else { throw APIError(.badRequest, code: "malformed_id", "run ids are UUIDs") }
            var obligations: [SetOffObligation] = []
            for item in body.obligations {
                guard let id = UUIDCoding.decode(item.id), let debtor = BIC(item.debtor), let creditor = BIC(item.creditor) else {
                    throw APIError(.badRequest, code: "malformed_obligation", "obligation ids are UUIDs, parties BICs")
                }
                obligations.append(SetOffObligation(id: id, debtor: debtor, creditor: creditor, amountMinor: item.amountMinor))
            }
            let results = try await submit(writer, [.setOffObligations(runID: runID, obligations: obligations)], by: caller)
            switch results.first {
            case .setOff(let outcome): return SetOffRunDTO(outcome)
            case .refused(let rejection): throw APIError(.unprocessableContent, code: rejection.code, "the set-off run was refused")
            default: throw APIError(.internalServerError, code: "internal", "unexpected result")
            }
        }
        router.get("/v1/setoff-runs/:id") { _, context -> SetOffRunDTO in
            guard case .operatorUser = try context.requireCaller() else { throw APIError(.forbidden, code: "forbidden", "set-off runs are the operator's") }
            guard let runID = UUIDCoding.decode(try context.parameters.require("id")) else { throw APIError(.badRequest, code: "malformed_id", "run ids are UUIDs") }
            guard let outcome = try await read(writer, { hub in hub.setOffRun(runID) }) else { throw APIError(.notFound, code: "not_found", "no such set-off run") }
            return SetOffRunDTO(outcome)
        }
        router.get("/v1/events") { request, context -> Response in
            let caller = try context.requireCaller()
            // `max`: close after that many events (scripts and tests); otherwise the stream stays open.
            let maxEvents = try positiveInteger(request, "max") ?? Int.max
            let (id, stream): (UInt64, AsyncStream<ByteBuffer>)
            switch events.subscribe(caller, streamsMax: limits.eventStreamsPerCaller) {
            case .success(let subscription): (id, stream) = subscription
            case .failure(.tooManyStreams):
                throw APIError(.tooManyRequests, code: "too_many_streams", "at most \(limits.eventStreamsPerCaller) event streams per caller", retryAfterSeconds: 5)
            case .failure(.closed): throw APIError(.serviceUnavailable, code: "shutting_down", "the server is shutting down")
            }
            let lines = AsyncStream<ByteBuffer> { continuation in
                // The stream carries only events this caller may see (the broadcaster routes them).
                let task = Task {
                    var sent = 0
                    continuation.yield(ByteBuffer(string: ": polyclear events\n\n"))
                    for await event in stream {
                        continuation.yield(event)
                        sent += 1
                        if sent >= maxEvents { break }
                    }
                    if events.isClosed { continuation.yield(ByteBuffer(string: "event: shutdown\ndata: {\"reason\":\"the server is shutting down\"}\n\n")) }
                    events.unsubscribe(id, of: caller)
                    continuation.finish()
                }
                // A comment now and then: a client that vanished is noticed at the next write,
                // and its stream (and its slot among the caller's streams) ends.
                let heartbeat = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(limits.eventHeartbeatSeconds))
                        if !Task.isCancelled { continuation.yield(ByteBuffer(string: ": keep-alive\n\n")) }
                    }
                }
                continuation.onTermination = { _ in task.cancel(); heartbeat.cancel(); events.unsubscribe(id, of: caller) }
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody(asyncSequence: lines))
        }
        router.get("/v1/cycles") { _, context -> [CycleDTO] in
            guard case let caller = try context.requireCaller(), !(caller.isParticipant) else {
                throw APIError(.forbidden, code: "forbidden", "cycles are for members and the operator")
            }
            return try await read(writer) { hub in hub.cycles.map(CycleDTO.init) + [CycleDTO(openNumber: hub.openCycleNumber)] }
        }
        router.post("/v1/cycles/:number/close") { _, context -> CycleDTO in
            let caller = try context.requireCaller()
            guard case .operatorUser = caller else {
                throw APIError(.forbidden, code: "forbidden", "only the operator closes cycles")
            }
            let number = try context.parameters.require("number", as: UInt32.self)
            let (result, cycle) = try await submit(writer, [.closeCycle(number: number)], by: caller) { results, hub in
                (results.first, hub.cycles.last.map(CycleDTO.init) ?? CycleDTO(openNumber: hub.openCycleNumber))
            }
            if case .refused(let rejection) = result { throw APIError(.conflict, code: rejection.code, "the cycle cannot be closed") }
            return cycle
        }
        ISO20022Routes.add(to: router, writer: writer, currencies: currencies, limits: limits, limiter: limiter)
        routes.set(router.routes.map { ($0.method, $0.path.description) })
        return router
    }

    /// Commit or reject a reserved (two-phase) payment: its payee bank, the payee's member, or
    /// the operator; others get 404 (no existence leak) or 409 (wrong state).
    static func decide<A: HubAccess>(_ writer: A, context: PolyclearRequestContext, commit: Bool, currencies: CurrencyTable) async throws -> PaymentDTO {
        let caller = try context.requireCaller()
        guard let id = UUIDCoding.decode(try context.parameters.require("id")) else {
            throw APIError(.badRequest, code: "malformed_id", "payment ids are UUIDs")
        }
        guard try await visiblePayer(writer, id, to: caller) != nil else { throw APIError(.notFound, code: "not_found", "no such payment") }
        let command: HubCommand = commit ? .commitPayment(id: id, actor: caller.actor) : .rejectPayment(id: id, actor: caller.actor)
        switch try await submitPayments(writer, [command], by: caller, currencies: currencies).first {
        case .payment(let payment): return payment
        case .other(.refused(.notAllowedForActor)): throw APIError(.forbidden, code: "forbidden", "only the payee side or the operator decides")
        case .other(.refused(let rejection)): throw APIError(.conflict, code: rejection.code, "the payment is not reserved")
        default: throw APIError(.internalServerError, code: "internal", "unexpected result")
        }
    }

    /// The payment's payer bank, if `caller` may read the payment (its banks, their members,
    /// the operator); nil for a payment it may not see or that does not exist.
    static func visiblePayer<A: HubAccess>(_ writer: A, _ id: UInt128, to caller: Caller) async throws -> BIC? {
        try await read(writer) { hub -> BIC? in
            guard let parties = hub.paymentParties(id) else { return nil }
            let visible = switch caller {
            case .operatorUser: true
            case .participant(let bic): parties.payer == bic || parties.payee == bic
            case .member(let member): [parties.payer, parties.payee].contains { hub.participant($0)?.memberID == member }
            }
            return visible ? parties.payer : nil
        }
    }

    static func decideFunds<A: HubAccess>(_ writer: A, context: PolyclearRequestContext, caller: Caller) async throws -> FundsDTO {
        let raw = try context.parameters.require("id")
        guard let id = UUIDCoding.decode(raw) else { throw APIError(.badRequest, code: "malformed_id", "funds ids are UUIDs") }
        // Another member's bank's funds answer 404, like unknown ones.
        let member = try await read(writer) { hub in hub.fundsParticipant(id).flatMap { hub.participant($0)?.memberID } }
        if case .member = caller, !(member.map { caller.mayManageFunds(of: $0) } ?? false) {
            throw APIError(.notFound, code: "not_found", "no such funds request")
        }
        let decision = try context.parameters.require("decision")
        guard decision == "confirm" || decision == "cancel" else { throw APIError(.notFound, code: "not_found", "no such action") }
        let results = try await submit(writer, [decision == "confirm" ? .confirmFunds(id: id) : .cancelFunds(id: id)], by: caller)
        if case .refused(let rejection) = results.first { throw APIError(.conflict, code: rejection.code, "the funds request cannot be decided") }
        return FundsDTO(id: raw, status: decision == "confirm" ? "confirmed" : "cancelled")
    }

    /// A bank's statement for a closed cycle, if the caller may see it (the bank, its central
    /// bank, the operator; others get the same 404 as a missing one), and the cycle's close time.
    static func statement<A: HubAccess>(of bic: BIC, cycle number: UInt32, caller: Caller, writer: A) async throws -> (ParticipantStatement, UInt64) {
        let found = try await read(writer) { hub -> (CycleReport, CycleReport?, UInt128, CountryCode)? in
            guard let index = hub.cycles.firstIndex(where: { $0.number == number }), let participant = hub.participant(bic),
                  let account = hub.positionAccountID(of: bic) else { return nil }
            return (hub.cycles[index], index > 0 ? hub.cycles[index - 1] : nil, account, participant.memberID)
        }
        let allowed: Bool = switch caller {
        case .operatorUser: true
        case .member(let id): found?.3 == id
        case .participant(let own): own == bic
        }
        guard let (report, previous, account, _) = found, allowed else { throw APIError(.notFound, code: "not_found", "no such statement") }
        let transfers = try await writer.transfers(
            accountID: account, timestamps: report.firstLedgerTimestamp..<(report.lastLedgerTimestamp + 1), limit: statementEntryCountMax)
        return (ParticipantStatement(cycle: report, previous: previous, bic: bic, positionAccountID: account, transfers: transfers), report.closedAt)
    }

    static func read<A: HubAccess, T: Sendable>(_ writer: A, _ body: @escaping @Sendable (HubStateMachine) -> T) async throws -> T {
        do { return try await writer.read(body) } catch { throw APIError(.serviceUnavailable, code: "stopped", "the hub's state is not available on this node yet") }
    }

    static func submit<A: HubAccess>(_ writer: A, _ commands: [HubCommand], by caller: Caller) async throws -> [HubResult] {
        try await submit(writer, commands, by: caller) { results, _ in results }
    }

    /// A committed command's answer: its payment as committed, or any other result.
    enum PaymentAnswer: Sendable {
        case payment(PaymentDTO)
        case other(HubResult)
    }

    /// Submits payment commands; each answer describes its payment from the state it was
    /// committed in (not from a later read, which could fail after the commit).
    static func submitPayments<A: HubAccess>(_ writer: A, _ commands: [HubCommand], by caller: Caller,
                                             currencies: CurrencyTable) async throws -> [PaymentAnswer] {
        try await submit(writer, commands, by: caller) { results, hub in
            let states = results.compactMap { result -> PaymentState? in if case .payment(let state) = result { state } else { nil } }
            var described = PaymentDTO.describe(states, in: hub, currencies: currencies).makeIterator()
            return results.map { result in
                if case .payment = result, let payment = described.next() { .payment(payment) } else { .other(result) }
            }
        }
    }

    /// Commands of the operator and of central banks go into the audit trail with who gave
    /// them (`HubCommand.attributed`); banks' own payment commands carry their actor already.
    /// The answer is built by `body` on the state the commands were committed in.
    static func submit<A: HubAccess, T: Sendable>(_ writer: A, _ commands: [HubCommand], by caller: Caller,
                                                  answering body: @escaping @Sendable ([HubResult], HubStateMachine) -> T) async throws -> T {
        let attributed = caller.isParticipant ? commands : commands.map { .attributed(actor: caller.actor, command: $0) }
        do {
            return try await writer.submit(attributed, answering: body)
        } catch .busy {
            throw APIError(.serviceUnavailable, code: "busy", "the hub is busy: retry shortly")
        } catch .batchTooLarge {
            throw APIError(.contentTooLarge, code: "batch_too_large", "too many items")
        } catch .notWriter {
            throw APIError(.serviceUnavailable, code: "no_writer", "no node holds the writer role at the moment (failover): retry shortly")
        } catch {
            throw APIError(.serviceUnavailable, code: "stopped", "the writer is not running")
        }
    }
}

extension Caller {
    var isParticipant: Bool { if case .participant = self { true } else { false } }

    /// Funds in/out of a bank: its member's central bank or the operator.
    func mayManageFunds(of member: CountryCode) -> Bool {
        switch self {
        case .operatorUser: true
        case .member(let id): id == member
        case .participant: false
        }
    }
}
