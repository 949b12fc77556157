import PolyclearCore

/// Money on the wire is one thing everywhere: a decimal string in its currency's own exponent
/// ("1234.50", "-0.0100"), with the currency named beside it — never integer minor units, never
/// a guessed exponent. A currency the hub names but the table lacks is the server's fault
/// (500 `unknown_currency`).
struct WireMoney: Sendable {
    let currencies: CurrencyTable

    func currency(_ code: CurrencyCode) throws(APIError) -> Currency {
        guard let currency = currencies[code] else {
            throw APIError(
                .internalServerError, code: "unknown_currency", "the hub names \(code), which its currency table lacks")
        }
        return currency
    }

    /// `minor` minor units of `code` as a decimal string.
    func text(_ minor: Int64, _ code: CurrencyCode) throws(APIError) -> String {
        Money(minorUnits: minor, currency: try currency(code)).decimalString
    }

    /// `minor` minor units of the unit of account as a decimal string.
    func unitText(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currencies.unit).decimalString }
}
