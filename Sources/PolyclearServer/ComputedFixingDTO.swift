import Foundation
import Hummingbird
import PolyclearCore

/// `POST /v1/fixings/computed`: the hub computes the fixing itself from the unit's basket in
/// force and one day of ECB reference rates (the `eurofxref` file's lines, CSV or XML: JSON
/// strings may not hold line breaks here), the IMF way
/// (`FixingCalculator`), with `ratesPerEUR` for currencies the ECB does not publish. So a
/// fixing is what the basket says the rates make it, not any rate set an operator typed.
struct ComputedFixingRequestDTO: Decodable {
    var version: UInt32, effectiveFrom: UInt64
    /// The day the fixing is for (default: the rates' own day); the rates may be up to five
    /// days older (weekends, holidays).
    var effectiveDate: String?
    var referenceRates: [String]
    var ratesPerEUR: [String: String]?
    var confirmLargeMove: Bool?

    static let referenceRatesBytesMax = 1 << 20, referenceRatesLinesMax = 10_000

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(
            decoder, ["version", "effectiveFrom", "effectiveDate", "referenceRates", "ratesPerEUR", "confirmLargeMove"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(UInt32.self, forKey: .version)
        effectiveFrom = try container.decode(UInt64.self, forKey: .effectiveFrom)
        effectiveDate = try container.decodeIfPresent(String.self, forKey: .effectiveDate)
        referenceRates = try container.decode([String].self, forKey: .referenceRates)
        ratesPerEUR = try container.decodeIfPresent([String: String].self, forKey: .ratesPerEUR)
        confirmLargeMove = try container.decodeIfPresent(Bool.self, forKey: .confirmLargeMove)
    }

    enum CodingKeys: String, CodingKey {
        case version, effectiveFrom, effectiveDate, referenceRates, ratesPerEUR, confirmLargeMove
    }

    func fixing(
        basket: [CurrencyCode: DecimalNumber], memberCurrencies: Set<CurrencyCode>, _ currencies: CurrencyTable,
        _ limits: ServerLimits
    ) throws(APIError) -> Fixing {
        guard referenceRates.count <= Self.referenceRatesLinesMax,
            referenceRates.reduce(0, { $0 + $1.utf8.count + 1 }) <= Self.referenceRatesBytesMax,
            let day = try? ECBReferenceRates.parse(referenceRates.joined(separator: "\n")).first
        else {
            throw APIError(
                .badRequest, code: "malformed_reference_rates",
                "referenceRates is the lines of ECB reference rates (eurofxref CSV or XML), at most 1 MiB")
        }
        let date = try effectiveDate.map { (text) throws(APIError) -> CivilDate in
            guard let date = CivilDate(text) else {
                throw APIError(.badRequest, code: "malformed_date", "effectiveDate is YYYY-MM-DD")
            }
            return date
        }
        var overrides: [CurrencyCode: DecimalNumber] = [:]
        for (code, text) in ratesPerEUR ?? [:] {
            guard overrides.count < 64, let currency = CurrencyCode(code), text.utf8.count <= 40,
                let rate = DecimalNumber(text), rate.significand > 0
            else {
                throw APIError(
                    .badRequest, code: "malformed_rates", "ratesPerEUR maps ISO 4217 codes to positive decimals")
            }
            overrides[currency] = rate
        }
        guard !basket.isEmpty else {
            throw APIError(.conflict, code: "no_unit_definition", "the union has not defined its unit's basket")
        }
        do {
            var fixing = try FixingCalculator(basket: try UnitBasket(unit: currencies.unit, amounts: basket)).fixing(
                version: version, effectiveFrom: effectiveFrom, effectiveDate: date ?? day.date, sourceDate: day.date,
                source: day.values, overrides: overrides, currencies: memberCurrencies)
            fixing.checks = limits.rateChecks(confirmed: confirmLargeMove ?? false)
            return fixing
        } catch {
            throw APIError(
                .unprocessableContent, code: "fixing_not_computable", "the fixing cannot be computed: \(error)")
        }
    }
}
