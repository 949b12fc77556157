/// The clearing union's rules for persistent imbalances, applied at every cycle close and
/// booked on the unit ledger (Keynes' clearing-union idea: surplus and deficit members alike
/// pay for staying far from balance).
public struct ImbalanceRules: Hashable, Sendable, Codable {
    public struct Tier: Hashable, Sendable, Codable {
        /// The charge applies to the part of the average position beyond this share of quota.
        public var thresholdPercentOfQuota: Int
        /// Per year, in basis points (100 = 1%), pro rata for the cycle's length.
        public var annualRateBasisPoints: Int

        public init(thresholdPercentOfQuota: Int, annualRateBasisPoints: Int) {
            self.thresholdPercentOfQuota = thresholdPercentOfQuota
            self.annualRateBasisPoints = annualRateBasisPoints
        }
    }

    /// Ascending thresholds; each tier charges its own rate on the excess over its threshold,
    /// so rates add up beyond higher thresholds.
    public var tiers: [Tier]
    /// Alarm when a member's position at close stays beyond this share of quota…
    public var persistentImbalancePercentOfQuota: Int
    /// …for this many consecutive cycles (0: no alarm).
    public var persistentImbalanceCycles: Int
    /// What a debt beyond quota is settled in (empty: no excess settlement). Creditors beyond
    /// quota are charged and alarmed, not paid out.
    public var excessSettlementAsset: String = ""

    public init(tiers: [Tier], persistentImbalancePercentOfQuota: Int = 50, persistentImbalanceCycles: Int = 0) {
        self.tiers = tiers
        self.persistentImbalancePercentOfQuota = persistentImbalancePercentOfQuota
        self.persistentImbalanceCycles = persistentImbalanceCycles
    }

    /// Keynes-like defaults: 1% a year beyond 25% of quota, another 1% beyond 50%; an alarm
    /// after 3 cycles beyond 50%.
    public static let standard = ImbalanceRules(
        tiers: [
            Tier(thresholdPercentOfQuota: 25, annualRateBasisPoints: 100),
            Tier(thresholdPercentOfQuota: 50, annualRateBasisPoints: 100),
        ],
        persistentImbalancePercentOfQuota: 50, persistentImbalanceCycles: 3)

    public static let none = ImbalanceRules(tiers: [])

    var isValid: Bool {
        zip(tiers, tiers.dropFirst()).allSatisfy { $0.thresholdPercentOfQuota < $1.thresholdPercentOfQuota }
            && tiers.allSatisfy {
                (0...10_000).contains($0.thresholdPercentOfQuota) && (0...10_000).contains($0.annualRateBasisPoints)
            }
            && (0...10_000).contains(persistentImbalancePercentOfQuota)
            && (0...1_000).contains(persistentImbalanceCycles)
    }

    static let millisecondsPerYear: Int128 = 365 * 86_400 * 1_000

    /// The charge for one cycle, in unit minor units, half-even:
    /// Σ over tiers of max(0, |average| − threshold% × quota) × rate_bp / 10,000 × cycle_ms / year_ms.
    /// Computed as one exact fraction, rounded once.
    public func charge(averagePositionMinor: Int64, quotaMinor: Int64, cycleMilliseconds: Int64) -> Int64 {
        let position = Int128(averagePositionMinor.magnitude) * 100
        var numerator: Int128 = 0
        for tier in tiers {
            let excessTimes100 = position - Int128(tier.thresholdPercentOfQuota) * Int128(quotaMinor)
            guard excessTimes100 > 0 else { continue }
            numerator += excessTimes100 * Int128(tier.annualRateBasisPoints) * Int128(cycleMilliseconds)
        }
        guard numerator > 0 else { return 0 }
        let denominator = 100 * 10_000 * Self.millisecondsPerYear
        return Int64(DecimalMath.divideHalfEven(UInt128(numerator), UInt128(denominator)))
    }
}

/// What a member was charged for a cycle.
public struct MemberCharge: Hashable, Sendable, Codable {
    public var member: CountryCode
    /// Time-weighted average union position over the cycle (unit minor units, half-even).
    public var averagePositionMinor: Int64
    public var chargeMinor: Int64
}
