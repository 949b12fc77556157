public import PolyclearCore
import PolyclearRules

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
        return TOMLFile.validationError(imbalanceRules)
    }
}
