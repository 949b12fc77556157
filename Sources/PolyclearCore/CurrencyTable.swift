/// Looks up currencies by code: the active ISO 4217 set plus the union's unit of account.
public struct CurrencyTable: Sendable {
    public let unit: Currency
    private let currenciesByCode: [CurrencyCode: Currency]

    /// - Parameter unit: the union's unit (default `XCU`, 4 decimals). Its code must not be an
    ///   ISO 4217 currency, or an amount's meaning would depend on the configuration.
    public init(unit: Currency = .defaultUnit) throws(CurrencyTableError) {
        var table: [CurrencyCode: Currency] = [:]
        for (text, exponent) in ISO4217.activeCurrencies {
            let code = CurrencyCode(text)!
            table[code] = Currency(code: code, exponent: exponent)
        }
        guard table[unit.code] == nil else { throw .unitCodeIsAnISOCurrency }
        table[unit.code] = unit
        self.unit = unit
        self.currenciesByCode = table
    }

    public subscript(code: CurrencyCode) -> Currency? { currenciesByCode[code] }

    /// Parses a code and looks it up in one step.
    public func currency(_ text: some StringProtocol) throws(CurrencyTableError) -> Currency {
        guard let code = CurrencyCode(text) else { throw .malformedCode }
        guard let currency = currenciesByCode[code] else { throw .unknownCurrency }
        return currency
    }

    public var allCurrencies: [Currency] { currenciesByCode.values.sorted { $0.code < $1.code } }
}

/// Raw values are stable codes: append only, never renumber.
public enum CurrencyTableError: UInt16, Error, Sendable {
    case malformedCode = 1, unknownCurrency, unitCodeIsAnISOCurrency
}
