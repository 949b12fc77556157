import Hummingbird
import PolyclearCore
import PolyclearStorage

/// The members' governance: proposals and their votes (a member's central bank votes for
/// itself only), and operators' maker–checker approvals.
enum GovernanceRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/proposals") { request, context -> [ProposalDTO] in
            try AccessPolicy.require(try context.requireCaller(), .readProposals)
            let limit = try PolyclearAPI.integer(request, "limit", in: 1...api.limits.pageSizeMax) ?? 100
            let unit = api.currencies.unit
            // Newest first: the open ones are what a central bank comes for.
            return try await api.read { hub in
                hub.allProposals.suffix(limit).reversed().map { ProposalDTO($0, tally: hub.tally($0), unit: unit) }
            }
        }
        router.get("/v1/proposals/:number") { _, context -> ProposalDTO in
            try AccessPolicy.require(try context.requireCaller(), .readProposals)
            let number = try context.parameters.require("number", as: UInt32.self)
            let unit = api.currencies.unit
            let found = try await api.read { hub in
                hub.proposal(number).map { ProposalDTO($0, tally: hub.tally($0), unit: unit) }
            }
            guard let found else { throw APIError(.notFound, code: "not_found", "no such proposal") }
            return found
        }
        router.post("/v1/proposals") { request, context -> EditedResponse<ProposalDTO> in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .propose)
            let body = try await request.decode(as: ProposalRequestDTO.self, context: context)
            let change = try body.change.change(
                unit: api.currencies.unit, checks: api.limits.rateChecks(confirmed: false))
            let command = HubCommand.propose(
                change: change, votingSeconds: body.votingSeconds,
                effectiveAfterSeconds: body.effectiveAfterSeconds ?? 0, actor: caller.actor)
            let proposal = try await answer(command, by: caller, refusal: "the proposal was refused", api) { results in
                if case .proposal(let number) = results.first { number } else { nil }
            }
            return EditedResponse(status: .created, response: proposal)
        }
        router.post("/v1/proposals/:number/votes") { request, context -> ProposalDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .vote)
            guard case .member(let id) = caller else { throw APIError.unexpectedResult }
            let number = try context.parameters.require("number", as: UInt32.self)
            let choice = try await request.decode(as: VoteDTO.self, context: context).choice
            let command = HubCommand.vote(proposal: number, member: id, choice: choice, actor: caller.actor)
            return try await answer(command, by: caller, refusal: "the vote was refused", api) { _ in number }
        }
        addApprovals(to: router, api)
    }

    static func addApprovals<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/approvals") { request, context -> [ApprovalDTO] in
            try AccessPolicy.require(try context.requireCaller(), .readApprovals)
            let limit = try PolyclearAPI.integer(request, "limit", in: 1...api.limits.pageSizeMax) ?? 100
            return try await api.read { hub in hub.allApprovals.suffix(limit).reversed().map(ApprovalDTO.init) }
        }
        for (path, approve) in [("approve", true), ("decline", false)] {
            router.post("/v1/approvals/:number/\(path)") { _, context -> ApprovalDTO in
                let caller = try context.requireCaller()
                try AccessPolicy.require(caller, .decideApproval)
                let number = try context.parameters.require("number", as: UInt32.self)
                let command = HubCommand.decideApproval(number: number, approve: approve, actor: caller.actor)
                let (result, approval) = try await PolyclearAPI.submit(api.writer, [command], by: caller) {
                    results, hub in (results.first, hub.approval(number))
                }
                // Refusals of the decision itself; any other refusal is the approved action's
                // own, reported in the approval's `outcome`.
                if case .refused(let rejection) = result,
                    [.approvalNotFound, .approvalAlreadyDecided, .approvalBySameOperator, .notAllowedForActor].contains(
                        rejection)
                {
                    if rejection == .approvalNotFound {
                        throw APIError(.notFound, code: "not_found", "no such approval")
                    }
                    throw APIError.refused(rejection, "the approval cannot be decided")
                }
                // Approved: the answer says what became of the action itself (`outcome`).
                guard let approval else { throw APIError.unexpectedResult }
                return ApprovalDTO(approval)
            }
        }
    }

    /// Submits a governance command; answers the proposal `number(results)` names, as committed.
    static func answer<A: HubAccess>(
        _ command: HubCommand, by caller: Caller, refusal: String, _ api: RouteDependencies<A>,
        number: @escaping @Sendable ([HubResult]) -> UInt32?
    ) async throws -> ProposalDTO {
        let unit = api.currencies.unit
        let (result, proposal) = try await PolyclearAPI.submit(api.writer, [command], by: caller) { results, hub in
            (
                results.first,
                number(results).flatMap { hub.proposal($0) }.map { ProposalDTO($0, tally: hub.tally($0), unit: unit) }
            )
        }
        if case .refused(.proposalNotFound) = result {
            throw APIError(.notFound, code: "not_found", "no such proposal")
        }
        if case .refused(let rejection) = result { throw APIError.refused(rejection, refusal) }
        guard let proposal else { throw APIError.unexpectedResult }
        return proposal
    }
}
