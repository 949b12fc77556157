public import PolyclearCore

/// Named rule sets from the history of clearing unions, and the project's recommendation. Each
/// says where it comes from and where it simplifies history. `--rules NAME` runs one; a rules
/// file may start from one (`preset = "epu-1950"`) and override keys.
public enum RulePreset: String, CaseIterable, Sendable {
    case icu1943 = "icu-1943"
    case epu1950 = "epu-1950"
    case acu
    case polyclear

    /// What a rules file without `preset`, and the simulator without `--rules`, start from.
    public static let `default` = RulePreset.polyclear

    public var summary: String {
        switch self {
        case .icu1943:
            "Keynes' International Clearing Union plan (1943): quotas of 75% of a member's exports plus "
                + "imports; 1% a year on balances beyond a quarter of quota and another 1% beyond half, on "
                + "creditors and debtors alike, into the union's reserve; debit balances stop at the quota; "
                + "creditor balances beyond quota at the year end pass to the reserve. Simplified: no "
                + "Governing Board discretion (devaluation, collateral) beyond the quota."
        case .epu1950:
            "European Payments Union (1950): quotas of 15% of 1949 trade with the other members; monthly "
                + "settlement of the change in each cumulative position, by fifths of quota: debtors settle "
                + "0, 20, 40, 60, 80% of each successive fifth in gold or dollars, creditors receive 50% "
                + "beyond the first fifth; all of it beyond the quota; debtors pay 2% a year to creditors. "
                + "Simplified: the creditors' special arrangements beyond quota become full settlement, "
                + "one flat interest rate."
        case .acu:
            "Asian Clearing Union: every net position settled in full every two months (43 business "
                + "days), in the settlement currency; debtors pay interest on their positions, which goes "
                + "to the creditors. Simplified: the ACU sets its rate periodically; 4% a year here."
        case .polyclear:
            "Polyclear's recommendation: quotas of 50% of average trade; trade never blocked (settle "
                + "mode); the first quarter of quota is union credit, then 25%, 50% and 75% of each next "
                + "quarter settles in the settlement asset (XDR) and all of it beyond the quota; "
                + "creditors are paid half of what they hold beyond half their quota; Keynes' symmetric "
                + "charges, paid to the other side rather than kept, so the union holds no profit."
        }
    }

    /// The imbalance rules: quota mode, tranches, charges and what becomes of them.
    public var imbalanceRules: ImbalanceRules {
        var imbalance = ImbalanceRules.standard
        switch self {
        case .icu1943:
            imbalance.creditorExcessAtYearEnd = .toReserve
        case .epu1950:
            imbalance.quotaMode = .settle
            imbalance.excessSettlementAsset = "XAU"
            imbalance.debtorTranches = Self.bands([(20, 0), (40, 20), (60, 40), (80, 60), (100, 80)])
            imbalance.creditorTranches = Self.bands([(20, 0), (100, 50)])
            imbalance.tiers = [.init(thresholdPercentOfQuota: 0, annualRateBasisPoints: 200)]
            imbalance.chargedSides = .debtors
            imbalance.chargeDisposition = .redistribute
        case .acu:
            imbalance.quotaMode = .settle
            imbalance.excessSettlementAsset = "USD"
            imbalance.debtorTranches = Self.bands([(100, 100)])
            imbalance.creditorTranches = Self.bands([(100, 100)])
            imbalance.tiers = [.init(thresholdPercentOfQuota: 0, annualRateBasisPoints: 400)]
            imbalance.chargedSides = .debtors
            imbalance.chargeDisposition = .redistribute
        case .polyclear:
            imbalance.quotaMode = .settle
            imbalance.excessSettlementAsset = "XDR"
            imbalance.debtorTranches = Self.bands([(25, 0), (50, 25), (75, 50), (100, 75)])
            imbalance.creditorTranches = Self.bands([(50, 0), (100, 50)])
            imbalance.chargeDisposition = .redistribute
        }
        return imbalance
    }

    /// Each member's quota as a share of its average annual trade, (exports + imports) / 2:
    /// Keynes' 75% of exports plus imports is 150% of it, the EPU's 15% is 30%.
    public var quotaPercentOfTrade: Int {
        switch self {
        case .icu1943: 150
        case .epu1950: 30
        case .acu, .polyclear: 50
        }
    }

    /// Business days between settlements: monthly for the EPU, two-monthly for the ACU.
    public var cycleDays: Int {
        switch self {
        case .icu1943, .polyclear: 1
        case .epu1950: 21
        case .acu: 43
        }
    }

    static func bands(_ pairs: [(upTo: Int, settled: Int)]) -> [Tranche] {
        pairs.map { Tranche(upToPercentOfQuota: $0.upTo, settledPercent: $0.settled) }
    }
}
