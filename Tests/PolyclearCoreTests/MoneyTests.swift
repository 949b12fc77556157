@testable import PolyclearCore
import PolyclearWorkload
import Testing

@Suite struct MoneyTests {
    let table = try! CurrencyTable()

    @Test func currencyTableHasISOExponentsAndTheUnit() throws {
        #expect(try table.currency("EUR").exponent == 2)
        #expect(try table.currency("JPY").exponent == 0)
        #expect(try table.currency("KWD").exponent == 3)
        #expect(try table.currency("CLF").exponent == 4)
        #expect(try table.currency("XCU").exponent == 4)
        #expect(table.allCurrencies.count == ISO4217.activeCurrencies.count + 1)
        #expect(throws: CurrencyTableError.unknownCurrency) { try table.currency("XYZ") }
        #expect(throws: CurrencyTableError.malformedCode) { try table.currency("eur") }
        #expect(throws: CurrencyTableError.malformedCode) { try table.currency("EURO") }
    }

    @Test func unitCodeIsConfigurableButMustNotShadowACurrency() throws {
        let custom = try CurrencyTable(unit: Currency(code: CurrencyCode("XBR")!, exponent: 6))
        #expect(try custom.currency("XBR").exponent == 6)
        #expect(throws: CurrencyTableError.unitCodeIsAnISOCurrency) {
            try CurrencyTable(unit: Currency(code: CurrencyCode("USD")!, exponent: 4))
        }
    }

    @Test(arguments: [
        ("0", "EUR", Int64(0)), ("12", "EUR", 1_200), ("12.3", "EUR", 1_230), ("12.34", "EUR", 1_234),
        ("0.01", "EUR", 1), ("1234", "JPY", 1_234), ("1.234", "KWD", 1_234), ("0.0001", "XCU", 1),
        ("92233720368547758.07", "EUR", Int64.max),
    ])
    func parsesExactly(text: String, code: String, minorUnits: Int64) throws {
        let money = try Money(parsing: text, currency: table.currency(code))
        #expect(money.minorUnits == minorUnits)
    }

    @Test func parsesNegativeOnlyWhenAllowed() throws {
        let eur = try table.currency("EUR")
        #expect(try Money(parsing: "-0.5", currency: eur, sign: .any).minorUnits == -50)
        #expect(try Money(parsing: "-92233720368547758.08", currency: eur, sign: .any).minorUnits == .min)
        #expect(throws: AmountParseError.negativeNotAllowed) { try Money(parsing: "-1", currency: eur) }
        #expect(throws: AmountParseError.mustBePositive) { try Money(parsing: "0.00", currency: eur, sign: .positive) }
    }

    @Test(arguments: [
        ("", AmountParseError.empty), ("abc", .notANumber), ("1,5", .notANumber), ("1.2.3", .notANumber),
        (".5", .notANumber), ("5.", .notANumber), ("-", .notANumber), ("+5", .notANumber), (" 5", .notANumber),
        ("1e3", .notANumber), ("1.234", .tooManyDecimals), ("0.001", .tooManyDecimals),
        ("92233720368547758.08", .overflow), ("99999999999999999999", .overflow),
    ])
    func rejectsBadAmounts(text: String, expected: AmountParseError) throws {
        let eur = try table.currency("EUR")
        #expect(throws: expected) { try Money(parsing: text, currency: eur, sign: .any) }
    }

    @Test func jpyHasNoDecimals() throws {
        #expect(throws: AmountParseError.tooManyDecimals) { try Money(parsing: "1.5", currency: table.currency("JPY")) }
    }

    @Test func formatsWithExactlyTheCurrencyDecimals() throws {
        #expect(Money(minorUnits: 5, currency: try table.currency("EUR")).decimalString == "0.05")
        #expect(Money(minorUnits: -123_456, currency: try table.currency("EUR")).description == "-1234.56 EUR")
        #expect(Money(minorUnits: 7, currency: try table.currency("JPY")).decimalString == "7")
        #expect(Money.format(minorUnits: UInt128.max, exponent: 4).hasSuffix(".1455"))
    }

    /// The formatter on bytes against the one on strings it replaced (kept here as the
    /// specification): every width, sign and exponent, zeros, the extremes.
    @Test func formatOnBytesWritesWhatTheStringFormatterWrote() {
        func specification(_ minorUnits: some BinaryInteger, _ exponent: Int) -> String {
            let isNegative = minorUnits < 0
            var digits = String(minorUnits.magnitude)
            if digits.count <= exponent {
                digits = String(repeating: "0", count: exponent - digits.count + 1) + digits
            }
            if exponent > 0 { digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -exponent)) }
            return isNegative ? "-" + digits : digits
        }
        var random = SeededRandom(seed: 88)
        for exponent in [0, 1, 2, 3, 4, 6, 9, 25, 45] {
            var samples: [Int128] = [0, 1, -1, 9, 10, -10, 99, 100, 12_345, Int128(Int64.max), Int128(Int64.min)]
            samples += [Int128(UInt64.max), Int128(UInt64.max) + 1, -Int128(UInt64.max) - 1, .max, .min]
            for _ in 0..<300 {
                let bits = 1 + Int(random.next() % 127)
                let magnitude = Int128((UInt128(random.next()) << 64 | UInt128(random.next())) >> bits)
                samples.append(random.next() % 2 == 0 ? magnitude : -magnitude)
            }
            for value in samples {
                #expect(Money.format(minorUnits: value, exponent: exponent) == specification(value, exponent))
                #expect(
                    Money.format(minorUnits: Int64(truncatingIfNeeded: value), exponent: exponent)
                        == specification(Int64(truncatingIfNeeded: value), exponent))
                #expect(
                    Money.format(minorUnits: value.magnitude, exponent: exponent)
                        == specification(value.magnitude, exponent))
            }
        }
    }

    /// Property: formatting then parsing gives back the same amount, for every exponent.
    @Test func formatThenParseRoundTrips() throws {
        var random = SeededRandom(seed: 7)
        for currency in table.allCurrencies {
            for _ in 0..<200 {
                let minorUnits = Int64(bitPattern: random.next()) >> Int64(random.next() % 63)
                let money = Money(minorUnits: minorUnits, currency: currency)
                let parsed = try Money(parsing: money.decimalString, currency: currency, sign: .any)
                #expect(parsed == money, "\(money) did not round-trip")
            }
        }
    }

    @Test func currencyCodePacksThreeCapitals() {
        #expect(CurrencyCode("EUR")!.packedASCII == 0x45_55_52)
        #expect(CurrencyCode(packedASCII: 0x45_55_52)!.description == "EUR")
        #expect(CurrencyCode("EU") == nil)
        #expect(CurrencyCode("EÜR") == nil)
        #expect(CurrencyCode(packedASCII: 0x01_45_55_52) == nil)
    }
}
