public import PolyclearCore

/// The union's rules for a simulation run (a TOML file; every key optional, defaults below).
public struct SimulationRules: Hashable, Sendable {
    /// Cycle length in business days (1: a cycle closes at 17:00 UTC every business day).
    public var cycleDays = 1
    /// Each member's quota (how far its union position may go negative) as a share of its
    /// average annual trade with the other members, (exports + imports) / 2.
    public var quotaPercentOfTrade = 50
    /// Quotas set explicitly, in unit minor units (the unit is worth one US dollar; 4 decimals).
    public var quotaUnitMinor: [String: Int64] = [:]
    /// Each bank's net debit cap, in basis points of its member's average annual trade.
    public var bankCapBasisPointsOfTrade = 100
    public var banksPerMember = 5
    public var queuePolicy = CycleEndQueuePolicy.carryOver
    /// Charges on persistent surpluses and deficits, and the persistent-imbalance alarm.
    public var imbalanceRules = ImbalanceRules.standard
    /// Lognormal σ of payment sizes; Zipf exponent of banks' shares.
    public var sizeSigma = 1.5
    public var bankExponent = 1.0

    public init() {}

    /// The first impossible value, named by its key.
    public func validationError() -> (key: String, reason: String)? {
        if !(1...260).contains(cycleDays) { return ("cycle_days", "must be 1 to 260") }
        if !(0...10_000).contains(quotaPercentOfTrade) { return ("quota_percent_of_trade", "must be 0 to 10000") }
        for (member, quota) in quotaUnitMinor where quota < 0 { return ("quotas.\(member)", "must not be negative") }
        if !(1...1_000_000).contains(bankCapBasisPointsOfTrade) {
            return ("bank_cap_basis_points_of_trade", "must be 1 to 1000000")
        }
        if !(1...26).contains(banksPerMember) { return ("banks_per_member", "must be 1 to 26") }
        if !(sizeSigma >= 0 && sizeSigma <= 5) { return ("size_sigma", "must be 0 to 5") }
        if !(bankExponent >= 0 && bankExponent <= 5) { return ("bank_exponent", "must be 0 to 5") }
        for (index, tier) in imbalanceRules.tiers.enumerated() {
            if !(0...10_000).contains(tier.thresholdPercentOfQuota) {
                return ("charges[\(index)].threshold_percent_of_quota", "must be 0 to 10000")
            }
            if !(0...10_000).contains(tier.annualRateBasisPoints) {
                return ("charges[\(index)].annual_rate_basis_points", "must be 0 to 10000")
            }
            if index > 0 && tier.thresholdPercentOfQuota <= imbalanceRules.tiers[index - 1].thresholdPercentOfQuota {
                return ("charges[\(index)].threshold_percent_of_quota", "thresholds must increase")
            }
        }
        if !(0...1_000).contains(imbalanceRules.persistentImbalanceCycles) {
            return ("alarm_cycles", "must be 0 to 1000")
        }
        if !(0...10_000).contains(imbalanceRules.persistentImbalancePercentOfQuota) {
            return ("alarm_percent_of_quota", "must be 0 to 10000")
        }
        for (key, tranches) in [
            ("debtor_tranches", imbalanceRules.debtorTranches), ("creditor_tranches", imbalanceRules.creditorTranches),
        ] {
            for (index, tranche) in tranches.enumerated() {
                if !(1...100).contains(tranche.upToPercentOfQuota) {
                    return ("\(key)[\(index)].up_to_percent_of_quota", "must be 1 to 100")
                }
                if !(0...100).contains(tranche.settledPercent) {
                    return ("\(key)[\(index)].settled_percent", "must be 0 to 100")
                }
                if index > 0 && tranche.upToPercentOfQuota <= tranches[index - 1].upToPercentOfQuota {
                    return ("\(key)[\(index)].up_to_percent_of_quota", "bands must increase")
                }
            }
        }
        let settles =
            imbalanceRules.quotaMode == .settle || !imbalanceRules.debtorTranches.isEmpty
            || !imbalanceRules.creditorTranches.isEmpty
        if settles && imbalanceRules.excessSettlementAsset.isEmpty {
            return ("settlement_asset", "quota_mode = \"settle\" and tranches need a settlement asset")
        }
        return nil
    }
}
