import PolyclearCore
import PolyclearRules

/// The union file's `[governance]` (how members decide) and the queue policy at cycle end.
///
/// ```toml
/// [governance]
/// yes_quota_percent_min = 67          # yes votes hold at least 67 % of eligible quota…
/// yes_members_percent_above = 50      # …and are more than half of eligible members
/// proposers = "members_and_operator"  # or "members", "operator"
/// subject_excluded_from_vote = true
/// voting_seconds_min = 60
/// voting_seconds_max = 2592000
/// approval_required = ["participant_cap", "screening_list", "held_payment_release"]
/// held_release_approval_above_unit = "100000"
/// ```
extension UnionFile {
    enum ProposersName: String, CaseIterable {
        case membersAndOperator = "members_and_operator", members, operatorOnly = "operator"
    }

    enum QueuePolicyName: String, CaseIterable {
        case carryOver = "carry_over", returnToPayer = "return_to_payer"
    }

    static let approvalActionNames: [String: ApprovalAction] = [
        "participant_cap": .participantCap, "screening_list": .screeningList,
        "held_payment_release": .heldPaymentRelease,
    ]

    static func readGovernance(_ root: TOMLFile, currencies: CurrencyTable) throws(FileInputError) -> GovernanceRules? {
        guard let table = try root.subtable("governance") else { return nil }
        try table.rejectUnknownKeys([
            "yes_quota_percent_min", "yes_members_percent_above", "proposers", "subject_excluded_from_vote",
            "voting_seconds_min", "voting_seconds_max", "approval_required", "held_release_approval_above_unit",
        ])
        var rules = GovernanceRules()
        if let percent = try table.integer("yes_quota_percent_min") {
            guard (1...100).contains(percent) else {
                throw table.fail("yes_quota_percent_min", "must be 1 to 100 (0 would pass proposals nobody voted for)")
            }
            rules.yesQuotaPercentMin = percent
        }
        if let percent = try table.integer("yes_members_percent_above") {
            guard (0...99).contains(percent) else {
                throw table.fail("yes_members_percent_above", "must be 0 to 99 (100 or more could never pass)")
            }
            rules.yesMembersPercentAbove = percent
        }
        switch try table.choice("proposers", ProposersName.self) {
        case .membersAndOperator, nil: rules.proposers = .membersAndOperator
        case .members: rules.proposers = .members
        case .operatorOnly: rules.proposers = .operatorOnly
        }
        rules.subjectExcludedFromVote = try table.bool("subject_excluded_from_vote") ?? true
        let year = 366 * 86_400
        if let seconds = try table.integer("voting_seconds_min") {
            guard (1...year).contains(seconds) else {
                throw table.fail("voting_seconds_min", "must be 1 s to 366 days")
            }
            rules.votingSecondsMin = Int64(seconds)
        }
        if let seconds = try table.integer("voting_seconds_max") {
            guard (1...year).contains(seconds), Int64(seconds) >= rules.votingSecondsMin else {
                throw table.fail("voting_seconds_max", "must be at least voting_seconds_min and at most 366 days")
            }
            rules.votingSecondsMax = Int64(seconds)
        }
        rules.approvalRequired = try approvalActions(table)
        if table.table["held_release_approval_above_unit"] != nil {
            rules.heldReleaseApprovalAboveUnitMinor = try amount(
                table, "held_release_approval_above_unit", currencies.unit)
        }
        guard rules.isValid else { throw table.fail("voting_seconds_min", "the governance rules are inconsistent") }
        return rules
    }

    private static func approvalActions(_ table: TOMLFile) throws(FileInputError) -> [ApprovalAction] {
        guard let value = table.table["approval_required"] else { return [] }
        let names = value.array?.compactMap(\.string) ?? []
        guard value.array?.count == names.count else {
            throw table.fail("approval_required", "must be an array of strings")
        }
        var actions: [ApprovalAction] = []
        for name in names {
            guard let action = approvalActionNames[name] else {
                throw table.fail(
                    "approval_required",
                    "unknown action \"\(name)\": one of " + approvalActionNames.keys.sorted().joined(separator: ", "))
            }
            guard !actions.contains(action) else { throw table.fail("approval_required", "\"\(name)\" twice") }
            actions.append(action)
        }
        return actions
    }

    static func readQueuePolicy(_ root: TOMLFile) throws(FileInputError) -> CycleEndQueuePolicy? {
        switch try root.subtable("cycles")?.choice("queued_at_cycle_end", QueuePolicyName.self) {
        case nil: nil
        case .carryOver: .carryOver
        case .returnToPayer: .returnToPayer
        }
    }

    enum TradeReferenceRule: String, CaseIterable { case required, optional }

    /// `[payments]`: whether trade references are mandatory (absent: required), and how many
    /// days after settlement personal data is kept (absent: kept).
    static func readPaymentRules(_ root: TOMLFile) throws(FileInputError) -> PaymentRules? {
        guard let table = try root.subtable("payments") else { return nil }
        try table.rejectUnknownKeys(["trade_reference", "personal_data_retention_days"])
        var rules = PaymentRules()
        if let rule = try table.choice("trade_reference", TradeReferenceRule.self) {
            rules.tradeReferenceRequired = rule == .required
        }
        if let days = try table.integer("personal_data_retention_days") {
            guard (1...36_525).contains(days) else {
                throw table.fail("personal_data_retention_days", "1 to 36525 days")
            }
            rules.personalDataRetentionDays = UInt32(days)
        }
        return rules
    }
}
