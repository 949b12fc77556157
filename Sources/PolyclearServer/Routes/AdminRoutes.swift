import Hummingbird
import PolyclearCore
import PolyclearStorage

/// The union's reference data administered over the API: the operator registers and changes
/// members and participants (under governance rules, member changes are proposals instead:
/// 403 `proposal_required`); a member's central bank sets its own banks' caps (up to the cap
/// the union set) and suspends them. A change under maker–checker answers 202 with the
/// approval it waits for.
enum AdminRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.post("/v1/members") { request, context -> EditedResponse<ChangeAnswer<MemberDTO>> in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .administerReference)
            let member = try await request.decode(as: MemberRequestDTO.self, context: context)
                .member(unit: api.currencies.unit)
            let answer = try await change(.registerMember(member), by: caller, refusal: "the member was refused", api) {
                hub in hub.member(member.id)
            }
            return try answer.map { try MemberDTO(required($0), money: api.money) }.created
        }
        router.patch("/v1/members/:member") { request, context -> EditedResponse<ChangeAnswer<MemberDTO>> in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .administerReference)
            let id = try WireAmount.member(try context.parameters.require("member"))
            let body = try await request.decode(as: MemberUpdateDTO.self, context: context)
            let quota = try body.quota.map { (text) throws(APIError) in
                try WireAmount.nonNegativeMinor(text, api.currencies.unit, field: "quota")
            }
            let command = HubCommand.updateMember(
                id: id, quotaUnitMinor: quota, status: try WireAmount.status(body.status))
            let answer = try await change(command, by: caller, refusal: "the change was refused", api) { hub in
                hub.member(id)
            }
            return try answer.map { try MemberDTO(required($0), money: api.money) }.edited
        }
        router.post("/v1/participants") { request, context -> EditedResponse<ChangeAnswer<ParticipantDTO>> in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .administerReference)
            let body = try await request.decode(as: ParticipantRequestDTO.self, context: context)
            let memberID = try WireAmount.member(body.member)
            let currency = try await api.read { hub in hub.member(memberID)?.currency }
            guard let currency else { throw APIError.refused(.memberNotFound, "no such member") }
            let lei = try body.lei.map { (text) throws(APIError) in
                guard let lei = LEI(text) else { throw APIError(.badRequest, code: "malformed_lei", "not an LEI") }
                return lei
            }
            let participant = Participant(
                bic: try WireAmount.bic(body.bic), lei: lei, name: try WireAmount.name(body.name), memberID: memberID,
                netDebitCapMinor: try WireAmount.nonNegativeMinor(
                    body.netDebitCap, try api.currency(currency), field: "netDebitCap", lengthMax: 14))
            let answer = try await change(
                .registerParticipant(participant), by: caller, refusal: "the participant was refused", api
            ) { hub in hub.participant(participant.bic) }
            return try answer.map { try ParticipantDTO(required($0), currency: currency, money: api.money) }.created
        }
        router.patch("/v1/participants/:bic") { request, context -> EditedResponse<ChangeAnswer<ParticipantDTO>> in
            try await updateParticipant(request, context, api)
        }
    }

    /// A bank's cap or status: the operator, or the bank's own central bank (another
    /// member's bank answers 404, as if it did not exist).
    static func updateParticipant<A: HubAccess>(
        _ request: Request, _ context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> EditedResponse<ChangeAnswer<ParticipantDTO>> {
        let caller = try context.requireCaller()
        try AccessPolicy.require(caller, .updateParticipant)
        let bic = try WireAmount.bic(try context.parameters.require("bic"))
        let found = try await api.read { hub in
            hub.participant(bic).flatMap { participant in hub.member(participant.memberID).map { (participant, $0) } }
        }
        guard let (participant, member) = found, AccessPolicy.maySeeBank(caller, bic, of: participant.memberID) else {
            throw APIError(.notFound, code: "not_found", "no such participant")
        }
        let body = try await request.decode(as: ParticipantUpdateDTO.self, context: context)
        let currency = try api.currency(member.currency)
        let cap = try body.netDebitCap.map { (text) throws(APIError) in
            try WireAmount.nonNegativeMinor(text, currency, field: "netDebitCap", lengthMax: 14)
        }
        let command = HubCommand.updateParticipant(
            bic: bic, netDebitCapMinor: cap, status: try WireAmount.status(body.status))
        let answer = try await change(command, by: caller, refusal: "the change was refused", api) { hub in
            hub.participant(bic)
        }
        return try answer.map { try ParticipantDTO(required($0), currency: member.currency, money: api.money) }.edited
    }

    /// Submits one attributed command; answers what `read` finds once it is committed, or the
    /// approval it waits for.
    static func change<A: HubAccess, T: Sendable>(
        _ command: HubCommand, by caller: Caller, refusal: String, _ api: RouteDependencies<A>,
        read: @escaping @Sendable (HubStateMachine) -> T
    ) async throws -> Changed<T> {
        let (result, value, approval) = try await PolyclearAPI.submit(api.writer, [command], by: caller) {
            results, hub in
            let approval: Approval? =
                if case .approvalPending(let number) = results.first { hub.approval(number) } else { nil }
            return (results.first, read(hub), approval)
        }
        if case .refused(let rejection) = result { throw APIError.refused(rejection, refusal) }
        if let approval { return .pending(ApprovalDTO(approval)) }
        return .done(value)
    }

    static func required<T>(_ value: T?) throws(APIError) -> T {
        guard let value else { throw APIError.unexpectedResult }
        return value
    }
}

extension ChangeAnswer {
    /// 201 when done (something was created), 202 when it waits for approval.
    var created: EditedResponse<ChangeAnswer> {
        switch self {
        case .done: EditedResponse(status: .created, response: self)
        case .pending: EditedResponse(status: .accepted, response: self)
        }
    }
}

/// A committed change's answer before it is put on the wire.
enum Changed<T: Sendable> {
    case done(T), pending(ApprovalDTO)

    func map<U: ResponseEncodable>(_ transform: (T) throws -> U) rethrows -> ChangeAnswer<U> {
        switch self {
        case .done(let value): .done(try transform(value))
        case .pending(let approval): .pending(approval)
        }
    }
}
