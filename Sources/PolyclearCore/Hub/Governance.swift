/// How the members govern the union (the union file's `[governance]`): who may propose rule
/// changes, the weighted quorum that passes them, and which operator actions need a second
/// operator (maker–checker). Changed only by a proposal that passes under the rules in force.
public struct GovernanceRules: Hashable, Sendable, Codable {
    public enum Proposers: UInt8, Hashable, Sendable, Codable, CaseIterable {
        case membersAndOperator = 0, members = 1, operatorOnly = 2
    }

    /// A proposal passes once the members voting yes hold at least this share of the eligible
    /// members' quota, in percent (1...100)…
    public var yesQuotaPercentMin: Int = 67
    /// …and are more than this share of the eligible members, in percent (0...99; 50 is a
    /// majority).
    public var yesMembersPercentAbove: Int = 50
    public var proposers: Proposers = .membersAndOperator
    /// The member a proposal is about (its quota, its suspension) does not vote on it.
    public var subjectExcludedFromVote = true
    /// The shortest and longest voting period a proposal may ask for, in seconds.
    public var votingSecondsMin: Int64 = 60
    public var votingSecondsMax: Int64 = 90 * 86_400
    /// Operator actions that take effect only once a second operator approves them.
    public var approvalRequired: [ApprovalAction] = []
    /// Releases of held payments need approval only above this unit value (minor units).
    public var heldReleaseApprovalAboveUnitMinor: Int64 = 0

    public init() {}

    /// Rules that could never pass anything, or never decide, are refused.
    public var isValid: Bool {
        (1...100).contains(yesQuotaPercentMin) && (0...99).contains(yesMembersPercentAbove)
            && votingSecondsMin >= 1 && votingSecondsMax >= votingSecondsMin && votingSecondsMax <= 366 * 86_400
            && heldReleaseApprovalAboveUnitMinor >= 0 && Set(approvalRequired).count == approvalRequired.count
    }
}

/// Operator actions that can be put under maker–checker.
public enum ApprovalAction: UInt8, Hashable, Sendable, Codable, CaseIterable {
    /// Setting a participant's net debit cap.
    case participantCap = 0
    /// Replacing the screening list.
    case screeningList = 1
    /// Releasing a payment held by screening (above `heldReleaseApprovalAboveUnitMinor`).
    case heldPaymentRelease = 2
}

/// A change to the union's rules that only the members' vote can make.
public enum ProposalChange: Hashable, Sendable, Codable {
    case admitMember(Member)
    case setMemberStatus(CountryCode, ReferenceStatus)
    case setQuota(CountryCode, quotaUnitMinor: Int64)
    case setImbalanceRules(ImbalanceRules)
    case defineUnit(CurrencyAmounts, checks: RateChecks?)
    case setGovernanceRules(GovernanceRules)

    /// The hub command that applies the change.
    public var command: HubCommand {
        switch self {
        case .admitMember(let member): .registerMember(member)
        case .setMemberStatus(let id, let status): .updateMember(id: id, quotaUnitMinor: nil, status: status)
        case .setQuota(let id, let quota): .updateMember(id: id, quotaUnitMinor: quota, status: nil)
        case .setImbalanceRules(let rules): .setImbalanceRules(rules)
        case .defineUnit(let amounts, let checks): .defineUnit(amountsPerUnit: amounts, checks: checks)
        case .setGovernanceRules(let rules): .setGovernanceRules(rules)
        }
    }

    /// The existing member the change is about, if any.
    public var subject: CountryCode? {
        switch self {
        case .setMemberStatus(let id, _), .setQuota(let id, _): id
        default: nil
        }
    }

    /// Stable snake_case kind (API, audit trail).
    public var kind: String {
        switch self {
        case .admitMember: "admit_member"
        case .setMemberStatus: "set_member_status"
        case .setQuota: "set_quota"
        case .setImbalanceRules: "set_imbalance_rules"
        case .defineUnit: "define_unit"
        case .setGovernanceRules: "set_governance_rules"
        }
    }
}

public enum VoteChoice: UInt8, Hashable, Sendable, Codable, CaseIterable {
    case yes = 0, no = 1, abstain = 2

    public var code: String {
        switch self {
        case .yes: "yes"
        case .no: "no"
        case .abstain: "abstain"
        }
    }
}

public enum ProposalStatus: UInt8, Hashable, Sendable, Codable {
    /// Votes are open.
    case open = 0
    /// The quorum was reached; waiting for the effective time.
    case passed = 1
    /// The deadline came without the quorum.
    case failed = 2
    /// Applied at its effective time.
    case applied = 3
    /// Passed, but the hub refused the change when it was applied (`outcome` says why).
    case applyRefused = 4

    public var code: String {
        switch self {
        case .open: "open"
        case .passed: "passed"
        case .failed: "failed"
        case .applied: "applied"
        case .applyRefused: "apply_refused"
        }
    }
}

/// A proposal as the hub keeps it; `number` counts from 1 in proposal order.
public struct Proposal: Hashable, Sendable, Codable {
    public var number: UInt32
    public var change: ProposalChange
    public var proposer: Actor
    public var proposedAt: UInt64
    public var deadline: UInt64
    public var effectiveAt: UInt64
    /// Each member's last vote, by alpha-3 code.
    public var votes: [String: VoteChoice] = [:]
    public var status = ProposalStatus.open
    public var decidedAt: UInt64? = nil
    public var appliedAt: UInt64? = nil
    /// `ok` or the stable code of the refusal when it was applied.
    public var outcome: String? = nil
}

/// A proposal's votes weighed under the rules in force.
public struct ProposalTally: Hashable, Sendable, Codable {
    public var eligibleMembers: Int
    public var eligibleQuotaUnitMinor: Int64
    public var yesMembers: Int
    public var yesQuotaUnitMinor: Int64
    public var noMembers: Int
    public var abstainMembers: Int
    public var passes: Bool
}

public enum ApprovalStatus: UInt8, Hashable, Sendable, Codable {
    case pending = 0, approved = 1, declined = 2

    public var code: String {
        switch self {
        case .pending: "pending"
        case .approved: "approved"
        case .declined: "declined"
        }
    }
}

/// An operator action waiting for (or decided by) a second operator.
public struct Approval: Hashable, Sendable, Codable {
    public var number: UInt32
    public var action: ApprovalAction
    public var command: HubCommand
    public var maker: String
    public var requestedAt: UInt64
    public var status = ApprovalStatus.pending
    public var checker: String? = nil
    public var decidedAt: UInt64? = nil
    /// `ok` or the stable code of the hub's refusal when the approved command was applied.
    public var outcome: String? = nil
}
