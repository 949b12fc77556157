@testable import PolyclearCore
import PolyclearWorkload
import Testing

@Suite struct GridlockTests {
    typealias F = HubFixture

    static func singleCurrency(rooms: [Int64], _ payments: [(Int32, Int32, Int64)]) -> QueueSnapshot {
        QueueSnapshot(
            participantRoom: rooms, participantMember: rooms.map { _ in 0 }, memberRoom: [.max / 4],
            payments: payments.map {
                .init(payer: $0.0, payee: $0.1, payerAmount: $0.2, payeeAmount: $0.2, unitAmount: 0, value: $0.2)
            })
    }

    @Test func aRingThatBlocksItselfSettlesTogether() {
        let snapshot = Self.singleCurrency(rooms: [0, 0, 0], [(0, 1, 100), (1, 2, 100), (2, 0, 100)])
        #expect(GridlockResolver.resolve(snapshot) == [true, true, true])
        #expect(GridlockResolver.divisibleUpperBound(snapshot) == 300)
    }

    @Test func breachingPayersAreCutFromTheBackOfTheirQueue() {
        // A pays B 100 then 50; B pays A 60. A has no room: with 60 in, A can afford 60 out,
        // so its queue is cut from the back: the 50 goes, then the 100 too (prefix rule).
        let snapshot = Self.singleCurrency(rooms: [0, 0], [(0, 1, 100), (0, 1, 50), (1, 0, 60)])
        let selected = GridlockResolver.resolve(snapshot)
        #expect(selected == [false, false, false])
        // With room 40, A's first payment fits against B's 60: A −100 + 60 = −40, B +100 − 60.
        let roomier = Self.singleCurrency(rooms: [40, 0], [(0, 1, 100), (0, 1, 50), (1, 0, 60)])
        #expect(GridlockResolver.resolve(roomier) == [true, false, true])
    }

    /// Property on small random single-currency snapshots: the selection is within every room,
    /// a prefix of every payer's queue, and its value lies between nothing and the optimum
    /// found by brute force, itself within the divisible bound.
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func selectionIsFeasibleAndBoundedByTheOptimum(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let n = Int(2 + random.next() % 4)
        let rooms = (0..<n).map { _ in Int64(random.next() % 60) }
        let payments: [(Int32, Int32, Int64)] = (0..<Int(2 + random.next() % 9)).compactMap { _ in
            let a = Int32(random.next() % UInt64(n)), b = Int32(random.next() % UInt64(n))
            return a == b ? nil : (a, b, Int64(1 + random.next() % 80))
        }
        let snapshot = Self.singleCurrency(rooms: rooms, payments)
        let selected = GridlockResolver.resolve(snapshot)
        func feasible(_ chosen: [Bool]) -> Bool {
            var net = rooms
            for (payment, take) in zip(payments, chosen) where take {
                net[Int(payment.0)] -= payment.2; net[Int(payment.1)] += payment.2
            }
            return net.allSatisfy { $0 >= 0 }
        }
        func isPrefixPerPayer(_ chosen: [Bool]) -> Bool {
            var stopped = Set<Int32>()
            for (payment, take) in zip(payments, chosen) {
                if take && stopped.contains(payment.0) { return false }
                if !take { stopped.insert(payment.0) }
            }
            return true
        }
        #expect(feasible(selected) && isPrefixPerPayer(selected), "seed \(seed)")
        var optimum: Int64 = 0
        for mask in 0..<(1 << payments.count) {
            let chosen = payments.indices.map { mask & (1 << $0) != 0 }
            guard isPrefixPerPayer(chosen), feasible(chosen) else { continue }
            optimum = max(optimum, zip(payments, chosen).filter(\.1).map(\.0.2).reduce(0, +))
        }
        let value = zip(payments, selected).filter(\.1).map(\.0.2).reduce(0, +)
        #expect(value <= optimum)
        let bound = GridlockResolver.divisibleUpperBound(snapshot)
        #expect(optimum <= bound, "seed \(seed)")
        // Without the queue-order rule: still within every room, and within the bound.
        let unordered = GridlockResolver.resolveIgnoringQueueOrder(snapshot)
        #expect(feasible(unordered), "seed \(seed)")
        #expect(zip(payments, unordered).filter(\.1).map(\.0.2).reduce(0, +) <= bound)
    }

    @Test func theHubReleasesAGridlockedRingOnRequest() {
        var f = F(capMinor: 0)
        #expect(f.pay(1, F.brBank1, F.brBank2, 1_000).status == .queued)
        #expect(f.pay(2, F.brBank2, F.brBank1, 1_000).status == .queued)
        guard case .gridlock(let outcome) = f.apply(.resolveGridlock) else { Issue.record("no outcome"); return }
        #expect(outcome.released == 2 && outcome.queuedBefore == 2)
        #expect(f.hub.payment(1)?.status == .accepted && f.hub.payment(2)?.status == .accepted)
        #expect(f.position(F.brBank1) == 0 && f.position(F.brBank2) == 0)
        #expect(f.hub.queuedCount == 0)
    }

    @Test func policyRunsItWhenTheQueueReachesItsThreshold() {
        var f = F(capMinor: 0)
        f.expectOK(.setGridlockPolicy(GridlockPolicy(queueLengthThreshold: 2)))
        #expect(f.pay(1, F.brBank1, F.brBank2, 500).status == .queued)
        // The second queued payment reaches the threshold: the ring settles at once.
        #expect(f.pay(2, F.brBank2, F.brBank1, 500).status == .accepted)
        #expect(f.hub.payment(1)?.status == .accepted)
        #expect(f.apply(.setGridlockPolicy(GridlockPolicy(queueLengthThreshold: 0))) == .refused(.malformedField))
    }

    @Test func policyRunsItBeforeACycleCloses() {
        var f = F(capMinor: 0)
        f.expectOK(.setGridlockPolicy(GridlockPolicy(beforeCycleClose: true)))
        #expect(f.pay(1, F.brBank1, F.brBank2, 500).status == .queued)
        #expect(f.pay(2, F.brBank2, F.brBank1, 500).status == .queued)
        f.expectOK(.closeCycle(number: 1))
        #expect(f.hub.cycles[0].paymentCount == 2)  // released into the closing cycle
        #expect(f.hub.payment(1)?.cycle == 1)
    }
}
