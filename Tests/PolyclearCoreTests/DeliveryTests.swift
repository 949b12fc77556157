@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// Deliveries: every booked payment owes its payee bank exactly one `credited` delivery and
/// every final status its payer bank one `finalStatus`, in order, with contiguous cursors;
/// replay rebuilds the same outboxes; acknowledgements are the bank's (or the pusher's) and
/// never go beyond what was delivered.
@Suite struct DeliveryTests {
    typealias F = HubFixture
    static let banks = [F.brBank1, F.brBank2, F.cnBank1, F.cnBank2, F.inBank1, F.idBank1]

    static func all(_ hub: HubStateMachine, _ bic: BIC) -> [Delivery] {
        hub.deliveries(for: bic, after: 0, limit: .max)!.items
    }

    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func everyOutcomeIsDeliveredOnceToTheRightBankAndReplayAgrees(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var f = F(capMinor: 200_000)
        var reserved: [UInt128] = []
        for id in 1...UInt128(120) {
            let payer = Self.banks[Int(random.next() % 6)], payee = Self.banks[Int(random.next() % 6)]
            let twoPhase = random.next() % 4 == 0
            f.apply(
                F.payment(
                    id, from: payer, to: payee, amountMinor: Int64(random.next() % 150_000) + 1, twoPhase: twoPhase,
                    immediateOrReject: random.next() % 3 == 0))
            if twoPhase { reserved.append(id) }
            if random.next() % 5 == 0, let decided = reserved.popLast() {
                f.apply(.commitPayment(id: decided, actor: .operatorUser("ops")))
            }
        }
        f.apply(.closeCycle(number: 1))
        for bic in Self.banks {
            let items = Self.all(f.hub, bic)
            #expect(items.map(\.cursor) == Array(1...UInt64(items.count)), "cursors of \(bic)")
            #expect(items.last?.kind == .cycleClosed && items.last?.subject == 1)
            #expect(zip(items, items.dropFirst()).allSatisfy { $0.time <= $1.time })
        }
        for id in 1...UInt128(120) {
            guard let state = f.hub.payment(id) else { continue }
            let parties = f.hub.paymentParties(id)
            let credited = Self.banks.flatMap { bic in
                Self.all(f.hub, bic).filter { $0.kind == .credited && $0.subject == id }.map { _ in bic }
            }
            let finals = Self.banks.flatMap { bic in
                Self.all(f.hub, bic).filter { $0.kind == .finalStatus && $0.subject == id }.map { ($0, bic) }
            }
            switch state.status {
            case .accepted:
                #expect(credited == [parties!.payee], "payment \(id)")
                #expect(finals.map(\.1) == [parties!.payer] && finals.first?.0.status == .accepted)
            case .rejected, .cancelled, .expired:
                #expect(credited.isEmpty)
                // A payment naming an unknown bank has no bank to tell.
                #expect(
                    finals.count == (parties == nil ? 0 : 1)
                        && (finals.first.map { $0.0.status == state.status } ?? true))
            default:
                #expect(credited.isEmpty && finals.isEmpty, "payment \(id) is \(state.status)")
            }
        }
        // Replay: the same commands at the same times give the same outboxes.
        var again = HubStateMachine(configuration: HubConfiguration(currencies: try! CurrencyTable()))
        for (command, time) in f.log {
            _ = again.apply(command, now: time)
            _ = again.sealOutcome()
            again.outcomeCommitted()
        }
        for bic in Self.banks { #expect(Self.all(again, bic) == Self.all(f.hub, bic)) }
    }

    /// Each executed settlement instruction is delivered once, to its bank, naming it; a
    /// refused confirmation delivers nothing; an unconfirmed one is not delivered.
    @Test func everyExecutedSettlementInstructionIsDeliveredToItsBank() throws {
        var f = F(capMinor: 10_000_000)
        _ = f.pay(1, F.brBank1, F.brBank2, 1_000)
        _ = f.pay(2, F.brBank1, F.cnBank1, 100_000)
        f.expectOK(.closeCycle(number: 1))
        let instructions = try #require(f.hub.cycles.first).instructions
        func settlements(_ bic: BIC) -> [(cycle: UInt32, index: Int)] {
            Self.all(f.hub, bic).compactMap(\.settlementInstruction)
        }
        #expect(
            f.apply(
                .confirmSettlement(
                    cycle: 1, member: F.chn, instructionIndex: nil, amountMinor: nil, actor: .member(F.bra)))
                == .refused(.notAllowedForActor))
        f.expectOK(
            .confirmSettlement(cycle: 1, member: F.bra, instructionIndex: nil, amountMinor: nil, actor: .member(F.bra)))
        #expect(settlements(F.cnBank1).isEmpty)
        // A second confirmation of a confirmed instruction is refused and delivers nothing.
        let before = Self.all(f.hub, F.brBank1).count
        #expect(
            f.apply(
                .confirmSettlement(
                    cycle: 1, member: F.bra, instructionIndex: 0, amountMinor: nil, actor: .member(F.bra)))
                == .refused(.instructionAlreadyConfirmed))
        #expect(Self.all(f.hub, F.brBank1).count == before)
        f.expectOK(
            .confirmSettlement(cycle: 1, member: F.chn, instructionIndex: nil, amountMinor: nil, actor: .member(F.chn)))
        for bic in Self.banks {
            let expected = instructions.filter { $0.participant == bic }.map(\.index)
            #expect(settlements(bic).map(\.index) == expected, "\(bic)")
            #expect(settlements(bic).allSatisfy { $0.cycle == 1 })
        }
        #expect(!settlements(F.brBank1).isEmpty && !settlements(F.cnBank1).isEmpty)
    }

    @Test func onlyTheBankOrThePusherAcknowledgesAndNeverBeyondTheLastDelivery() {
        var f = F()
        for id in 1...UInt128(6) { _ = f.pay(id, F.brBank1, F.cnBank1, 1_000) }
        let last = Self.all(f.hub, F.cnBank1).last!.cursor
        #expect(last == 6)
        #expect(
            f.apply(.acknowledgeDeliveries(participant: F.cnBank1, through: 2, actor: .participant(F.brBank1)))
                == .refused(.notAllowedForActor))
        #expect(
            f.apply(.acknowledgeDeliveries(participant: F.cnBank1, through: 2, actor: .operatorUser("ops")))
                == .refused(.notAllowedForActor))
        #expect(
            f.apply(.acknowledgeDeliveries(participant: F.cnBank1, through: 7, actor: .participant(F.cnBank1)))
                == .refused(.malformedField))
        #expect(
            f.apply(.acknowledgeDeliveries(participant: BIC("NOPENOPE")!, through: 1, actor: .system))
                == .refused(.participantNotFound))
        #expect(
            f.apply(.acknowledgeDeliveries(participant: F.cnBank1, through: 4, actor: .participant(F.cnBank1))) == .ok)
        // Going back is a no-op; what follows the cursor is still there.
        #expect(f.apply(.acknowledgeDeliveries(participant: F.cnBank1, through: 1, actor: .system)) == .ok)
        let after = f.hub.deliveries(for: F.cnBank1, after: 4, limit: 10)!
        #expect(after.acknowledged == 4 && after.items.map(\.cursor) == [5, 6] && after.last == 6)
        #expect(f.hub.deliveries(for: F.cnBank1, after: 0, limit: 1)!.items.first!.cursor >= 1)
    }

    @Test func anEndpointIsTheBanksOwnAndMustBeHTTPSOrLoopback() {
        var f = F()
        let good = DeliveryEndpoint(url: "https://bank.example/polyclear/inbox", format: .iso20022)
        #expect(
            f.apply(.setDeliveryEndpoint(participant: F.cnBank1, endpoint: good, actor: .participant(F.cnBank1))) == .ok
        )
        #expect(f.hub.deliveryEndpoint(of: F.cnBank1) == good)
        #expect(
            f.apply(.setDeliveryEndpoint(participant: F.cnBank1, endpoint: nil, actor: .participant(F.brBank1)))
                == .refused(.notAllowedForActor))
        for url in [
            "http://bank.example/inbox", "ftp://bank.example", "https://", "https://user@bank.example/",
            "https://bank.example/#x", "https://bank example/", "http://127.0.0.1.evil.example/",
            "https://" + String(repeating: "a", count: 600),
        ] {
            #expect(!DeliveryEndpoint(url: url, format: .json).isValid, "\(url)")
        }
        for url in ["http://127.0.0.1:8088/in", "http://localhost/in", "http://[::1]:9/in", "https://h:8443/p?q=1"] {
            #expect(DeliveryEndpoint(url: url, format: .json).isValid, "\(url)")
        }
    }
}
