/// An amount of one currency, as a signed integer of minor units (cents for EUR, yen for JPY).
///
/// Why `Int64` here and `UInt128` in the ledger: one amount or one net position fits in 63 bits
/// with room to spare — 9.2e18 minor units of the rupiah (2 decimals, one of the lowest-valued
/// currencies) is 9.2e16 IDR, about 5.8 trillion USD — so values that
/// cross the API, ISO 20022 messages and SQL columns stay plain 64-bit integers. Ledger
/// *balances* are running sums of every transfer ever posted to an account, which a busy hub
/// account in a low-value currency could push past 2^63 over decades; those are `UInt128`.
public struct Money: Hashable, Sendable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Whether a parsed amount may be negative. Payments and transfers take `.positive` or
    /// `.nonNegative`; net positions and adjustments take `.any`.
    public enum SignRule: Sendable { case positive, nonNegative, any }

    /// Parses a plain decimal string ("1234.5", "-0.01", "7") exactly, with no rounding:
    /// more decimals than the currency has is an error, never a silent truncation.
    /// No exponent notation, no thousands separators, no leading "+", no spaces.
    public init(
        parsing text: some StringProtocol, currency: Currency, sign: SignRule = .nonNegative
    )
        throws(AmountParseError)
    {
        let minorUnits = try Money.parseMinorUnits(text, exponent: currency.exponent)
        switch sign {
        case .positive where minorUnits <= 0:
            throw minorUnits == 0 ? .mustBePositive : .negativeNotAllowed
        case .nonNegative where minorUnits < 0: throw .negativeNotAllowed
        default: break
        }
        self.init(minorUnits: minorUnits, currency: currency)
    }

    /// "1234.50" for EUR, "1235" for JPY, "-0.0001" for the unit: always exactly `exponent`
    /// decimals, so that formatting and parsing are inverse.
    public var decimalString: String { Money.format(minorUnits: minorUnits, exponent: currency.exponent) }

    public var description: String { "\(decimalString) \(currency.code)" }
}

extension Money {
    static func parseMinorUnits(_ text: some StringProtocol, exponent: Int) throws(AmountParseError) -> Int64 {
        var bytes = Substring(text).utf8[...]
        guard !bytes.isEmpty else { throw .empty }
        let isNegative = bytes.first == UInt8(ascii: "-")
        if isNegative { bytes = bytes.dropFirst() }
        // Accumulate the magnitude as a negative number: Int64.min has no positive twin.
        var negativeMagnitude: Int64 = 0
        var integerDigitCount = 0
        var fractionDigitCount = 0
        var seenPoint = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { throw .notANumber }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .notANumber }
            if seenPoint {
                fractionDigitCount += 1
                guard fractionDigitCount <= exponent else { throw .tooManyDecimals }
            } else {
                integerDigitCount += 1
            }
            negativeMagnitude = try appendingDigit(negativeMagnitude, byte - UInt8(ascii: "0"))
        }
        guard integerDigitCount > 0, !seenPoint || fractionDigitCount > 0 else { throw .notANumber }
        for _ in fractionDigitCount..<exponent { negativeMagnitude = try appendingDigit(negativeMagnitude, 0) }
        if isNegative { return negativeMagnitude }
        guard negativeMagnitude != .min else { throw .overflow }
        return -negativeMagnitude
    }

    private static func appendingDigit(_ negativeMagnitude: Int64, _ digit: UInt8) throws(AmountParseError) -> Int64 {
        let (shifted, overflowA) = negativeMagnitude.multipliedReportingOverflow(by: 10)
        let (result, overflowB) = shifted.subtractingReportingOverflow(Int64(digit))
        guard !overflowA, !overflowB else { throw .overflow }
        return result
    }

    /// Formats any integer amount of minor units; `UInt128` ledger balances use it too.
    /// Written on bytes, right to left (every payment's answer formats two or three amounts):
    /// the digits, the point after `exponent` of them (zeros first if there are fewer), a sign.
    public static func format(minorUnits: some BinaryInteger, exponent: Int) -> String {
        let isNegative = minorUnits < 0
        let magnitude = minorUnits.magnitude
        let exponent = max(exponent, 0)
        // 39 digits hold any 128-bit magnitude; wider integers take the general path.
        guard magnitude <= UInt128.max else {
            var digits = String(magnitude)
            if digits.count <= exponent {
                digits = String(repeating: "0", count: exponent - digits.count + 1) + digits
            }
            if exponent > 0 { digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -exponent)) }
            return isNegative ? "-" + digits : digits
        }
        return String(unsafeUninitializedCapacity: decimalByteCountMax(exponent: exponent)) { bytes in
            writeDecimal(minorUnits: minorUnits, exponent: exponent, into: bytes)
        }
    }

    /// The most bytes `writeDecimal` writes for an amount of at most 128 bits.
    public static func decimalByteCountMax(exponent: Int) -> Int { max(39, max(exponent, 0) + 1) + 2 }

    /// `format`'s text written into `bytes` (at least `decimalByteCountMax(exponent:)` of them;
    /// answers write amounts straight into their JSON); answers the length. The magnitude must
    /// fit in 128 bits.
    @discardableResult
    public static func writeDecimal(
        minorUnits: some BinaryInteger, exponent: Int, into bytes: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        precondition(minorUnits.magnitude <= UInt128.max, "writeDecimal: more than 128 bits")
        return writeDecimal(
            magnitude: UInt128(minorUnits.magnitude), isNegative: minorUnits < 0, exponent: exponent, into: bytes)
    }

    /// `writeDecimal` of an `Int64` (not generic: called across modules for every amount of an answer).
    @discardableResult
    public static func writeDecimal(
        minorUnits: Int64, exponent: Int, into bytes: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        writeDecimal(
            magnitude: UInt128(minorUnits.magnitude), isNegative: minorUnits < 0, exponent: exponent, into: bytes)
    }

    private static func writeDecimal(
        magnitude: UInt128, isNegative: Bool, exponent: Int, into bytes: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        var magnitude = magnitude
        let exponent = max(exponent, 0)
        let capacity = decimalByteCountMax(exponent: exponent)
        precondition(bytes.count >= capacity, "writeDecimal: buffer too small")
        var end = capacity
        var written = 0
        func put(_ byte: UInt8) {
            end -= 1
            bytes[end] = byte
        }
        var small = UInt64(truncatingIfNeeded: magnitude)
        var isSmall = magnitude <= UInt64.max
        // At least one digit left of the point, and `exponent` right of it.
        while written < exponent + 1 || (isSmall ? small != 0 : magnitude != 0) {
            if written == exponent && exponent > 0 { put(UInt8(ascii: ".")) }
            let digit: UInt8
            if isSmall {
                digit = UInt8(small % 10)
                small /= 10
            } else {
                digit = UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
                if magnitude <= UInt64.max {
                    small = UInt64(truncatingIfNeeded: magnitude)
                    isSmall = true
                }
            }
            put(UInt8(ascii: "0") + digit)
            written += 1
        }
        if isNegative { put(UInt8(ascii: "-")) }
        let length = capacity - end
        // Regions may overlap: copyMemory is a memmove.
        if end > 0 {
            UnsafeMutableRawPointer(bytes.baseAddress!).copyMemory(from: bytes.baseAddress! + end, byteCount: length)
        }
        return length
    }
}

/// Why a decimal amount string was refused. Raw values are stable codes: append only.
public enum AmountParseError: UInt16, Error, Sendable, CustomStringConvertible {
    case empty = 1, notANumber, tooManyDecimals, negativeNotAllowed, overflow, mustBePositive

    public var description: String {
        switch self {
        case .empty: "amount is empty"
        case .notANumber: "amount is not a plain decimal number"
        case .tooManyDecimals: "amount has more decimals than the currency allows"
        case .negativeNotAllowed: "amount must not be negative"
        case .overflow: "amount is too large"
        case .mustBePositive: "amount must be greater than zero"
        }
    }
}
