/// A currency with its minor-unit exponent: amounts are integers of 10^-exponent units.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: CurrencyCode
    /// Digits after the decimal point: 2 for EUR (cents), 0 for JPY, 3 for KWD, 4 for the unit.
    public let exponent: Int

    /// The largest exponent any supported currency may have; keeps 10^exponent exact in Int64.
    public static let exponentMax = 8

    public init(code: CurrencyCode, exponent: Int) {
        precondition((0...Currency.exponentMax).contains(exponent), "currency exponent out of range")
        self.code = code
        self.exponent = exponent
    }

    public var description: String { code.description }

    /// The union's unit of account by default: `XCU`, 4 decimals (like the SDR's 6, but a
    /// tenth of a basis point of a unit is finer than any fee or rounding rule needs).
    public static let defaultUnit = Currency(code: CurrencyCode("XCU")!, exponent: 4)
}
