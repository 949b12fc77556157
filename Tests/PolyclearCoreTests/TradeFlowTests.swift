@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// Trade statistics: every booked cross-member payment counted once, in its cycle, by purpose
/// and HS heading, its values equal to what the payments say; filtered by member; replayed.
@Suite struct TradeFlowTests {
    typealias F = HubFixture

    @Test(arguments: 0..<20)
    func flowsAddUpToTheBookedPayments(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var f = HubFixture(capMinor: 1_000_000_000)
        let banks = [F.brBank1, F.brBank2, F.cnBank1, F.inBank1, F.idBank1]
        let purposes = ["GDDS", "SUPP", "TRAD"], codes = ["850440", "100630", "270900", nil]
        var sent: [(UInt128, BIC, BIC, String, String?)] = []
        for id in UInt128(1)...60 {
            let payer = banks[Int(random.next() % 5)], payee = banks[Int(random.next() % 5)]
            let purpose = purposes[Int(random.next() % 3)], hs = codes[Int(random.next() % 4)]
            guard
                case .submitPayment(var instruction) = F.payment(
                    id, from: payer, to: payee, amountMinor: Int64(1_000 + random.next() % 100_000), purpose: purpose)
            else { return }
            instruction.trade.hsCode = hs
            _ = f.apply(.submitPayment(instruction))
            sent.append((id, payer, payee, purpose, hs))
            if random.next() % 7 == 0 { f.expectOK(.closeCycle(number: f.hub.openCycleNumber)) }
        }
        // Independently, from the payments as they ended (some queued first, booked later).
        var expected: [String: (count: Int, payer: Int64, payee: Int64, unit: Int64)] = [:]
        for (id, payer, payee, purpose, hs) in sent {
            guard let state = f.hub.payment(id), state.status == .accepted, state.unitAmountMinor != 0 else { continue }
            let key =
                "\(state.cycle) \(f.hub.participant(payer)!.memberID) \(f.hub.participant(payee)!.memberID) "
                + "\(purpose) \(hs.map { String($0.prefix(4)) } ?? "-")"
            let old = expected[key] ?? (0, 0, 0, 0)
            expected[key] = (
                old.count + 1, old.payer + state.payerAmountMinor, old.payee + state.payeeAmountMinor,
                old.unit + state.unitAmountMinor
            )
        }
        let rows = f.hub.tradeFlows(cycles: 0...UInt32.max, byCycle: true)
        var found: [String: (count: Int, payer: Int64, payee: Int64, unit: Int64)] = [:]
        for (key, totals) in rows {
            let name = "\(key.cycle) \(key.payerMember) \(key.payeeMember) \(key.purposeCode) \(key.hsHeading ?? "-")"
            found[name] = (totals.count, totals.payerAmountMinor, totals.payeeAmountMinor, totals.unitAmountMinor)
        }
        #expect(found.count == expected.count, "seed \(seed)")
        for (key, value) in expected {
            #expect(found[key].map { $0 == value } == true, "seed \(seed): \(key)")
        }
        // One member's view holds exactly the rows it is on.
        let brazil = f.hub.tradeFlows(cycles: 0...UInt32.max, member: F.bra, byCycle: true)
        #expect(brazil.count == rows.filter { $0.0.payerMember == F.bra || $0.0.payeeMember == F.bra }.count)
        #expect(brazil.allSatisfy { $0.0.payerMember == F.bra || $0.0.payeeMember == F.bra })
        var replay = HubStateMachine(configuration: f.hub.configuration)
        for (command, time) in f.log { _ = replay.apply(command, now: time) }
        #expect(replay.tradeFlows(cycles: 0...UInt32.max, byCycle: true).map(\.1) == rows.map(\.1))
    }
}
