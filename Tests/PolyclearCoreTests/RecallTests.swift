@testable import PolyclearCore
import Testing

/// Recalls: only the payer's bank asks, only for a booked payment not returned, one open at a
/// time; only the payee's bank answers, once, before the deadline; accepting books the return
/// (the payer's position is whole again); an unanswered recall expires by the hub's clock;
/// both banks are told; replay decides the same.
@Suite struct RecallTests {
    typealias F = HubFixture
    static let payer = Actor.participant(F.brBank1), payee = Actor.participant(F.cnBank1)

    static func recall(_ id: UInt128, payment: UInt128, by actor: Actor = payer, seconds: UInt32 = 0) -> HubCommand {
        .requestRecall(
            RecallRequest(id: id, paymentID: payment, reasonCode: "DUPL", answerSeconds: seconds, actor: actor))
    }

    @Test func badRecallsAreRefusedAndNothingChanges() {
        var f = F()
        _ = f.pay(1, F.brBank1, F.cnBank1, 10_000)
        _ = f.pay(2, F.brBank1, F.cnBank1, 10_000, twoPhase: true)  // reserved, not booked
        #expect(f.apply(Self.recall(9, payment: 1, by: Self.payee)) == .refused(.notAllowedForActor))
        #expect(f.apply(Self.recall(9, payment: 1, by: .participant(F.brBank2))) == .refused(.notAllowedForActor))
        #expect(f.apply(Self.recall(9, payment: 1, by: .member(F.bra))) == .refused(.notAllowedForActor))
        #expect(f.apply(Self.recall(9, payment: 77)) == .refused(.paymentNotFound))
        #expect(f.apply(Self.recall(9, payment: 2)) == .refused(.paymentStateForbidsThis))
        #expect(f.apply(Self.recall(0, payment: 1)) == .refused(.malformedField))
        #expect(
            f.apply(.requestRecall(RecallRequest(id: 9, paymentID: 1, reasonCode: "dupl", actor: Self.payer)))
                == .refused(.malformedField))
        #expect(f.apply(Self.recall(9, payment: 1, seconds: 91 * 86_400)) == .refused(.malformedField))
        #expect(f.hub.recalls(ofPayment: 1).isEmpty)
        #expect(f.apply(Self.recall(9, payment: 1)) == .ok)
        #expect(f.apply(Self.recall(9, payment: 1)) == .ok)  // the same request again: idempotent
        #expect(f.apply(Self.recall(10, payment: 1)) == .refused(.recallExists))  // one open at a time
        #expect(
            f.apply(.requestRecall(RecallRequest(id: 9, paymentID: 1, reasonCode: "FRAD", actor: Self.payer)))
                == .refused(.recallExists))
        #expect(f.hub.recalls(ofPayment: 1).count == 1)
        // Answers: the payee's bank only, with a reason code when rejecting.
        #expect(
            f.apply(.answerRecall(id: 9, accept: true, reasonCode: "", actor: Self.payer))
                == .refused(.notAllowedForActor))
        #expect(
            f.apply(.answerRecall(id: 9, accept: true, reasonCode: "", actor: .operatorUser("ops")))
                == .refused(.notAllowedForActor))
        #expect(
            f.apply(.answerRecall(id: 9, accept: false, reasonCode: "", actor: Self.payee)) == .refused(.malformedField)
        )
        #expect(
            f.apply(.answerRecall(id: 8, accept: false, reasonCode: "NOOR", actor: Self.payee))
                == .refused(.recallNotFound))
        #expect(f.hub.recall(9)?.status == .open)
    }

    @Test func anAcceptedRecallBooksTheReturnOnceAndBothBanksAreTold() {
        var f = F()
        let before = (f.position(F.brBank1), f.position(F.cnBank1))
        _ = f.pay(1, F.brBank1, F.cnBank1, 10_000)
        #expect(f.apply(Self.recall(9, payment: 1)) == .ok)
        let requested = DeliveryTests.all(f.hub, F.cnBank1).last!
        #expect(requested.kind == .recallRequested && requested.subject == 9)
        guard
            case .recallAnswered(let returned?) = f.apply(
                .answerRecall(id: 9, accept: true, reasonCode: "", actor: Self.payee))
        else { Issue.record("not accepted"); return }
        #expect(returned.status == .accepted)
        #expect((f.position(F.brBank1), f.position(F.cnBank1)) == before, "the payer is whole again")
        #expect(f.hub.recall(9)?.status == .accepted && f.hub.recall(9)?.returnID == returned.id)
        #expect(f.hub.originalOfReturn(returned.id) == 1)
        #expect(DeliveryTests.all(f.hub, F.brBank1).contains { $0.kind == .recallAnswered && $0.subject == 9 })
        // Once answered: not again, and the payment (returned) cannot be recalled again.
        #expect(
            f.apply(.answerRecall(id: 9, accept: false, reasonCode: "NOOR", actor: Self.payee))
                == .refused(.recallNotOpen))
        #expect(f.apply(Self.recall(10, payment: 1)) == .refused(.paymentStateForbidsThis))
        // A rejected one books nothing.
        _ = f.pay(2, F.brBank1, F.cnBank1, 5_000)
        #expect(f.apply(Self.recall(11, payment: 2)) == .ok)
        #expect(
            f.apply(.answerRecall(id: 11, accept: false, reasonCode: "NOOR", actor: Self.payee)) == .recallAnswered(nil)
        )
        #expect(f.hub.recall(11)?.status == .rejected && f.hub.recall(11)?.answerReasonCode == "NOOR")
        #expect(f.hub.returnsOf(2).ids.isEmpty)
    }

    @Test func anUnansweredRecallExpiresAtItsDeadlineAndReplayAgrees() {
        var f = F()
        _ = f.pay(1, F.brBank1, F.cnBank1, 10_000)
        #expect(f.apply(Self.recall(9, payment: 1, seconds: 60)) == .ok)
        f.advance(seconds: 59)
        #expect(f.hub.recall(9)?.status == .open)
        f.advance(seconds: 2)
        #expect(f.hub.recall(9)?.status == .expired)
        #expect(
            f.apply(.answerRecall(id: 9, accept: true, reasonCode: "", actor: Self.payee)) == .refused(.recallExpired))
        let told = DeliveryTests.all(f.hub, F.brBank1).filter { $0.kind == .recallAnswered }
        #expect(told.count == 1 && told[0].subject == 9)
        // A new recall may be made once the old one is over.
        #expect(f.apply(Self.recall(10, payment: 1)) == .ok)
        var again = HubStateMachine(configuration: HubConfiguration(currencies: try! CurrencyTable()))
        for (command, time) in f.log {
            _ = again.apply(command, now: time)
            _ = again.sealOutcome()
            again.outcomeCommitted()
        }
        #expect(again.recall(9) == f.hub.recall(9) && again.recall(10) == f.hub.recall(10))
        #expect(DeliveryTests.all(again, F.brBank1) == DeliveryTests.all(f.hub, F.brBank1))
    }
}
