import Hummingbird
import PolyclearCore
import PolyclearStorage

/// Certified multilateral set-off of obligations the operator submits, and its runs' results.
enum SetOffRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.post("/v1/setoff-runs") { request, context -> SetOffRunDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .runSetOff)
            let body = try await request.decode(as: SetOffRunRequestDTO.self, context: context)
            guard let runID = UUIDCoding.decode(body.id) else {
                throw APIError(.badRequest, code: "malformed_id", "run ids are UUIDs")
            }
            let obligations = try await Self.obligations(body.obligations, api)
            let command = HubCommand.setOffObligations(runID: runID, obligations: obligations)
            guard
                case .setOff(let outcome) = try await api.submitOne(
                    command, by: caller, refusal: "the set-off run was refused")
            else {
                throw APIError.unexpectedResult
            }
            return try await Self.answer(outcome, api)
        }
        router.get("/v1/setoff-runs/:id") { _, context -> SetOffRunDTO in
            try AccessPolicy.require(try context.requireCaller(), .readSetOffRuns)
            guard let runID = UUIDCoding.decode(try context.parameters.require("id")) else {
                throw APIError(.badRequest, code: "malformed_id", "run ids are UUIDs")
            }
            guard let outcome = try await api.read({ hub in hub.setOffRun(runID) }) else {
                throw APIError(.notFound, code: "not_found", "no such set-off run")
            }
            return try await Self.answer(outcome, api)
        }
    }

    /// The obligations as the hub takes them: each amount read in its debtor's currency (a
    /// run mixing currencies is then refused by the hub, as one naming an unknown bank is).
    static func obligations<A: HubAccess>(
        _ items: [SetOffRunRequestDTO.Item], _ api: RouteDependencies<A>
    ) async throws -> [SetOffObligation] {
        var parsed: [(id: UInt128, debtor: BIC, creditor: BIC, amount: String)] = []
        for item in items {
            guard let id = UUIDCoding.decode(item.id), let debtor = BIC(item.debtor), let creditor = BIC(item.creditor)
            else {
                throw APIError(.badRequest, code: "malformed_obligation", "obligation ids are UUIDs, parties BICs")
            }
            parsed.append((id, debtor, creditor, item.amount))
        }
        let debtors = Set(parsed.map(\.debtor))
        let currencyOf = try await api.read { hub in
            Dictionary(
                uniqueKeysWithValues: debtors.compactMap { bic in
                    hub.participant(bic).flatMap { hub.member($0.memberID) }.map { (bic, $0.currency) }
                })
        }
        return try parsed.map { item throws(APIError) in
            guard let code = currencyOf[item.debtor] else {
                throw APIError.refused(.participantNotFound, "the set-off run was refused")
            }
            return SetOffObligation(
                id: item.id, debtor: item.debtor, creditor: item.creditor,
                amountMinor: try amountMinor(item.amount, in: try api.currency(code)))
        }
    }

    /// An obligation's amount: a positive decimal with at most the currency's decimals.
    static func amountMinor(_ text: String, in currency: Currency) throws(APIError) -> Int64 {
        do { return try Money(parsing: text, currency: currency, sign: .positive).minorUnits } catch {
            throw APIError(.badRequest, code: "malformed_amount", "amount: \(error)")
        }
    }

    static func answer<A: HubAccess>(
        _ outcome: SetOffRunOutcome, _ api: RouteDependencies<A>
    ) async throws -> SetOffRunDTO {
        guard let code = try await api.read({ hub in hub.setOffRunCurrency(outcome.runID) }) else {
            throw APIError.unexpectedResult
        }
        return try SetOffRunDTO(outcome, currency: code, money: api.money)
    }
}
