/// The union's unit of account, defined like the IMF's SDR: a fixed amount of each member
/// currency per unit (for example 0.38671 EUR + 1.0174 CNY + ...). Configurable; the amounts
/// change only by a decision of the union, never with market rates.
public struct UnitBasket: Hashable, Sendable {
    public let unit: Currency
    /// Currency amounts per one unit, by currency.
    public let amounts: [CurrencyCode: DecimalNumber]

    public init(unit: Currency, amounts: [CurrencyCode: DecimalNumber]) throws(FixingError) {
        guard !amounts.isEmpty else { throw .emptyBasket }
        for (code, amount) in amounts where amount.isZero { throw .nonPositiveBasketAmount(code) }
        self.unit = unit
        self.amounts = amounts
    }
}

/// A published, immutable set of rates: units of each member currency per one unit of
/// account, in force from `effectiveFrom` (nanoseconds since the epoch) until the next one.
public struct Fixing: Hashable, Sendable, Codable {
    public let version: UInt32
    public let effectiveFrom: UInt64
    /// The market date of the source rates it was computed from.
    public let sourceDate: CivilDate
    /// Currency units per one unit of account, six significant digits.
    public let ratesPerUnit: [CurrencyCode: DecimalNumber]
    /// What the hub checks it against (nil: not checked — older logs, direct use of Core).
    public var checks: RateChecks?

    public init(
        version: UInt32, effectiveFrom: UInt64, sourceDate: CivilDate, ratesPerUnit: [CurrencyCode: DecimalNumber],
        checks: RateChecks? = nil
    ) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.sourceDate = sourceDate
        self.ratesPerUnit = ratesPerUnit
        self.checks = checks
    }

    enum CodingKeys: String, CodingKey { case version, effectiveFrom, sourceDate, ratesPerUnit, checks }

    /// The synthesized form, with the rates in currency order (`CurrencyAmounts`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(effectiveFrom, forKey: .effectiveFrom)
        try container.encode(sourceDate, forKey: .sourceDate)
        try container.encode(CurrencyAmounts(ratesPerUnit), forKey: .ratesPerUnit)
        try container.encodeIfPresent(checks, forKey: .checks)
    }
}

/// Why a fixing could not be computed; the previous fixing stays in force. Stable: append only.
public enum FixingError: Error, Hashable, Sendable {
    case emptyBasket
    case nonPositiveBasketAmount(CurrencyCode)
    /// A currency of the basket (or a member currency) has no rate in the source or overrides.
    case missingCurrency(CurrencyCode)
    case nonPositiveRate(CurrencyCode)
    case invalidRate(CurrencyCode, String)
    /// The source is older than allowed, or dated after the fixing's effective date.
    case staleSource(sourceDate: CivilDate, effectiveDate: CivilDate)
    case sourceFromTheFuture(sourceDate: CivilDate, effectiveDate: CivilDate)
    /// A rate or amount is too large or too precise for exact arithmetic in 128 bits.
    case outOfRange(CurrencyCode)
    /// The exact value lies within rounding error of a rounding boundary (never seen in
    /// real data; refusing is safer than guessing).
    case ambiguousRounding
    case versionNotIncreasing
}
