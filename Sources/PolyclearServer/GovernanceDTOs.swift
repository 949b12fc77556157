import Foundation
import Hummingbird
import PolyclearCore

/// `POST /v1/proposals`: a change, how long members vote, and when it takes effect.
struct ProposalRequestDTO: Decodable {
    var change: ProposalChangeDTO
    var votingSeconds: UInt32
    var effectiveAfterSeconds: UInt32?

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["change", "votingSeconds", "effectiveAfterSeconds"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        change = try container.decode(ProposalChangeDTO.self, forKey: .change)
        votingSeconds = try container.decode(UInt32.self, forKey: .votingSeconds)
        effectiveAfterSeconds = try container.decodeIfPresent(UInt32.self, forKey: .effectiveAfterSeconds)
    }

    enum CodingKeys: String, CodingKey { case change, votingSeconds, effectiveAfterSeconds }
}

/// One change, by `kind`: `admit_member` (newMember), `set_member_status` (member, status),
/// `set_quota` (member, quota), `define_unit` (basket), `set_imbalance_rules` (imbalanceRules),
/// `set_governance_rules` (governanceRules).
struct ProposalChangeDTO: Codable {
    var kind: String
    var member: String?, status: String?, quota: String?
    var newMember: NewMember?
    var basket: [String: String]?
    var imbalanceRules: SettingsDTO.Rules?
    var governanceRules: GovernanceRulesDTO?

    struct NewMember: Codable { var id: String, name: String, currency: String, quota: String }

    static let kinds = [
        "admit_member", "set_member_status", "set_quota", "define_unit", "set_imbalance_rules", "set_governance_rules",
    ]

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(
            decoder,
            ["kind", "member", "status", "quota", "newMember", "basket", "imbalanceRules", "governanceRules"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(String.self, forKey: .kind)
        member = try container.decodeIfPresent(String.self, forKey: .member)
        status = try container.decodeIfPresent(String.self, forKey: .status)
        quota = try container.decodeIfPresent(String.self, forKey: .quota)
        newMember = try container.decodeIfPresent(NewMember.self, forKey: .newMember)
        basket = try container.decodeIfPresent([String: String].self, forKey: .basket)
        imbalanceRules = try container.decodeIfPresent(SettingsDTO.Rules.self, forKey: .imbalanceRules)
        governanceRules = try container.decodeIfPresent(GovernanceRulesDTO.self, forKey: .governanceRules)
    }

    enum CodingKeys: String, CodingKey {
        case kind, member, status, quota, newMember, basket, imbalanceRules, governanceRules
    }

    init(_ change: ProposalChange, unit: Currency) {
        kind = change.kind
        let text = { (minor: Int64) in Money(minorUnits: minor, currency: unit).decimalString }
        switch change {
        case .admitMember(let m):
            newMember = NewMember(
                id: m.id.alpha3, name: m.name, currency: m.currency.description, quota: text(m.quotaUnitMinor))
        case .setMemberStatus(let id, let status):
            member = id.alpha3
            self.status = status == .active ? "active" : "suspended"
        case .setQuota(let id, let quota):
            member = id.alpha3
            self.quota = text(quota)
        case .defineUnit(let amounts, _):
            basket = Dictionary(
                uniqueKeysWithValues: amounts.byCurrency.map { ($0.key.description, $0.value.description) })
        case .setImbalanceRules(let rules): imbalanceRules = SettingsDTO.Rules(rules)
        case .setGovernanceRules(let rules): governanceRules = GovernanceRulesDTO(rules, unit: unit)
        }
    }

    /// The fields each kind of change carries; any other is refused, so that a change never
    /// carries a value that is not checked (and not applied).
    static let fieldsByKind: [String: Set<String>] = [
        "admit_member": ["newMember"], "set_member_status": ["member", "status"], "set_quota": ["member", "quota"],
        "define_unit": ["basket"], "set_imbalance_rules": ["imbalanceRules"],
        "set_governance_rules": ["governanceRules"],
    ]

    /// The fields this change carries besides `kind`.
    var presentFields: Set<String> {
        var present = Set<String>()
        if member != nil { present.insert("member") }
        if status != nil { present.insert("status") }
        if quota != nil { present.insert("quota") }
        if newMember != nil { present.insert("newMember") }
        if basket != nil { present.insert("basket") }
        if imbalanceRules != nil { present.insert("imbalanceRules") }
        if governanceRules != nil { present.insert("governanceRules") }
        return present
    }

    /// The change, checked field by field (400 with the field when one is missing or malformed,
    /// or belongs to another kind of change).
    func change(unit: Currency, checks: RateChecks) throws(APIError) -> ProposalChange {
        func missing(_ field: String) -> APIError {
            APIError(.badRequest, code: "missing_field", "a \(kind) change needs \(field)")
        }
        if let allowed = Self.fieldsByKind[kind], let stray = presentFields.subtracting(allowed).sorted().first {
            throw APIError(
                .badRequest, code: "unexpected_field",
                "a \(kind) change carries only \(allowed.sorted().joined(separator: ", ")), not \(stray)")
        }
        switch kind {
        case "admit_member":
            guard let m = newMember else { throw missing("newMember") }
            guard let code = CurrencyCode(m.currency) else {
                throw APIError(.badRequest, code: "malformed_currency", "currency is an ISO 4217 code")
            }
            return .admitMember(
                Member(
                    id: try WireAmount.member(m.id), name: try WireAmount.name(m.name), currency: code,
                    quotaUnitMinor: try WireAmount.nonNegativeMinor(m.quota, unit, field: "quota")))
        case "set_member_status":
            guard let member, let status = try WireAmount.status(status) else { throw missing("member and status") }
            return .setMemberStatus(try WireAmount.member(member), status)
        case "set_quota":
            guard let member, let quota else { throw missing("member and quota") }
            return .setQuota(
                try WireAmount.member(member),
                quotaUnitMinor: try WireAmount.nonNegativeMinor(quota, unit, field: "quota"))
        case "define_unit":
            guard let basket, !basket.isEmpty, basket.count <= 64 else {
                throw missing("a basket of 1 to 64 currencies")
            }
            var amounts: [CurrencyCode: DecimalNumber] = [:]
            for (code, amount) in basket {
                guard let currency = CurrencyCode(code), amount.utf8.count <= 40, let value = DecimalNumber(amount),
                    value.significand > 0
                else { throw APIError(.badRequest, code: "malformed_basket", "basket amounts are positive decimals") }
                amounts[currency] = value
            }
            return .defineUnit(CurrencyAmounts(amounts), checks: checks)
        case "set_imbalance_rules":
            guard let imbalanceRules else { throw missing("imbalanceRules") }
            return .setImbalanceRules(try imbalanceRules.rules())
        case "set_governance_rules":
            guard let governanceRules else { throw missing("governanceRules") }
            return .setGovernanceRules(try governanceRules.rules(unit: unit))
        default:
            throw APIError(
                .badRequest, code: "malformed_change", "kind is one of " + Self.kinds.joined(separator: ", "))
        }
    }
}

/// The union's governance rules on the wire.
struct GovernanceRulesDTO: Codable {
    var yesQuotaPercentMin: Int, yesMembersPercentAbove: Int, proposers: String, subjectExcludedFromVote: Bool
    var votingSecondsMin: Int64, votingSecondsMax: Int64, approvalRequired: [String], heldReleaseApprovalAbove: String

    static let proposerNames: [(GovernanceRules.Proposers, String)] = [
        (.membersAndOperator, "members_and_operator"), (.members, "members"), (.operatorOnly, "operator"),
    ]
    static let actionNames: [(ApprovalAction, String)] = [
        (.participantCap, "participant_cap"), (.screeningList, "screening_list"),
        (.heldPaymentRelease, "held_payment_release"),
    ]

    init(_ rules: GovernanceRules, unit: Currency) {
        yesQuotaPercentMin = rules.yesQuotaPercentMin
        yesMembersPercentAbove = rules.yesMembersPercentAbove
        proposers = Self.proposerNames.first { $0.0 == rules.proposers }!.1
        subjectExcludedFromVote = rules.subjectExcludedFromVote
        votingSecondsMin = rules.votingSecondsMin
        votingSecondsMax = rules.votingSecondsMax
        approvalRequired = rules.approvalRequired.map { action in Self.actionNames.first { $0.0 == action }!.1 }
        heldReleaseApprovalAbove =
            Money(minorUnits: rules.heldReleaseApprovalAboveUnitMinor, currency: unit)
            .decimalString
    }

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(
            decoder,
            [
                "yesQuotaPercentMin", "yesMembersPercentAbove", "proposers", "subjectExcludedFromVote",
                "votingSecondsMin", "votingSecondsMax", "approvalRequired", "heldReleaseApprovalAbove",
            ])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        yesQuotaPercentMin = try container.decode(Int.self, forKey: .yesQuotaPercentMin)
        yesMembersPercentAbove = try container.decode(Int.self, forKey: .yesMembersPercentAbove)
        proposers = try container.decode(String.self, forKey: .proposers)
        subjectExcludedFromVote = try container.decode(Bool.self, forKey: .subjectExcludedFromVote)
        votingSecondsMin = try container.decode(Int64.self, forKey: .votingSecondsMin)
        votingSecondsMax = try container.decode(Int64.self, forKey: .votingSecondsMax)
        approvalRequired = try container.decode([String].self, forKey: .approvalRequired)
        heldReleaseApprovalAbove = try container.decode(String.self, forKey: .heldReleaseApprovalAbove)
    }

    enum CodingKeys: String, CodingKey {
        case yesQuotaPercentMin, yesMembersPercentAbove, proposers, subjectExcludedFromVote, votingSecondsMin
        case votingSecondsMax, approvalRequired, heldReleaseApprovalAbove
    }

    func rules(unit: Currency) throws(APIError) -> GovernanceRules {
        var rules = GovernanceRules()
        rules.yesQuotaPercentMin = yesQuotaPercentMin
        rules.yesMembersPercentAbove = yesMembersPercentAbove
        guard let proposers = Self.proposerNames.first(where: { $0.1 == self.proposers })?.0 else {
            throw APIError(
                .badRequest, code: "malformed_rules", "proposers is members_and_operator, members or operator")
        }
        rules.proposers = proposers
        rules.subjectExcludedFromVote = subjectExcludedFromVote
        rules.votingSecondsMin = votingSecondsMin
        rules.votingSecondsMax = votingSecondsMax
        rules.approvalRequired = try approvalRequired.map { (name) throws(APIError) in
            guard let action = Self.actionNames.first(where: { $0.1 == name })?.0 else {
                throw APIError(.badRequest, code: "malformed_rules", "unknown approval action \(name.prefix(40))")
            }
            return action
        }
        rules.heldReleaseApprovalAboveUnitMinor = try WireAmount.nonNegativeMinor(
            heldReleaseApprovalAbove, unit, field: "heldReleaseApprovalAbove")
        return rules
    }
}

/// A proposal with its votes and their tally under the rules in force.
struct ProposalDTO: ResponseCodable {
    struct Tally: Codable {
        var eligibleMembers: Int, eligibleQuota: String, yesMembers: Int, yesQuota: String, noMembers: Int
        var abstainMembers: Int, quorumReached: Bool
    }
    var number: UInt32, change: ProposalChangeDTO, proposer: String, proposedAt: UInt64, deadline: UInt64
    var effectiveAt: UInt64, status: String, votes: [String: String], tally: Tally
    var decidedAt: UInt64?, appliedAt: UInt64?, outcome: String?

    init(_ proposal: Proposal, tally: ProposalTally, unit: Currency) {
        let text = { (minor: Int64) in Money(minorUnits: minor, currency: unit).decimalString }
        number = proposal.number
        change = ProposalChangeDTO(proposal.change, unit: unit)
        proposer = proposal.proposer.wireName
        proposedAt = proposal.proposedAt
        deadline = proposal.deadline
        effectiveAt = proposal.effectiveAt
        status = proposal.status.code
        votes = proposal.votes.mapValues(\.code)
        self.tally = Tally(
            eligibleMembers: tally.eligibleMembers, eligibleQuota: text(tally.eligibleQuotaUnitMinor),
            yesMembers: tally.yesMembers, yesQuota: text(tally.yesQuotaUnitMinor), noMembers: tally.noMembers,
            abstainMembers: tally.abstainMembers, quorumReached: tally.passes)
        decidedAt = proposal.decidedAt
        appliedAt = proposal.appliedAt
        outcome = proposal.outcome
    }
}

/// `POST /v1/proposals/{n}/votes`.
struct VoteDTO: OneFieldBody {
    static let key = "vote"
    var vote: String

    init(_ vote: String) { self.vote = vote }

    var choice: VoteChoice {
        get throws(APIError) {
            guard let choice = VoteChoice.allCases.first(where: { $0.code == vote }) else {
                throw APIError(.badRequest, code: "malformed_vote", "vote is yes, no or abstain")
            }
            return choice
        }
    }
}
