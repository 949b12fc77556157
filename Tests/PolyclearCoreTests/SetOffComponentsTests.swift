import Dispatch
@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// Set-off cut into strongly connected components: the components are the right ones, the
/// routing of the parts equals the routing of the whole, and the joined potentials certify
/// the arcs between components by themselves.
@Suite struct SetOffComponentsTests {
    /// Random graphs of a few clusters: each cluster a random dense graph, clusters linked by
    /// arcs that mostly run one way (an occasional arc back merges two clusters).
    static func clusteredObligations(seed: UInt64, parties: Int, clusters: Int, count: Int) -> [Obligation] {
        var random = SeededRandom(seed: seed)
        var obligations: [Obligation] = []
        while obligations.count < count {
            let debtor = Int(random.next() % UInt64(parties))
            let cluster = debtor * clusters / parties
            let creditor: Int
            switch random.next() % 10 {
            case 0..<7:  // inside the debtor's cluster
                let low = (cluster * parties + clusters - 1) / clusters
                let high = ((cluster + 1) * parties + clusters - 1) / clusters
                creditor = low + Int(random.next() % UInt64(max(1, high - low)))
            case 7, 8: creditor = Int(random.next() % UInt64(parties - debtor)) + debtor  // a later cluster
            default: creditor = Int(random.next() % UInt64(parties))
            }
            guard creditor != debtor, creditor < parties else { continue }
            obligations.append(
                Obligation(
                    debtor: Int32(debtor), creditor: Int32(creditor), amountMinor: Int64(1 + random.next() % 1_000)))
        }
        return obligations
    }

    /// Mutual reachability by transitive closure, against Tarjan's components; and every arc
    /// between components runs from a higher number to a lower one.
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func componentsAreMutualReachability(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let nodeCount = 1 + Int(random.next() % 24)
        let arcCount = Int(random.next() % UInt64(3 * nodeCount))
        var tails: [Int32] = [], heads: [Int32] = []
        for _ in 0..<arcCount {
            tails.append(Int32(random.next() % UInt64(nodeCount)))
            heads.append(Int32(random.next() % UInt64(nodeCount)))
        }
        var reach = (0..<nodeCount).map { node in (0..<nodeCount).map { $0 == node } }
        for (tail, head) in zip(tails, heads) { reach[Int(tail)][Int(head)] = true }
        for middle in 0..<nodeCount {
            for from in 0..<nodeCount where reach[from][middle] {
                for to in 0..<nodeCount where reach[middle][to] { reach[from][to] = true }
            }
        }
        let components = StrongComponents(nodeCount: nodeCount, tails: tails, heads: heads)
        #expect(Set(components.componentOf).count == components.count)
        for a in 0..<nodeCount {
            for b in 0..<nodeCount {
                let same = components.componentOf[a] == components.componentOf[b]
                #expect(same == (reach[a][b] && reach[b][a]), "seed \(seed): \(a), \(b)")
            }
        }
        for (tail, head) in zip(tails, heads) {
            let from = components.componentOf[Int(tail)], to = components.componentOf[Int(head)]
            #expect(from >= to, "seed \(seed): arc \(tail)→\(head) runs up the order")
        }
    }

    /// A path of 300,000 parties: as many components, none deep enough to need a call stack.
    @Test func aLongPathIsAllSingletonsAndSetsOffNothing() throws {
        let length = 300_000
        let obligations = (0..<length - 1).map {
            Obligation(debtor: Int32($0), creditor: Int32($0 + 1), amountMinor: 7)
        }
        let instance = try SetOffInstance(partyCount: length, obligations: obligations)
        #expect(SetOffParts(instance).components.count == length)
        let result = try ObligationSetOff.finish(
            instance, routing: ObligationSetOff.route(instance), obligations: obligations)
        #expect(result.totalSetOffMinor == 0 && result.certificate.isProven)
    }

    /// Property: routed by components (in turn, or at once in any order) or whole, the set-off
    /// is the same optimum, proven; the parts' routing is the same whichever way they run; and
    /// the joined potentials alone satisfy every arc between components.
    @Test(arguments: 1...30 as ClosedRange<UInt64>)
    func componentsRouteLikeTheWhole(seed: UInt64) throws {
        let parties = 6 + Int(seed % 40), clusters = 1 + Int(seed % 6)
        let obligations = Self.clusteredObligations(
            seed: seed, parties: parties, clusters: clusters, count: 10 + Int(seed * 7 % 150))
        let instance = try SetOffInstance(partyCount: parties, obligations: obligations)
        for solver in [SetOffSolver.primalDual, .costScaling] {
            let whole = ObligationSetOff.routeWhole(instance, solver: solver)
            let inTurn = ObligationSetOff.route(instance, solver: solver)
            let atOnce = ObligationSetOff.route(instance, solver: solver, partCount: 3) { count, body in
                DispatchQueue.concurrentPerform(iterations: count) { body(count - 1 - $0) }
            }
            #expect(inTurn.pairSetOffMinor == atOnce.pairSetOffMinor && inTurn.potentials == atOnce.potentials)
            let a = try ObligationSetOff.finish(instance, routing: whole, obligations: obligations)
            let b = try ObligationSetOff.finish(instance, routing: inTurn, obligations: obligations)
            #expect(a.totalSetOffMinor == b.totalSetOffMinor, "seed \(seed) \(solver)")
            #expect(b.certificate.isProven)
            if parties <= 12 {
                #expect(
                    b.totalSetOffMinor == SetOffTests.referenceOptimum(partyCount: parties, obligations: obligations))
            }
            let parts = SetOffParts(instance)
            for component in parts.solvedComponents {
                #expect(parts.depth(of: component) == Self.referenceDepth(parts, component), "seed \(seed)")
            }
            let componentOf = parts.components.componentOf
            for pair in 0..<instance.pairCount {
                let debtor = Int(instance.pairDebtor[pair]), creditor = Int(instance.pairCreditor[pair])
                guard componentOf[debtor] != componentOf[creditor] else { continue }
                #expect(inTurn.pairSetOffMinor[pair] == 0)
                #expect(inTurn.potentials[debtor] - inTurn.potentials[creditor] >= 1, "seed \(seed) pair \(pair)")
            }
        }
    }

    /// Breadth-first depth from the component's lowest party, level by level over all pairs.
    static func referenceDepth(_ parts: SetOffParts, _ component: Int) -> Int {
        let members = Set(parts.nodes(of: component).map { Int($0) })
        let instance = parts.whole
        var distance = [members.min()!: 0], frontier = [members.min()!]
        while !frontier.isEmpty {
            var next: [Int] = []
            for node in frontier {
                for pair in 0..<instance.pairCount where Int(instance.pairDebtor[pair]) == node {
                    let creditor = Int(instance.pairCreditor[pair])
                    guard members.contains(creditor), distance[creditor] == nil else { continue }
                    distance[creditor] = distance[node]! + 1
                    next.append(creditor)
                }
            }
            frontier = next
        }
        return distance.values.max()!
    }

    /// A chain of 60 links with a way back from every party to the first is plainly long
    /// (depth 60): the automatic choice goes straight to cost scaling. Short cycles do not.
    @Test func longComponentsGoStraightToCostScaling() throws {
        var chain: [Obligation] = []
        for step in 0..<60 as Range<Int32> {
            chain.append(Obligation(debtor: step, creditor: step + 1, amountMinor: 100))
            chain.append(Obligation(debtor: step + 1, creditor: 0, amountMinor: 1))
        }
        let long = SetOffParts(try SetOffInstance(partyCount: 61, obligations: chain))
        #expect(long.depth(of: 0) == 60)
        #expect(long.solver(.automatic, for: 0) == .costScaling)
        #expect(long.solver(.primalDual, for: 0) == .primalDual)
        let triangle = [(0, 1), (1, 2), (2, 0)].map { Obligation(debtor: $0, creditor: $1, amountMinor: 5) }
        let short = SetOffParts(try SetOffInstance(partyCount: 3, obligations: triangle))
        #expect(short.depth(of: 0) == 2 && short.solver(.automatic, for: 0) == .automatic)
    }

    /// Twenty chains of the benchmark's shape: twenty components, dealt into groups of about
    /// equal size, and the answer the whole instance gives.
    @Test func chainsAreDealtIntoEvenGroups() throws {
        var obligations: [Obligation] = []
        var random = SeededRandom(seed: 9)
        for chain in 0..<20 {
            let start = Int32(chain * 50)
            for step in 0..<49 as Range<Int32> {
                obligations.append(Obligation(debtor: start + step, creditor: start + step + 1, amountMinor: 500))
                let back = Int32(random.next() % UInt64(step + 1))
                obligations.append(Obligation(debtor: start + step + 1, creditor: start + back, amountMinor: 40))
            }
        }
        let instance = try SetOffInstance(partyCount: 1_000, obligations: obligations)
        let parts = SetOffParts(instance)
        #expect(parts.solvedComponents.count == 20 && parts.internalArcCount == instance.pairCount)
        let groups = parts.groups(count: 3)
        #expect(groups.map(\.count).sorted() == [6, 7, 7])
        #expect(Set(groups.joined()) == Set(parts.solvedComponents))
        let routed = try ObligationSetOff.finish(
            instance, routing: ObligationSetOff.route(instance, partCount: 3), obligations: obligations)
        let whole = try ObligationSetOff.finish(
            instance, routing: ObligationSetOff.routeWhole(instance, solver: .automatic), obligations: obligations)
        #expect(routed.totalSetOffMinor == whole.totalSetOffMinor && routed.certificate.isProven)
        #expect(routed.totalSetOffMinor > 0)
    }
}
