/// Whether a member's quota stops its payments or its position beyond the quota settles.
public enum QuotaMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// A payment that would take its member beyond quota waits in the queue (the first rules).
    case hard
    /// The payment is accepted (banks' caps still apply); at each close the position beyond
    /// what the tranches leave as union credit is settled in the settlement asset. A union
    /// must never block its members' trade (the European Payments Union settled in gold or
    /// dollars beyond credit instead of stopping payments).
    case settle
}

/// One band of a tranche schedule, like the EPU's: the part of a position between the
/// previous band's end (or zero) and `upToPercentOfQuota` of the quota settles
/// `settledPercent` in the settlement asset; the rest is union credit.
public struct Tranche: Hashable, Sendable, Codable {
    public var upToPercentOfQuota: Int
    public var settledPercent: Int

    public init(upToPercentOfQuota: Int, settledPercent: Int) {
        self.upToPercentOfQuota = upToPercentOfQuota
        self.settledPercent = settledPercent
    }

    /// Bands end in ascending order within the quota (1...100 %); shares are 0...100 %.
    static func isValidSchedule(_ tranches: [Tranche]) -> Bool {
        tranches.count <= 20
            && zip(tranches, tranches.dropFirst()).allSatisfy { $0.upToPercentOfQuota < $1.upToPercentOfQuota }
            && tranches.allSatisfy {
                (1...100).contains($0.upToPercentOfQuota) && (0...100).contains($0.settledPercent)
            }
    }
}

/// An excess settlement a member did not pay by the deadline (one per member and cycle).
struct OverdueExcess: Hashable, Sendable, Codable, Comparable {
    var cycle: UInt32
    var member: MemberIndex

    static func < (lhs: Self, rhs: Self) -> Bool { (lhs.cycle, lhs.member.raw) < (rhs.cycle, rhs.member.raw) }
}

/// Which side of the union pays the imbalance charges.
public enum ChargedSides: String, Hashable, Sendable, Codable, CaseIterable {
    case both, debtors, creditors

    func includes(averagePositionMinor: Int64) -> Bool {
        switch self {
        case .both: true
        case .debtors: averagePositionMinor < 0
        case .creditors: averagePositionMinor > 0
        }
    }
}

/// What the union's year end does to a creditor's position beyond its quota.
public enum CreditorExcessAtYearEnd: String, Hashable, Sendable, Codable, CaseIterable {
    /// Nothing: it stays (or settles by the tranches).
    case kept
    /// Moved to the union reserve (Keynes' International Clearing Union: a creditor balance
    /// beyond quota at the end of a year passes to the union's reserve fund).
    case toReserve = "to_reserve"
}

/// What becomes of the imbalance charges collected at a close.
public enum ChargeDisposition: String, Hashable, Sendable, Codable, CaseIterable {
    /// Kept in the union reserve.
    case reserve
    /// Paid out to the members on the other side in proportion to their average positions
    /// (debtors' charges to creditors, creditors' to debtors), as the Asian Clearing Union pays
    /// creditors the interest debtors pay. With nobody on the other side it stays in reserve.
    case redistribute
}

/// How much of a member's gross position is settled in the settlement asset, as a function of
/// the position alone (never of its path), so rounding cannot accumulate: each close settles
/// the difference between this and what was already asked for.
enum SettlementSchedule {
    /// In unit minor units, for a gross position of `magnitudeMinor` on one side: Σ over bands
    /// of share × the position's part in the band, plus `beyondQuotaPercent` of the part beyond
    /// the quota, as one exact fraction rounded once, half-even. Never less than the part
    /// beyond the quota when that is settled in full, so the credit left never exceeds the quota.
    static func settledMinor(
        magnitudeMinor: Int64, quotaMinor: Int64, tranches: [Tranche], beyondQuotaPercent: Int
    ) -> Int64 {
        // Positions and band ends × 100, so that a band end (a percentage of the quota) is exact.
        let position = Int128(magnitudeMinor) * 100
        let quota = Int128(max(quotaMinor, 0))
        var start: Int128 = 0
        var numerator: Int128 = 0  // Σ share% × part × 100
        for tranche in tranches {
            let end = Int128(tranche.upToPercentOfQuota) * quota
            let part = min(position, end) - start
            if part > 0 { numerator += Int128(tranche.settledPercent) * part }
            start = max(start, end)
        }
        let beyond = position - 100 * quota
        if beyond > 0 { numerator += Int128(beyondQuotaPercent) * beyond }
        guard numerator > 0 else { return 0 }
        return Int64(DecimalMath.divideHalfEven(UInt128(numerator), 10_000))
    }

    /// What a member should have paid into the union in the asset in all (negative: been paid
    /// out), for gross position `grossMinor` (positive: creditor).
    static func targetPaidInMinor(grossMinor: Int64, quotaMinor: Int64, rules: ImbalanceRules) -> Int64 {
        if grossMinor < 0 {
            guard !rules.excessSettlementAsset.isEmpty else { return 0 }
            return settledMinor(
                magnitudeMinor: Int64(grossMinor.magnitude), quotaMinor: quotaMinor, tranches: rules.debtorTranches,
                beyondQuotaPercent: 100)
        }
        guard !rules.excessSettlementAsset.isEmpty, grossMinor > 0 else { return 0 }
        return -settledMinor(
            magnitudeMinor: grossMinor, quotaMinor: quotaMinor, tranches: rules.creditorTranches,
            beyondQuotaPercent: rules.quotaMode == .settle ? 100 : 0)
    }

    /// Splits `totalMinor` over `weights` in proportion, exactly: largest remainders, ties to
    /// the lower index. Zero weights get nothing; all zero: everything stays unallocated (nil).
    static func proportionalShares(of totalMinor: Int64, weights: [UInt64]) -> [Int64]? {
        let sum = weights.reduce(UInt128(0)) { $0 + UInt128($1) }
        guard sum > 0, totalMinor > 0 else { return nil }
        var shares = weights.map { Int64((UInt128(totalMinor) * UInt128($0)) / sum) }
        var left = totalMinor - shares.reduce(0, +)
        let byRemainder = weights.indices.sorted {
            let a = (UInt128(totalMinor) * UInt128(weights[$0])) % sum
            let b = (UInt128(totalMinor) * UInt128(weights[$1])) % sum
            return a != b ? a > b : $0 < $1
        }
        for index in byRemainder where left > 0 && weights[index] > 0 {
            shares[index] += 1
            left -= 1
        }
        return shares
    }
}

extension ImbalanceRules: Codable {
    enum CodingKeys: String, CodingKey {
        case tiers, persistentImbalancePercentOfQuota, persistentImbalanceCycles, excessSettlementAsset
        case quotaMode, debtorTranches, creditorTranches, chargeDisposition, chargedSides, creditorExcessAtYearEnd
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tiers = try container.decode([Tier].self, forKey: .tiers)
        persistentImbalancePercentOfQuota = try container.decode(Int.self, forKey: .persistentImbalancePercentOfQuota)
        persistentImbalanceCycles = try container.decode(Int.self, forKey: .persistentImbalanceCycles)
        excessSettlementAsset = try container.decode(String.self, forKey: .excessSettlementAsset)
        // Rules logged before these keys existed are the hard-quota rules they were.
        quotaMode = try container.decodeIfPresent(QuotaMode.self, forKey: .quotaMode) ?? .hard
        debtorTranches = try container.decodeIfPresent([Tranche].self, forKey: .debtorTranches) ?? []
        creditorTranches = try container.decodeIfPresent([Tranche].self, forKey: .creditorTranches) ?? []
        chargeDisposition =
            try container.decodeIfPresent(ChargeDisposition.self, forKey: .chargeDisposition) ?? .reserve
        chargedSides = try container.decodeIfPresent(ChargedSides.self, forKey: .chargedSides) ?? .both
        creditorExcessAtYearEnd =
            try container.decodeIfPresent(CreditorExcessAtYearEnd.self, forKey: .creditorExcessAtYearEnd) ?? .kept
    }

    /// The later keys are written only when they differ from the old behaviour, so rules logged
    /// before they existed encode to the same bytes (the golden files).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tiers, forKey: .tiers)
        try container.encode(persistentImbalancePercentOfQuota, forKey: .persistentImbalancePercentOfQuota)
        try container.encode(persistentImbalanceCycles, forKey: .persistentImbalanceCycles)
        try container.encode(excessSettlementAsset, forKey: .excessSettlementAsset)
        if quotaMode != .hard { try container.encode(quotaMode, forKey: .quotaMode) }
        if !debtorTranches.isEmpty { try container.encode(debtorTranches, forKey: .debtorTranches) }
        if !creditorTranches.isEmpty { try container.encode(creditorTranches, forKey: .creditorTranches) }
        if chargeDisposition != .reserve { try container.encode(chargeDisposition, forKey: .chargeDisposition) }
        if chargedSides != .both { try container.encode(chargedSides, forKey: .chargedSides) }
        if creditorExcessAtYearEnd != .kept {
            try container.encode(creditorExcessAtYearEnd, forKey: .creditorExcessAtYearEnd)
        }
    }
}
