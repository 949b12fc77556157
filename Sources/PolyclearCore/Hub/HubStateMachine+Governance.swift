/// Proposals and weighted votes. A proposal is decided the moment its quorum is reached
/// (passed) or when its deadline comes without it (failed); a passed proposal is applied as
/// an ordinary hub command at its effective time. Deadlines and effective times are checked
/// as time advances, before every command, like cycle triggers — so replaying the log gives
/// the same outcomes at the same times.
extension HubStateMachine {
    public var governanceRules: GovernanceRules? { governance }
    public var allProposals: [Proposal] { proposals }

    public func proposal(_ number: UInt32) -> Proposal? {
        number >= 1 && Int(number) <= proposals.count ? proposals[Int(number) - 1] : nil
    }

    mutating func setGovernanceRules(_ rules: GovernanceRules) -> HubResult {
        guard rules.isValid else { return .refused(.invalidGovernanceRules) }
        governance = rules
        return .ok
    }

    /// Commands the operator may no longer give alone once the union has governance rules.
    func requiresProposal(_ command: HubCommand) -> Bool {
        guard governance != nil else { return false }
        switch command {
        case .registerMember, .updateMember, .setImbalanceRules, .defineUnit, .setGovernanceRules: return true
        default: return false
        }
    }

    mutating func propose(
        change: ProposalChange, votingSeconds: UInt32, effectiveAfterSeconds: UInt32, actor: Actor
    ) -> HubResult {
        guard let rules = governance else { return .refused(.noGovernanceRules) }
        switch (actor, rules.proposers) {
        case (.member(let id), .membersAndOperator), (.member(let id), .members):
            guard let index = memberIndexByID[id.alpha3], members[index].member.status == .active else {
                return .refused(.voterNotEligible)
            }
        case (.operatorUser, .membersAndOperator), (.operatorUser, .operatorOnly): break
        default: return .refused(.voterNotEligible)
        }
        guard Int64(votingSeconds) >= rules.votingSecondsMin, Int64(votingSeconds) <= rules.votingSecondsMax,
            Int64(effectiveAfterSeconds) <= Int64(votingSeconds) + rules.votingSecondsMax
        else { return .refused(.invalidProposalTimes) }
        let deadline = now + UInt64(votingSeconds) * 1_000_000_000
        let effectiveAt = now + UInt64(effectiveAfterSeconds) * 1_000_000_000
        if let rejection = rejection(of: change) { return .refused(rejection) }
        let open = proposals.reduce(0) { $0 + ($1.proposer == actor && $1.status == .open ? 1 : 0) }
        guard open < Limits.openProposalsPerProposerMax else { return .refused(.tooManyPending) }
        let number = UInt32(proposals.count + 1)
        proposals.append(
            Proposal(
                number: number, change: change, proposer: actor, proposedAt: now, deadline: deadline,
                effectiveAt: effectiveAt))
        governanceDueAt = min(governanceDueAt, deadline)
        return .proposal(number)
    }

    mutating func vote(proposal number: UInt32, member id: CountryCode, choice: VoteChoice, actor: Actor) -> HubResult {
        guard let rules = governance, let proposal = proposal(number) else { return .refused(.proposalNotFound) }
        guard proposal.status == .open, now < proposal.deadline else { return .refused(.votingClosed) }
        guard actor == .member(id), let memberIndex = memberIndexByID[id.alpha3],
            isEligible(members[memberIndex].member, for: proposal, rules: rules)
        else { return .refused(.voterNotEligible) }
        guard proposal.votes[id.alpha3] != choice else { return .refused(.voteUnchanged) }
        proposals[Int(number) - 1].votes[id.alpha3] = choice
        if tally(proposals[Int(number) - 1], rules: rules).passes { pass(number) }
        return .ok
    }

    func isEligible(_ member: Member, for proposal: Proposal, rules: GovernanceRules) -> Bool {
        member.status == .active && !(rules.subjectExcludedFromVote && proposal.change.subject == member.id)
    }

    /// The votes of eligible members under the rules in force (all members if none are set).
    public func tally(_ proposal: Proposal) -> ProposalTally {
        tally(proposal, rules: governance ?? GovernanceRules())
    }

    func tally(_ proposal: Proposal, rules: GovernanceRules) -> ProposalTally {
        var result = ProposalTally(
            eligibleMembers: 0, eligibleQuotaUnitMinor: 0, yesMembers: 0, yesQuotaUnitMinor: 0, noMembers: 0,
            abstainMembers: 0, passes: false)
        var eligibleWeight: Int128 = 0, yesWeight: Int128 = 0
        for record in members where isEligible(record.member, for: proposal, rules: rules) {
            result.eligibleMembers += 1
            eligibleWeight += Int128(record.member.quotaUnitMinor)
            switch proposal.votes[record.member.id.alpha3] {
            case .yes:
                result.yesMembers += 1
                yesWeight += Int128(record.member.quotaUnitMinor)
            case .no: result.noMembers += 1
            case .abstain: result.abstainMembers += 1
            case nil: break
            }
        }
        result.eligibleQuotaUnitMinor = Int64(clamping: eligibleWeight)
        result.yesQuotaUnitMinor = Int64(clamping: yesWeight)
        // Whole numbers only: yes weight ≥ p% of eligible weight, yes members > q% of eligible.
        result.passes =
            result.eligibleMembers > 0 && yesWeight * 100 >= Int128(rules.yesQuotaPercentMin) * eligibleWeight
            && result.yesMembers * 100 > rules.yesMembersPercentAbove * result.eligibleMembers
        return result
    }

    private mutating func pass(_ number: UInt32) {
        let index = Int(number) - 1
        proposals[index].status = .passed
        proposals[index].decidedAt = now
        governanceDueAt = min(governanceDueAt, max(proposals[index].effectiveAt, now))
        recordGovernance("proposal_passed", number: number, outcome: "ok")
        applyDueProposals()
    }

    /// Fails proposals whose deadline has come, applies passed ones whose time has come.
    mutating func decideDueProposals() {
        guard now >= governanceDueAt else { return }
        var nextDue = UInt64.max
        for index in proposals.indices where proposals[index].status == .open {
            if now >= proposals[index].deadline {
                let rules = governance ?? GovernanceRules()
                if tally(proposals[index], rules: rules).passes {
                    pass(UInt32(index + 1))
                } else {
                    proposals[index].status = .failed
                    proposals[index].decidedAt = now
                    recordGovernance("proposal_failed", number: UInt32(index + 1), outcome: "quorum_not_reached")
                }
            } else {
                nextDue = min(nextDue, proposals[index].deadline)
            }
        }
        applyDueProposals()
        for proposal in proposals where proposal.status == .passed { nextDue = min(nextDue, proposal.effectiveAt) }
        governanceDueAt = nextDue
    }

    private mutating func applyDueProposals() {
        for index in proposals.indices where proposals[index].status == .passed && proposals[index].effectiveAt <= now {
            let result = perform(proposals[index].change.command)
            let outcome = if case .refused(let rejection) = result { rejection.code } else { "ok" }
            proposals[index].status = outcome == "ok" ? .applied : .applyRefused
            proposals[index].appliedAt = now
            proposals[index].outcome = outcome
            recordGovernance("apply_proposal", number: UInt32(index + 1), outcome: outcome)
        }
    }

    /// Outcomes are the system's doing, recorded in the audit trail (and so the event stream).
    private mutating func recordGovernance(_ action: String, number: UInt32, outcome: String) {
        let proposal = proposals[Int(number) - 1]
        let subject =
            "proposal \(number): \(proposal.change.kind)" + (proposal.change.subject.map { " \($0.alpha3)" } ?? "")
        let record = AuditRecord(time: now, actor: .system, action: action, subject: subject, outcome: outcome)
        auditTrail.append(record)
        self.record(.audited(record))
    }

    /// Why a change could not be applied in the hub's present state, checked when it is
    /// proposed (and again, by the command itself, when it is applied).
    func rejection(of change: ProposalChange) -> HubCommandRejection? {
        switch change {
        case .admitMember(let member): return memberRejection(member)
        case .setMemberStatus(let id, _):
            return memberIndexByID[id.alpha3] == nil ? .memberNotFound : nil
        case .setQuota(let id, let quota):
            guard memberIndexByID[id.alpha3] != nil else { return .memberNotFound }
            return quota < 0 ? .negativeLimit : nil
        case .setImbalanceRules(let rules): return rules.isValid ? nil : .invalidImbalanceRules
        case .defineUnit(let amounts, let checks): return unitDefinitionRejection(amounts.byCurrency, checks: checks)
        case .setGovernanceRules(let rules): return rules.isValid ? nil : .invalidGovernanceRules
        }
    }

    /// Governance, approvals and API keys (the cases `perform` sends here).
    mutating func performUnionCommand(_ command: HubCommand) -> HubResult {
        switch command {
        case .setGovernanceRules(let rules): return setGovernanceRules(rules)
        case .propose(let change, let votingSeconds, let effectiveAfter, let actor):
            return propose(
                change: change, votingSeconds: votingSeconds, effectiveAfterSeconds: effectiveAfter, actor: actor)
        case .vote(let number, let member, let choice, let actor):
            return vote(proposal: number, member: member, choice: choice, actor: actor)
        case .decideApproval(let number, let approve, let actor):
            return decideApproval(number: number, approve: approve, actor: actor)
        case .issueAPIKey(let grant, let actor): return issueAPIKey(grant, actor: actor)
        case .rotateAPIKey(let oldID, let grant, let overlap, let actor):
            return rotateAPIKey(oldID: oldID, new: grant, overlapSeconds: overlap, actor: actor)
        case .revokeAPIKey(let id, let actor): return revokeAPIKey(id: id, actor: actor)
        default:
            preconditionFailure("every command is performed by perform or performUnionCommand")
        }
    }

}
