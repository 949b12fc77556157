@testable import PolyclearCore
import Foundation
import PolyclearTestSupport
import Testing

@Suite(.offTheSharedPool) struct FXTests {
    static let eur = CurrencyCode("EUR")!, usd = CurrencyCode("USD")!

    static func dataFile(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("Data/fx/\(name)"), encoding: .utf8)
    }

    @Test func decimalNumbersParseExactlyAndCanonically() {
        #expect(DecimalNumber("1.1172") == DecimalNumber(significand: 11172, exponent: -4))
        #expect(DecimalNumber("0.83380") == DecimalNumber("0.8338"))
        #expect(DecimalNumber("136.00")?.description == "136")
        #expect(DecimalNumber("20275.17")?.description == "20275.17")
        for bad in ["", "-1", "1e5", "NaN", "1.", ".5", "1.2.3", "N/A", "99999999999999999999"] {
            #expect(DecimalNumber(bad) == nil, "\(bad)")
        }
    }

    @Test func civilDatesParseBothECBFormsAndCountDays() {
        #expect(CivilDate("2026-10-30") == CivilDate("30 October 2026"))
        #expect(CivilDate("1970-01-01")!.daysSinceEpoch == 0)
        #expect(CivilDate("2026-11-02")!.daysSinceEpoch - CivilDate("2026-10-30")!.daysSinceEpoch == 3)
        #expect(CivilDate("2026-02-29") == nil)
        #expect(CivilDate("2024-02-29") != nil)
        #expect(CivilDate("30 Octobre 2026") == nil)
    }

    @Test func readsTheRealECBHistoryAndLatestFiles() throws {
        let history = try ECBReferenceRates.parse(try Self.dataFile("eurofxref-hist.csv"))
        #expect(history.count == 7_126)
        #expect(history[0].date == CivilDate("2026-10-30"))
        #expect(history[0].values[Self.usd] == .rate(DecimalNumber("1.1172")!))
        #expect(history[0].values[CurrencyCode("RUB")!] == .notAvailable)
        let latest = try ECBReferenceRates.parse(try Self.dataFile("eurofxref-latest.csv"))
        #expect(latest.count == 1)
        #expect(latest[0].date == history[0].date)
        for (code, value) in latest[0].values { #expect(history[0].values[code] == value, "\(code)") }
    }

    @Test func refusesMalformedFiles() {
        #expect(throws: ECBParseError.empty) { try ECBReferenceRates.parse("") }
        #expect(throws: ECBParseError.malformedHeader) { try ECBReferenceRates.parse("Day,USD,\n2026-10-30,1.1,\n") }
        #expect(throws: ECBParseError.malformedHeader) { try ECBReferenceRates.parse("Date,US Dollar,\n") }
        #expect(throws: ECBParseError.wrongColumnCount(line: 2)) {
            try ECBReferenceRates.parse("Date,USD,JPY,\n2026-10-30,1.1,\n")
        }
        #expect(throws: ECBParseError.malformedDate(line: 2)) {
            try ECBReferenceRates.parse("Date,USD,\n2026-13-30,1.1,\n")
        }
        let odd = try! ECBReferenceRates.parse("Date,USD,JPY,\n2026-10-30,-1.1,NaN,\n")
        #expect(odd[0].values[Self.usd] == .invalid("-1.1"))
    }

    /// Hand-checked (exact rational arithmetic, outside this code): basket 0.5 EUR + 0.6 USD,
    /// USD 1.1172 per EUR -> V = 1.0370569... -> 1.03706 EUR; USD per unit 1.1586 (1.158603...).
    @Test func computesTheUnitLikeTheIMFComputesTheSDR() throws {
        let basket = try UnitBasket(
            unit: .defaultUnit, amounts: [Self.eur: DecimalNumber("0.5")!, Self.usd: DecimalNumber("0.6")!])
        let fixing = try FixingCalculator(basket: basket).fixing(
            version: 1, effectiveFrom: 1, effectiveDate: CivilDate("2026-10-30")!, sourceDate: CivilDate("2026-10-30")!,
            source: [Self.usd: .rate(DecimalNumber("1.1172")!)])
        #expect(fixing.ratesPerUnit[Self.eur] == DecimalNumber("1.03706"))
        #expect(fixing.ratesPerUnit[Self.usd] == DecimalNumber("1.1586"))
    }

    /// On a real ECB day (2026-10-30), a six-currency basket; expected values computed
    /// independently with exact fractions.
    @Test func realECBDayGivesTheHandCheckedRates() throws {
        let day = try ECBReferenceRates.parse(try Self.dataFile("eurofxref-hist.csv"))[0]
        let amounts = ["CNY": "1.0", "INR": "10", "BRL": "0.5", "ZAR": "2", "IDR": "1500", "USD": "0.2"]
        let basket = try UnitBasket(
            unit: .defaultUnit,
            amounts: Dictionary(
                uniqueKeysWithValues: amounts.map {
                    (CurrencyCode($0.key)!, DecimalNumber($0.value)!)
                }))
        let fixing = try FixingCalculator(basket: basket).fixing(
            version: 1, effectiveFrom: 1, effectiveDate: CivilDate("2026-11-02")!, sourceDate: day.date,
            source: day.values)
        let expected = [
            "EUR": "0.671456", "USD": "0.750151", "CNY": "4.99066", "INR": "71.2307", "BRL": "4.0752",
            "ZAR": "12.5196", "IDR": "13613.9",
        ]
        for (code, rate) in expected {
            #expect(fixing.ratesPerUnit[CurrencyCode(code)!] == DecimalNumber(rate), "\(code)")
        }
    }

    @Test func badSourceDataIsRefused() throws {
        let basket = try UnitBasket(
            unit: .defaultUnit, amounts: [Self.usd: DecimalNumber("1")!, CurrencyCode("SAR")!: DecimalNumber("1")!])
        let calculator = FixingCalculator(basket: basket)
        let today = CivilDate("2026-10-30")!
        func fix(
            _ source: [CurrencyCode: ECBReferenceRates.Value], overrides: [CurrencyCode: DecimalNumber] = [:],
            sourceDate: CivilDate = today
        ) throws(FixingError) -> Fixing {
            try calculator.fixing(
                version: 1, effectiveFrom: 0, effectiveDate: today, sourceDate: sourceDate, source: source,
                overrides: overrides)
        }
        let sar = CurrencyCode("SAR")!
        #expect(throws: FixingError.missingCurrency(sar)) { try fix([Self.usd: .rate(.one)]) }
        #expect(throws: FixingError.missingCurrency(sar)) { try fix([Self.usd: .rate(.one), sar: .notAvailable]) }
        #expect(throws: FixingError.nonPositiveRate(sar)) { try fix([Self.usd: .rate(.one), sar: .rate(.zero)]) }
        #expect(throws: FixingError.invalidRate(sar, "NaN")) { try fix([Self.usd: .rate(.one), sar: .invalid("NaN")]) }
        #expect(throws: FixingError.staleSource(sourceDate: CivilDate("2026-10-20")!, effectiveDate: today)) {
            try fix([Self.usd: .rate(.one)], overrides: [sar: .one], sourceDate: CivilDate("2026-10-20")!)
        }
        #expect(throws: FixingError.sourceFromTheFuture(sourceDate: CivilDate("2026-10-31")!, effectiveDate: today)) {
            try fix([Self.usd: .rate(.one)], overrides: [sar: .one], sourceDate: CivilDate("2026-10-31")!)
        }
        // An override supplies what the source lacks (SAR at 3.75 per USD, USD 1.1172 per EUR).
        let fixing = try fix([Self.usd: .rate(DecimalNumber("1.1172")!)], overrides: [sar: DecimalNumber("4.1895")!])
        #expect(fixing.ratesPerUnit[sar] != nil)
    }

    @Test func roundingToSixDigitsIsHalfEvenAndRefusesAmbiguity() throws {
        // Exact ties go to even.
        #expect(
            try FixingCalculator.roundToSignificantDigits(1_234_565, scaleExponent: 0, inexact: false, termCount: 1)
                == DecimalNumber(significand: 123_456, exponent: 1))
        #expect(
            try FixingCalculator.roundToSignificantDigits(1_234_575, scaleExponent: 0, inexact: false, termCount: 1)
                == DecimalNumber(significand: 123_458, exponent: 1))
        // Inexact: the true value is just above the truncated one.
        #expect(
            try FixingCalculator.roundToSignificantDigits(12_345_650_000, scaleExponent: 0, inexact: true, termCount: 3)
                == DecimalNumber(significand: 123_457, exponent: 5))
        #expect(throws: FixingError.ambiguousRounding) {
            try FixingCalculator.roundToSignificantDigits(12_345_649_999, scaleExponent: 0, inexact: true, termCount: 3)
        }
    }

    @Test func conversionIsExactHalfEven() throws {
        // 100.00 USD at 1.1586 USD per unit -> 86.3111 units; at 1.03706 EUR per unit -> 89.51 EUR.
        let u = try FXConversion.unitMinor(
            fromCurrencyMinor: 10_000, currencyExponent: 2, rate: DecimalNumber("1.1586")!, unitExponent: 4)
        #expect(u == 863_111)
        #expect(
            try FXConversion.currencyMinor(
                fromUnitMinor: u, currencyExponent: 2, rate: DecimalNumber("1.03706")!, unitExponent: 4) == 8_951)
        // Exact ties: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
        for (amount, expected) in [(Int64(1), Int64(0)), (3, 2), (5, 2)] {
            #expect(
                try FXConversion.unitMinor(
                    fromCurrencyMinor: amount, currencyExponent: 4, rate: DecimalNumber("2")!, unitExponent: 4)
                    == expected)
        }
        #expect(throws: ConversionError.overflow) {
            try FXConversion.currencyMinor(
                fromUnitMinor: .max, currencyExponent: 2, rate: DecimalNumber("13613.9")!, unitExponent: 4)
        }
    }
}
