/// Minimum-cost circulation by cost scaling (Goldberg and Tarjan's push-relabel on ε-optimal
/// prices), for set-off: every arc starts full (each obligation paid in full is a feasible
/// flow), and the solve lowers flows wherever a cycle of cost-1 arcs lets it. Exact: costs are
/// scaled by n + 1 and the last refinement runs at ε = 1, so the result is (1/(n+1))-optimal in
/// the true costs, hence optimal; exact integer potentials are then found by one
/// Dijkstra search (`exactPotentials`).
///
/// Same compressed layout as `MinCostFlow`: node u's arcs are slots first[u]..<first[u + 1].
struct CostScalingCirculation {
    let nodeCount: Int
    private var first: [Int32] = []
    private var slotHead: [Int32] = []
    private(set) var slotResidual: [Int64] = []
    /// Scaled costs: the true cost × (nodeCount + 1).
    private var slotCost: [Int64] = []
    private var slotReverse: [Int32] = []
    /// Arc index (input order) → its forward slot.
    private var slotOfArc: [Int32] = []
    private var price: [Int64]
    private var excess: [Int64]
    private(set) var stats = MinCostFlowStats()
    /// Set when a step the theory rules out happened (a node with excess and no residual arc):
    /// the solve stops and the caller solves another way — an input never stops the process.
    private(set) var failed = false
    let scale: Int64
    /// The price update's last distance bucket (`updatePrices`); settable so that tests can
    /// make the search stop short.
    var distanceBound: Int

    /// Arcs u→v with capacity and cost; each starts carrying its full capacity.
    init(nodeCount: Int, tails: [Int32], heads: [Int32], capacities: [Int64], costs: [Int32]) {
        self.nodeCount = nodeCount
        scale = Int64(nodeCount + 1)
        distanceBound = 4 * nodeCount + 4
        price = [Int64](repeating: 0, count: nodeCount)
        excess = [Int64](repeating: 0, count: nodeCount)
        let layout = ResidualLayout(nodeCount: nodeCount, tails: tails, heads: heads)
        (first, slotHead, slotReverse, slotOfArc) = (
            layout.first, layout.slotHead, layout.slotReverse, layout.slotOfArc
        )
        slotResidual = [Int64](repeating: 0, count: slotHead.count)
        slotCost = [Int64](repeating: 0, count: slotHead.count)
        for arc in heads.indices {
            // Full: no room forward, the whole capacity backward.
            let forward = Int(slotOfArc[arc]), backward = Int(slotReverse[forward])
            slotResidual[backward] = capacities[arc]
            slotCost[forward] = Int64(costs[arc]) * scale
            slotCost[backward] = -Int64(costs[arc]) * scale
        }
    }

    /// The flow on arc `arc` (input order).
    func flow(onArc arc: Int) -> Int64 { slotResidual[Int(slotReverse[Int(slotOfArc[arc])])] }

    mutating func solve(alpha: Int64 = 12) {
        var epsilon = slotCost.lazy.map { abs($0) }.max() ?? 0
        guard epsilon > 0 else { return }
        var counts = RefineCounts()
        let solved = withBuffers { buffers in
            repeat {
                epsilon = max(1, epsilon / alpha)
                let refined = Self.refine(epsilon, buffers, &counts)
                counts.phases += 1
                guard refined else { return false }
            } while epsilon > 1
            return true
        }
        stats.costPhases += counts.phases
        stats.blockingRounds += counts.relabels
        stats.augmentations += counts.priceUpdates
        if !solved { failed = true }
    }

    /// What a solve did, for `stats`.
    private struct RefineCounts {
        var phases = 0
        var relabels = 0
        var priceUpdates = 0
    }

    /// The arrays as pointers for the length of a solve: the inner loops run without bounds
    /// or uniqueness checks (an array in a struct checks both on every write).
    private struct Buffers {
        let first: UnsafeBufferPointer<Int32>
        let head: UnsafeBufferPointer<Int32>
        let cost: UnsafeBufferPointer<Int64>
        let reverse: UnsafeBufferPointer<Int32>
        let residual: UnsafeMutableBufferPointer<Int64>
        let price: UnsafeMutableBufferPointer<Int64>
        let excess: UnsafeMutableBufferPointer<Int64>
        let distanceBound: Int
        var nodeCount: Int { price.count }
    }

    private mutating func withBuffers<Result>(_ body: (Buffers) -> Result) -> Result {
        let distanceBound = distanceBound
        return first.withUnsafeBufferPointer { first in
            slotHead.withUnsafeBufferPointer { head in
                slotCost.withUnsafeBufferPointer { cost in
                    slotReverse.withUnsafeBufferPointer { reverse in
                        slotResidual.withUnsafeMutableBufferPointer { residual in
                            price.withUnsafeMutableBufferPointer { price in
                                excess.withUnsafeMutableBufferPointer { excess in
                                    body(
                                        Buffers(
                                            first: first, head: head, cost: cost, reverse: reverse, residual: residual,
                                            price: price, excess: excess, distanceBound: distanceBound))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Makes the flow ε-optimal: saturate every residual arc of negative reduced cost, then
    /// push excess along admissible arcs (reduced cost < 0), relabelling by at least ε.
    /// False when a step the theory rules out happened (`failed`).
    private static func refine(_ epsilon: Int64, _ b: Buffers, _ counts: inout RefineCounts) -> Bool {
        let nodeCount = b.nodeCount
        for node in 0..<nodeCount {
            let p = b.price[node]
            for slot in Int(b.first[node])..<Int(b.first[node + 1]) where b.residual[slot] > 0 {
                let head = Int(b.head[slot])
                if b.cost[slot] + p - b.price[head] < 0 {
                    let amount = b.residual[slot]
                    b.residual[slot] = 0
                    b.residual[Int(b.reverse[slot])] += amount
                    b.excess[node] -= amount
                    b.excess[head] += amount
                }
            }
        }
        var queue: [Int32] = []
        queue.reserveCapacity(nodeCount)
        var inQueue = [Bool](repeating: false, count: nodeCount)
        for node in 0..<nodeCount where b.excess[node] > 0 {
            queue.append(Int32(node))
            inQueue[node] = true
        }
        let current = UnsafeMutableBufferPointer<Int32>.allocate(capacity: nodeCount)
        defer { current.deallocate() }
        _ = current.initialize(from: b.first.prefix(nodeCount))
        var head = 0
        let updateEvery = max(nodeCount, b.head.count / 16)
        var relabelsAtUpdate = counts.relabels
        updatePrices(epsilon, b, &counts)
        while head < queue.count {
            if counts.relabels - relabelsAtUpdate >= updateEvery {
                updatePrices(epsilon, b, &counts)
                relabelsAtUpdate = counts.relabels
                for node in 0..<nodeCount { current[node] = b.first[node] }
            }
            let node = Int(queue[head])
            head += 1
            inQueue[node] = false
            let discharged = discharge(node, epsilon, current, b, &counts) { next in
                if !inQueue[next] {
                    inQueue[next] = true
                    queue.append(Int32(next))
                }
            }
            guard discharged else { return false }
            if head > 1 << 20 {
                queue.removeFirst(head)
                head = 0
            }
        }
        return true
    }

    /// Pushes `node`'s excess along admissible arcs from its current arc on, relabelling when
    /// none is left. False when it has excess and no residual arc at all.
    private static func discharge(
        _ node: Int, _ epsilon: Int64, _ current: UnsafeMutableBufferPointer<Int32>, _ b: Buffers,
        _ counts: inout RefineCounts, activate: (Int) -> Void
    ) -> Bool {
        let end = Int(b.first[node + 1])
        while b.excess[node] > 0 {
            var slot = Int(current[node])
            let p = b.price[node]
            while slot < end {
                if b.residual[slot] > 0 {
                    let next = Int(b.head[slot])
                    if b.cost[slot] + p - b.price[next] < 0 {
                        let amount = min(b.excess[node], b.residual[slot])
                        b.residual[slot] -= amount
                        b.residual[Int(b.reverse[slot])] += amount
                        b.excess[node] -= amount
                        let before = b.excess[next]
                        b.excess[next] += amount
                        if before <= 0 && b.excess[next] > 0 { activate(next) }
                        if b.excess[node] == 0 { break }
                    }
                }
                slot += 1
            }
            current[node] = Int32(slot)
            if b.excess[node] == 0 { return true }
            // Relabel: the highest price that makes some residual arc admissible at −ε.
            var best = Int64.min
            for candidate in Int(b.first[node])..<end where b.residual[candidate] > 0 {
                best = max(best, b.price[Int(b.head[candidate])] - b.cost[candidate])
            }
            if best == .min { return false }
            b.price[node] = best - epsilon
            current[node] = b.first[node]
            counts.relabels += 1
        }
        return true
    }

    /// The price update: each node's distance D to the nearest node in deficit, counting a
    /// residual arc as ⌊reduced cost / ε⌋ + 1 (≥ 0), and prices lowered by ε·D. The flow stays
    /// ε-optimal and every node that can reach a deficit gets an admissible path to it, which
    /// saves the many small relabels that would find the same path. Lengths are small whole
    /// numbers, so the search keeps a bucket per distance (Dial's) up to a bound (4n + 4); nodes not
    /// reached by then take that bound, nodes that reach no deficit the largest distance found
    /// (either keeps every residual arc ε-optimal: an arc into a reached node from one that is
    /// not was longer than the bound, and one out of a reached node gains room).
    private static func updatePrices(_ epsilon: Int64, _ b: Buffers, _ counts: inout RefineCounts) {
        let nodeCount = b.nodeCount
        let bound = b.distanceBound
        var distance = [Int64](repeating: .max, count: nodeCount)
        var buckets = DistanceBuckets(bound: bound, nodeCount: nodeCount)
        for node in 0..<nodeCount where b.excess[node] < 0 {
            distance[node] = 0
            buckets.push(0, Int32(node))
        }
        var farthest: Int64 = 0, cut = false
        distance.withUnsafeMutableBufferPointer { distance in
            while let (d, node) = buckets.pop() {
                guard d == distance[Int(node)] else { continue }
                farthest = d
                let p = b.price[Int(node)]
                // Arcs u→node with room: each is the reverse of one of node's slots.
                for slot in Int(b.first[Int(node)])..<Int(b.first[Int(node) + 1]) {
                    let reverse = Int(b.reverse[slot])
                    guard b.residual[reverse] > 0 else { continue }
                    let tail = Int(b.head[slot])
                    let reduced = b.cost[reverse] + b.price[tail] - p
                    let length = (reduced >= 0 ? reduced / epsilon : -((-reduced + epsilon - 1) / epsilon)) + 1
                    // ε-optimal arcs have length ≥ 0; never file a node below the search.
                    let candidate = d + max(0, length)
                    guard candidate < distance[tail] else { continue }
                    guard candidate <= bound else {
                        cut = true
                        continue
                    }
                    distance[tail] = candidate
                    buckets.push(candidate, Int32(tail))
                }
            }
            let unreached = cut ? Int64(bound) : farthest
            for node in 0..<nodeCount {
                b.price[node] -= epsilon * (distance[node] == .max ? unreached : distance[node])
            }
        }
        counts.priceUpdates += 1
    }

    /// Exact integer potentials d for the true costs (d[v] ≤ d[u] + cost on every residual arc
    /// u→v), from one multi-source Dijkstra search. The prices are ε = 1 optimal in scaled
    /// costs, so w = scaled reduced cost + 1 ≥ 0 on residual arcs, and the least w-length of a
    /// path is scale × (its true cost) + (its arcs) − price differences, with fewer arcs than
    /// `scale`: the true shortest distance is its quotient by `scale`.
    /// Nil if the prices are not 1-optimal after all (the caller then solves another way).
    func exactPotentials() -> [Int64]? {
        guard !failed else { return nil }
        let top = price.max() ?? 0
        var key = price.map { top - $0 }
        var heap = BinaryHeap()
        for node in 0..<nodeCount { heap.push(key[node], Int32(node)) }
        while let (k, node) = heap.pop() {
            guard k == key[Int(node)] else { continue }
            let p = price[Int(node)]
            for slot in Int(first[Int(node)])..<Int(first[Int(node) + 1]) where slotResidual[slot] > 0 {
                let next = Int(slotHead[slot])
                let w = slotCost[slot] + p - price[next] + 1
                if w < 0 { return nil }
                if k + w < key[next] {
                    key[next] = k + w
                    heap.push(k + w, Int32(next))
                }
            }
        }
        // key[v] = top − price[v] + min over paths ending at v of (scale × cost + arcs).
        return (0..<nodeCount).map { node in
            let value = key[node] - top + price[node]
            let (quotient, remainder) = value.quotientAndRemainder(dividingBy: scale)
            return remainder < 0 ? quotient - 1 : quotient
        }
    }
}

/// Nodes filed by a whole-number distance 0...bound, taken out in distance order (Dial's
/// buckets: a push and a pop cost O(1), the scan over empty distances O(bound) in all).
/// A node may be filed more than once; the caller skips the stale entries.
private struct DistanceBuckets {
    private var head: [Int32]
    private var entryNode: [Int32] = [], entryNext: [Int32] = []
    private var level = 0, pending = 0

    init(bound: Int, nodeCount: Int) {
        head = [Int32](repeating: -1, count: bound + 1)
        entryNode.reserveCapacity(nodeCount)
        entryNext.reserveCapacity(nodeCount)
    }

    mutating func push(_ distance: Int64, _ node: Int32) {
        entryNode.append(node)
        entryNext.append(head[Int(distance)])
        head[Int(distance)] = Int32(entryNode.count - 1)
        pending += 1
    }

    /// The next entry at the least distance; nil when none is left. Pushes are never below the
    /// distance last popped (lengths are ≥ 0), so the scan only moves up.
    mutating func pop() -> (Int64, Int32)? {
        guard pending > 0 else { return nil }
        while head[level] < 0 { level += 1 }
        let entry = Int(head[level])
        head[level] = entryNext[entry]
        pending -= 1
        return (Int64(level), entryNode[entry])
    }
}
