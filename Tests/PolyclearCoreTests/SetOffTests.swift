@testable import PolyclearCore
import PolyclearWorkload
import Testing

@Suite struct SetOffTests {
    /// Parties named by letters for readability.
    static func solve(_ edges: [(String, String, Int64)]) throws -> SetOffResult {
        let names = Array(Set(edges.flatMap { [$0.0, $0.1] })).sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
        return try ObligationSetOff.solve(
            partyCount: names.count,
            obligations: edges.map { Obligation(debtor: index[$0.0]!, creditor: index[$0.1]!, amountMinor: $0.2) })
    }

    /// Instances as "debtor>creditor:amount" lists, with their optimal set-off.
    static let handChecked: [(String, Int64)] = [
        ("U>V:10 V>U:5 V>W:10 W>U:10", 30),
        ("A>B:100 B>E:70 E>A:100 C>D:100 D>E:100 E>C:70 B>C:100", 570),
        ("A>B:30 A>B:20 B>A:10 B>A:5", 30),  // several obligations on the same pairs
        ("A>B:70 B>A:40", 80),  // opposite pairs: 2 × 40
        ("A>B:10 B>C:10 A>C:5 C>D:7", 0),  // a DAG
    ]

    static func edges(_ text: String) -> [(String, String, Int64)] {
        text.split(separator: " ").map { item in
            let parts = item.split(whereSeparator: { $0 == ">" || $0 == ":" })
            return (String(parts[0]), String(parts[1]), Int64(parts[2])!)
        }
    }

    @Test(arguments: handChecked)
    func handCheckedInstancesReachTheirOptimum(instance: String, optimum: Int64) throws {
        let result = try Self.solve(Self.edges(instance))
        #expect(result.totalSetOffMinor == optimum)
        #expect(result.certificate.isProven && result.certificate.dual == optimum)
        #expect(result.setOffMinor.reduce(0, +) == optimum)
        #expect(result.grossMinor - result.totalSetOffMinor >= result.netLiquidityNeedMinor)
    }

    @Test func splitIsEarliestDueFirstThenInputOrder() throws {
        let obligations = [
            Obligation(debtor: 0, creditor: 1, amountMinor: 50, dueDay: 20_010),
            Obligation(debtor: 0, creditor: 1, amountMinor: 50, dueDay: 20_000),
            Obligation(debtor: 0, creditor: 1, amountMinor: 50, dueDay: nil),
            Obligation(debtor: 1, creditor: 0, amountMinor: 70),
        ]
        let result = try ObligationSetOff.solve(partyCount: 2, obligations: obligations)
        #expect(result.totalSetOffMinor == 140)
        #expect(result.setOffMinor == [20, 50, 0, 70])
    }

    @Test func badObligationsAreRefused() {
        #expect(throws: SetOffError.selfObligation(index: 1)) {
            try ObligationSetOff.solve(
                partyCount: 2,
                obligations: [
                    Obligation(debtor: 0, creditor: 1, amountMinor: 5),
                    Obligation(debtor: 1, creditor: 1, amountMinor: 5),
                ])
        }
        #expect(throws: SetOffError.nonPositiveAmount(index: 0)) {
            try ObligationSetOff.solve(partyCount: 2, obligations: [Obligation(debtor: 0, creditor: 1, amountMinor: 0)])
        }
        #expect(throws: SetOffError.partyOutOfRange(index: 0)) {
            try ObligationSetOff.solve(partyCount: 2, obligations: [Obligation(debtor: 0, creditor: 2, amountMinor: 5)])
        }
        #expect(throws: SetOffError.totalOverflow) {
            try ObligationSetOff.solve(
                partyCount: 2,
                obligations: [
                    Obligation(debtor: 0, creditor: 1, amountMinor: .max),
                    Obligation(debtor: 1, creditor: 0, amountMinor: 1),
                ])
        }
    }

    /// An independent exact method for small instances: cancel negative cycles in the
    /// residual graph of the set-off circulation (Bellman-Ford) until none is left.
    static func referenceOptimum(partyCount: Int, obligations: [Obligation]) -> Int64 {
        var amount: [[Int64]] = Array(repeating: Array(repeating: 0, count: partyCount), count: partyCount)
        for o in obligations { amount[Int(o.debtor)][Int(o.creditor)] += o.amountMinor }
        var flow: [[Int64]] = Array(repeating: Array(repeating: 0, count: partyCount), count: partyCount)
        while true {
            // Residual: u->v with weight −1 if flow < amount; v->u with +1 if flow > 0.
            var arcs: [(Int, Int, Int64, Bool, Int, Int)] = []  // from, to, weight, isForward, pair u, pair v
            for u in 0..<partyCount {
                for v in 0..<partyCount where amount[u][v] > 0 {
                    if flow[u][v] < amount[u][v] { arcs.append((u, v, -1, true, u, v)) }
                    if flow[u][v] > 0 { arcs.append((v, u, 1, false, u, v)) }
                }
            }
            var distance = [Int64](repeating: 0, count: partyCount)
            var parent = [Int](repeating: -1, count: partyCount)
            var last = -1
            for _ in 0..<partyCount {
                last = -1
                for (index, arc) in arcs.enumerated() where distance[arc.0] + arc.2 < distance[arc.1] {
                    distance[arc.1] = distance[arc.0] + arc.2
                    parent[arc.1] = index
                    last = arc.1
                }
            }
            guard last >= 0 else { break }
            var node = last
            for _ in 0..<partyCount { node = arcs[parent[node]].0 }
            var cycle: [Int] = [], walker = node
            repeat { cycle.append(parent[walker]); walker = arcs[parent[walker]].0 } while walker != node
            var room = Int64.max
            for index in cycle {
                let arc = arcs[index]
                room = min(room, arc.3 ? amount[arc.4][arc.5] - flow[arc.4][arc.5] : flow[arc.4][arc.5])
            }
            for index in cycle {
                let arc = arcs[index]
                flow[arc.4][arc.5] += arc.3 ? room : -room
            }
        }
        return flow.flatMap { $0 }.reduce(0, +)
    }

    /// Property: on random small instances the engine matches the independent method, proves
    /// its result, and leaves every party's net position unchanged.
    @Test(arguments: 1...60 as ClosedRange<UInt64>)
    func randomInstancesMatchAnIndependentExactMethod(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let partyCount = Int(2 + random.next() % 7)
        let obligations: [Obligation] = (0..<Int(1 + random.next() % 25)).compactMap { _ in
            let debtor = Int32(random.next() % UInt64(partyCount)), creditor = Int32(random.next() % UInt64(partyCount))
            guard debtor != creditor else { return nil }
            return Obligation(
                debtor: debtor, creditor: creditor, amountMinor: Int64(1 + random.next() % 100),
                dueDay: random.next() % 3 == 0 ? nil : Int32(random.next() % 30))
        }
        guard !obligations.isEmpty else { return }
        let result = try ObligationSetOff.solve(partyCount: partyCount, obligations: obligations)
        #expect(
            result.totalSetOffMinor == Self.referenceOptimum(partyCount: partyCount, obligations: obligations),
            "seed \(seed)")
        #expect(result.certificate.isProven)
        var netBefore = [Int64](repeating: 0, count: partyCount), netAfter = netBefore
        for (o, setOff) in zip(obligations, result.setOffMinor) {
            #expect((0...o.amountMinor).contains(setOff))
            netBefore[Int(o.debtor)] += o.amountMinor; netBefore[Int(o.creditor)] -= o.amountMinor
            netAfter[Int(o.debtor)] += o.amountMinor - setOff; netAfter[Int(o.creditor)] -= o.amountMinor - setOff
        }
        #expect(netBefore == netAfter, "seed \(seed)")
    }

    /// Property: on every benchmark shape (small), the engine matches the independent method
    /// and proves its result; a shape gives the same instance for the same seed.
    @Test(arguments: ObligationShape.allCases)
    func everyShapeIsSolvedExactly(shape: ObligationShape) throws {
        for seed in 1...12 as ClosedRange<UInt64> {
            let partyCount = 4 + Int(seed % 6), count = 8 + Int(seed * 3 % 25)
            let obligations = shape.generate(parties: partyCount, obligations: count, seed: seed)
            #expect(obligations == shape.generate(parties: partyCount, obligations: count, seed: seed))
            #expect(obligations.count == count, "\(shape) seed \(seed)")
            #expect(
                obligations.allSatisfy { $0.debtor != $0.creditor && $0.amountMinor > 0 && $0.creditor < partyCount })
            let result = try ObligationSetOff.solve(partyCount: partyCount, obligations: obligations)
            #expect(
                result.totalSetOffMinor == Self.referenceOptimum(partyCount: partyCount, obligations: obligations),
                "\(shape) seed \(seed)")
            #expect(result.certificate.isProven)
        }
        let large = shape.generate(parties: 2_000, obligations: 20_000, seed: 3)
        let result = try ObligationSetOff.solve(partyCount: 2_000, obligations: large)
        #expect(result.certificate.isProven && result.setOffMinor.count == 20_000)
    }

    /// Property: cost scaling (the solver for long paths) matches the independent method on
    /// random instances and every shape, with certificates from its exact potentials.
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func costScalingMatchesTheIndependentMethod(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let partyCount = Int(2 + random.next() % 8)
        let shape = ObligationShape.allCases[Int(seed) % ObligationShape.allCases.count]
        let obligations: [Obligation] =
            seed % 2 == 0
            ? shape.generate(parties: max(4, partyCount), obligations: Int(5 + random.next() % 30), seed: seed)
            : (0..<Int(1 + random.next() % 25)).compactMap { _ in
                let debtor = Int32(random.next() % UInt64(partyCount))
                let creditor = Int32(random.next() % UInt64(partyCount))
                guard debtor != creditor else { return nil }
                return Obligation(debtor: debtor, creditor: creditor, amountMinor: Int64(1 + random.next() % 1_000))
            }
        guard !obligations.isEmpty else { return }
        let parties = max(4, partyCount)
        let instance = try SetOffInstance(partyCount: parties, obligations: obligations)
        let routing = ObligationSetOff.route(instance, solver: .costScaling)
        #expect(routing.solver == .costScaling)
        let result = try ObligationSetOff.finish(instance, routing: routing, obligations: obligations)
        #expect(
            result.totalSetOffMinor == Self.referenceOptimum(partyCount: parties, obligations: obligations),
            "seed \(seed)")
        #expect(result.certificate.isProven)
        let primalDual = try ObligationSetOff.finish(
            instance, routing: ObligationSetOff.route(instance, solver: .primalDual), obligations: obligations)
        #expect(primalDual.totalSetOffMinor == result.totalSetOffMinor)
    }

    /// Where shortest paths take more than the budget's phases (here one chain of 40 links
    /// with a way back from every party to the first: net debts at 40 distances), the automatic
    /// choice starts over with cost scaling; same optimum. (A chain past twice the budget goes
    /// to cost scaling first: `SetOffComponentsTests`.)
    @Test func longPathsSwitchToCostScaling() throws {
        var obligations: [Obligation] = []
        for step in 0..<40 as Range<Int32> {
            obligations.append(Obligation(debtor: step, creditor: step + 1, amountMinor: 100))
            obligations.append(Obligation(debtor: step + 1, creditor: 0, amountMinor: 1))
        }
        let instance = try SetOffInstance(partyCount: 41, obligations: obligations)
        #expect(SetOffParts(instance).depth(of: 0) <= 2 * ObligationSetOff.primalDualPhaseBudget)
        let automatic = ObligationSetOff.route(instance)
        let primalDual = ObligationSetOff.route(instance, solver: .primalDual)
        #expect(primalDual.solverStats.costPhases > ObligationSetOff.primalDualPhaseBudget)
        #expect(automatic.solver == .costScaling)
        let a = try ObligationSetOff.finish(instance, routing: automatic, obligations: obligations)
        let b = try ObligationSetOff.finish(instance, routing: primalDual, obligations: obligations)
        #expect(a.totalSetOffMinor == b.totalSetOffMinor && a.certificate.isProven)
        // Every way back k → 0 closes a cycle of k + 1 links, and link j carries 40 − j < 100 of them.
        #expect(a.totalSetOffMinor == (1...40).reduce(0) { $0 + Int64($1 + 1) })
    }

    @Test func aWrongResultFailsItsCertificate() {
        // U->V 10, V->U 5, V->W 10, W->U 10: claiming only the 2-cycle (10) is not optimal.
        #expect(throws: SetOffError.self) {
            try ObligationSetOff.certify(
                partyCount: 3, debtors: [0, 1, 1, 2], creditors: [1, 0, 2, 0],
                amounts: [10, 5, 10, 10], setOff: [5, 5, 0, 0], candidate: [0, 0, 0])
        }
    }
}

@Suite struct HubSetOffTests {
    typealias F = HubFixture

    @Test func aSetOffRunIsBookedAtomicallyAndLeavesPositionsUnchanged() throws {
        var f = F()
        let third = BIC("THRDBRSP")!
        f.expectOK(.registerParticipant(Participant(bic: third, name: "Third", memberID: F.bra, netDebitCapMinor: 0)))
        let before = [F.brBank1, F.brBank2, third].map { f.position($0) }
        let transfersBefore = f.hub.ledgerState.transferCount
        let run: HubCommand = .setOffObligations(
            runID: 1,
            obligations: [
                SetOffObligation(id: 11, debtor: F.brBank1, creditor: F.brBank2, amountMinor: 100),
                SetOffObligation(id: 12, debtor: F.brBank2, creditor: third, amountMinor: 120),
                SetOffObligation(id: 13, debtor: third, creditor: F.brBank1, amountMinor: 100),
            ])
        guard case .setOff(let outcome) = f.apply(run) else { Issue.record("no set-off outcome"); return }
        #expect(outcome.totalSetOffMinor == 300 && outcome.grossMinor == 320 && outcome.certificate.isProven)
        #expect(outcome.setOffMinor == [100, 100, 100])
        #expect(f.hub.ledgerState.transferCount == transfersBefore + 3)
        #expect([F.brBank1, F.brBank2, third].map { f.position($0) } == before)  // nobody's position moved
        #expect(f.apply(run) == .refused(.setOffRunExists))
    }

    @Test func badRunsAreRefused() {
        var f = F()
        #expect(f.apply(.setOffObligations(runID: 2, obligations: [])) == .refused(.malformedField))
        #expect(
            f.apply(
                .setOffObligations(
                    runID: 2,
                    obligations: [SetOffObligation(id: 1, debtor: F.brBank1, creditor: F.cnBank1, amountMinor: 5)]))
                == .refused(.obligationsMixCurrencies))
        #expect(
            f.apply(
                .setOffObligations(
                    runID: 2,
                    obligations: [
                        SetOffObligation(id: 1, debtor: F.brBank1, creditor: BIC("NOPEBRSP")!, amountMinor: 5)
                    ]))
                == .refused(.participantNotFound))
        #expect(
            f.apply(
                .setOffObligations(
                    runID: 2,
                    obligations: [
                        SetOffObligation(id: 1, debtor: F.brBank1, creditor: F.brBank2, amountMinor: 5),
                        SetOffObligation(id: 1, debtor: F.brBank2, creditor: F.brBank1, amountMinor: 5),
                    ])) == .refused(.malformedField))
    }
}
