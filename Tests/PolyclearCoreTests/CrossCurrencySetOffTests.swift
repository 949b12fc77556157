@testable import PolyclearCore
import Testing

@Suite struct CrossCurrencySetOffTests {
    static let table = try! CurrencyTable()
    static let rates: [CurrencyCode: DecimalNumber] = [
        CurrencyCode("BRL")!: DecimalNumber("4.0752")!, CurrencyCode("CNY")!: DecimalNumber("4.99066")!,
    ]

    /// Hand-checked: A owes B 1,000.00 BRL (245.3867 units); B owes A 1,000.00 CNY (200.3743
    /// units). In the unit, 2 × 200.3743 is set off; back in currency: 816.57 BRL (200.3743 ×
    /// 4.0752 = 816.5653, half-even) and all 1,000.00 CNY. A's BRL debt cancelled against its CNY claim:
    /// the union delivers 816.57 BRL for A and takes 1,000.00 CNY; B the reverse.
    @Test func oppositeObligationsInTwoCurrenciesSetOffThroughTheUnit() throws {
        let result = try CrossCurrencySetOff.solve(
            partyCount: 2,
            obligations: [
                Obligation(debtor: 0, creditor: 1, amountMinor: 100_000),
                Obligation(debtor: 1, creditor: 0, amountMinor: 100_000),
            ],
            currencies: [CurrencyCode("BRL")!, CurrencyCode("CNY")!], ratesPerUnit: Self.rates, table: Self.table)
        #expect(result.setOffUnitMinor == [2_003_743, 2_003_743])
        #expect(result.setOffMinor == [81_657, 100_000])
        #expect(result.unitResult.certificate.isProven)
        let brl = CurrencyCode("BRL")!, cny = CurrencyCode("CNY")!
        #expect(
            Set(result.fxLegs)
                == Set([
                    .init(party: 0, currency: brl, amountMinor: 81_657),
                    .init(party: 0, currency: cny, amountMinor: -100_000),
                    .init(party: 1, currency: brl, amountMinor: -81_657),
                    .init(party: 1, currency: cny, amountMinor: 100_000),
                ]))
    }

    @Test func aCurrencyWithoutARateIsRefused() {
        #expect(throws: CrossCurrencyError.noRate(CurrencyCode("INR")!)) {
            try CrossCurrencySetOff.solve(
                partyCount: 2, obligations: [Obligation(debtor: 0, creditor: 1, amountMinor: 5)],
                currencies: [CurrencyCode("INR")!], ratesPerUnit: Self.rates, table: Self.table)
        }
    }
}
