@testable import PolyclearCore
import Testing

@Suite struct HubCycleTests {
    typealias F = HubFixture

    /// Hand-worked: BR1 -> BR2 1,000; BR2 -> BR1 400; BR1 -> CN1 100,000 BRL (245.3867 units,
    /// 1,224.64 CNY). BR1 sent 101,000 and received 400: net -100,600; BR2 +600; CN1 +122,464.
    /// BRL efficiency: 1 - 100,600 / 101,400 = 0.7890% (7,890 ppm).
    @Test func closingNetsTheCycleAndSettlementResetsPositions() throws {
        var f = F(capMinor: 10_000_000)
        #expect(f.pay(1, F.brBank1, F.brBank2, 1_000).status == .accepted)
        #expect(f.pay(2, F.brBank2, F.brBank1, 400).status == .accepted)
        #expect(f.pay(3, F.brBank1, F.cnBank1, 100_000).status == .accepted)
        f.expectOK(.closeCycle(number: 1))
        #expect(f.hub.openCycleNumber == 2)
        let report = try #require(f.hub.cycles.first)
        #expect(report.paymentCount == 3 && report.state == .settling)
        let net = Dictionary(uniqueKeysWithValues: report.participants.map { ($0.bic, $0.netMinor) })
        #expect(net[F.brBank1] == -100_600 && net[F.brBank2] == 600 && net[F.cnBank1] == 122_464 && net[F.cnBank2] == 0)
        let bra = try #require(report.members.first { $0.id == F.bra })
        let chn = try #require(report.members.first { $0.id == F.chn })
        #expect(bra.participantsNetMinor == -100_000 && bra.unitNetMinor == -2_453_867)
        #expect(chn.participantsNetMinor == 122_464 && chn.unitNetMinor == 2_453_867)
        #expect(report.bilateralUnitMinor[0][1] == 2_453_867)  // members in registration order: BRA, CHN, ...
        let brl = try #require(report.efficiencyByCurrency.first { $0.currency == CurrencyCode("BRL") })
        #expect(
            brl.grossValueMinor == 101_400 && brl.liquidityNeededMinor == 100_600
                && brl.efficiencyPartsPerMillion == 7_890)
        #expect(report.instructions.map(\.amountMinor) == [100_600, 600, 122_464])
        #expect(report.instructions.map(\.direction) == [.payIn, .payOut, .payOut])

        // Bad confirmations change nothing.
        #expect(
            f.apply(
                .confirmSettlement(
                    cycle: 1, member: F.chn, instructionIndex: 2, amountMinor: 122_465, actor: .member(F.chn)))
                == .refused(.instructionAmountDiffers))
        #expect(
            f.apply(
                .confirmSettlement(
                    cycle: 1, member: F.chn, instructionIndex: 0, amountMinor: nil, actor: .member(F.chn)))
                == .refused(.instructionNotFound))
        #expect(
            f.apply(
                .confirmSettlement(
                    cycle: 1, member: F.chn, instructionIndex: 9, amountMinor: nil, actor: .member(F.chn)))
                == .refused(.instructionNotFound))
        #expect(
            f.apply(
                .confirmSettlement(
                    cycle: 1, member: F.chn, instructionIndex: 2, amountMinor: nil, actor: .member(F.bra)))
                == .refused(.notAllowedForActor))
        #expect(
            f.apply(
                .confirmSettlement(
                    cycle: 7, member: F.chn, instructionIndex: nil, amountMinor: nil, actor: .member(F.chn)))
                == .refused(.cycleNotFound))

        f.expectOK(
            .confirmSettlement(cycle: 1, member: F.bra, instructionIndex: nil, amountMinor: nil, actor: .member(F.bra)))
        #expect(f.position(F.brBank1) == 0 && f.position(F.brBank2) == 0)
        #expect(f.hub.cycles[0].state == .settling)
        #expect(
            f.apply(
                .confirmSettlement(
                    cycle: 1, member: F.bra, instructionIndex: 0, amountMinor: nil, actor: .member(F.bra)))
                == .refused(.instructionAlreadyConfirmed))
        f.expectOK(
            .confirmSettlement(
                cycle: 1, member: F.chn, instructionIndex: 2, amountMinor: 122_464, actor: .member(F.chn)))
        #expect(f.position(F.cnBank1) == 0)
        #expect(f.hub.cycles[0].state == .settled)
        #expect(
            f.apply(
                .confirmSettlement(
                    cycle: 1, member: F.chn, instructionIndex: nil, amountMinor: nil, actor: .member(F.chn)))
                == .refused(.cycleNotSettling))
        // The union positions carry forward: they are not settled in money each cycle.
        #expect(f.union(F.bra) == -2_453_867 && f.union(F.chn) == 2_453_867)
    }

    @Test func onlyTheOpenCycleCanBeClosed() {
        var f = F()
        #expect(f.apply(.closeCycle(number: 2)) == .refused(.cycleNotOpen))
        f.expectOK(.closeCycle(number: 1))
        #expect(f.apply(.closeCycle(number: 1)) == .refused(.cycleNotOpen))
        #expect(f.hub.cycles[0].state == .settled)  // nothing to settle
    }

    @Test func scheduleClosesCyclesAndEachPaymentLandsInExactlyOne() {
        var f = F()
        var triggers = CycleTriggers()
        triggers.intervalSeconds = -5
        #expect(f.apply(.setCycleTriggers(triggers)) == .refused(.invalidSchedule))
        triggers.intervalSeconds = 0
        #expect(f.apply(.setCycleTriggers(triggers)) == .refused(.invalidSchedule))
        triggers.intervalSeconds = 60
        f.expectOK(.setCycleTriggers(triggers))
        #expect(f.pay(1, F.brBank1, F.brBank2, 10).cycle == 1)
        f.now += 59_000_000_000
        #expect(f.pay(2, F.brBank1, F.brBank2, 10).cycle == 1)
        // The first command at or after the due time closes cycle 1 before it is applied.
        f.now += 1_000_000_000
        #expect(f.pay(3, F.brBank1, F.brBank2, 10).cycle == 2)
        #expect(f.hub.cycles.map(\.paymentCount) == [2])
        // Time alone closes a cycle too (the writer's tick).
        f.now += 61_000_000_000
        f.hub.tick(now: f.now)
        #expect(f.hub.cycles.map(\.paymentCount) == [2, 1])
        f.expectOK(.setCycleTriggers(CycleTriggers()))
        #expect(f.hub.nextDeadline == nil)
    }

    /// Daily close at 17:00 in UTC+03:00 is 14:00 UTC.
    @Test func dailyCloseFollowsTheLocalClock() {
        var triggers = CycleTriggers()
        triggers.dailySecondOfDay = 17 * 3_600
        triggers.utcOffsetSeconds = 3 * 3_600
        let midnightUTC: UInt64 = 1_800_000_000 / 86_400 * 86_400 * 1_000_000_000
        #expect(triggers.dueTime(openedAt: midnightUTC) == midnightUTC + 14 * 3_600 * 1_000_000_000)
        #expect(
            triggers.dueTime(openedAt: midnightUTC + 15 * 3_600 * 1_000_000_000) == midnightUTC + 38 * 3_600
                * 1_000_000_000)
        triggers.utcOffsetSeconds = -5 * 3_600  // 17:00 in UTC-05:00 is 22:00 UTC
        #expect(triggers.dueTime(openedAt: midnightUTC) == midnightUTC + 22 * 3_600 * 1_000_000_000)
        triggers.dailySecondOfDay = 86_400
        #expect(!triggers.isValid)
    }

    @Test func thresholdsCloseTheCycle() {
        var f = F(capMinor: 100_000_000)
        var triggers = CycleTriggers()
        triggers.grossUnitMinorMax = 3_000_000  // 300 units
        f.expectOK(.setCycleTriggers(triggers))
        #expect(f.pay(1, F.brBank1, F.cnBank1, 100_000).cycle == 1)  // 245.3867 units
        #expect(f.pay(2, F.brBank1, F.cnBank1, 100_000).cycle == 1)  // 490.7734: threshold reached
        #expect(f.pay(3, F.brBank1, F.cnBank1, 100_000).cycle == 2)  // the cycle closed before it
        #expect(f.hub.cycles.map(\.paymentCount) == [2])
        triggers = CycleTriggers()
        triggers.memberExposureUnitMinorMax = 0
        #expect(f.apply(.setCycleTriggers(triggers)) == .refused(.invalidSchedule))
    }

    @Test func aMissedSettlementDeadlineFailsTheCycleWithoutDroppingAnything() {
        var f = F(capMinor: 100_000_000)
        var triggers = CycleTriggers()
        triggers.settlementDeadlineSeconds = 3_600
        f.expectOK(.setCycleTriggers(triggers))
        _ = f.pay(1, F.brBank1, F.cnBank1, 100_000)
        f.expectOK(.closeCycle(number: 1))
        f.expectOK(
            .confirmSettlement(cycle: 1, member: F.bra, instructionIndex: nil, amountMinor: nil, actor: .member(F.bra)))
        f.now += 3_601 * 1_000_000_000
        f.hub.tick(now: f.now)
        #expect(f.hub.cycles[0].state == .failed)
        let missed = f.hub.sealOutcome().events.compactMap { event -> [CountryCode]? in
            if case .settlementDeadlineMissed(1, let members) = event.kind { members } else { nil }
        }
        #expect(missed == [[F.chn]])
        f.hub.outcomeCommitted()
        // A late confirmation still settles it.
        f.expectOK(
            .confirmSettlement(cycle: 1, member: F.chn, instructionIndex: nil, amountMinor: nil, actor: .member(F.chn)))
        #expect(f.hub.cycles[0].state == .settled)
    }

    @Test func aTwoPhasePaymentBelongsToTheCycleItIsCommittedIn() {
        var f = F()
        #expect(f.pay(1, F.brBank1, F.cnBank1, 1_000, twoPhase: true).status == .reserved)
        f.expectOK(.closeCycle(number: 1))
        guard case .payment(let committed) = f.apply(.commitPayment(id: 1, actor: .operatorUser("ops"))) else { return }
        #expect(committed.cycle == 2)
        #expect(f.hub.cycles[0].paymentCount == 0)
    }
}
