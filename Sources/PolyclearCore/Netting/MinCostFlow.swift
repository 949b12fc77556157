/// Min-cost flow on a directed graph with integer capacities and small non-negative integer
/// costs: the primal-dual method (Dijkstra on reduced costs for potentials, then Dinic's
/// blocking flow on the admissible arcs, repeated). Exact; used by obligation set-off.
///
/// Arcs are stored in pairs (arc `2k` forward, `2k + 1` its reverse) in flat arrays with a
/// compressed adjacency, so a million-arc instance is a handful of arrays, not objects.
struct MinCostFlow {
    private(set) var nodeCount: Int
    private var tails: [Int32] = []
    private(set) var heads: [Int32] = []
    /// Residual capacity of each arc.
    private(set) var residual: [Int64] = []
    private(set) var costs: [Int32] = []
    private var adjacencyStart: [Int32] = []
    private var adjacency: [Int32] = []
    /// Node potentials after solving: reduced costs of residual arcs are non-negative.
    private(set) var potentials: [Int64] = []

    init(nodeCount: Int, arcCapacity: Int = 0) {
        self.nodeCount = nodeCount
        tails.reserveCapacity(2 * arcCapacity)
        heads.reserveCapacity(2 * arcCapacity)
        residual.reserveCapacity(2 * arcCapacity)
        costs.reserveCapacity(2 * arcCapacity)
    }

    /// Adds an arc and returns its index (its reverse is index + 1).
    @discardableResult
    mutating func addArc(from tail: Int, to head: Int, capacity: Int64, cost: Int32) -> Int {
        let index = heads.count
        tails.append(Int32(tail)); heads.append(Int32(head)); residual.append(capacity); costs.append(cost)
        tails.append(Int32(head)); heads.append(Int32(tail)); residual.append(0); costs.append(-cost)
        return index
    }

    func flow(onArc index: Int) -> Int64 { residual[index + 1] }

    private mutating func buildAdjacency() {
        var counts = [Int32](repeating: 0, count: nodeCount + 1)
        for tail in tails { counts[Int(tail) + 1] += 1 }
        for node in 0..<nodeCount { counts[node + 1] += counts[node] }
        adjacencyStart = counts
        adjacency = [Int32](repeating: 0, count: tails.count)
        var fill = counts
        for arc in tails.indices {
            let tail = Int(tails[arc])
            adjacency[Int(fill[tail])] = Int32(arc)
            fill[tail] += 1
        }
    }

    /// Sends up to `limit` units from `source` to `sink` at minimum cost; returns (flow, cost).
    mutating func solve(source: Int, sink: Int, limit: Int64) -> (flow: Int64, cost: Int64) {
        buildAdjacency()
        potentials = [Int64](repeating: 0, count: nodeCount)
        var totalFlow: Int64 = 0, totalCost: Int64 = 0
        var distance = [Int64](repeating: 0, count: nodeCount)
        var level = [Int32](repeating: 0, count: nodeCount)
        var current = [Int32](repeating: 0, count: nodeCount)
        var queue = [Int32](repeating: 0, count: nodeCount)
        while totalFlow < limit {
            guard shortestDistances(from: source, into: &distance), distance[sink] < .max else { break }
            let cap = distance[sink]
            for node in 0..<nodeCount { potentials[node] += min(distance[node], cap) }
            // Max flow over admissible arcs (residual > 0, reduced cost 0): Dinic.
            while totalFlow < limit, buildLevels(source: source, sink: sink, level: &level, queue: &queue) {
                for node in 0..<nodeCount { current[node] = adjacencyStart[node] }
                while totalFlow < limit {
                    let pushed = augment(
                        from: source, to: sink, limit: limit - totalFlow, level: level, current: &current)
                    if pushed == 0 { break }
                    totalFlow += pushed
                }
            }
        }
        for arc in stride(from: 0, to: heads.count, by: 2) { totalCost += residual[arc + 1] * Int64(costs[arc]) }
        return (totalFlow, totalCost)
    }

    @inline(__always)
    private func reducedCost(_ arc: Int) -> Int64 {
        Int64(costs[arc]) + potentials[Int(tails[arc])] - potentials[Int(heads[arc])]
    }

    /// Dijkstra on reduced costs (all non-negative by the potentials' invariant).
    private func shortestDistances(from source: Int, into distance: inout [Int64]) -> Bool {
        for node in 0..<nodeCount { distance[node] = .max }
        distance[source] = 0
        var heap = BinaryHeap()
        heap.push(0, Int32(source))
        while let (d, node) = heap.pop() {
            guard d == distance[Int(node)] else { continue }
            for position in Int(adjacencyStart[Int(node)])..<Int(adjacencyStart[Int(node) + 1]) {
                let arc = Int(adjacency[position])
                guard residual[arc] > 0 else { continue }
                let candidate = d + reducedCost(arc)
                let head = Int(heads[arc])
                if candidate < distance[head] {
                    distance[head] = candidate
                    heap.push(candidate, Int32(head))
                }
            }
        }
        return true
    }

    private func buildLevels(source: Int, sink: Int, level: inout [Int32], queue: inout [Int32]) -> Bool {
        for node in 0..<nodeCount { level[node] = -1 }
        level[source] = 0
        var head = 0, tail = 0
        queue[tail] = Int32(source); tail += 1
        while head < tail {
            let node = Int(queue[head]); head += 1
            for position in Int(adjacencyStart[node])..<Int(adjacencyStart[node + 1]) {
                let arc = Int(adjacency[position])
                let next = Int(heads[arc])
                if residual[arc] > 0 && level[next] < 0 && reducedCost(arc) == 0 {
                    level[next] = level[node] + 1
                    queue[tail] = Int32(next); tail += 1
                }
            }
        }
        return level[sink] >= 0
    }

    /// One augmenting path in the level graph, found iteratively (no recursion: paths can be long).
    private mutating func augment(
        from source: Int, to sink: Int, limit: Int64, level: [Int32], current: inout [Int32]
    ) -> Int64 {
        var path: [Int32] = []  // arcs
        var node = source
        while true {
            if node == sink {
                var bottleneck = limit
                for arc in path { bottleneck = min(bottleneck, residual[Int(arc)]) }
                for arc in path {
                    residual[Int(arc)] -= bottleneck
                    residual[Int(arc) ^ 1] += bottleneck
                }
                return bottleneck
            }
            var advanced = false
            while current[node] < adjacencyStart[node + 1] {
                let arc = Int(adjacency[Int(current[node])])
                let next = Int(heads[arc])
                if residual[arc] > 0 && level[next] == level[node] + 1 && reducedCost(arc) == 0 {
                    path.append(Int32(arc))
                    node = next
                    advanced = true
                    break
                }
                current[node] += 1
            }
            if !advanced {
                guard let last = path.popLast() else { return 0 }
                node = Int(tails[Int(last)])
                current[node] += 1  // this arc leads nowhere now
            }
        }
    }
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
