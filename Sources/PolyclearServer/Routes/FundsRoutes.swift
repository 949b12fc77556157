import Hummingbird
import PolyclearCore
import PolyclearStorage

/// Funds into and out of a bank's position: requested, then confirmed or cancelled, by its
/// member's central bank or the operator.
enum FundsRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.post("/v1/participants/:bic/funds") { request, context -> FundsDTO in
            let caller = try context.requireCaller()
            guard let bic = BIC(try context.parameters.require("bic")) else {
                throw APIError(.badRequest, code: "malformed_bic", "not a BIC")
            }
            let body = try await request.decode(as: FundsRequestDTO.self, context: context)
            let found = try await api.read { hub -> (CountryCode, CurrencyCode)? in
                hub.participant(bic).flatMap { participant in
                    hub.member(participant.memberID).map { (participant.memberID, $0.currency) }
                }
            }
            // A bank the caller may not manage answers 404 like an unknown one.
            guard let (memberID, code) = found, AccessPolicy.mayManageFunds(caller, of: memberID) else {
                throw APIError(.notFound, code: "not_found", "no such participant")
            }
            guard let id = UUIDCoding.decode(body.id) else {
                throw APIError(.badRequest, code: "malformed_id", "funds ids are UUIDs")
            }
            let amount: Money
            do { amount = try Money(parsing: body.amount, currency: try api.currency(code), sign: .positive) } catch let
                error as APIError
            {
                throw error
            } catch {
                throw APIError(.badRequest, code: "malformed_amount", "amount: \(error)")
            }
            let direction = try WireChoice.decode(
                body.direction, field: "direction", ["in": FundsDirection.into, "out": .outOf])
            let command = HubCommand.requestFunds(
                id: id, participant: bic, amountMinor: amount.minorUnits, direction: direction)
            _ = try await api.submitOne(command, by: caller, refusal: "the funds request was refused")
            return FundsDTO(id: body.id, status: "reserved")
        }
        router.post("/v1/funds/:id/:decision") { _, context -> FundsDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .decideFunds)
            let raw = try context.parameters.require("id")
            guard let id = UUIDCoding.decode(raw) else {
                throw APIError(.badRequest, code: "malformed_id", "funds ids are UUIDs")
            }
            // Another member's bank's funds answer 404, like unknown ones.
            let member = try await api.read { hub in hub.fundsParticipant(id).flatMap { hub.participant($0)?.memberID }
            }
            if case .member = caller, !(member.map { AccessPolicy.mayManageFunds(caller, of: $0) } ?? false) {
                throw APIError(.notFound, code: "not_found", "no such funds request")
            }
            let decision = try context.parameters.require("decision")
            guard decision == "confirm" || decision == "cancel" else {
                throw APIError(.notFound, code: "not_found", "no such action")
            }
            let command: HubCommand = decision == "confirm" ? .confirmFunds(id: id) : .cancelFunds(id: id)
            _ = try await api.submitOne(command, by: caller, refusal: "the funds request cannot be decided")
            return FundsDTO(id: raw, status: decision == "confirm" ? "confirmed" : "cancelled")
        }
    }
}
