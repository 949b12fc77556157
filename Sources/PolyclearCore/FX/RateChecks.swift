/// What a new fixing (or unit definition) is checked against before it replaces the one in
/// force: a mistyped rate must not stop clearing in a currency, and a date centuries ahead
/// must not block every later fixing. The checks travel in the command (set by the API from
/// its configuration), so a replay of the log applies exactly the checks a command was
/// submitted under, whatever the configuration is at restart. Commands without them (older
/// logs, Core's own tests) are not checked.
public struct RateChecks: Hashable, Sendable, Codable {
    /// How far after the hub's clock a fixing may take effect.
    public var horizonSeconds: UInt64
    /// How far a rate (or a basket amount) may move from the one in force, as a factor either
    /// way (2: at most double, at least half), unless the move is confirmed.
    public var moveFactorMax: UInt32
    /// The operator confirms a larger move (recorded in the log, and so in the audit trail).
    public var largeMoveConfirmed: Bool

    public static let horizonSecondsDefault: UInt64 = 7 * 86_400
    public static let moveFactorMaxDefault: UInt32 = 2

    public init(
        horizonSeconds: UInt64 = horizonSecondsDefault, moveFactorMax: UInt32 = moveFactorMaxDefault,
        largeMoveConfirmed: Bool = false
    ) {
        self.horizonSeconds = horizonSeconds
        self.moveFactorMax = moveFactorMax
        self.largeMoveConfirmed = largeMoveConfirmed
    }

    /// Any rate per unit (or basket amount) outside [10^-6, 10^12] is a typo, not a market:
    /// the smallest currency per SDR-like unit is near 0.4, the largest near 10^5.
    public static let rateMin = DecimalNumber(significand: 1, exponent: -6)
    public static let rateMax = DecimalNumber(significand: 1, exponent: 12)

    public static func isPlausible(_ rate: DecimalNumber) -> Bool {
        !rate.isZero && !DecimalNumber.isLess(rate, than: rateMin) && !DecimalNumber.isLess(rateMax, than: rate)
    }

    /// Whether `new` is within the factor of `old` (both positive).
    public func isSmallMove(from old: DecimalNumber, to new: DecimalNumber) -> Bool {
        !DecimalNumber.isLess(old.scaled(by: UInt64(moveFactorMax)), than: new)
            && !DecimalNumber.isLess(new.scaled(by: UInt64(moveFactorMax)), than: old)
    }
}

extension DecimalNumber {
    /// `self × factor`, exact (the significand may lose trailing zeros to the exponent).
    func scaled(by factor: UInt64) -> DecimalNumber {
        let (product, overflow) = significand.multipliedReportingOverflow(by: factor)
        if !overflow { return DecimalNumber(significand: product, exponent: exponent) }
        // Too many digits: drop the last ones, rounding up, which only widens the band.
        var wide = UInt128(significand) * UInt128(factor), shift = 0
        while wide > UInt128(UInt64.max) { wide = (wide + 9) / 10; shift += 1 }
        return DecimalNumber(significand: UInt64(wide), exponent: exponent + shift)
    }

    /// Exact `a < b` for non-negative decimals of any exponents.
    public static func isLess(_ a: DecimalNumber, than b: DecimalNumber) -> Bool {
        if a.isZero || b.isZero { return a.isZero && !b.isZero }
        // Compare orders of magnitude first; equal ones compare as aligned integers.
        let magnitudeA = a.significantDigitCount + a.exponent, magnitudeB = b.significantDigitCount + b.exponent
        if magnitudeA != magnitudeB { return magnitudeA < magnitudeB }
        // Same magnitude: both significands have at most 20 digits once aligned to the larger exponent's scale.
        let common = min(a.exponent, b.exponent)
        guard let scaleA = DecimalMath.powerOfTen(a.exponent - common),
            let scaleB = DecimalMath.powerOfTen(b.exponent - common),
            let alignedA = DecimalMath.multiply(UInt128(a.significand), scaleA),
            let alignedB = DecimalMath.multiply(UInt128(b.significand), scaleB)
        else { return false }  // unreachable for equal magnitudes (≤ 20 digits each)
        return alignedA < alignedB
    }
}
