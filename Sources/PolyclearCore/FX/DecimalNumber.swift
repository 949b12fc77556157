/// A non-negative decimal number held exactly: `significand × 10^exponent`.
///
/// Rates and basket amounts are decimals (the ECB publishes `1.1172`, `20275.17`), and binary
/// floating point cannot hold them exactly, so they live here. The form is canonical (no
/// trailing zeros in the significand, zero has exponent 0), so `==` compares values.
public struct DecimalNumber: Hashable, Sendable, CustomStringConvertible {
    public let significand: UInt64
    public let exponent: Int

    public static let zero = DecimalNumber(significand: 0, exponent: 0)
    public static let one = DecimalNumber(significand: 1, exponent: 0)

    public init(significand: UInt64, exponent: Int) {
        var significand = significand, exponent = exponent
        if significand == 0 { exponent = 0 }
        while significand != 0 && significand % 10 == 0 {
            significand /= 10
            exponent += 1
        }
        self.significand = significand
        self.exponent = exponent
    }

    /// Parses a plain non-negative decimal ("1.1172", "136", "0.83380"). No sign, no
    /// exponent, at most 19 significant digits; anything else is nil.
    public init?(_ text: some StringProtocol) {
        var significand: UInt64 = 0
        var fractionDigitCount = 0
        var digitCount = 0
        var seenPoint = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, digitCount > 0 else { return nil }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflowA) = significand.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            significand = sum
            digitCount += 1
            if seenPoint { fractionDigitCount += 1 }
        }
        guard digitCount > 0, !(seenPoint && fractionDigitCount == 0) else { return nil }
        self.init(significand: significand, exponent: -fractionDigitCount)
    }

    public var isZero: Bool { significand == 0 }

    /// The number of significant decimal digits of the significand.
    public var significantDigitCount: Int { DecimalMath.digitCount(UInt128(significand)) }

    public var description: String {
        if exponent >= 0 { return String(significand) + String(repeating: "0", count: exponent) }
        return Money.format(minorUnits: significand, exponent: -exponent)
    }
}

/// Exact integer helpers for decimal arithmetic on `UInt128`, with overflow reported.
public enum DecimalMath {
    static func digitCount(_ value: UInt128) -> Int {
        var count = 1, rest = value
        while rest >= 10 { rest /= 10; count += 1 }
        return count
    }

    /// 10^n, or nil if it does not fit.
    static func powerOfTen(_ n: Int) -> UInt128? {
        guard n >= 0, n <= 38 else { return nil }
        var result: UInt128 = 1
        for _ in 0..<n { result *= 10 }
        return result
    }

    static func multiply(_ a: UInt128, _ b: UInt128) -> UInt128? {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : product
    }

    /// `numerator / denominator` rounded half to even (banker's rounding).
    static func divideHalfEven(_ numerator: UInt128, _ denominator: UInt128) -> UInt128 {
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        let rest = denominator - remainder  // compare remainder with half without overflowing
        if remainder > rest || (remainder == rest && quotient % 2 == 1) { return quotient + 1 }
        return quotient
    }
}

extension DecimalNumber: TextCodable {
    public init?(text: String) { self.init(text) }
}
