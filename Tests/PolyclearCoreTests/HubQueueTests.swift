@testable import PolyclearCore
import Testing

@Suite struct HubQueueTests {
    typealias F = HubFixture

    @Test func paymentBeyondTheCapWaitsAndAnInflowReleasesIt() {
        var f = F(capMinor: 0)
        let queued = f.pay(1, F.brBank1, F.brBank2, 500)
        #expect(queued.status == .queued)
        #expect(f.position(F.brBank1) == 0)
        #expect(f.hub.queuedPayments(of: F.brBank1) == [1])
        // An inflow of 500 to brBank1 funds it exactly: entry-disposition releases it at once.
        #expect(f.pay(2, F.brBank2, F.brBank1, 500).status == .queued)  // brBank2 has nothing either
        #expect(f.hub.payment(1)?.status == .queued)
        f.expectOK(.requestFunds(id: 10, participant: F.brBank2, amountMinor: 500, direction: .into))
        #expect(f.hub.payment(2)?.status == .queued)  // reserved funds are not money yet
        f.expectOK(.confirmFunds(id: 10))
        #expect(f.hub.payment(2)?.status == .accepted)
        #expect(f.hub.payment(1)?.status == .accepted)  // released by payment 2's inflow
        #expect(f.position(F.brBank1) == 0 && f.position(F.brBank2) == 500)
    }

    @Test func queueIsFIFOPerPayerWithUrgentFirst() {
        var f = F(capMinor: 0)
        #expect(f.pay(1, F.brBank1, F.brBank2, 100).status == .queued)
        #expect(f.pay(2, F.brBank1, F.brBank2, 50).status == .queued)
        #expect(f.pay(3, F.brBank1, F.brBank2, 10, priority: .urgent).status == .queued)
        #expect(f.hub.queuedPayments(of: F.brBank1) == [3, 1, 2])
        // 60 arrives: urgent 10 goes, then 100 does not fit, so 50 waits behind it (no overtaking).
        f.expectOK(.requestFunds(id: 10, participant: F.brBank1, amountMinor: 60, direction: .into))
        f.expectOK(.confirmFunds(id: 10))
        #expect(f.hub.payment(3)?.status == .accepted)
        #expect(f.hub.payment(1)?.status == .queued && f.hub.payment(2)?.status == .queued)
        // A normal payment that would fit still queues behind earlier ones.
        #expect(f.pay(4, F.brBank1, F.brBank2, 1).status == .queued)
        // a limit change frees them
        f.expectOK(.updateParticipant(bic: F.brBank1, netDebitCapMinor: 1_000, status: nil))
        #expect([1, 2, 4].allSatisfy { f.hub.payment(UInt128($0))?.status == .accepted })
        #expect(f.hub.releasableQueueHeads().isEmpty)
    }

    @Test(arguments: [CycleEndQueuePolicy.carryOver, .returnToPayer])
    func queuedPaymentsAtCycleEndFollowThePolicy(policy: CycleEndQueuePolicy) {
        var configuration = HubConfiguration(currencies: try! CurrencyTable())
        configuration.queuedPaymentsAtCycleEnd = policy
        var f = F(capMinor: 0)
        f.hub = HubStateMachine(configuration: configuration)
        for command in F(capMinor: 0).log.map(\.0) { _ = f.hub.apply(command, now: f.now) }
        #expect(f.pay(1, F.brBank1, F.brBank2, 100).status == .queued)
        #expect(f.pay(2, F.cnBank1, F.cnBank2, 100).status == .queued)
        f.expectOK(.applyCycleEndQueuePolicy)
        for id: UInt128 in [1, 2] {
            let state = f.hub.payment(id)!
            if policy == .carryOver {
                #expect(state.status == .queued)
            } else {
                #expect(state.status == .rejected && state.rejection == .returnedAtCycleEnd)
            }
        }
        #expect(f.hub.queuedPayments(of: F.brBank1).count == (policy == .carryOver ? 1 : 0))
    }

    @Test func immediateOrRejectIsNotQueued() {
        var f = F(capMinor: 100)
        let state = f.pay(1, F.brBank1, F.brBank2, 101, immediateOrReject: true)
        #expect(state.status == .rejected && state.rejection == .insufficientLiquidity)
        #expect(f.pay(2, F.brBank1, F.brBank2, 100, immediateOrReject: true).status == .accepted)
    }

    @Test func memberQuotaQueuesAndAnInflowToTheMemberReleases() {
        var f = F(capMinor: 100_000_000, quotaUnitMinor: 1_000_000)  // 100 units of quota
        // 500.00 BRL is 122.6934 units: beyond Brazil's quota.
        #expect(f.pay(1, F.brBank1, F.cnBank1, 50_000).status == .queued)
        #expect(f.union(F.bra) == 0)
        // China pays Brazil 100.00 CNY (20.0374 units): Brazil's room grows to 120.0374, still short.
        #expect(f.pay(2, F.cnBank2, F.brBank2, 10_000).status == .accepted)
        #expect(f.hub.payment(1)?.status == .queued)
        // Another 20.00 CNY: now it fits, and it is released by the inflow to another Brazilian bank.
        #expect(f.pay(3, F.cnBank2, F.brBank2, 2_000).status == .accepted)
        #expect(f.hub.payment(1)?.status == .accepted)
        #expect(f.union(F.bra) >= -1_000_000)
    }

    @Test func cancellingAQueuedPaymentAndNotAReleasedOne() {
        var f = F(capMinor: 0)
        #expect(f.pay(1, F.brBank1, F.brBank2, 100).status == .queued)
        #expect(f.apply(.cancelPayment(id: 1, actor: .participant(F.brBank2))) == .refused(.notAllowedForActor))
        guard case .payment(let cancelled) = f.apply(.cancelPayment(id: 1, actor: .participant(F.brBank1))) else {
            return
        }
        #expect(cancelled.status == .cancelled)
        #expect(f.hub.queuedPayments(of: F.brBank1).isEmpty)
        #expect(f.pay(2, F.brBank1, F.brBank2, 100).status == .queued)
        f.expectOK(.updateParticipant(bic: F.brBank1, netDebitCapMinor: 100, status: nil))
        #expect(f.hub.payment(2)?.status == .accepted)
        #expect(f.apply(.cancelPayment(id: 2, actor: .participant(F.brBank1))) == .refused(.paymentStateForbidsThis))
        #expect(f.apply(.cancelPayment(id: 99, actor: .participant(F.brBank1))) == .refused(.paymentNotFound))
    }

    @Test func twoPhasePaymentIsReservedThenCommittedOnce() {
        var f = F()
        let reserved = f.pay(1, F.brBank1, F.cnBank1, 100_000, twoPhase: true)
        #expect(reserved.status == .reserved)
        #expect(f.position(F.brBank1) == -100_000)  // pending debits count
        #expect(f.position(F.cnBank1) == 0)  // pending credits are not money yet
        #expect(f.apply(.commitPayment(id: 1, actor: .participant(F.brBank2))) == .refused(.notAllowedForActor))
        guard case .payment(let committed) = f.apply(.commitPayment(id: 1, actor: .participant(F.cnBank1))) else {
            return
        }
        #expect(committed.status == .accepted)
        #expect(f.position(F.cnBank1) == 122_464)
        #expect(f.apply(.rejectPayment(id: 1, actor: .operatorUser("ops"))) == .refused(.paymentStateForbidsThis))
        #expect(f.apply(.commitPayment(id: 1, actor: .operatorUser("ops"))) == .refused(.paymentStateForbidsThis))
    }

    @Test func twoPhaseRejectAndExpiryReleaseEverything() {
        var f = F()
        _ = f.pay(1, F.brBank1, F.cnBank1, 100_000, twoPhase: true)
        guard case .payment(let rejected) = f.apply(.rejectPayment(id: 1, actor: .member(F.chn))) else { return }
        #expect(rejected.status == .rejected && rejected.rejection == .rejectedByPayee)
        #expect(f.position(F.brBank1) == 0 && f.union(F.bra) == 0)
        #expect(f.apply(.commitPayment(id: 1, actor: .operatorUser("ops"))) == .refused(.paymentStateForbidsThis))

        _ = f.apply(F.payment(2, from: F.brBank1, to: F.cnBank1, amountMinor: 1_000, twoPhase: true))
        f.advance(seconds: 3_601)  // the default reservation timeout is an hour
        #expect(f.hub.payment(2)?.status == .expired)
        #expect(f.hub.payment(2)?.rejection == .reservationExpired)
        #expect(f.position(F.brBank1) == 0)
        #expect(f.apply(.commitPayment(id: 2, actor: .operatorUser("ops"))) == .refused(.paymentStateForbidsThis))
    }

    @Test func screeningHitIsHeldForTheOperator() {
        var f = F()
        f.expectOK(.setScreeningList(ScreeningList(names: ["Acme Arms"], bics: [F.idBank1], countriesAlpha2: ["IN"])))
        guard
            case .payment(let held) = f.apply(
                F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 100, debtorName: "ACME ARMS, Ltd."))
        else { return }
        #expect(held.status == .held)
        #expect(f.position(F.brBank1) == 0)
        #expect(f.pay(2, F.brBank1, F.inBank1, 100).status == .held)  // country
        #expect(f.pay(3, F.idBank1, F.brBank1, 100).status == .held)  // BIC
        #expect(f.pay(4, F.brBank1, F.cnBank1, 100).status == .accepted)
        #expect(
            f.apply(.decideHeldPayment(id: 1, release: true, actor: .participant(F.brBank1)))
                == .refused(.notAllowedForActor))
        guard
            case .payment(let released) = f.apply(
                .decideHeldPayment(id: 1, release: true, actor: .operatorUser("ops-7")))
        else { return }
        #expect(released.status == .accepted)
        guard
            case .payment(let refused) = f.apply(
                .decideHeldPayment(id: 2, release: false, actor: .operatorUser("ops-7")))
        else { return }
        #expect(refused.status == .rejected && refused.rejection == .screeningRejected)
        #expect(
            f.apply(.decideHeldPayment(id: 2, release: true, actor: .operatorUser("ops-7")))
                == .refused(.paymentStateForbidsThis))
    }

    @Test func utilisationAlarmsFireOncePerCrossing() {
        var f = F(capMinor: 1_000)
        var alarms: [Int] = []
        func pay(_ id: UInt128, _ amount: Int64) {
            f.now += 1_000
            _ = f.hub.apply(F.payment(id, from: F.brBank1, to: F.brBank2, amountMinor: amount), now: f.now)
            for event in f.hub.sealOutcome().events {
                if case .utilisationAlarm(.participant(F.brBank1), let threshold, _) = event.kind {
                    alarms.append(threshold)
                }
            }
            f.hub.outcomeCommitted()
        }
        pay(1, 700)
        #expect(alarms.isEmpty)
        pay(2, 100)  // 80%
        #expect(alarms == [75])
        pay(3, 150)  // 95%
        #expect(alarms == [75, 90])
        pay(4, 10)
        #expect(alarms == [75, 90])
    }

    @Test func fundsOutNeedsTheMoneyAndIsTwoPhase() {
        var f = F(capMinor: 1_000)
        #expect(
            f.apply(.requestFunds(id: 1, participant: F.brBank1, amountMinor: 1, direction: .outOf))
                == .refused(.insufficientFunds))
        f.expectOK(.requestFunds(id: 2, participant: F.brBank1, amountMinor: 500, direction: .into))
        #expect(f.position(F.brBank1) == 0)
        f.expectOK(.confirmFunds(id: 2))
        #expect(f.position(F.brBank1) == 500)
        f.expectOK(.requestFunds(id: 3, participant: F.brBank1, amountMinor: 400, direction: .outOf))
        #expect(f.position(F.brBank1) == 100)  // reserved on request
        f.expectOK(.cancelFunds(id: 3))
        #expect(f.position(F.brBank1) == 500)
        #expect(f.apply(.confirmFunds(id: 3)) == .refused(.paymentStateForbidsThis))
        #expect(
            f.apply(.requestFunds(id: 2, participant: F.brBank1, amountMinor: 5, direction: .into))
                == .refused(.fundsTransferExists))
        #expect(
            f.apply(.requestFunds(id: 4, participant: F.brBank1, amountMinor: 0, direction: .into))
                == .refused(.amountNotPositive))
        #expect(f.apply(.confirmFunds(id: 99)) == .refused(.fundsTransferNotFound))
    }
}
