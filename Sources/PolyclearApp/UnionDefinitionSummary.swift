import PolyclearCore
import Foundation
public import PolyclearUnion

/// A union definition in a few lines, for `polyclear union check` and the serve log.
public struct UnionDefinitionSummary: Sendable {
    public let text: String

    public init(_ definition: UnionDefinition) {
        let rules = definition.imbalanceRules
        let triggers = definition.cycleTriggers
        var cycles: [String] = []
        if let seconds = triggers.intervalSeconds { cycles.append("every \(seconds) s") }
        if let second = triggers.dailySecondOfDay {
            cycles.append(String(format: "daily at %02d:%02d", second / 3_600, second % 3_600 / 60))
        }
        let asset = rules.excessSettlementAsset.isEmpty ? "none" : rules.excessSettlementAsset
        let ruleText =
            "quota \(rules.quotaMode.rawValue), settlement asset \(asset), \(rules.debtorTranches.count) debtor and "
            + "\(rules.creditorTranches.count) creditor tranches, \(rules.tiers.count) charge tiers "
            + "(\(rules.chargeDisposition.rawValue))"
        let cycleText = cycles.isEmpty ? "closed by the operator" : cycles.joined(separator: ", ")
        let deadline =
            triggers.settlementDeadlineSeconds > 0 ? "; deadline \(triggers.settlementDeadlineSeconds) s" : ""
        let memberIDs = definition.members.map(\.id.alpha3).joined(separator: " ")
        let lines: [String] = [
            "  unit      \(definition.unit.code), \(definition.unit.decimals) decimals, basket of "
                + "\(definition.unit.basket.count) currencies",
            "  members   \(definition.members.count): \(memberIDs)",
            "  banks     \(definition.participants.count)",
            "  rules     \(ruleText)",
            "  cycles    \(cycleText)\(deadline)",
            "  fixing    ECB rates: \(definition.fixing.ecbRates)",
            "  governs   " + Self.governanceText(definition.governance),
        ]
        text = lines.joined(separator: "\n")
    }

    static func governanceText(_ rules: GovernanceRules?) -> String {
        guard let rules else { return "the operator alone (no [governance])" }
        let approvals = rules.approvalRequired.isEmpty ? "none" : "\(rules.approvalRequired.count) kinds of action"
        return "members' vote: yes ≥ \(rules.yesQuotaPercentMin) % of quota and > \(rules.yesMembersPercentAbove) % "
            + "of members; second operator: \(approvals)"
    }
}
