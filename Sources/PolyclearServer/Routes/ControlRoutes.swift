import Hummingbird
import PolyclearCore
import PolyclearStorage

/// Running the union day to day: its settings (alarm thresholds, gridlock policy, cycle
/// triggers, the screening list), gridlock resolution on demand, and the operator's decision
/// on payments held by screening. Rules that members govern (quotas, imbalance rules, the
/// basket) are not here.
enum ControlRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/settings") { _, context -> SettingsDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .readSettings)
            let unit = api.currencies.unit
            let showScreening = AccessPolicy.allows(caller, .changeSettings)
            return try await api.read { hub in SettingsDTO(hub.settings, unit: unit, showScreening: showScreening) }
        }
        router.put("/v1/settings/alarm-thresholds") { request, context -> SettingsDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .changeSettings)
            let body = try await request.decode(as: AlarmThresholdsDTO.self, context: context)
            guard body.thresholdsPercent.count <= 10 else {
                throw APIError(.badRequest, code: "malformed_thresholds", "at most 10 thresholds, each 1 to 100")
            }
            return try await change(.setAlarmThresholds(body.thresholdsPercent), by: caller, api)
        }
        router.put("/v1/settings/gridlock-policy") { request, context -> SettingsDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .changeSettings)
            let body = try await request.decode(as: GridlockPolicyDTO.self, context: context)
            let policy = GridlockPolicy(
                beforeCycleClose: body.beforeCycleClose, queueLengthThreshold: body.queueLengthThreshold)
            return try await change(.setGridlockPolicy(policy), by: caller, api)
        }
        router.put("/v1/settings/cycle-triggers") { request, context -> SettingsDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .changeSettings)
            let body = try await request.decode(as: CycleTriggersDTO.self, context: context)
            return try await change(.setCycleTriggers(try body.triggers(unit: api.currencies.unit)), by: caller, api)
        }
        router.put("/v1/settings/screening-list") { request, context -> SettingsDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .changeSettings)
            let body = try await request.decode(as: ScreeningListDTO.self, context: context)
            return try await change(.setScreeningList(try body.list(limits: api.limits)), by: caller, api)
        }
        router.post("/v1/gridlock/resolve") { _, context -> GridlockOutcomeDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .resolveGridlock)
            guard case .gridlock(let outcome) = try await api.submitOne(.resolveGridlock, by: caller, refusal: "")
            else { throw APIError.unexpectedResult }
            return GridlockOutcomeDTO(queuedBefore: outcome.queuedBefore, released: outcome.released)
        }
        router.post("/v1/payments/:id/release") { _, context -> PaymentDTO in
            try await decideHeld(context, release: true, api)
        }
        router.post("/v1/payments/:id/refuse") { _, context -> PaymentDTO in
            try await decideHeld(context, release: false, api)
        }
    }

    /// Applies a settings command and answers the settings as committed with it.
    static func change<A: HubAccess>(
        _ command: HubCommand, by caller: Caller, _ api: RouteDependencies<A>
    ) async throws -> SettingsDTO {
        let unit = api.currencies.unit
        let (result, settings) = try await PolyclearAPI.submit(api.writer, [command], by: caller) { results, hub in
            (results.first, SettingsDTO(hub.settings, unit: unit, showScreening: true))
        }
        if case .refused(let rejection) = result { throw APIError.refused(rejection, "the setting was refused") }
        return settings
    }

    /// Release or refuse a payment held by screening: the operator only. Those who may read
    /// the payment learn they may not decide; others get 404.
    static func decideHeld<A: HubAccess>(
        _ context: PolyclearRequestContext, release: Bool, _ api: RouteDependencies<A>
    ) async throws -> PaymentDTO {
        let caller = try context.requireCaller()
        let id = try PaymentRoutes.paymentID(context)
        guard try await PaymentRoutes.visiblePayer(id, to: caller, api) != nil else {
            throw APIError(.notFound, code: "not_found", "no such payment")
        }
        try AccessPolicy.require(caller, .decideHeldPayment)
        switch try await api.submitPayments(
            [.decideHeldPayment(id: id, release: release, actor: caller.actor)], by: caller
        )
        .first
        {
        case .payment(let payment): return payment
        case .other(.refused(let rejection)):
            throw APIError.refused(rejection, "only a payment held by screening can be released or refused")
        default: throw APIError.unexpectedResult
        }
    }
}
