@testable import PolyclearCore
import Testing

/// Random payment streams over the test union. After every command: the hub invariants hold
/// (the fixture checks), no queue head that could go is left waiting, and every payment is
/// booked on all its legs or on none. At the end, replaying the command log on a fresh hub
/// gives the identical state.
@Suite struct HubPropertyTests {
    typealias F = HubFixture
    static let banks = [F.brBank1, F.brBank2, F.cnBank1, F.cnBank2, F.inBank1, F.idBank1]

    static func randomCommand(_ random: inout SeededRandom, nextID: inout UInt128) -> HubCommand {
        let bank = { (r: inout SeededRandom) in banks[Int(r.next() % UInt64(banks.count))] }
        switch random.next() % 20 {
        case 0: return .commitPayment(id: UInt128(1 + random.next() % nextID), actor: .operatorUser("ops"))
        case 1: return .rejectPayment(id: UInt128(1 + random.next() % nextID), actor: .operatorUser("ops"))
        case 2: return .cancelPayment(id: UInt128(1 + random.next() % nextID), actor: .operatorUser("ops"))
        case 3:
            nextID += 1
            return .requestFunds(id: nextID, participant: bank(&random), amountMinor: Int64(1 + random.next() % 2_000_000),
                                 direction: random.next() % 3 == 0 ? .outOf : .into)
        case 4: return .confirmFunds(id: UInt128(1 + random.next() % nextID))
        case 5: return .updateParticipant(bic: bank(&random), netDebitCapMinor: Int64(random.next() % 3_000_000), status: nil)
        case 6: return .updateMember(id: [F.bra, F.chn, F.ind, F.idn][Int(random.next() % 4)],
                                     quotaUnitMinor: Int64(random.next() % 20_000_000), status: nil)
        default:
            nextID += 1
            let payer = bank(&random)
            var payee = bank(&random)
            if random.next() % 10 == 0 { payee = payer }
            return F.payment(nextID, from: payer, to: payee, amountMinor: Int64(1 + random.next() % 3_000_000),
                             side: random.next() % 3 == 0 ? .payeeCredit : .payerDebit,
                             priority: random.next() % 4 == 0 ? .urgent : .normal, twoPhase: random.next() % 5 == 0,
                             immediateOrReject: random.next() % 10 == 0)
        }
    }

    static func positions(_ hub: HubStateMachine) -> [String: (balance: Int64, limit: Int64)] {
        var positions: [String: (Int64, Int64)] = [:]
        for participant in hub.allParticipants {
            positions[participant.bic.description] = (hub.position(of: participant.bic)!, participant.netDebitCapMinor)
        }
        for member in hub.allMembers { positions[member.id.alpha3] = (hub.unionPosition(of: member.id)!, member.quotaUnitMinor) }
        return positions
    }

    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func randomPaymentStreamsKeepEveryRule(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var f = F(capMinor: 1_000_000, quotaUnitMinor: 5_000_000)
        var nextID: UInt128 = 1
        for _ in 0..<600 {
            let command = Self.randomCommand(&random, nextID: &nextID)
            let before = Self.positions(f.hub)
            _ = f.apply(command, advancingNanoseconds: random.next() % 60_000_000_000)
            #expect(f.hub.releasableQueueHeads().isEmpty, "a queued payment could go (seed \(seed))")
            // No payment takes a position past its limit: a position beyond its limit may only
            // get there by the limit being lowered, and then never goes further down.
            let isLimitChange = if case .updateParticipant = command { true } else if case .updateMember = command { true } else { false }
            for (key, after) in Self.positions(f.hub) where after.balance < -after.limit && !isLimitChange {
                #expect(after.balance >= before[key]!.balance, "\(key) went past its limit (seed \(seed))")
            }
        }
        for payment in f.hub.payments {
            let legIDs = (UInt8(0)..<4).map { HubStateMachine.transferID(payment: f.hub.paymentIndexByID.value(for: payment.id)!, leg: $0) }
            let booked = legIDs.compactMap { f.hub.ledgerState.transferStatus(id: $0) }
            switch payment.status {
            case .accepted:
                #expect(!booked.isEmpty && booked.allSatisfy { $0 == .final || $0 == .pendingPosted }, "seed \(seed)")
                #expect(booked.count == payment.legs.rawValue.nonzeroBitCount)
            case .reserved:
                #expect(booked.count == payment.legs.rawValue.nonzeroBitCount && booked.allSatisfy { $0 == .pending })
            default:
                #expect(booked.allSatisfy { $0 == .pendingVoided }, "payment \(payment.id) \(payment.status) left legs (seed \(seed))")
            }
        }
        // Replay the log on a fresh hub: identical ledger and payment states.
        var replayed = HubStateMachine(configuration: HubConfiguration(currencies: try! CurrencyTable()))
        for (command, time) in f.log { _ = replayed.apply(command, now: time) }
        #expect(replayed.ledgerState.makeSnapshot() == f.hub.ledgerState.makeSnapshot(), "seed \(seed)")
        #expect(replayed.payments.map(\.state) == f.hub.payments.map(\.state), "seed \(seed)")
    }
}
