/// Computes a fixing from market rates the way the IMF computes SDR rates.
///
/// The IMF method, with the source's base currency (EUR for the ECB) as the numeraire in place
/// of the US dollar:
/// 1. value of one unit in the numeraire: `V = Σ amount_i / rate_i`, where `rate_i` is units of
///    currency i per numeraire unit (the numeraire's own rate is 1); the sum is exact, then
///    rounded **half-even to six significant digits**;
/// 2. each currency per unit: `R_j = V × rate_j`, exact, rounded half-even to six
///    significant digits.
/// Every step is integer arithmetic: terms are carried at 10^-20 of the numeraire with a
/// record of whether any division was inexact, so the rounding decision is exact, and a value
/// within carried error of a rounding boundary is refused (`ambiguousRounding`) rather than guessed.
public struct FixingCalculator: Sendable {
    public static let significantDigits = 6
    /// Scale of intermediate terms: 10^-20 numeraire units.
    static let termScale = 20

    public let basket: UnitBasket
    /// The numeraire: the source's base currency (EUR for ECB rates).
    public let numeraire: CurrencyCode
    /// The oldest a source may be, in days before the effective date (weekends and holidays).
    public let sourceAgeDaysMax: Int

    public init(basket: UnitBasket, numeraire: CurrencyCode = CurrencyCode("EUR")!, sourceAgeDaysMax: Int = 5) {
        self.basket = basket
        self.numeraire = numeraire
        self.sourceAgeDaysMax = sourceAgeDaysMax
    }

    /// - Parameters:
    ///   - source: units of each currency per numeraire unit (an ECB day's values).
    ///   - overrides: rates for currencies the source lacks (or corrects), same convention;
    ///     they win over the source.
    ///   - currencies: every currency the fixing must quote (the members'); basket currencies
    ///     are always included.
    public func fixing(
        version: UInt32, effectiveFrom: UInt64, effectiveDate: CivilDate, sourceDate: CivilDate,
        source: [CurrencyCode: ECBReferenceRates.Value], overrides: [CurrencyCode: DecimalNumber] = [:],
        currencies: Set<CurrencyCode> = []
    ) throws(FixingError) -> Fixing {
        if sourceDate > effectiveDate {
            throw .sourceFromTheFuture(sourceDate: sourceDate, effectiveDate: effectiveDate)
        }
        if effectiveDate.daysSinceEpoch - sourceDate.daysSinceEpoch > sourceAgeDaysMax {
            throw .staleSource(sourceDate: sourceDate, effectiveDate: effectiveDate)
        }
        let wanted = currencies.union(basket.amounts.keys).union([numeraire])
        var marketRates: [CurrencyCode: DecimalNumber] = [:]
        for code in wanted.sorted() { marketRates[code] = try rate(of: code, source: source, overrides: overrides) }

        let unitValue = try valueOfUnit(marketRates)
        var ratesPerUnit: [CurrencyCode: DecimalNumber] = [:]
        for (code, marketRate) in marketRates {
            // V × rate_j: both exact decimals, the product fits in 128 bits.
            guard let product = DecimalMath.multiply(UInt128(unitValue.significand), UInt128(marketRate.significand))
            else {
                throw .outOfRange(code)
            }
            ratesPerUnit[code] = try Self.roundToSignificantDigits(
                product, scaleExponent: unitValue.exponent + marketRate.exponent, inexact: false, termCount: 1)
        }
        return Fixing(
            version: version, effectiveFrom: effectiveFrom, sourceDate: sourceDate, ratesPerUnit: ratesPerUnit)
    }

    private func rate(
        of code: CurrencyCode, source: [CurrencyCode: ECBReferenceRates.Value], overrides: [CurrencyCode: DecimalNumber]
    ) throws(FixingError) -> DecimalNumber {
        if code == numeraire { return .one }
        if let override = overrides[code] {
            guard !override.isZero else { throw .nonPositiveRate(code) }
            return override
        }
        switch source[code] {
        case .rate(let rate): guard !rate.isZero else { throw .nonPositiveRate(code) }; return rate
        case .invalid(let text): throw .invalidRate(code, text)
        case .notAvailable, nil: throw .missingCurrency(code)
        }
    }

    /// V = Σ amount_i / rate_i in the numeraire, rounded to six significant digits.
    private func valueOfUnit(_ marketRates: [CurrencyCode: DecimalNumber]) throws(FixingError) -> DecimalNumber {
        var total: UInt128 = 0
        var inexact = false
        for (code, amount) in basket.amounts.sorted(by: { $0.key < $1.key }) {
            let rate = marketRates[code]!
            // amount/rate = (A·10^a)/(R·10^r); at scale 10^-S: A·10^(a - r + S) / R.
            let shift = amount.exponent - rate.exponent + Self.termScale
            var numerator = UInt128(amount.significand)
            var denominator = UInt128(rate.significand)
            if shift >= 0 {
                guard let power = DecimalMath.powerOfTen(shift), let scaled = DecimalMath.multiply(numerator, power)
                else {
                    throw .outOfRange(code)
                }
                numerator = scaled
            } else {
                guard let power = DecimalMath.powerOfTen(-shift), let scaled = DecimalMath.multiply(denominator, power)
                else {
                    throw .outOfRange(code)
                }
                denominator = scaled
            }
            if numerator % denominator != 0 { inexact = true }
            let (sum, overflow) = total.addingReportingOverflow(numerator / denominator)
            guard !overflow else { throw .outOfRange(code) }
            total = sum
        }
        return try Self.roundToSignificantDigits(
            total, scaleExponent: -Self.termScale, inexact: inexact, termCount: basket.amounts.count)
    }

    /// Rounds `value × 10^scaleExponent` half-even to six significant digits. When `inexact`,
    /// the true value lies strictly between `value` and `value + termCount` (each truncated
    /// term lost less than one unit), and the decision must hold for the whole interval.
    static func roundToSignificantDigits(
        _ value: UInt128, scaleExponent: Int, inexact: Bool, termCount: Int
    ) throws(FixingError) -> DecimalNumber {
        let digits = DecimalMath.digitCount(value)
        guard digits > significantDigits else {
            if inexact { throw .ambiguousRounding }  // too little precision carried to decide
            return DecimalNumber(significand: UInt64(value), exponent: scaleExponent)
        }
        let dropped = digits - significantDigits
        let divisor = DecimalMath.powerOfTen(dropped)!
        var quotient = value / divisor
        let remainder = value % divisor
        let half = divisor / 2
        if !inexact {
            if remainder > half || (remainder == half && quotient % 2 == 1) { quotient += 1 }
        } else if remainder >= half {
            quotient += 1  // the true remainder is strictly above half
        } else if remainder + UInt128(termCount) > half {
            throw .ambiguousRounding
        }
        return DecimalNumber(significand: UInt64(quotient), exponent: scaleExponent + dropped)
    }
}
