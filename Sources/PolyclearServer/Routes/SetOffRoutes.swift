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
            var obligations: [SetOffObligation] = []
            for item in body.obligations {
                guard let id = UUIDCoding.decode(item.id), let debtor = BIC(item.debtor),
                    let creditor = BIC(item.creditor)
                else {
                    throw APIError(.badRequest, code: "malformed_obligation", "obligation ids are UUIDs, parties BICs")
                }
                obligations.append(
                    SetOffObligation(id: id, debtor: debtor, creditor: creditor, amountMinor: item.amountMinor))
            }
            let command = HubCommand.setOffObligations(runID: runID, obligations: obligations)
            guard
                case .setOff(let outcome) = try await api.submitOne(
                    command, by: caller, refusal: "the set-off run was refused")
            else {
                throw APIError.unexpectedResult
            }
            return SetOffRunDTO(outcome)
        }
        router.get("/v1/setoff-runs/:id") { _, context -> SetOffRunDTO in
            try AccessPolicy.require(try context.requireCaller(), .readSetOffRuns)
            guard let runID = UUIDCoding.decode(try context.parameters.require("id")) else {
                throw APIError(.badRequest, code: "malformed_id", "run ids are UUIDs")
            }
            guard let outcome = try await api.read({ hub in hub.setOffRun(runID) }) else {
                throw APIError(.notFound, code: "not_found", "no such set-off run")
            }
            return SetOffRunDTO(outcome)
        }
    }
}
