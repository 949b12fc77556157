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
