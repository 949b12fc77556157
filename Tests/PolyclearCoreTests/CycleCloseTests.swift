@testable import PolyclearCore
import Testing

/// Closing a cycle as a pure computation, checked by hand on small totals, and against the
/// hub: the report the hub records is the one `CycleClose.report` computes from its totals.
@Suite struct CycleCloseTests {
    static let bra = CountryCode(alpha3: "BRA")!, chn = CountryCode(alpha3: "CHN")!
    static let brl = CurrencyCode("BRL")!, cny = CurrencyCode("CNY")!
    static let unit = try! CurrencyTable().unit

    /// Two members, three banks: BR1 sent 700 and received 200 (net −500, pays in); BR2
    /// received 300 (net +300); CN1 received 900 CNY and sent 100 (net +800, but its position
    /// and cap allow only 650 to be paid out).
    static func totals() -> CycleAccumulator {
        var totals = CycleAccumulator(number: 4, openedAt: 1_000)
        totals.ledgerTimestampAtOpen = 41
        totals.fit(participants: 3, members: 2)
        totals.paymentCount = 6
        totals.participantSent = [700, 0, 100]
        totals.participantReceived = [200, 300, 900]
        totals.memberUnitSent = [1_500, 250]
        totals.memberUnitReceived = [250, 1_500]
        totals.bilateral = [0, 1_500, 250, 0]
        return totals
    }

    static let banks = [
        CycleClose.Bank(
            bic: BIC("BANKBRSP")!, member: 0, netDebitCapMinor: 1_000, availableMinor: -500, postedMinor: -500),
        CycleClose.Bank(bic: BIC("SECOBRSP")!, member: 0, netDebitCapMinor: 0, availableMinor: 300, postedMinor: 300),
        CycleClose.Bank(bic: BIC("BANKCNBJ")!, member: 1, netDebitCapMinor: 50, availableMinor: 600, postedMinor: 800),
    ]

    static func members(rates: Bool) -> [CycleClose.Member] {
        [
            CycleClose.Member(
                id: bra, currency: brl, currencyExponent: 2, ratePerUnit: rates ? DecimalNumber("4") : nil),
            CycleClose.Member(
                id: chn, currency: cny, currencyExponent: 2, ratePerUnit: rates ? DecimalNumber("5") : nil),
        ]
    }

    @Test func netsInstructionsAndEfficiencyFromTheTotals() {
        let report = CycleClose.report(
            totals: Self.totals(), banks: Self.banks, members: Self.members(rates: true), unit: Self.unit,
            fixingInForce: true, closedAt: 9_000, lastLedgerTimestamp: 77)
        #expect(report.number == 4 && report.openedAt == 1_000 && report.closedAt == 9_000)
        #expect(report.firstLedgerTimestamp == 42 && report.lastLedgerTimestamp == 77)
        #expect(report.state == .settling && report.paymentCount == 6)
        #expect(report.participants.map(\.netMinor) == [-500, 300, 800])
        #expect(report.participants.map(\.closingPostedMinor) == [-500, 300, 800])
        #expect(report.instructions.map(\.direction) == [.payIn, .payOut, .payOut])
        // CN1's pay-out is capped at position + cap = 650; the other 150 stays in the hub.
        #expect(report.instructions.map(\.amountMinor) == [500, 300, 650])
        #expect(report.instructions.map(\.index) == [0, 1, 2])
        #expect(report.members.map(\.participantsNetMinor) == [-200, 800])
        #expect(report.members.map(\.unitNetMinor) == [-1_250, 1_250])
        #expect(report.bilateralUnitMinor == [[0, 1_500], [250, 0]])
        // BRL: gross 700, needed 500 -> 1 − 5/7 = 285,714 ppm; CNY: gross 100, needed 0.
        #expect(report.efficiencyByCurrency.map(\.efficiencyPartsPerMillion) == [285_714, 1_000_000])
        // In the unit (4 decimals): BRL 7.00/4 = 1.75, CNY 1.00/5 = 0.2: gross 19,500; needed 12,500.
        #expect(report.overallEfficiency?.grossValueMinor == 19_500)
        #expect(report.overallEfficiency?.liquidityNeededMinor == 12_500)
    }

    @Test func withoutAFixingOrARateThereIsNoOverallEfficiency() {
        let noFixing = CycleClose.report(
            totals: Self.totals(), banks: Self.banks, members: Self.members(rates: true), unit: Self.unit,
            fixingInForce: false, closedAt: 9_000, lastLedgerTimestamp: 77)
        #expect(noFixing.overallEfficiency == nil)
        let noRates = CycleClose.report(
            totals: Self.totals(), banks: Self.banks, members: Self.members(rates: false), unit: Self.unit,
            fixingInForce: true, closedAt: 9_000, lastLedgerTimestamp: 77)
        #expect(noRates.overallEfficiency == nil)
    }

    @Test func aCycleWithoutNetsIsSettledAtOnce() {
        var totals = CycleAccumulator(number: 1, openedAt: 0)
        totals.fit(participants: 3, members: 2)
        let report = CycleClose.report(
            totals: totals, banks: Self.banks, members: Self.members(rates: true), unit: Self.unit,
            fixingInForce: true, closedAt: 1, lastLedgerTimestamp: 1)
        #expect(report.state == .settled && report.instructions.isEmpty)
    }

    @Test func excessSettlementIsTheDebtBeyondQuotaWhenTheRulesNameAnAsset() {
        let members = Self.members(rates: true)
        var rules = ImbalanceRules.none
        rules.excessSettlementAsset = "XAU"
        let due = CycleClose.excessSettlements(
            members: members, grossPositionsMinor: [-1_500, 1_500], quotasUnitMinor: [1_000, 1_000],
            issuedMinor: [0, 0], rules: rules)
        // Hard quota: the creditor beyond quota is not paid out (charged and alarmed instead).
        #expect(
            due == [
                ExcessSettlement(member: Self.bra, amountUnitMinor: 500, settlementAsset: "XAU", isConfirmed: false)
            ])
        // What was already asked for is not asked again.
        #expect(
            CycleClose.excessSettlements(
                members: members, grossPositionsMinor: [-1_500, 1_500], quotasUnitMinor: [1_000, 1_000],
                issuedMinor: [500, 0], rules: rules
            ).isEmpty)
        // Settle mode: the creditor beyond quota is paid out.
        rules.quotaMode = .settle
        #expect(
            CycleClose.excessSettlements(
                members: members, grossPositionsMinor: [-1_500, 1_500], quotasUnitMinor: [1_000, 1_000],
                issuedMinor: [500, 0], rules: rules)
                == [
                    ExcessSettlement(
                        member: Self.chn, amountUnitMinor: 500, settlementAsset: "XAU", isConfirmed: false,
                        direction: .unionPays)
                ])
        rules.excessSettlementAsset = ""
        #expect(
            CycleClose.excessSettlements(
                members: members, grossPositionsMinor: [-1_500, 1_500], quotasUnitMinor: [1_000, 1_000],
                issuedMinor: [0, 0], rules: rules
            ).isEmpty)
    }

    /// The hub records exactly what the pure computation gives for its totals at close.
    @Test func theHubsReportIsThePureComputation() {
        var f = HubFixture()
        _ = f.pay(1, HubFixture.brBank1, HubFixture.cnBank1, 40_000)
        _ = f.pay(2, HubFixture.cnBank2, HubFixture.brBank2, 90_000)
        _ = f.pay(3, HubFixture.inBank1, HubFixture.brBank1, 5_000_000)
        let totals = f.hub.cycle
        var expected = CycleClose.report(
            totals: totals,
            banks: f.hub.participants.hubIndices.map { index in
                let record = f.hub.participants[index]
                let position = f.hub.ledgerState.account(id: record.positionAccountID)!
                return CycleClose.Bank(
                    bic: record.participant.bic, member: record.memberIndex.int,
                    netDebitCapMinor: record.participant.netDebitCapMinor,
                    availableMinor: f.hub.positionBalance(participant: index),
                    postedMinor: Int64(Int128(position.creditsPosted) - Int128(position.debitsPosted)))
            },
            members: f.hub.members.hubIndices.map { index in
                CycleClose.Member(
                    id: f.hub.members[index].member.id, currency: f.hub.members[index].member.currency,
                    currencyExponent: f.hub.members[index].currencyExponent,
                    ratePerUnit: f.hub.fixings[0].rate(of: index))
            },
            unit: Self.unit, fixingInForce: true, closedAt: 0, lastLedgerTimestamp: 0)
        _ = f.apply(.closeCycle(number: 1))
        let closed = f.hub.cycles[0]
        expected.closedAt = closed.closedAt
        expected.lastLedgerTimestamp = closed.lastLedgerTimestamp
        expected.charges = closed.charges
        expected.excessSettlements = closed.excessSettlements
        for index in expected.members.indices {
            expected.members[index].closingUnionPositionMinor = closed.members[index].closingUnionPositionMinor
            expected.members[index].closingUnionPostedMinor = closed.members[index].closingUnionPostedMinor
        }
        #expect(closed == expected)
        #expect(closed.instructions.count >= 4)
    }
}
