/// Min-cost flow on a directed graph with integer capacities and small non-negative integer
/// costs: the primal-dual method (Dijkstra on reduced costs for potentials, then Dinic's
/// blocking flow on the admissible arcs, repeated). Exact; used by obligation set-off.
///
/// Arcs are given in pairs (arc `2k` forward, `2k + 1` its reverse) and solved in a compressed
/// layout: each node's arcs in consecutive slots with their head, residual capacity, cost and
/// the slot of their reverse, so a scan reads memory in order and no arc is reached through an
/// index table.
struct MinCostFlow {
    private(set) var nodeCount: Int
    private var tails: [Int32] = []
    private var heads: [Int32] = []
    private var capacities: [Int64] = []
    private var costs: [Int32] = []
    /// Compressed layout, built by `solve`: node u's arcs are slots first[u]..<first[u + 1].
    private var first: [Int32] = []
    private var slotHead: [Int32] = []
    private var slotResidual: [Int64] = []
    private var slotCost: [Int32] = []
    private var slotReverse: [Int32] = []
    /// Arc index (as `addArc` numbered them) → its slot.
    private var slotOfArc: [Int32] = []
    /// Node potentials after solving: reduced costs of residual arcs are non-negative.
    private(set) var potentials: [Int64] = []
    /// How much work the last solve took.
    private(set) var stats = MinCostFlowStats()

    init(nodeCount: Int, arcCapacity: Int = 0) {
        self.nodeCount = nodeCount
        tails.reserveCapacity(arcCapacity)
        heads.reserveCapacity(arcCapacity)
        capacities.reserveCapacity(arcCapacity)
        costs.reserveCapacity(arcCapacity)
    }

    /// Adds an arc and returns its index (its reverse is index + 1).
    @discardableResult
    mutating func addArc(from tail: Int, to head: Int, capacity: Int64, cost: Int32) -> Int {
        let index = 2 * heads.count
        tails.append(Int32(tail)); heads.append(Int32(head)); capacities.append(capacity); costs.append(cost)
        return index
    }

    /// The flow on arc `index` (an even index from `addArc`) after solving.
    func flow(onArc index: Int) -> Int64 { slotResidual[Int(slotReverse[Int(slotOfArc[index / 2])])] }

    private mutating func buildLayout() {
        let layout = ResidualLayout(nodeCount: nodeCount, tails: tails, heads: heads)
        (first, slotHead, slotReverse, slotOfArc) = (
            layout.first, layout.slotHead, layout.slotReverse, layout.slotOfArc
        )
        slotResidual = [Int64](repeating: 0, count: slotHead.count)
        slotCost = [Int32](repeating: 0, count: slotHead.count)
        for arc in heads.indices {
            let forward = Int(slotOfArc[arc])
            slotResidual[forward] = capacities[arc]
            slotCost[forward] = costs[arc]
            slotCost[Int(slotReverse[forward])] = -costs[arc]
        }
    }

    /// With `phaseBudget`, gives up (returning what it has) after that many shortest-path
    /// phases: the caller then solves another way. Each phase's arcs are collected in
    /// `partCount` parts run by `perform` (the rest of a phase is one search after another).
    mutating func solve(
        source: Int, sink: Int, limit: Int64, phaseBudget: Int = .max, partCount: Int = 1,
        perform: PerformParts = performInTurn
    ) -> (flow: Int64, cost: Int64) {
        buildLayout()
        potentials = [Int64](repeating: 0, count: nodeCount)
        var totalFlow: Int64 = 0, totalCost: Int64 = 0
        var distance = [Int64](repeating: 0, count: nodeCount)
        var phase = PhaseArcs(nodeCount: nodeCount, slotCount: slotHead.count, partCount: partCount, first: first)
        defer { phase.deallocate() }
        while totalFlow < limit && stats.costPhases < phaseBudget {
            guard shortestDistances(from: source, to: sink, into: &distance), distance[sink] < .max else { break }
            let cap = distance[sink]
            for node in 0..<nodeCount { potentials[node] += min(distance[node], cap) }
            stats.costPhases += 1
            phase.build(
                first: first, slotHead: slotHead, slotCost: slotCost, slotResidual: slotResidual,
                slotReverse: slotReverse, potentials: potentials, perform: perform)
            // Max flow over admissible arcs (residual > 0, reduced cost 0): Dinic.
            let flowBefore = totalFlow
            while totalFlow < limit, phase.buildLevels(source: source, sink: sink) {
                stats.blockingRounds += 1
                let (pushed, paths) = phase.blockingFlow(from: source, to: sink, limit: limit - totalFlow)
                totalFlow += pushed
                stats.augmentations += paths
            }
            phase.writeBack(into: &slotResidual)
            // A shortest path is admissible, so a phase always sends something; one that sent
            // nothing means broken potentials, and the same phase would come again for ever.
            // Stop: the answer is then short of the optimum, and the certificate refuses it.
            guard totalFlow > flowBefore else { break }
        }
        for arc in heads.indices {
            totalCost += flow(onArc: 2 * arc) * Int64(costs[arc])
        }
        return (totalFlow, totalCost)
    }

    /// Arcs with room whose reduced cost under `potentials` is negative: none, after any solve
    /// (the invariant each phase's potentials must keep; tests check it).
    func residualArcsWithNegativeReducedCost() -> Int {
        var count = 0
        for node in 0..<nodeCount {
            for slot in Int(first[node])..<Int(first[node + 1]) where slotResidual[slot] > 0 {
                if Int64(slotCost[slot]) + potentials[node] - potentials[Int(slotHead[slot])] < 0 { count += 1 }
            }
        }
        return count
    }

    /// Dijkstra on reduced costs (all non-negative by the potentials' invariant). It stops
    /// once the sink is settled: the caller caps every distance at the sink's, and a node not
    /// settled by then is at least that far (its true distance and its tentative one alike),
    /// so the capped distances are exactly those of a search run to the end.
    private func shortestDistances(from source: Int, to sink: Int, into distance: inout [Int64]) -> Bool {
        for node in 0..<nodeCount { distance[node] = .max }
        distance[source] = 0
        var heap = BinaryHeap()
        heap.push(0, Int32(source))
        while let (d, node) = heap.pop() {
            guard d == distance[Int(node)] else { continue }
            if Int(node) == sink { break }
            let base = d + potentials[Int(node)]
            for slot in Int(first[Int(node)])..<Int(first[Int(node) + 1]) where slotResidual[slot] > 0 {
                let head = Int(slotHead[slot])
                let candidate = base + Int64(slotCost[slot]) - potentials[head]
                if candidate < distance[head] {
                    distance[head] = candidate
                    heap.push(candidate, Int32(head))
                }
            }
        }
        return true
    }

}

/// The work of one min-cost flow solve: shortest-path phases (one per distinct path cost),
/// blocking-flow rounds (one breadth-first search each) and augmenting paths.
public struct MinCostFlowStats: Hashable, Sendable {
    public var costPhases = 0
    public var blockingRounds = 0
    public var augmentations = 0
}

/// A minimal binary min-heap of (key, node) for Dijkstra.
struct BinaryHeap {
    private var keys: [Int64] = []
    private var nodes: [Int32] = []

    mutating func push(_ key: Int64, _ node: Int32) {
        keys.append(key); nodes.append(node)
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[child] < keys[parent] else { break }
            keys.swapAt(child, parent); nodes.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Int64, Int32)? {
        guard let key = keys.first, let node = nodes.first else { return nil }
        let lastKey = keys.removeLast(), lastNode = nodes.removeLast()
        if !keys.isEmpty {
            keys[0] = lastKey; nodes[0] = lastNode
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < keys.count else { break }
                let right = left + 1
                let smaller = right < keys.count && keys[right] < keys[left] ? right : left
                guard keys[smaller] < keys[parent] else { break }
                keys.swapAt(smaller, parent); nodes.swapAt(smaller, parent)
                parent = smaller
            }
        }
        return (key, node)
    }
}
