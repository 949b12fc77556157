/// The clearing union's rules for persistent imbalances, applied at every cycle close and
/// booked on the unit ledger (Keynes' clearing-union idea: surplus and deficit members alike
/// pay for staying far from balance).
public struct ImbalanceRules: Hashable, Sendable {
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
    /// What positions are settled in at close (gold, a reserve currency, ...; empty: nothing is
    /// settled). See `SettlementSchedule` for how much.
    public var excessSettlementAsset: String = ""
    /// Whether the quota stops payments (`hard`) or positions beyond it settle (`settle`).
    public var quotaMode = QuotaMode.hard
    /// Of each cycle's change in a debtor's position, the share settled in the asset, by band
    /// of quota (empty: all union credit up to the quota). Beyond the quota: all of it.
    public var debtorTranches: [Tranche] = []
    /// The same for creditors (paid out in the asset). Beyond the quota: all of it in `settle`
    /// mode; in `hard` mode creditors are charged and alarmed, not paid out.
    public var creditorTranches: [Tranche] = []
    /// What becomes of the charges collected at a close.
    public var chargeDisposition = ChargeDisposition.reserve
    /// Who pays the charges: both sides (Keynes), or only debtors (interest, as the ACU and
    /// EPU charged) or only creditors.
    public var chargedSides = ChargedSides.both
    /// What the year end does to a creditor's position beyond its quota (`HubCommand.endYear`).
    public var creditorExcessAtYearEnd = CreditorExcessAtYearEnd.kept

    public init(tiers: [Tier], persistentImbalancePercentOfQuota: Int = 50, persistentImbalanceCycles: Int = 0) {
        self.tiers = tiers
        self.persistentImbalancePercentOfQuota = persistentImbalancePercentOfQuota
        self.persistentImbalanceCycles = persistentImbalanceCycles
    }

    /// Whether the quota stops a member's payments: in `hard` mode always; in `settle` mode
    /// only while the member is late with an excess settlement (`isInDefault`).
    func enforcesQuota(isInDefault: Bool) -> Bool { quotaMode == .hard || isInDefault }

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
            && Tranche.isValidSchedule(debtorTranches) && Tranche.isValidSchedule(creditorTranches)
            && excessSettlementAsset.utf8.count <= 35
            // Settling beyond quota needs something to settle in.
            && (quotaMode == .hard || !excessSettlementAsset.isEmpty)
            && (debtorTranches.isEmpty && creditorTranches.isEmpty || !excessSettlementAsset.isEmpty)
    }

    static let millisecondsPerYear: Int128 = 365 * 86_400 * 1_000

    /// The charge for one cycle, in unit minor units, half-even:
    /// Σ over tiers of max(0, |average| − threshold% × quota) × rate_bp / 10,000 × cycle_ms / year_ms.
    /// Computed as one exact fraction, rounded once.
    public func charge(averagePositionMinor: Int64, quotaMinor: Int64, cycleMilliseconds: Int64) -> Int64 {
        guard chargedSides.includes(averagePositionMinor: averagePositionMinor) else { return 0 }
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

/// What a member was charged for a cycle, and what it received of others' charges when the
/// rules redistribute them.
public struct MemberCharge: Hashable, Sendable {
    public var member: CountryCode
    /// Time-weighted average union position over the cycle (unit minor units, half-even).
    public var averagePositionMinor: Int64
    public var chargeMinor: Int64
    /// Its share of the charges paid by the other side (`ChargeDisposition.redistribute`).
    public var receivedMinor: Int64 = 0
}

extension MemberCharge: Codable {
    enum CodingKeys: String, CodingKey { case member, averagePositionMinor, chargeMinor, receivedMinor }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        member = try container.decode(CountryCode.self, forKey: .member)
        averagePositionMinor = try container.decode(Int64.self, forKey: .averagePositionMinor)
        chargeMinor = try container.decode(Int64.self, forKey: .chargeMinor)
        receivedMinor = try container.decodeIfPresent(Int64.self, forKey: .receivedMinor) ?? 0
    }

    /// A key added later is written only when it says something, so that what was written
    /// before it existed encodes to the same bytes (the golden files).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(member, forKey: .member)
        try container.encode(averagePositionMinor, forKey: .averagePositionMinor)
        try container.encode(chargeMinor, forKey: .chargeMinor)
        if receivedMinor != 0 { try container.encode(receivedMinor, forKey: .receivedMinor) }
    }
}
