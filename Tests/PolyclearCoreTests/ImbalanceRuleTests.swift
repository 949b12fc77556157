@testable import PolyclearCore
import Testing

@Suite struct ImbalanceRuleTests {
    typealias F = HubFixture

    /// Hand-worked: quota 1,000 units, average position −600 units for one day, 1% a year
    /// beyond 25% and another 1% beyond 50%: 350 × 1% / 365 + 100 × 1% / 365 = 0.0123288 units,
    /// so 0.0123 (123 minor units, half-even).
    @Test func chargeFormulaMatchesTheWorkedExample() {
        let rules = ImbalanceRules.standard
        #expect(
            rules.charge(averagePositionMinor: -6_000_000, quotaMinor: 10_000_000, cycleMilliseconds: 86_400_000) == 123
        )
        // Creditors pay the same as debtors.
        #expect(
            rules.charge(averagePositionMinor: 6_000_000, quotaMinor: 10_000_000, cycleMilliseconds: 86_400_000) == 123)
        // Below the first threshold: nothing.
        #expect(
            rules.charge(averagePositionMinor: -2_500_000, quotaMinor: 10_000_000, cycleMilliseconds: 86_400_000) == 0)
        // Between thresholds: only the first tier. 100 units × 1% / 365 × 365 days = 1 unit.
        #expect(
            rules.charge(averagePositionMinor: 3_500_000, quotaMinor: 10_000_000, cycleMilliseconds: 365 * 86_400_000)
                == 10_000)
    }

    @Test func badRulesAreRefused() {
        var f = F()
        let outOfOrder = ImbalanceRules(tiers: [
            .init(thresholdPercentOfQuota: 50, annualRateBasisPoints: 100),
            .init(thresholdPercentOfQuota: 25, annualRateBasisPoints: 100),
        ])
        #expect(f.apply(.setImbalanceRules(outOfOrder)) == .refused(.invalidImbalanceRules))
        let negative = ImbalanceRules(tiers: [.init(thresholdPercentOfQuota: 25, annualRateBasisPoints: -1)])
        #expect(f.apply(.setImbalanceRules(negative)) == .refused(.invalidImbalanceRules))
        f.expectOK(.setImbalanceRules(.standard))
    }

    @Test func closeChargesAverageImbalanceOnBothSidesIntoTheReserve() throws {
        var f = F(capMinor: 100_000_000, quotaUnitMinor: 10_000_000)
        var rules = ImbalanceRules.standard
        rules.persistentImbalanceCycles = 2
        f.expectOK(.setImbalanceRules(rules))
        f.expectOK(.closeCycle(number: 1))
        // Brazil pays China 600-odd units, then a day passes.
        let paid = f.pay(1, F.brBank1, F.cnBank1, 244_500)
        #expect(paid.status == .accepted)
        let units = paid.unitAmountMinor
        #expect(units > 5_000_000 && units < 10_000_000)
        f.now += 86_400_000_000_000
        f.expectOK(.closeCycle(number: 2))
        let report = f.hub.cycles[1]
        let expected = ImbalanceRules.standard.charge(
            averagePositionMinor: -units, quotaMinor: 10_000_000, cycleMilliseconds: 86_400_000)
        #expect(expected > 0)
        #expect(report.charges.map(\.member) == [F.bra, F.chn])
        #expect(report.charges.map(\.averagePositionMinor) == [-units, units])
        #expect(report.charges.map(\.chargeMinor) == [expected, expected])
        #expect(f.union(F.bra) == -units - expected)
        #expect(f.union(F.chn) == units - expected)
        let reserve = f.hub.ledgerState.account(id: f.hub.unionReserveAccountID)!
        #expect(reserve.creditsPosted == UInt128(2 * expected))
        // Beyond 50% of quota at this close and the next: the persistent-imbalance alarm.
        f.now += 1_000_000_000
        let result = f.hub.apply(.closeCycle(number: 3), now: f.now)
        #expect(result == .ok)
        let alarms = f.hub.sealOutcome().events.compactMap { event -> CountryCode? in
            if case .persistentImbalance(let member, let cycles, _) = event.kind, cycles == 2 { member } else { nil }
        }
        #expect(alarms == [F.bra, F.chn])
        #expect(f.hub.checkInvariants() == nil)
    }
}

extension ImbalanceRuleTests {
    @Test func debtBeyondQuotaIsDueInTheSettlementAssetAndTrackedToConfirmation() throws {
        var f = F(capMinor: 100_000_000, quotaUnitMinor: 10_000_000)
        var rules = ImbalanceRules.none
        rules.excessSettlementAsset = "XAU"
        f.expectOK(.setImbalanceRules(rules))
        let units = f.pay(1, F.brBank1, F.cnBank1, 244_500).unitAmountMinor
        // The union lowers Brazil's quota below its debt: the excess is due at the next close.
        f.expectOK(.updateMember(id: F.bra, quotaUnitMinor: 4_000_000, status: nil))
        f.expectOK(.closeCycle(number: 1))
        let due = try #require(f.hub.cycles[0].excessSettlements.first)
        #expect(f.hub.cycles[0].excessSettlements.count == 1)
        #expect(
            due.member == F.bra && due.amountUnitMinor == units - 4_000_000 && due.settlementAsset == "XAU"
                && !due.isConfirmed)
        #expect(
            f.apply(
                .confirmExcessSettlement(
                    cycle: 1, member: F.bra, amountUnitMinor: due.amountUnitMinor, actor: .member(F.bra)))
                == .refused(.notAllowedForActor))
        #expect(
            f.apply(
                .confirmExcessSettlement(
                    cycle: 1, member: F.bra, amountUnitMinor: due.amountUnitMinor + 1, actor: .operatorUser("ops")))
                == .refused(.instructionAmountDiffers))
        #expect(
            f.apply(.confirmExcessSettlement(cycle: 1, member: F.chn, amountUnitMinor: 1, actor: .operatorUser("ops")))
                == .refused(.excessSettlementNotFound))
        f.expectOK(
            .confirmExcessSettlement(
                cycle: 1, member: F.bra, amountUnitMinor: due.amountUnitMinor, actor: .operatorUser("ops")))
        #expect(f.union(F.bra) == -4_000_000)
        #expect(f.hub.cycles[0].excessSettlements[0].isConfirmed)
        #expect(
            f.apply(
                .confirmExcessSettlement(
                    cycle: 1, member: F.bra, amountUnitMinor: due.amountUnitMinor, actor: .operatorUser("ops")))
                == .refused(.instructionAlreadyConfirmed))
    }
}
