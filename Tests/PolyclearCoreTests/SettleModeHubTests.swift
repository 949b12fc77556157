@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// The hub in `settle` mode: payments beyond quota go through, closes settle what the rules
/// say in the asset, a member late with its pay-in has its quota enforced until it pays, and
/// charges can go to the other side.
@Suite struct SettleModeHubTests {
    typealias F = HubFixture
    static let quota = SettleModeTests.quota

    static func confirm(_ f: inout F, cycle: UInt32, _ settlement: ExcessSettlement) {
        f.expectOK(
            .confirmExcessSettlement(
                cycle: cycle, member: settlement.member, amountUnitMinor: settlement.amountUnitMinor,
                actor: .operatorUser("ops")))
    }

    @Test func aPaymentBeyondQuotaQueuesUnderAHardQuotaAndGoesThroughUnderSettle() throws {
        var hard = F()
        #expect(hard.pay(1, F.brBank1, F.cnBank1, 500_000).status == .queued)  // 5,000 BRL ≈ 1,227 units
        var f = F()
        f.expectOK(.setImbalanceRules(SettleModeTests.settleRules()))
        let paid = f.pay(1, F.brBank1, F.cnBank1, 500_000)
        #expect(paid.status == .accepted)
        let units = paid.unitAmountMinor
        #expect(units > Self.quota)
        f.expectOK(.closeCycle(number: 1))
        // Without tranches: the debt beyond the quota is paid in, the claim beyond it paid out.
        let due = f.hub.cycles[0].excessSettlements
        #expect(due.map(\.member) == [F.bra, F.chn])
        #expect(due.map(\.amountUnitMinor) == [units - Self.quota, units - Self.quota])
        #expect(due.map(\.direction) == [.memberPays, .unionPays])
        for settlement in due { Self.confirm(&f, cycle: 1, settlement) }
        #expect(f.union(F.bra) == -Self.quota && f.union(F.chn) == Self.quota)
        // Nothing more is due at the next close: the positions are what the rules allow.
        f.expectOK(.closeCycle(number: 2))
        #expect(f.hub.cycles[1].excessSettlements.isEmpty)
        let assets = f.hub.ledgerState.account(id: f.hub.unionSettlementAssetsAccountID)!
        #expect(assets.debitsPosted == UInt128(units - Self.quota) && assets.creditsPosted == assets.debitsPosted)
    }

    @Test func aMemberLateWithItsPayInHasItsQuotaEnforcedUntilItPays() throws {
        var f = F()
        f.expectOK(.setImbalanceRules(SettleModeTests.settleRules()))
        var triggers = CycleTriggers()
        triggers.settlementDeadlineSeconds = 60
        f.expectOK(.setCycleTriggers(triggers))
        let units = f.pay(1, F.brBank1, F.cnBank1, 500_000).unitAmountMinor
        f.expectOK(.closeCycle(number: 1))
        let payIn = try #require(f.hub.cycles[0].excessSettlements.first { $0.member == F.bra })
        #expect(f.hub.nextDeadline != nil)
        // The deadline passes: the overdue event, once.
        f.now += 61_000_000_000
        #expect(f.hub.apply(.setAlarmThresholds(f.hub.alarmThresholdsPercent), now: f.now) == .ok)
        let overdue = f.hub.sealOutcome().events.compactMap { event -> (UInt32, CountryCode, Int64)? in
            if case .excessSettlementOverdue(let cycle, let member, let amount) = event.kind {
                (cycle, member, amount)
            } else {
                nil
            }
        }
        f.hub.outcomeCommitted()
        #expect(overdue.count == 1)
        #expect(overdue.first.map { $0.0 == 1 && $0.1 == F.bra && $0.2 == units - Self.quota } == true)
        // Brazil is in default: a payment that deepens its debt waits; China's still go.
        let waiting = f.pay(2, F.brBank2, F.cnBank2, 10_000)
        #expect(waiting.status == .queued)
        #expect(f.pay(3, F.cnBank1, F.inBank1, 10_000).status == .accepted)
        // It pays: the default ends and its queued payment goes.
        Self.confirm(&f, cycle: 1, payIn)
        #expect(f.hub.payment(2)?.status == .accepted)
        #expect(f.pay(4, F.brBank2, F.cnBank2, 10_000).status == .accepted)
    }

    /// Debtors' charges go to the creditors, creditors' to the debtors, in proportion to their
    /// average positions; the reserve keeps nothing.
    @Test func chargesCanBeRedistributedToTheOtherSide() throws {
        var f = F(capMinor: 100_000_000, quotaUnitMinor: 10_000_000)
        var rules = ImbalanceRules.standard
        rules.chargeDisposition = .redistribute
        f.expectOK(.setImbalanceRules(rules))
        f.expectOK(.closeCycle(number: 1))
        let fromBrazil = f.pay(1, F.brBank1, F.cnBank1, 244_500).unitAmountMinor
        let fromIndia = f.pay(2, F.inBank1, F.cnBank1, 5_000_000).unitAmountMinor
        f.now += 86_400_000_000_000
        f.expectOK(.closeCycle(number: 2))
        let charges = f.hub.cycles[1].charges
        let brazil = try #require(charges.first { $0.member == F.bra })
        let india = try #require(charges.first { $0.member == F.ind })
        let china = try #require(charges.first { $0.member == F.chn })
        #expect(brazil.chargeMinor > 0 && india.chargeMinor > 0 && china.chargeMinor > 0)
        // China receives both debtors' charges; the debtors share China's by average position.
        #expect(china.receivedMinor == brazil.chargeMinor + india.chargeMinor)
        #expect(brazil.receivedMinor + india.receivedMinor == china.chargeMinor)
        let exactBrazil = Int128(china.chargeMinor) * Int128(brazil.averagePositionMinor.magnitude)
        let weights = Int128(brazil.averagePositionMinor.magnitude) + Int128(india.averagePositionMinor.magnitude)
        #expect(abs(Int128(brazil.receivedMinor) * weights - exactBrazil) < weights)
        #expect(f.union(F.bra) == -fromBrazil - brazil.chargeMinor + brazil.receivedMinor)
        #expect(f.union(F.chn) == fromBrazil + fromIndia - china.chargeMinor + china.receivedMinor)
        let reserve = f.hub.ledgerState.account(id: f.hub.unionReserveAccountID)!
        #expect(reserve.creditsPosted == reserve.debitsPosted && reserve.creditsPosted > 0)
    }

    /// Random streams under `settle` mode with the EPU's tranches, charges redistributed:
    /// no payment ever waits for its member's quota (caps do not bind here), every position's
    /// credit part is within quota once a close's settlements are confirmed, and the hub's
    /// invariants hold after every command (the fixture checks them).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomStreamsNeverQueueForQuotaAndKeepCreditWithinQuota(seed: UInt64) throws {
        var f = F(capMinor: 1_000_000_000_000, quotaUnitMinor: 2_000_000)
        var rules = ImbalanceRules.standard
        rules.quotaMode = .settle
        rules.excessSettlementAsset = "XAU"
        rules.debtorTranches = SettleModeTests.epuDebtor
        rules.creditorTranches = [Tranche(upToPercentOfQuota: 50, settledPercent: 0)]
        rules.chargeDisposition = .redistribute
        f.expectOK(.setImbalanceRules(rules))
        let banks = [F.brBank1, F.brBank2, F.cnBank1, F.cnBank2, F.inBank1, F.idBank1]
        var random = SeededRandom(seed: seed)
        var id: UInt128 = 1
        for cycle in 1...12 as ClosedRange<UInt32> {
            for _ in 0..<(5 + Int(random.next() % 20)) {
                let payerIndex = Int(random.next() % 6)
                let payer = banks[payerIndex], payee = banks[(payerIndex + 1 + Int(random.next() % 5)) % 6]
                let amount = Int64(1 + random.next() % 2_000_000)
                let state = f.pay(id, payer, payee, amount)
                #expect(state.status == .accepted, "payment \(id): \(state.status)")
                id += 1
            }
            f.now += UInt64(1 + random.next() % 3) * 86_400_000_000_000
            f.expectOK(.closeCycle(number: cycle))
            for settlement in f.hub.cycles.last!.excessSettlements { Self.confirm(&f, cycle: cycle, settlement) }
            for member in [F.bra, F.chn, F.ind, F.idn] {
                #expect(f.union(member).magnitude <= UInt64(2_000_000), "\(member) after cycle \(cycle)")
            }
        }
    }

    /// The Asian Clearing Union's way: every net position settled in full at each close,
    /// debtors paying interest that goes to the creditors.
    @Test func fullSettlementEachPeriodLeavesNoPositionAndDebtorsInterestGoesToCreditors() throws {
        var f = F(capMinor: 100_000_000, quotaUnitMinor: Self.quota)
        var rules = SettleModeTests.settleRules(
            debtor: [Tranche(upToPercentOfQuota: 100, settledPercent: 100)],
            creditor: [Tranche(upToPercentOfQuota: 100, settledPercent: 100)])
        rules.tiers = [ImbalanceRules.Tier(thresholdPercentOfQuota: 0, annualRateBasisPoints: 400)]
        rules.chargedSides = .debtors
        rules.chargeDisposition = .redistribute
        f.expectOK(.setImbalanceRules(rules))
        f.expectOK(.closeCycle(number: 1))
        let units = f.pay(1, F.brBank1, F.cnBank1, 244_500).unitAmountMinor
        f.now += 30 * 86_400_000_000_000
        f.expectOK(.closeCycle(number: 2))
        let report = f.hub.cycles[1]
        // 4% a year on Brazil's average debt for 30 days, half-even: paid by Brazil only, to China.
        let brazil = try #require(report.charges.first { $0.member == F.bra })
        let china = try #require(report.charges.first { $0.member == F.chn })
        let expected = (Int128(units) * 400 * 30 * 2 + 365 * 10_000) / (365 * 10_000 * 2)  // units × 4% × 30/365
        #expect(Int128(brazil.chargeMinor) == expected && china.chargeMinor == 0)
        #expect(china.receivedMinor == brazil.chargeMinor && brazil.receivedMinor == 0)
        // Everything settles: Brazil pays its debt and the interest in, China is paid out.
        #expect(
            report.excessSettlements.map(\.amountUnitMinor) == [units + brazil.chargeMinor, units + brazil.chargeMinor])
        #expect(report.excessSettlements.map(\.direction) == [.memberPays, .unionPays])
        for settlement in report.excessSettlements { Self.confirm(&f, cycle: 2, settlement) }
        #expect(f.union(F.bra) == 0 && f.union(F.chn) == 0)
    }

    /// Keynes' year end: a creditor's balance beyond its quota passes to the union reserve.
    @Test func atTheYearEndACreditorsBalanceBeyondQuotaGoesToTheReserve() throws {
        var f = F(capMinor: 100_000_000, quotaUnitMinor: 2_000_000)
        var rules = ImbalanceRules.none
        rules.creditorExcessAtYearEnd = .toReserve
        f.expectOK(.setImbalanceRules(rules))
        f.expectOK(.updateMember(id: F.bra, quotaUnitMinor: 100_000_000, status: nil))
        let units = f.pay(1, F.brBank1, F.cnBank1, 244_500).unitAmountMinor
        #expect(units > 2_000_000)
        f.expectOK(.endYear)
        #expect(f.union(F.chn) == 2_000_000 && f.union(F.bra) == -units)
        let reserve = f.hub.ledgerState.account(id: f.hub.unionReserveAccountID)!
        #expect(reserve.creditsPosted == UInt128(units - 2_000_000))
        // A second year end finds nothing beyond the quota; the rule off, nothing moves.
        f.expectOK(.endYear)
        #expect(f.hub.ledgerState.account(id: f.hub.unionReserveAccountID)!.creditsPosted == reserve.creditsPosted)
    }
}
