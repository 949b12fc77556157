import Foundation
@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// Rules that never block trade: positions beyond quota settle in the settlement asset at
/// close (`QuotaMode.settle`), by tranches like the EPU's, with charges kept or redistributed.
@Suite struct SettleModeTests {
    typealias F = HubFixture
    static let bra = CycleCloseTests.bra, chn = CycleCloseTests.chn
    static let quota: Int64 = 10_000_000  // 1,000.0000 units

    /// The EPU's debtor schedule: 0% of the first fifth of the quota in gold, then 20%, 40%,
    /// 60%, 80% of each next fifth; beyond the quota all of it.
    static let epuDebtor = [
        Tranche(upToPercentOfQuota: 20, settledPercent: 0), Tranche(upToPercentOfQuota: 40, settledPercent: 20),
        Tranche(upToPercentOfQuota: 60, settledPercent: 40), Tranche(upToPercentOfQuota: 80, settledPercent: 60),
        Tranche(upToPercentOfQuota: 100, settledPercent: 80),
    ]

    static func settleRules(debtor: [Tranche] = [], creditor: [Tranche] = []) -> ImbalanceRules {
        var rules = ImbalanceRules.none
        rules.quotaMode = .settle
        rules.excessSettlementAsset = "XAU"
        rules.debtorTranches = debtor
        rules.creditorTranches = creditor
        return rules
    }

    /// One member at a time, gross positions by hand: what each close asks of it.
    static func due(
        gross: Int64, issued: Int64, rules: ImbalanceRules
    ) -> (amount: Int64, direction: ExcessSettlement.Direction)? {
        let members = CycleCloseTests.members(rates: true)
        let all = CycleClose.excessSettlements(
            members: members, grossPositionsMinor: [gross, 0], quotasUnitMinor: [quota, quota],
            issuedMinor: [issued, 0], rules: rules)
        return all.first.map { ($0.amountUnitMinor, $0.direction) }
    }

    /// A debtor moving through three tranches in three cycles, then beyond its quota, then
    /// back: worked by hand on a quota of 1,000 units (10,000,000 minor units).
    @Test func aDebtorMovesThroughTheTranchesCycleByCycle() throws {
        let rules = Self.settleRules(debtor: Self.epuDebtor)
        // −15% of quota: inside the first tranche (all credit), nothing to settle.
        #expect(Self.due(gross: -1_500_000, issued: 0, rules: rules) == nil)
        // −30%: 10% of quota in the 20% tranche: 1,000,000 × 20% = 200,000.
        let second = try #require(Self.due(gross: -3_000_000, issued: 0, rules: rules))
        #expect(second.amount == 200_000 && second.direction == .memberPays)
        // −50%: 20%-40% at 20% (400,000) + 40%-50% at 40% (400,000) = 800,000; 600,000 more.
        let third = try #require(Self.due(gross: -5_000_000, issued: 200_000, rules: rules))
        #expect(third.amount == 600_000 && third.direction == .memberPays)
        // −120%: 400,000 + 800,000 + 1,200,000 + 1,600,000 + 2,000,000 beyond = 6,000,000,
        // leaving 6,000,000 of credit: within the quota.
        let beyond = try #require(Self.due(gross: -12_000_000, issued: 800_000, rules: rules))
        #expect(beyond.amount == 5_200_000 && beyond.direction == .memberPays)
        // Back to −30%: the union returns what the lower position no longer needs.
        let back = try #require(Self.due(gross: -3_000_000, issued: 6_000_000, rules: rules))
        #expect(back.amount == 5_800_000 && back.direction == .unionPays)
    }

    @Test func aCreditorIsPaidOutByItsOwnSchedule() throws {
        let creditor = [
            Tranche(upToPercentOfQuota: 50, settledPercent: 0), Tranche(upToPercentOfQuota: 100, settledPercent: 50),
        ]
        let rules = Self.settleRules(debtor: Self.epuDebtor, creditor: creditor)
        #expect(Self.due(gross: 4_000_000, issued: 0, rules: rules) == nil)
        // +80%: 50%-80% at 50% = 1,500,000 paid out.
        let paid = try #require(Self.due(gross: 8_000_000, issued: 0, rules: rules))
        #expect(paid.amount == 1_500_000 && paid.direction == .unionPays)
        // +130%: 2,500,000 + 3,000,000 beyond = 5,500,000 in all; 4,000,000 more.
        let more = try #require(Self.due(gross: 13_000_000, issued: -1_500_000, rules: rules))
        #expect(more.amount == 4_000_000 && more.direction == .unionPays)
        // A hard quota pays creditors nothing beyond it (charged and alarmed instead).
        var hard = rules
        hard.quotaMode = .hard
        #expect(Self.due(gross: 13_000_000, issued: -2_500_000, rules: hard) == nil)
    }

    @Test func fractionsOfAMinorUnitRoundHalfEvenOnTheWholePosition() {
        let rules = Self.settleRules(debtor: [Tranche(upToPercentOfQuota: 100, settledPercent: 25)])
        // 25% of 2 = 0.5 → 0; of 6 = 1.5 → 2; of 10 = 2.5 → 2 (half-even, once, on the total).
        #expect(Self.due(gross: -2, issued: 0, rules: rules) == nil)
        #expect(Self.due(gross: -6, issued: 0, rules: rules)?.amount == 2)
        #expect(Self.due(gross: -10, issued: 0, rules: rules)?.amount == 2)
    }

    @Test func chargesAreSplitInProportionExactly() {
        #expect(SettlementSchedule.proportionalShares(of: 100, weights: [1, 1, 1]) == [34, 33, 33])
        #expect(SettlementSchedule.proportionalShares(of: 10, weights: [3, 0, 7]) == [3, 0, 7])
        #expect(SettlementSchedule.proportionalShares(of: 1, weights: [1, 1]) == [1, 0])
        #expect(SettlementSchedule.proportionalShares(of: 7, weights: [2, 5, 0, 1]) == [2, 4, 0, 1])
        #expect(SettlementSchedule.proportionalShares(of: 5, weights: [0, 0]) == nil)
    }

    @Test func badSchedulesAreRefused() {
        var f = F()
        for bad in [
            [Tranche(upToPercentOfQuota: 50, settledPercent: 0), Tranche(upToPercentOfQuota: 50, settledPercent: 10)],
            [Tranche(upToPercentOfQuota: 0, settledPercent: 10)],
            [Tranche(upToPercentOfQuota: 101, settledPercent: 10)],
            [Tranche(upToPercentOfQuota: 50, settledPercent: 101)],
            [Tranche(upToPercentOfQuota: 50, settledPercent: -1)],
        ] {
            #expect(f.apply(.setImbalanceRules(Self.settleRules(debtor: bad))) == .refused(.invalidImbalanceRules))
            #expect(f.apply(.setImbalanceRules(Self.settleRules(creditor: bad))) == .refused(.invalidImbalanceRules))
        }
        // Settling needs an asset to settle in.
        var noAsset = Self.settleRules()
        noAsset.excessSettlementAsset = ""
        #expect(f.apply(.setImbalanceRules(noAsset)) == .refused(.invalidImbalanceRules))
        f.expectOK(.setImbalanceRules(Self.settleRules(debtor: Self.epuDebtor)))
    }

    /// The report's new fields survive JSON (the audit trail stores reports), and are left
    /// out when they say nothing, so older reports keep their bytes.
    @Test func reportFieldsRoundTripAndAreOmittedWhenDefault() throws {
        let bra = CycleCloseTests.bra
        let excess = ExcessSettlement(
            member: bra, amountUnitMinor: 5, settlementAsset: "XAU", isConfirmed: false, direction: .unionPays)
        let charge = MemberCharge(member: bra, averagePositionMinor: -9, chargeMinor: 1, receivedMinor: 2)
        #expect(try JSONDecoder().decode(ExcessSettlement.self, from: JSONEncoder().encode(excess)) == excess)
        #expect(try JSONDecoder().decode(MemberCharge.self, from: JSONEncoder().encode(charge)) == charge)
        var plain = excess
        plain.direction = .memberPays
        #expect(!String(decoding: try JSONEncoder().encode(plain), as: UTF8.self).contains("direction"))
        #expect(
            !String(decoding: try JSONEncoder().encode(ImbalanceRules.standard), as: UTF8.self).contains("quotaMode"))
    }
}
