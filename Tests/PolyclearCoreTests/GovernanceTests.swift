@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// Proposals and weighted votes, maker–checker, members' caps, hub-managed API keys.
@Suite struct GovernanceTests {
    typealias F = HubFixture
    static let second: UInt64 = 1_000_000_000
    static let members = [F.bra, F.chn, F.ind, F.idn]

    static func governed(_ rules: GovernanceRules = GovernanceRules(), quotas: [Int64]? = nil) -> HubFixture {
        var f = HubFixture()
        for (member, quota) in zip(members, quotas ?? []) {
            f.expectOK(.updateMember(id: member, quotaUnitMinor: quota, status: nil))
        }
        f.expectOK(.setGovernanceRules(rules))
        return f
    }

    static func propose(
        _ f: inout HubFixture, _ change: ProposalChange, votingSeconds: UInt64 = 3_600, effectiveAfter: UInt64 = 0,
        by actor: Actor = .operatorUser("ops-1")
    ) -> HubResult {
        f.apply(
            .attributed(
                actor: actor,
                command: .propose(
                    change: change, votingSeconds: UInt32(votingSeconds), effectiveAfterSeconds: UInt32(effectiveAfter),
                    actor: actor)))
    }

    static func vote(_ f: inout HubFixture, _ number: UInt32, _ member: CountryCode, _ choice: VoteChoice) -> HubResult
    {
        f.apply(
            .attributed(
                actor: .member(member),
                command: .vote(proposal: number, member: member, choice: choice, actor: .member(member))))
    }

    /// Over many seeds: random quotas, quorum rules, votes (some changed), times. The quota
    /// change is applied iff an independent tally reaches the quorum before the deadline,
    /// exactly once, at its effective time or when it passes if later; replaying the log
    /// gives the same outcome.
    @Test(arguments: 0..<60)
    func aProposalIsAppliedIffItsQuorumIsReachedBeforeItsDeadline(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var rules = GovernanceRules()
        rules.yesQuotaPercentMin = Int(random.next() % 100) + 1
        rules.yesMembersPercentAbove = Int(random.next() % 100)
        rules.subjectExcludedFromVote = random.next() % 2 == 0
        let quotas = Self.members.map { _ in Int64(random.next() % 5_000_000) + 1 }
        var f = Self.governed(rules, quotas: quotas)
        let subject = Self.members[Int(random.next() % 4)]
        let newQuota = Int64(random.next() % 9_000_000)
        let votingSeconds = 100 + random.next() % 1_000
        let effectiveAfter = random.next() % 2_000
        guard
            case .proposal(let number) = Self.propose(
                &f, .setQuota(subject, quotaUnitMinor: newQuota),
                votingSeconds: votingSeconds, effectiveAfter: effectiveAfter)
        else { Issue.record("not proposed"); return }
        let deadline = f.hub.proposal(number)!.deadline, effectiveAt = f.hub.proposal(number)!.effectiveAt

        var votes: [CountryCode: VoteChoice] = [:]
        var passedAt: UInt64? = nil
        let eligible = Self.members.enumerated().filter { !(rules.subjectExcludedFromVote && $0.element == subject) }
        func quorum() -> Bool {
            let weight = eligible.reduce(Int128(0)) { $0 + Int128(quotas[$1.offset]) }
            let yes = eligible.filter { votes[$0.element] == .yes }
            let yesWeight = yes.reduce(Int128(0)) { $0 + Int128(quotas[$1.offset]) }
            return !eligible.isEmpty && yesWeight * 100 >= Int128(rules.yesQuotaPercentMin) * weight
                && yes.count * 100 > rules.yesMembersPercentAbove * eligible.count
        }
        for _ in 0..<(random.next() % 10) {
            f.advance(seconds: random.next() % 200)
            let member = Self.members[Int(random.next() % 4)]
            let choice = VoteChoice(rawValue: UInt8(random.next() % 3))!
            let result = Self.vote(&f, number, member, choice)
            let isEligible = !(rules.subjectExcludedFromVote && member == subject)
            if passedAt != nil || f.now >= deadline {
                #expect(result == .refused(.votingClosed))
            } else if !isEligible {
                #expect(result == .refused(.voterNotEligible))
            } else if votes[member] == choice {
                #expect(result == .refused(.voteUnchanged))
            } else {
                #expect(result == .ok)
                votes[member] = choice
                if quorum() { passedAt = f.now }
            }
        }
        f.advance(seconds: votingSeconds + effectiveAfter + 10)
        let proposal = f.hub.proposal(number)!
        let applies = passedAt != nil
        #expect(proposal.status == (applies ? .applied : .failed), "seed \(seed)")
        let oldQuota = quotas[Self.members.firstIndex(of: subject)!]
        #expect(f.hub.member(subject)!.quotaUnitMinor == (applies ? newQuota : oldQuota))
        if let passedAt {
            // Applied with the first command at or after the time it became due.
            let due = max(passedAt, effectiveAt)
            #expect(proposal.appliedAt == f.log.map(\.1).first { $0 >= due }, "seed \(seed)")
        }
        #expect(f.hub.auditRecords.filter { $0.action == "apply_proposal" }.count == (applies ? 1 : 0))

        var replay = HubStateMachine(configuration: f.hub.configuration)
        for (command, time) in f.log { _ = replay.apply(command, now: time) }
        #expect(replay.allProposals == f.hub.allProposals)
        #expect(replay.allMembers == f.hub.allMembers)
    }

    @Test func badProposalsAndVotesAreRefused() {
        var f = Self.governed()
        let unknown = CountryCode(alpha3: "FRA")!
        #expect(Self.propose(&f, .setQuota(unknown, quotaUnitMinor: 1)) == .refused(.memberNotFound))
        #expect(Self.propose(&f, .setQuota(F.bra, quotaUnitMinor: -1)) == .refused(.negativeLimit))
        #expect(
            Self.propose(&f, .setQuota(F.bra, quotaUnitMinor: 1), votingSeconds: 10) == .refused(.invalidProposalTimes))
        var never = GovernanceRules()
        never.yesMembersPercentAbove = 100
        #expect(Self.propose(&f, .setGovernanceRules(never)) == .refused(.invalidGovernanceRules))
        never = GovernanceRules()
        never.yesQuotaPercentMin = 0
        #expect(f.apply(.setGovernanceRules(never)) == .refused(.invalidGovernanceRules))
        #expect(
            Self.propose(
                &f, .admitMember(Member(id: F.bra, name: "Again", currency: CurrencyCode("EUR")!, quotaUnitMinor: 1)))
                == .refused(.memberExists))
        #expect(
            Self.propose(&f, .setQuota(F.bra, quotaUnitMinor: 1), by: .participant(F.brBank1))
                == .refused(.voterNotEligible))

        guard case .proposal(let number) = Self.propose(&f, .setMemberStatus(F.idn, .suspended)) else {
            Issue.record("not proposed"); return
        }
        #expect(Self.vote(&f, number, F.idn, .no) == .refused(.voterNotEligible))  // the subject
        #expect(
            f.apply(.vote(proposal: number, member: F.bra, choice: .yes, actor: .member(F.chn)))
                == .refused(.voterNotEligible))  // one member voting for another
        #expect(
            f.apply(.vote(proposal: 99, member: F.bra, choice: .yes, actor: .member(F.bra)))
                == .refused(.proposalNotFound))
        #expect(Self.vote(&f, number, F.bra, .no) == .ok)
        #expect(Self.vote(&f, number, F.bra, .no) == .refused(.voteUnchanged))
        #expect(Self.vote(&f, number, F.bra, .yes) == .ok)  // a member may change its vote
        #expect(Self.vote(&f, number, F.chn, .yes) == .ok)
        #expect(Self.vote(&f, number, F.ind, .yes) == .ok)  // 3 of 3 eligible: passes, applied now
        #expect(f.hub.member(F.idn)!.status == .suspended)
        #expect(Self.vote(&f, number, F.ind, .no) == .refused(.votingClosed))

        // A suspended member neither votes nor counts; a deadline without quorum fails.
        guard case .proposal(let second) = Self.propose(&f, .setQuota(F.bra, quotaUnitMinor: 5), votingSeconds: 120)
        else {
            Issue.record("not proposed"); return
        }
        #expect(Self.vote(&f, second, F.idn, .yes) == .refused(.voterNotEligible))
        #expect(Self.vote(&f, second, F.chn, .yes) == .ok)
        f.advance(seconds: 119)
        #expect(f.hub.proposal(second)!.status == .open)
        f.advance(seconds: 2)
        #expect(f.hub.proposal(second)!.status == .failed)
        #expect(Self.vote(&f, second, F.ind, .yes) == .refused(.votingClosed))
        #expect(f.hub.member(F.bra)!.quotaUnitMinor == 10_000_000)
        // One proposer may keep at most 16 proposals open.
        for quota in 0..<Int64(Limits.openProposalsPerProposerMax) {
            guard case .proposal = Self.propose(&f, .setQuota(F.chn, quotaUnitMinor: quota), by: .member(F.bra)) else {
                Issue.record("refused early")
                return
            }
        }
        #expect(Self.propose(&f, .setQuota(F.chn, quotaUnitMinor: 99), by: .member(F.bra)) == .refused(.tooManyPending))
        #expect(Self.propose(&f, .setQuota(F.chn, quotaUnitMinor: 99), by: .member(F.ind)) != .refused(.tooManyPending))
    }

    @Test func underGovernanceTheOperatorAloneCannotChangeTheRules() {
        var f = Self.governed()
        let op = Actor.operatorUser("ops-1")
        #expect(
            f.apply(.attributed(actor: op, command: .updateMember(id: F.bra, quotaUnitMinor: 1, status: nil)))
                == .refused(.proposalRequired))
        #expect(f.apply(.attributed(actor: op, command: .setImbalanceRules(.none))) == .refused(.proposalRequired))
        #expect(
            f.apply(.attributed(actor: op, command: .setGovernanceRules(GovernanceRules())))
                == .refused(.proposalRequired))
        #expect(f.hub.auditRecords.last?.outcome == "proposal_required")
    }

    @Test func makerCheckerNeedsASecondOperator() {
        var rules = GovernanceRules()
        rules.approvalRequired = [.participantCap, .screeningList]
        var f = Self.governed(rules)
        let maker = Actor.operatorUser("ops-1"), checker = Actor.operatorUser("ops-2")
        let change = HubCommand.updateParticipant(bic: F.brBank1, netDebitCapMinor: 5, status: nil)
        #expect(f.apply(.attributed(actor: maker, command: change)) == .approvalPending(1))
        #expect(f.hub.participant(F.brBank1)!.netDebitCapMinor == 1_000_000)
        #expect(
            f.apply(.attributed(actor: maker, command: .decideApproval(number: 1, approve: true, actor: maker)))
                == .refused(.approvalBySameOperator))
        #expect(
            f.apply(.decideApproval(number: 1, approve: true, actor: .member(F.bra))) == .refused(.notAllowedForActor))
        #expect(
            f.apply(.attributed(actor: checker, command: .decideApproval(number: 1, approve: true, actor: checker)))
                == .ok)
        #expect(f.hub.participant(F.brBank1)!.netDebitCapMinor == 5)
        #expect(
            f.apply(.decideApproval(number: 1, approve: false, actor: checker)) == .refused(.approvalAlreadyDecided))
        #expect(f.apply(.decideApproval(number: 7, approve: true, actor: checker)) == .refused(.approvalNotFound))
        // A request that could never apply is refused at once; a declined one changes nothing.
        #expect(
            f.apply(
                .attributed(
                    actor: maker, command: .updateParticipant(bic: F.brBank1, netDebitCapMinor: -1, status: nil)))
                == .refused(.negativeLimit))
        #expect(
            f.apply(.attributed(actor: maker, command: .setScreeningList(ScreeningList(names: ["Acme"]))))
                == .approvalPending(2))
        #expect(f.apply(.decideApproval(number: 2, approve: false, actor: checker)) == .ok)
        #expect(f.hub.settings.screeningList == .empty)
        #expect(f.hub.approval(2)?.status == .declined)
        // Status changes are not cap changes: no approval.
        #expect(
            f.apply(
                .attributed(
                    actor: maker, command: .updateParticipant(bic: F.brBank2, netDebitCapMinor: nil, status: .suspended)
                )) == .ok)
        let trail = f.hub.auditRecords.map { "\($0.actor.auditName) \($0.action) \($0.outcome)" }
        #expect(trail.contains("operator ops-1 update_participant approval_pending 1"))
        #expect(trail.contains("operator ops-2 approve ok"))
        #expect(trail.contains("operator ops-1 update_participant ok"))
    }

    /// Over many seeds: three operators request and decide cap changes and screening lists in
    /// random order. Every action that took effect was approved by an operator other than its
    /// maker, exactly once; a declined or pending one changed nothing; replay agrees.
    @Test(arguments: 0..<40)
    func makerCheckerIsNeverSatisfiedByOneOperator(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var rules = GovernanceRules()
        rules.approvalRequired = [.participantCap, .screeningList]
        var f = Self.governed(rules)
        let operators = ["ops-a", "ops-b", "ops-c"]
        var capOfApproval: [UInt32: Int64] = [:]
        for step in 0..<30 {
            let name = operators[Int(random.next() % 3)]
            let actor = Actor.operatorUser(name)
            if random.next() % 2 == 0 || f.hub.allApprovals.isEmpty {
                let cap = Int64(step + 1) * 1_000
                let result = f.apply(
                    .attributed(
                        actor: actor, command: .updateParticipant(bic: F.brBank1, netDebitCapMinor: cap, status: nil)))
                guard case .approvalPending(let number) = result else {
                    Issue.record("not pending: \(result)"); return
                }
                capOfApproval[number] = cap
            } else {
                let number = UInt32(1 + random.next() % UInt64(f.hub.allApprovals.count))
                let before = f.hub.approval(number)!
                let approve = random.next() % 3 != 0
                let result = f.apply(
                    .attributed(actor: actor, command: .decideApproval(number: number, approve: approve, actor: actor)))
                if before.status != .pending {
                    #expect(result == .refused(.approvalAlreadyDecided))
                } else if before.maker == name {
                    #expect(result == .refused(.approvalBySameOperator))
                    #expect(f.hub.approval(number)?.status == .pending)
                } else {
                    #expect(result == .ok)
                    if approve { #expect(f.hub.participant(F.brBank1)!.netDebitCapMinor == capOfApproval[number]) }
                }
            }
        }
        for approval in f.hub.allApprovals where approval.status != .pending {
            #expect(approval.checker != nil && approval.checker != approval.maker, "seed \(seed)")
        }
        // The cap in force is the last approved one's (or the original).
        let lastApproved = f.hub.allApprovals.filter { $0.status == .approved }.max { $0.decidedAt! < $1.decidedAt! }
        #expect(
            f.hub.participant(F.brBank1)!.netDebitCapMinor == lastApproved.map { capOfApproval[$0.number]! }
                ?? 1_000_000)
        var replay = HubStateMachine(configuration: f.hub.configuration)
        for (command, time) in f.log { _ = replay.apply(command, now: time) }
        #expect(replay.allApprovals == f.hub.allApprovals)
    }

    @Test func aMemberSetsItsOwnBanksCapsUpToWhatTheUnionSet() {
        var f = HubFixture(capMinor: 1_000_000)
        let bra = Actor.member(F.bra)
        func setCap(_ bic: BIC, _ cap: Int64, by actor: Actor) -> HubResult {
            f.apply(
                .attributed(actor: actor, command: .updateParticipant(bic: bic, netDebitCapMinor: cap, status: nil)))
        }
        #expect(setCap(F.brBank1, 1_000_001, by: bra) == .refused(.capAboveCeiling))
        #expect(setCap(F.brBank1, 400_000, by: bra) == .ok)
        #expect(setCap(F.brBank1, 1_000_000, by: bra) == .ok)  // back up to the union's cap
        #expect(setCap(F.cnBank1, 1, by: bra) == .refused(.notAllowedForActor))
        #expect(setCap(F.brBank1, 2_000_000, by: .operatorUser("ops-1")) == .ok)  // the union raises the ceiling
        #expect(setCap(F.brBank1, 2_000_000, by: bra) == .ok)
        #expect(
            f.apply(
                .attributed(
                    actor: bra, command: .updateParticipant(bic: F.brBank2, netDebitCapMinor: nil, status: .suspended)))
                == .ok)
        #expect(f.hub.participant(F.brBank2)!.status == .suspended)
        // Reinstating is the union's.
        let reinstate = HubCommand.updateParticipant(bic: F.brBank2, netDebitCapMinor: nil, status: .active)
        #expect(f.apply(.attributed(actor: bra, command: reinstate)) == .refused(.notAllowedForActor))
        #expect(f.apply(.attributed(actor: .operatorUser("ops-1"), command: reinstate)) == .ok)
    }

    @Test func apiKeysAreIssuedRotatedAndRevokedByWhoMayManageThem() {
        var f = HubFixture()
        let digest = { (n: Int) in String(repeating: String(n % 10), count: 64) }
        let op = Actor.operatorUser("ops-1"), bra = Actor.member(F.bra)
        let bankKey = APIKeyGrant(id: 1, holder: .participant(F.brBank1), digestHex: digest(1))
        #expect(f.apply(.issueAPIKey(bankKey, actor: .member(F.chn))) == .refused(.notAllowedForActor))
        #expect(
            f.apply(.issueAPIKey(APIKeyGrant(id: 9, holder: .member(F.bra), digestHex: digest(9)), actor: bra))
                == .refused(.notAllowedForActor))  // a member does not issue its own keys
        #expect(
            f.apply(.issueAPIKey(APIKeyGrant(id: 9, holder: op, digestHex: digest(9)), actor: op))
                == .refused(.notAllowedForActor))
        #expect(
            f.apply(.issueAPIKey(APIKeyGrant(id: 9, holder: bra, digestHex: "ABC"), actor: op))
                == .refused(.malformedField))
        #expect(f.apply(.issueAPIKey(bankKey, actor: bra)) == .ok)
        #expect(f.apply(.issueAPIKey(bankKey, actor: bra)) == .refused(.apiKeyExists))
        #expect(f.hub.apiKeyHolder(digestHex: digest(1), at: f.now) == .participant(F.brBank1))

        let rotated = APIKeyGrant(id: 2, holder: .participant(F.brBank1), digestHex: digest(2))
        #expect(f.apply(.rotateAPIKey(oldID: 1, new: rotated, overlapSeconds: 60, actor: bra)) == .ok)
        #expect(f.hub.apiKeyHolder(digestHex: digest(1), at: f.now + 59 * Self.second) == .participant(F.brBank1))
        #expect(f.hub.apiKeyHolder(digestHex: digest(1), at: f.now + 61 * Self.second) == nil)
        #expect(f.hub.apiKeyHolder(digestHex: digest(2), at: f.now + 61 * Self.second) == .participant(F.brBank1))
        #expect(
            f.apply(
                .rotateAPIKey(
                    oldID: 1, new: APIKeyGrant(id: 3, holder: .participant(F.brBank1), digestHex: digest(3)),
                    overlapSeconds: 0, actor: bra)) == .refused(.apiKeyRevoked))
        #expect(f.apply(.revokeAPIKey(id: 2, actor: .member(F.chn))) == .refused(.notAllowedForActor))
        #expect(f.apply(.revokeAPIKey(id: 2, actor: op)) == .ok)
        #expect(f.apply(.revokeAPIKey(id: 2, actor: op)) == .refused(.apiKeyRevoked))
        #expect(f.apply(.revokeAPIKey(id: 8, actor: op)) == .refused(.apiKeyNotFound))
        #expect(f.hub.apiKeyHolder(digestHex: digest(2), at: f.now) == nil)
    }
}
