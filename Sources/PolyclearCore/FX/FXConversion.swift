/// Exact conversion between a currency and the unit of account at a fixing's rate.
///
/// With a rate `R` = currency units per unit (a decimal), exponents `e_c` (currency) and `e_u`
/// (unit):
/// - currency -> unit: `u = round(a × 10^(e_u - e_c) / R)`;
/// - unit -> currency: `a = round(u × R × 10^(e_c - e_u))`;
/// both rounded **half to even** to the target's minor unit, in 128-bit integers, with
/// overflow reported. Which side is rounded, and where the residue goes, is the hub's rule
/// (see `HubStateMachine+Payments`).
public enum FXConversion {
    public static func unitMinor(
        fromCurrencyMinor amount: Int64, currencyExponent: Int, rate: DecimalNumber, unitExponent: Int
    ) throws(ConversionError) -> Int64 {
        guard amount >= 0, !rate.isZero else { throw .invalidInput }
        let shift = unitExponent - currencyExponent - rate.exponent
        return try scaledDivide(UInt128(amount), multiplierShift: shift, divisor: UInt128(rate.significand))
    }

    public static func currencyMinor(
        fromUnitMinor amount: Int64, currencyExponent: Int, rate: DecimalNumber, unitExponent: Int
    ) throws(ConversionError) -> Int64 {
        guard amount >= 0, !rate.isZero else { throw .invalidInput }
        guard let product = DecimalMath.multiply(UInt128(amount), UInt128(rate.significand)) else { throw .overflow }
        let shift = rate.exponent + currencyExponent - unitExponent
        return try scaledDivide(product, multiplierShift: shift, divisor: 1)
    }

    /// round(value × 10^shift / divisor), half to even.
    private static func scaledDivide(
        _ value: UInt128, multiplierShift shift: Int, divisor: UInt128
    ) throws(ConversionError) -> Int64 {
        var numerator = value, denominator = divisor
        if shift >= 0 {
            guard let power = DecimalMath.powerOfTen(shift), let scaled = DecimalMath.multiply(numerator, power) else {
                throw .overflow
            }
            numerator = scaled
        } else {
            guard let power = DecimalMath.powerOfTen(-shift), let scaled = DecimalMath.multiply(denominator, power)
            else { throw .overflow }
            denominator = scaled
        }
        let result = DecimalMath.divideHalfEven(numerator, denominator)
        guard result <= UInt128(Int64.max) else { throw .overflow }
        return Int64(result)
    }
}

public enum ConversionError: Error, Hashable, Sendable {
    case invalidInput, overflow
}
