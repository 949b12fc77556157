import Hummingbird
import PolyclearCore
import PolyclearStorage

/// Running the union day to day: its settings (alarm thresholds, gridlock policy, cycle
/// triggers, the screening list, the queue policy), gridlock resolution on demand, the year
/// end, and the operator's decision on payments held by screening. The imbalance rules are
/// the operator's only in a union without governance rules; under them, 403
/// `proposal_required` (members vote on them, with quotas and the basket).
enum ControlRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        // The union's personal-data retention rule, applied now (also on `serve`'s schedule).
        router.post("/v1/retention/run") { _, context -> RetentionRunDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .changeSettings)
            let result = try await api.submitOne(
                .erasePersonalData, by: caller, refusal: "the retention run was refused")
            guard case .personalDataErased(let count) = result else { throw APIError.unexpectedResult }
            return RetentionRunDTO(erasedPayments: count)
        }
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
        router.put("/v1/settings/screening-list") { request, context -> EditedResponse<ChangeAnswer<SettingsDTO>> in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .changeSettings)
            let body = try await request.decode(as: ScreeningListDTO.self, context: context)
            let unit = api.currencies.unit
            return try await AdminRoutes.change(
                .setScreeningList(try body.list(limits: api.limits)), by: caller, refusal: "the list was refused", api
            ) { hub in SettingsDTO(hub.settings, unit: unit, showScreening: true) }.map { $0 }.edited
        }
        addRules(to: router, api)
        router.post("/v1/gridlock/resolve") { _, context -> GridlockOutcomeDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .resolveGridlock)
            guard case .gridlock(let outcome) = try await api.submitOne(.resolveGridlock, by: caller, refusal: "")
            else { throw APIError.unexpectedResult }
            return GridlockOutcomeDTO(queuedBefore: outcome.queuedBefore, released: outcome.released)
        }
        router.post("/v1/payments/:id/release") { request, context -> EditedResponse<ChangeAnswer<PaymentDTO>> in
            try await decideHeld(request, context, release: true, api)
        }
        router.post("/v1/payments/:id/refuse") { request, context -> EditedResponse<ChangeAnswer<PaymentDTO>> in
            try await decideHeld(request, context, release: false, api)
        }
    }

    /// The imbalance rules, the year end and the queue policy.
    static func addRules<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.put("/v1/settings/imbalance-rules") { request, context -> SettingsDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .changeSettings)
            let rules = try await request.decode(as: SettingsDTO.Rules.self, context: context).rules()
            return try await change(.setImbalanceRules(rules), by: caller, api)
        }
        router.post("/v1/year-end") { _, context -> SettingsDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .changeSettings)
            return try await change(.endYear, by: caller, api)
        }
        router.put("/v1/settings/queue-policy") { request, context -> SettingsDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .changeSettings)
            let body = try await request.decode(as: QueuePolicyDTO.self, context: context)
            return try await change(.setQueuePolicy(try body.policy), by: caller, api)
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

    /// Release or refuse a payment held by screening, with an optional reason for the audit
    /// trail: the operator only. Those who may read the payment learn they may not decide;
    /// others get 404. A release under maker–checker answers 202 with its approval.
    static func decideHeld<A: HubAccess>(
        _ request: Request, _ context: PolyclearRequestContext, release: Bool, _ api: RouteDependencies<A>
    ) async throws -> EditedResponse<ChangeAnswer<PaymentDTO>> {
        let caller = try context.requireCaller()
        let id = try PaymentRoutes.paymentID(context)
        guard try await PaymentRoutes.visiblePayer(id, to: caller, api) != nil else {
            throw APIError(.notFound, code: "not_found", "no such payment")
        }
        try AccessPolicy.require(caller, .decideHeldPayment)
        let reason = try await DecisionDTO.reason(request, context)
        let currencies = api.currencies
        let changed = try await AdminRoutes.change(
            .decideHeldPayment(id: id, release: release, actor: caller.actor, reason: reason), by: caller,
            refusal: "only a payment held by screening can be released or refused", api
        ) { hub in
            // A held payment is open work: in memory.
            let view = PaymentReadView(hub: hub)
            return view.payment(id).flatMap { PaymentDTO.describe([$0], in: view, currencies: currencies).first }
        }
        return try changed.map { try AdminRoutes.required($0) }.edited
    }
}

/// `PUT /v1/settings/queue-policy`.
struct QueuePolicyDTO: OneFieldBody {
    static let key = "queuedAtCycleEnd"
    var queuedAtCycleEnd: String

    init(_ queuedAtCycleEnd: String) { self.queuedAtCycleEnd = queuedAtCycleEnd }

    var policy: CycleEndQueuePolicy {
        get throws(APIError) {
            switch queuedAtCycleEnd {
            case "carry_over": return .carryOver
            case "return_to_payer": return .returnToPayer
            default:
                throw APIError(
                    .badRequest, code: "malformed_policy", "queuedAtCycleEnd is carry_over or return_to_payer")
            }
        }
    }
}

/// The optional body of a decision on a held payment: `{"reason": "..."}` (at most 140
/// characters, for the audit trail).
struct DecisionDTO: Decodable {
    var reason: String?

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["reason"])
        reason = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .reason)
    }

    enum CodingKeys: String, CodingKey { case reason }

    static func reason(_ request: Request, _ context: PolyclearRequestContext) async throws -> String? {
        guard request.headers[.contentLength].map({ $0 != "0" }) ?? (request.headers[.transferEncoding] != nil) else {
            return nil
        }
        guard let reason = try await request.decode(as: DecisionDTO.self, context: context).reason else { return nil }
        return try WireAmount.name(reason, field: "reason")
    }
}

struct RetentionRunDTO: ResponseCodable {
    /// How many payments' personal data this run erased.
    var erasedPayments: Int
}
