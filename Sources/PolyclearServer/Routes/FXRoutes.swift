import Hummingbird
import PolyclearCore
import PolyclearStorage

/// The union's unit of account and its exchange rates: fixings, the unit's basket, quotes.
enum FXRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/fixings/current") { _, context -> FixingDTO in
            _ = try context.requireCaller()
            guard let fixing = try await api.read({ hub in hub.currentFixing }) else {
                throw APIError(.notFound, code: "no_fixing", "no fixing is in force")
            }
            return FixingDTO(fixing, unit: api.currencies.unit)
        }
        router.post("/v1/fixings") { request, context -> EditedResponse<FixingDTO> in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .publishFixing)
            let fixing = try await request.decode(as: FixingRequestDTO.self, context: context).fixing(
                limits: api.limits)
            _ = try await api.submitOne(.publishFixing(fixing), by: caller, refusal: "the fixing was refused")
            return EditedResponse(status: .created, response: FixingDTO(fixing, unit: api.currencies.unit))
        }
        addComputedFixing(to: router, api)
        router.get("/v1/unit") { _, context -> UnitDTO in
            _ = try context.requireCaller()
            let unit = api.currencies.unit
            return try await api.read { hub in
                UnitDTO(unit: unit, amounts: hub.unitDefinition, fixing: hub.currentFixing)
            }
        }
        router.post("/v1/unit") { request, context -> UnitDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .defineUnit)
            let body = try await request.decode(as: UnitRequestDTO.self, context: context)
            let command = HubCommand.defineUnit(
                amountsPerUnit: CurrencyAmounts(try body.amounts()),
                checks: api.limits.rateChecks(confirmed: body.confirmLargeMove ?? false))
            let unit = api.currencies.unit
            let (result, answer) = try await PolyclearAPI.submit(api.writer, [command], by: caller) { results, hub in
                (results.first, UnitDTO(unit: unit, amounts: hub.unitDefinition, fixing: hub.currentFixing))
            }
            if case .refused(let rejection) = result {
                throw APIError.refused(rejection, "the unit definition was refused")
            }
            return answer
        }
        router.post("/v1/quotes") { request, context -> EditedResponse<QuoteDTO> in
            let caller = try context.requireCaller()
            let body = try await request.decode(as: QuoteRequestDTO.self, context: context)
            guard let id = UUIDCoding.decode(body.id) else {
                throw APIError(.badRequest, code: "malformed_id", "quote ids are UUIDs")
            }
            guard let payer = BIC(body.payer), let payee = BIC(body.payee) else {
                throw APIError(.badRequest, code: "malformed_bic", "payer and payee must be BICs")
            }
            let validitySeconds = body.validitySeconds ?? api.limits.quoteValiditySecondsDefault
            guard (1...Limits.quoteValiditySecondsMax).contains(validitySeconds) else {
                throw APIError(
                    .badRequest, code: "malformed_validity", "validitySeconds is 1 to \(Limits.quoteValiditySecondsMax)"
                )
            }
            try AccessPolicy.require(caller, .askQuote(payer: payer))
            let command = HubCommand.issueQuote(id: id, payer: payer, payee: payee, validitySeconds: validitySeconds)
            guard case .quote(let quote) = try await api.submitOne(command, by: caller, refusal: "no quote") else {
                throw APIError.unexpectedResult
            }
            return EditedResponse(status: .created, response: QuoteDTO(quote))
        }
    }

    /// A fixing the hub computes itself (`ComputedFixingRequestDTO`).
    static func addComputedFixing<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>)
    {
        router.post("/v1/fixings/computed") { request, context -> EditedResponse<FixingDTO> in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .publishFixing)
            let body = try await request.decode(as: ComputedFixingRequestDTO.self, context: context)
            let (basket, currencies) = try await api.read { hub in
                (hub.unitDefinition, Set(hub.allMembers.map(\.currency)))
            }
            let fixing = try body.fixing(basket: basket, memberCurrencies: currencies, api.currencies, api.limits)
            _ = try await api.submitOne(.publishFixing(fixing), by: caller, refusal: "the fixing was refused")
            return EditedResponse(status: .created, response: FixingDTO(fixing, unit: api.currencies.unit))
        }
    }
}
