@testable import PolyclearCore
import PolyclearWorkload
import PolyclearTestSupport
import Testing

/// Finished cycles leave memory and change no answer: two hubs in `settle` mode (so closes
/// ask for excess settlements) get the same random history — payments with trade details,
/// closes, members confirming (some cycles left unsettled for a while), the operator
/// confirming excess settlements, confirmations of cycles long settled and archived — one
/// archiving. Every result is the same; every cycle report, close time and trade-statistics
/// query, assembled from the archive and memory as the API does, is the other hub's.
@Suite(.offTheSharedPool) struct CycleArchiveTests {
    typealias F = HubFixture
    typealias Pair = PaymentArchiveTests.Pair
    static let members = [F.bra, F.chn, F.ind, F.idn]

    @Test(arguments: 1...3 as ClosedRange<UInt64>)
    func finishedCyclesLeaveMemoryAndEveryReadStaysTheSame(seed: UInt64) async throws {
        var random = SeededRandom(seed: seed)
        var pair = Pair()
        #expect(pair.apply(.setImbalanceRules(SettleModeTests.settleRules())) == (.ok, .ok))
        var nextID: UInt128 = 1
        var residentMax = 0
        for step in 0..<2_400 {
            if step % 100 == 0 { await Task.yield() }
            pair.now += 1_000_000
            for command in Self.commands(&random, nextID: &nextID, plain: pair.plain.hub) {
                let (expected, got) = pair.apply(command)
                #expect(expected == got, "seed \(seed) step \(step): \(command)")
            }
            residentMax = max(residentMax, pair.archiving.hub.cycles.count)
            if step % 16 == 0 { Self.compareReads(pair, &random, "seed \(seed) step \(step)") }
        }
        let hub = pair.archiving.hub
        #expect(hub.closedCycleCount == pair.plain.hub.closedCycleCount)
        #expect(hub.archivedCycleCount > Limits.cycleReportsResidentMax, "seed \(seed): too little archived")
        #expect(residentMax <= Limits.cycleReportsResidentMax + 1, "\(residentMax) cycles stayed in memory")
        #expect(pair.store.cycles.count == hub.archivedCycleCount)
        // The archived cycles' bookings left the ledger's index, and nothing else did.
        let settled = try #require(pair.store.values.first { !$0.report.instructions.isEmpty })
        let settlement = HubTransferID.settlement(
            cycle: settled.number, instruction: settled.report.instructions[0].index)
        #expect(pair.plain.hub.ledgerState.transferStatus(id: settlement) != nil)
        #expect(hub.ledgerState.transferStatus(id: settlement) == nil && hub.ledgerForgot(transferID: settlement))
        #expect(hub.ledgerMatches(stored: pair.plain.hub.ledgerState))
        for _ in 0..<40 { Self.compareReads(pair, &random, "seed \(seed) at the end") }
        // Replay of the logged history gives the same state; the snapshot reads back.
        var replayed = HubStateMachine(configuration: hub.configuration)
        replayed.replay(pair.archiving.log.map { HubLogEntry(command: $0.0, time: $0.1) } + pair.log)
        replayed.outcomeCommitted()
        #expect(try replayed.snapshotState() == (try hub.snapshotState()), "seed \(seed)")
        let read = try HubStateMachine(configuration: hub.configuration, snapshotState: try hub.snapshotState())
        #expect(read.archivedCycleCount == hub.archivedCycleCount && read.cycles == hub.cycles)
        // Each archived cycle reads back as the archive stores it; damage is refused.
        for cycle in pair.store.values.prefix(20) { #expect(try ArchivedCycle(encoded: cycle.encoded()) == cycle) }
        #expect(throws: (any Error).self) { try ArchivedCycle(encoded: [0xFF, 0x01]) }
    }

    /// A step: mostly payments (varied purpose and HS codes), now and then a close, members
    /// confirming the oldest unsettled cycle, the operator confirming its excess settlements,
    /// or a confirmation of any closed cycle (archived ones included; most are refused).
    static func commands(
        _ random: inout SeededRandom, nextID: inout UInt128, plain hub: HubStateMachine
    )
        -> [HubCommand]
    {
        let oldestOpen = hub.cycles.first { $0.state != .settled || $0.excessSettlements.contains { !$0.isConfirmed } }
        switch random.next() % 14 {
        case 0: return [.closeCycle(number: hub.openCycleNumber)]
        case 1, 2:
            // Now and then the oldest waits (it holds the ones after it in memory).
            guard let cycle = oldestOpen, random.next() % 4 != 0 || hub.cycles.last!.number - cycle.number > 40
            else { return [] }
            let confirmations = members.map { member in
                HubCommand.confirmSettlement(
                    cycle: cycle.number, member: member, instructionIndex: nil, amountMinor: nil,
                    actor: .member(member))
            }
            return confirmations
                + cycle.excessSettlements.filter { !$0.isConfirmed }.map {
                    .confirmExcessSettlement(
                        cycle: cycle.number, member: $0.member, amountUnitMinor: $0.amountUnitMinor,
                        actor: .operatorUser("ops"))
                }
        case 3 where hub.closedCycleCount > 0:
            let number = UInt32(1 + random.next() % UInt64(hub.closedCycleCount + 1))
            let member = members[Int(random.next() % 4)]
            if random.next() % 2 == 0 {
                return [
                    .confirmSettlement(
                        cycle: number, member: member, instructionIndex: Int(random.next() % 3),
                        amountMinor: nil, actor: .member(member))
                ]
            }
            // Half the time one the cycle really had (confirmed already, or still due).
            let settlements = hub.residentCycle(number: number)?.excessSettlements ?? []
            let due =
                settlements.isEmpty || random.next() % 2 == 0
                ? nil : settlements[Int(random.next() % UInt64(settlements.count))]
            return [
                .confirmExcessSettlement(
                    cycle: number, member: due?.member ?? member,
                    amountUnitMinor: due?.amountUnitMinor ?? Int64(1 + random.next() % 1_000),
                    actor: .operatorUser("ops"))
            ]
        default:
            nextID += 1
            let banks = HubPropertyTests.banks
            var instruction = F.payment(
                nextID, from: banks[Int(random.next() % 6)], to: banks[Int(random.next() % 6)],
                amountMinor: Int64(1 + random.next() % 3_000_000),
                purpose: ["GDDS", "SUPP", "TRAD"][Int(random.next() % 3)])
            if case .submitPayment(var payment) = instruction {
                payment.trade.hsCode = ["850440", "100630", "270900", "12", nil][Int(random.next() % 5)]
                instruction = .submitPayment(payment)
            }
            return [instruction]
        }
    }

    /// Reads as the API assembles them (`CycleReadView`): archived cycles from the store, the
    /// rest from memory.
    static func compareReads(_ pair: Pair, _ random: inout SeededRandom, _ label: String) {
        let hub = pair.archiving.hub, plain = pair.plain.hub
        let count = UInt32(plain.closedCycleCount)
        guard count > 0 else { return }
        func cycle(_ number: UInt32) -> CycleReport? {
            Int(number) <= hub.archivedCycleCount
                ? pair.store.cycles[number]?.report : hub.residentCycle(number: number)
        }
        let number = UInt32(1 + random.next() % UInt64(count + 1))
        #expect(cycle(number) == plain.residentCycle(number: number), "\(label) cycle \(number)")
        #expect(hub.cycleClosedAt(number: number) == plain.cycleClosedAt(number: number), "\(label) cycle \(number)")
        #expect(hub.closedCycleListing == plain.closedCycleListing, "\(label)")
        let lower = UInt32(random.next() % UInt64(count + 2)), upper = lower + UInt32(random.next() % 80)
        let member = random.next() % 3 == 0 ? members[Int(random.next() % 4)] : nil
        let byCycle = random.next() % 2 == 0
        let got = hub.tradeFlows(
            cycles: lower...upper, member: member, byCycle: byCycle, archived: Array(pair.store.cycles.values))
        let expected = plain.tradeFlows(cycles: lower...upper, member: member, byCycle: byCycle)
        #expect(got.map(\.0) == expected.map(\.0) && got.map(\.1) == expected.map(\.1), "\(label) \(lower)...\(upper)")
        let from = plain.cycleClosedAt(number: max(1, lower)) ?? 0
        let range = from..<(from + UInt64(random.next() % 50) * 1_000_000)
        #expect(hub.closedCycleNumbers(closedIn: range) == plain.closedCycleNumbers(closedIn: range), "\(label)")
    }
}

extension PaymentArchiveTests.ArchiveStore {
    var values: [ArchivedCycle] { cycles.values.sorted { $0.number < $1.number } }
}
