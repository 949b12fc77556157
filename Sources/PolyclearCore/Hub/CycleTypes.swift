/// Where a clearing cycle stands. Raw values are stored: append only.
public enum CycleState: UInt8, Hashable, Sendable, Codable, CaseIterable {
    case open = 0
    /// Netted; settlement instructions issued, waiting for the members to confirm.
    case settling = 1
    /// Every instruction confirmed: final.
    case settled = 2
    /// A member missed the settlement deadline: the operator must act. Instructions stay
    /// open (nothing is dropped); confirming them all still settles the cycle.
    case failed = 3
}

/// What closes cycles besides the operator. Any trigger that fires closes the open cycle at
/// the first command or tick at or after it.
public struct CycleTriggers: Hashable, Sendable, Codable {
    /// Close every N seconds after the cycle opened (nil: off; zero or negative is refused).
    public var intervalSeconds: Int64? = nil
    /// Close daily at this second of the local day (nil: off)…
    public var dailySecondOfDay: Int? = nil
    /// …in a time zone this many seconds east of UTC (a fixed offset).
    public var utcOffsetSeconds: Int = 0
    /// Close when the open cycle's cross-member value reaches this many unit minor units.
    public var grossUnitMinorMax: Int64? = nil
    /// Close when one member's union position change in the cycle reaches this (either sign).
    public var memberExposureUnitMinorMax: Int64? = nil
    /// Seconds after close by which every member must confirm (0: no deadline). A miss marks
    /// the cycle failed and raises an event; no instruction is dropped.
    public var settlementDeadlineSeconds: Int64 = 0

    public init() {}

    var isValid: Bool {
        (intervalSeconds.map { (1...31 * 86_400).contains($0) } ?? true)
            && (dailySecondOfDay.map { (0..<86_400).contains($0) } ?? true)
            && (-14 * 3_600...14 * 3_600).contains(utcOffsetSeconds) && (grossUnitMinorMax.map { $0 > 0 } ?? true)
            && (memberExposureUnitMinorMax.map { $0 > 0 } ?? true)
            && (0...31 * 86_400).contains(settlementDeadlineSeconds)
    }

    /// The next scheduled close after `openedAt` (nanoseconds), if any.
    func dueTime(openedAt: UInt64) -> UInt64? {
        var due: UInt64? = intervalSeconds.map { openedAt + UInt64($0) * 1_000_000_000 }
        if let second = dailySecondOfDay {
            let openedSeconds = Int64(openedAt / 1_000_000_000)
            let localDay = (openedSeconds + Int64(utcOffsetSeconds)).quotientRoundingDown(by: 86_400)
            var candidate = localDay * 86_400 + Int64(second) - Int64(utcOffsetSeconds)
            if candidate * 1_000_000_000 <= Int64(openedAt) { candidate += 86_400 }
            let daily = UInt64(candidate) * 1_000_000_000
            due = min(due ?? daily, daily)
        }
        return due
    }
}

extension Int64 {
    func quotientRoundingDown(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}

/// One participant's result for a cycle, in its currency's minor units.
public struct ParticipantNet: Hashable, Sendable, Codable {
    public var bic: BIC
    public var currency: CurrencyCode
    public var grossSentMinor: Int64
    public var grossReceivedMinor: Int64
    /// Received − sent: positive, the participant is paid out; negative, it pays in.
    public var netMinor: Int64
    /// Posted credits − posted debits of its position at close (statements start from it).
    public var closingPostedMinor: Int64 = 0
}

/// One member's result for a cycle.
public struct MemberNet: Hashable, Sendable, Codable {
    public var id: CountryCode
    public var currency: CurrencyCode
    /// Σ of its participants' nets, in its currency (the counterpart sits in its hub account).
    public var participantsNetMinor: Int64
    public var unitSentMinor: Int64
    public var unitReceivedMinor: Int64
    /// Change of its union position this cycle, in unit minor units.
    public var unitNetMinor: Int64
    /// Its union position right after the close (charges included; pending debits count).
    public var closingUnionPositionMinor: Int64 = 0
    /// Posted credits − posted debits of its union account after the close (statements).
    public var closingUnionPostedMinor: Int64 = 0
}

/// Gross value against liquidity needed, for one currency or (in the unit) overall.
/// Efficiency = 1 − needed / gross, given in parts per million, rounded half-even.
public struct NettingEfficiency: Hashable, Sendable, Codable {
    public var currency: CurrencyCode
    public var grossValueMinor: Int64
    public var liquidityNeededMinor: Int64
    public var efficiencyPartsPerMillion: Int64

    init(currency: CurrencyCode, gross: Int128, needed: Int128) {
        self.currency = currency
        grossValueMinor = Int64(clamping: gross)
        liquidityNeededMinor = Int64(clamping: needed)
        efficiencyPartsPerMillion =
            gross == 0
            ? 0
            : 1_000_000 - Int64(DecimalMath.divideHalfEven(UInt128(needed) * 1_000_000, UInt128(gross)))
    }
}

/// What a member's central bank must execute in its RTGS to settle a participant's net.
public struct SettlementInstruction: Hashable, Sendable, Codable {
    public enum Direction: UInt8, Hashable, Sendable, Codable { case payIn = 0, payOut = 1 }

    public var cycle: UInt32
    /// Its position in the cycle's instruction list: its id within the cycle.
    public var index: Int
    public var member: CountryCode
    public var participant: BIC
    public var currency: CurrencyCode
    public var direction: Direction
    public var amountMinor: Int64
    public var isConfirmed: Bool
}

/// A closed cycle: netting results, computed at close from the cycle's bookings, and its
/// settlement.
public struct CycleReport: Hashable, Sendable, Codable {
    public var number: UInt32
    public var openedAt: UInt64
    public var closedAt: UInt64
    /// The cycle's window in ledger time: transfers with timestamps in
    /// `firstLedgerTimestamp...lastLedgerTimestamp` were booked during it.
    public var firstLedgerTimestamp: UInt64 = 0
    public var lastLedgerTimestamp: UInt64 = 0
    public var state: CycleState
    public var paymentCount: Int
    public var participants: [ParticipantNet]
    public var members: [MemberNet]
    /// Unit minor units paid from the row member to the column member (member order as registered).
    public var bilateralUnitMinor: [[Int64]]
    public var efficiencyByCurrency: [NettingEfficiency]
    /// Over all currencies, valued in the unit at the fixing in force at close.
    public var overallEfficiency: NettingEfficiency?
    public var instructions: [SettlementInstruction]
    /// Imbalance charges booked at close (members with a charge only).
    public var charges: [MemberCharge] = []
    /// Positions settled in the settlement asset (beyond quota, or by the tranches), tracked
    /// to confirmation.
    public var excessSettlements: [ExcessSettlement] = []
}

/// What a close settles of a member's position in the union's agreed settlement asset (gold,
/// a reserve currency, ...): the debt beyond what the rules leave as union credit (the member
/// pays in), or a creditor's share paid out; booked when the union confirms it.
public struct ExcessSettlement: Hashable, Sendable {
    public enum Direction: String, Hashable, Sendable, Codable {
        /// The member pays the union: its union debt falls by the amount.
        case memberPays = "member_pays"
        /// The union pays the member: its union claim falls by the amount.
        case unionPays = "union_pays"
    }

    public var member: CountryCode
    /// In unit minor units: the change in what the member has settled in the asset in all.
    public var amountUnitMinor: Int64
    public var settlementAsset: String
    public var isConfirmed: Bool
    public var direction = Direction.memberPays
}

extension ExcessSettlement: Codable {
    enum CodingKeys: String, CodingKey { case member, amountUnitMinor, settlementAsset, isConfirmed, direction }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        member = try container.decode(CountryCode.self, forKey: .member)
        amountUnitMinor = try container.decode(Int64.self, forKey: .amountUnitMinor)
        settlementAsset = try container.decode(String.self, forKey: .settlementAsset)
        isConfirmed = try container.decode(Bool.self, forKey: .isConfirmed)
        direction = try container.decodeIfPresent(Direction.self, forKey: .direction) ?? .memberPays
    }

    /// `direction` came later: written only when the union pays, so older reports encode to
    /// the same bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(member, forKey: .member)
        try container.encode(amountUnitMinor, forKey: .amountUnitMinor)
        try container.encode(settlementAsset, forKey: .settlementAsset)
        try container.encode(isConfirmed, forKey: .isConfirmed)
        if direction != .memberPays { try container.encode(direction, forKey: .direction) }
    }
}

/// Per-cycle running totals, updated as payments are accepted, so closing is O(banks + members²).
struct CycleAccumulator: Sendable, Codable {
    var number: UInt32
    var openedAt: UInt64
    /// The ledger's last timestamp when the cycle opened: its window starts after it.
    var ledgerTimestampAtOpen: UInt64 = 0
    var paymentCount = 0
    var participantSent = ContiguousArray<Int128>()
    var participantReceived = ContiguousArray<Int128>()
    var memberUnitSent = ContiguousArray<Int128>()
    var memberUnitReceived = ContiguousArray<Int128>()
    /// Row-major, `memberCount` × `memberCount`, payer member row.
    var bilateral = ContiguousArray<Int128>()
    var memberCount = 0
    /// Σ unit amounts of the cycle's cross-member payments (for the gross trigger).
    var grossUnit: Int128 = 0
    /// Per member: ∫ union position dt (unit minor × ns) and when it was last brought up to date.
    var positionIntegral = ContiguousArray<Int128>()
    var integratedUntil = ContiguousArray<UInt64>()

    init(number: UInt32, openedAt: UInt64) {
        self.number = number
        self.openedAt = openedAt
    }

    mutating func fit(participants: Int, members: Int) {
        while participantSent.count < participants { participantSent.append(0); participantReceived.append(0) }
        if members > memberCount {
            var grown = ContiguousArray<Int128>(repeating: 0, count: members * members)
            for row in 0..<memberCount {
                for column in 0..<memberCount { grown[row * members + column] = bilateral[row * memberCount + column] }
            }
            bilateral = grown
            while memberUnitSent.count < members {
                memberUnitSent.append(0); memberUnitReceived.append(0)
                positionIntegral.append(0); integratedUntil.append(openedAt)
            }
            memberCount = members
        }
    }
}
