@testable import PolyclearCore
import Testing

/// Checked fixings and unit definitions (issue 14): a fixing centuries ahead blocked every
/// later one; a rate of 10^-25 or a rate for the unit itself stopped clearing in a currency.
@Suite struct RateCheckTests {
    typealias F = HubFixture
    static let checks = RateChecks(horizonSeconds: 7 * 86_400, moveFactorMax: 2)

    static func checked(
        _ version: UInt32, at effectiveFrom: UInt64, _ changes: [String: String] = [:], confirmed: Bool = false
    ) -> Fixing {
        var fixing = F.fixing(version: version, effectiveFrom: effectiveFrom, rates: F.rates.merging(changes) { $1 })
        fixing.checks = checks
        fixing.checks?.largeMoveConfirmed = confirmed
        return fixing
    }

    @Test func aFixingTakesEffectWithinTheHorizon() {
        var f = F()
        let day: UInt64 = 86_400 * 1_000_000_000
        #expect(f.apply(.publishFixing(Self.checked(2, at: f.now + 8 * day))) == .refused(.fixingEffectiveTooFar))
        #expect(f.apply(.publishFixing(Self.checked(2, at: UInt64.max))) == .refused(.fixingEffectiveTooFar))
        f.expectOK(.publishFixing(Self.checked(2, at: f.now + 6 * day)))
        // Unchecked fixings (older logs) replay as they were accepted.
        f.expectOK(.publishFixing(F.fixing(version: 3, effectiveFrom: f.now + 300 * day)))
    }

    @Test func aRateForTheUnitOrAnImplausibleRateIsRefused() {
        var f = F()
        let unit = f.hub.configuration.unit.code.description
        #expect(f.apply(.publishFixing(Self.checked(2, at: f.now, [unit: "1"]))) == .refused(.fixingRateForUnit))
        var tiny = Self.checked(2, at: f.now)
        tiny = Fixing(
            version: 2, effectiveFrom: f.now, sourceDate: tiny.sourceDate,
            ratesPerUnit: tiny.ratesPerUnit.merging([CurrencyCode("BRL")!: DecimalNumber(significand: 1, exponent: -25)]
            ) { $1 }, checks: Self.checks)
        #expect(f.apply(.publishFixing(tiny)) == .refused(.rateImplausible))
        #expect(
            f.apply(.publishFixing(Self.checked(2, at: f.now, ["IDR": "10000000000000"]))) == .refused(.rateImplausible)
        )
        #expect(f.hub.currentFixing?.version == 1)
    }

    @Test func aLargeMoveNeedsAConfirmationWhichIsAudited() {
        var f = F()
        #expect(
            f.apply(.publishFixing(Self.checked(2, at: f.now, ["BRL": "8.1505"]))) == .refused(.rateMoveNotConfirmed))
        #expect(
            f.apply(.publishFixing(Self.checked(2, at: f.now, ["CNY": "2.49532"]))) == .refused(.rateMoveNotConfirmed))
        // exactly within 2x either way
        f.expectOK(.publishFixing(Self.checked(2, at: f.now, ["BRL": "8.1504", "CNY": "2.49533"])))
        f.expectOK(
            .attributed(
                actor: .operatorUser("ops"),
                command: .publishFixing(Self.checked(3, at: f.now, ["BRL": "40.0"], confirmed: true))))
        #expect(f.hub.auditRecords.last?.subject == "version 3, large move confirmed")
        // The unit's basket amounts: the same checks.
        let amounts = { (brl: String) in
            [CurrencyCode("BRL")!: DecimalNumber(brl)!, CurrencyCode("CNY")!: DecimalNumber("0.8")!]
        }
        f.expectOK(.defineUnit(amountsPerUnit: CurrencyAmounts(amounts("1.2")), checks: Self.checks))
        #expect(
            f.apply(.defineUnit(amountsPerUnit: CurrencyAmounts(amounts("12")), checks: Self.checks))
                == .refused(.rateMoveNotConfirmed))
        #expect(
            f.apply(
                .defineUnit(
                    amountsPerUnit: [CurrencyCode("BRL")!: DecimalNumber(significand: 1, exponent: -9)],
                    checks: Self.checks)) == .refused(.rateImplausible))
        var confirmed = Self.checks
        confirmed.largeMoveConfirmed = true
        f.expectOK(
            .attributed(
                actor: .operatorUser("ops"),
                command: .defineUnit(amountsPerUnit: CurrencyAmounts(amounts("12")), checks: confirmed)))
        #expect(f.hub.auditRecords.last?.action == "define_unit")
        #expect(f.hub.auditRecords.last?.subject == "BRL,CNY, large move confirmed")
    }

    @Test(arguments: [
        ("1", "2", true), ("2", "1", false), ("0.5", "0.50", false), ("0.000001", "1000000", true),
        ("99999999999999999", "100000000000000000", true), ("1.00000000000000001", "1.0000000000000001", true),
        ("123.456", "123.4559", false), ("0", "0.0001", true), ("0.0001", "0", false),
    ])
    func decimalComparisonIsExact(a: String, b: String, less: Bool) {
        #expect(DecimalNumber.isLess(DecimalNumber(a)!, than: DecimalNumber(b)!) == less)
    }

    @Test func scalingNeverNarrowsTheBand() {
        let big = DecimalNumber(significand: UInt64.max, exponent: -3)
        let scaled = big.scaled(by: 2)
        #expect(!DecimalNumber.isLess(scaled, than: big) && DecimalNumber.isLess(big, than: scaled))
        #expect(DecimalNumber("1.5")!.scaled(by: 2) == DecimalNumber("3")!)
    }
}
