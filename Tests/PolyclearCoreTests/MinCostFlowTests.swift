import Dispatch
@testable import PolyclearCore
import PolyclearWorkload
import Testing

@Suite struct MinCostFlowTests {
    /// Property: on random graphs with small costs, the primal-dual solve ends with potentials
    /// under which no arc with room has a negative reduced cost, and its flow costs what the
    /// same graph's flow costs when solved by successive shortest paths one unit at a time
    /// (an independent, slow method). Each phase's Dijkstra stops once the sink is settled;
    /// stopping earlier leaves nodes at the sink's distance minus one with a tentative
    /// distance, and the potentials break.
    @Test(arguments: 1...60 as ClosedRange<UInt64>)
    func potentialsStayValidAndTheCostIsMinimal(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let nodeCount = 3 + Int(random.next() % 10)
        var flow = MinCostFlow(nodeCount: nodeCount)
        var arcs: [(tail: Int, head: Int, capacity: Int64, cost: Int32)] = []
        for _ in 0..<(nodeCount * (1 + Int(random.next() % 4))) {
            let tail = Int(random.next() % UInt64(nodeCount)), head = Int(random.next() % UInt64(nodeCount))
            guard tail != head else { continue }
            let arc = (tail, head, Int64(1 + random.next() % 6), Int32(random.next() % 4))
            arcs.append(arc)
            flow.addArc(from: arc.0, to: arc.1, capacity: arc.2, cost: arc.3)
        }
        let (sent, cost) = flow.solve(source: 0, sink: nodeCount - 1, limit: .max)
        #expect(flow.residualArcsWithNegativeReducedCost() == 0, "seed \(seed)")
        let reference = Self.unitShortestPaths(nodeCount: nodeCount, arcs: arcs)
        #expect(sent == reference.flow && cost == reference.cost, "seed \(seed)")
    }

    /// Property: a solve whose phases' arcs are built in parts at once (2 to 8 parts, run in
    /// reverse order on several threads) sends the same flow on every arc, with the same
    /// potentials and the same work, as the solve that builds them whole. The graphs have nodes
    /// without arcs (parts with nothing to build, parts that move a long way down) and arcs of
    /// several costs (phases that keep only some of a part's arcs). The first phase's arcs are
    /// compared directly first.
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func phaseArcsBuiltInPartsAreTheOnesBuiltWhole(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let nodeCount = 4 + Int(random.next() % 120)
        var arcs: [(tail: Int, head: Int, capacity: Int64, cost: Int32)] = []
        for _ in 0..<(nodeCount * (1 + Int(random.next() % 6))) {
            // Nodes of the first third only as the sink's side: empty lists in the first part.
            let tail = nodeCount / 3 + Int(random.next() % UInt64(nodeCount - nodeCount / 3))
            let head = Int(random.next() % UInt64(nodeCount))
            guard tail != head else { continue }
            arcs.append((tail, head, Int64(1 + random.next() % 50), Int32(random.next() % 5)))
        }
        // The first phase's arcs (potentials 0: the cost-0 arcs) compared before any solve, so a
        // wrong build fails here instead of sending a solve round in circles.
        let layout = ResidualLayout(
            nodeCount: nodeCount, tails: arcs.map { Int32($0.tail) }, heads: arcs.map { Int32($0.head) })
        var slotCost = [Int32](repeating: 0, count: layout.slotHead.count)
        var slotResidual = [Int64](repeating: 0, count: layout.slotHead.count)
        for (index, arc) in arcs.enumerated() {
            let forward = Int(layout.slotOfArc[index])
            (slotCost[forward], slotResidual[forward]) = (arc.cost, arc.capacity)
            slotCost[Int(layout.slotReverse[forward])] = -arc.cost
        }
        func built(partCount: Int) -> (first: [Int32], head: [Int32], residual: [Int64], reverse: [Int32]) {
            var phase = PhaseArcs(
                nodeCount: nodeCount, slotCount: layout.slotHead.count, partCount: partCount, first: layout.first)
            defer { phase.deallocate() }
            phase.build(
                first: layout.first, slotHead: layout.slotHead, slotCost: slotCost, slotResidual: slotResidual,
                slotReverse: layout.slotReverse, potentials: [Int64](repeating: 0, count: nodeCount)
            ) { count, body in DispatchQueue.concurrentPerform(iterations: count) { body(count - 1 - $0) } }
            return phase.built
        }
        let wholeArcs = built(partCount: 1)
        for partCount in [2, 3, 5, 8] {
            let partArcs = built(partCount: partCount)
            try #require(
                partArcs.first == wholeArcs.first && partArcs.head == wholeArcs.head
                    && partArcs.residual == wholeArcs.residual && partArcs.reverse == wholeArcs.reverse,
                "seed \(seed), \(partCount) parts")
        }
        func solved(partCount: Int) -> (flows: [Int64], potentials: [Int64], stats: MinCostFlowStats, cost: Int64) {
            var flow = MinCostFlow(nodeCount: nodeCount)
            for arc in arcs { flow.addArc(from: arc.tail, to: arc.head, capacity: arc.capacity, cost: arc.cost) }
            let (_, cost) = flow.solve(source: nodeCount - 1, sink: 0, limit: .max, partCount: partCount) {
                count, body in
                DispatchQueue.concurrentPerform(iterations: count) { body(count - 1 - $0) }
            }
            return (arcs.indices.map { flow.flow(onArc: 2 * $0) }, flow.potentials, flow.stats, cost)
        }
        let whole = solved(partCount: 1)
        for partCount in [2, 3, 5, 8] {
            let inParts = solved(partCount: partCount)
            #expect(inParts.flows == whole.flows, "seed \(seed), \(partCount) parts")
            #expect(inParts.potentials == whole.potentials && inParts.stats == whole.stats, "seed \(seed)")
            #expect(inParts.cost == whole.cost, "seed \(seed)")
        }
    }

    /// Max flow at min cost by Bellman-Ford augmentations of one unit each.
    static func unitShortestPaths(
        nodeCount: Int, arcs: [(tail: Int, head: Int, capacity: Int64, cost: Int32)]
    ) -> (flow: Int64, cost: Int64) {
        var residual: [Int64] = [], cost: [Int64] = [], tail: [Int] = [], head: [Int] = []
        for arc in arcs {
            tail += [arc.tail, arc.head]
            head += [arc.head, arc.tail]
            residual += [arc.capacity, 0]
            cost += [Int64(arc.cost), -Int64(arc.cost)]
        }
        var sent: Int64 = 0, total: Int64 = 0
        while true {
            var distance = [Int64](repeating: .max, count: nodeCount), via = [Int](repeating: -1, count: nodeCount)
            distance[0] = 0
            for _ in 0..<nodeCount {
                for arc in residual.indices where residual[arc] > 0 && distance[tail[arc]] < .max {
                    if distance[tail[arc]] + cost[arc] < distance[head[arc]] {
                        distance[head[arc]] = distance[tail[arc]] + cost[arc]
                        via[head[arc]] = arc
                    }
                }
            }
            guard distance[nodeCount - 1] < .max else { return (sent, total) }
            var node = nodeCount - 1
            while node != 0 {
                let arc = via[node]
                residual[arc] -= 1
                residual[arc ^ 1] += 1
                node = tail[arc]
            }
            sent += 1
            total += distance[nodeCount - 1]
        }
    }
}
