/// The strongly connected components of a directed graph, by Tarjan's algorithm run with an
/// explicit stack (a chain of a million parties needs no deep call stack).
///
/// Components are numbered in the order Tarjan completes them, which is a reverse topological
/// order: an arc between two components always runs from the higher number to the lower.
/// For set-off this matters because a circulation lives on cycles, and every cycle lies inside
/// one component: arcs between components can set off nothing.
struct StrongComponents {
    /// Per node, its component (0..<count).
    let componentOf: [Int32]
    let count: Int
    /// The graph's arcs by tail: node u's arcs are `arcByTail[first[u]..<first[u + 1]]`
    /// (arc indices in input order).
    let first: [Int32]
    let arcByTail: [Int32]

    init(nodeCount: Int, tails: [Int32], heads: [Int32]) {
        var first = [Int32](repeating: 0, count: nodeCount + 1)
        for tail in tails { first[Int(tail) + 1] += 1 }
        for node in 0..<nodeCount { first[node + 1] += first[node] }
        var fill = first
        var arcByTail = [Int32](repeating: 0, count: tails.count)
        for (arc, tail) in tails.enumerated() {
            arcByTail[Int(fill[Int(tail)])] = Int32(arc)
            fill[Int(tail)] += 1
        }
        (self.first, self.arcByTail) = (first, arcByTail)
        (componentOf, count) = Self.tarjan(nodeCount: nodeCount, first: first, arcByTail: arcByTail, heads: heads)
    }

    private static func tarjan(
        nodeCount: Int, first: [Int32], arcByTail: [Int32], heads: [Int32]
    ) -> (componentOf: [Int32], count: Int) {
        let unvisited = Int32.max
        var order = [Int32](repeating: unvisited, count: nodeCount)  // discovery order
        var low = [Int32](repeating: 0, count: nodeCount)
        var componentOf = [Int32](repeating: -1, count: nodeCount)
        var stack: [Int32] = []  // visited nodes not yet in a component
        var path: [Int32] = [], nextArc: [Int32] = []  // the depth-first path and where each node resumes
        var discovered: Int32 = 0, count: Int32 = 0
        func visit(_ node: Int) {
            order[node] = discovered
            low[node] = discovered
            discovered += 1
            stack.append(Int32(node))
            path.append(Int32(node))
            nextArc.append(first[node])
        }
        for root in 0..<nodeCount where order[root] == unvisited {
            visit(root)
            while let top = path.last {
                let node = Int(top)
                var arc = Int(nextArc[nextArc.count - 1])
                var descended = false
                while arc < Int(first[node + 1]) {
                    let next = Int(heads[Int(arcByTail[arc])])
                    arc += 1
                    if order[next] == unvisited {
                        nextArc[nextArc.count - 1] = Int32(arc)
                        visit(next)
                        descended = true
                        break
                    }
                    // Still on the stack (no component yet): part of this node's component.
                    if componentOf[next] < 0 { low[node] = min(low[node], order[next]) }
                }
                if descended { continue }
                path.removeLast()
                nextArc.removeLast()
                if let parent = path.last { low[Int(parent)] = min(low[Int(parent)], low[node]) }
                if low[node] == order[node] {
                    while let member = stack.popLast() {
                        componentOf[Int(member)] = count
                        if Int(member) == node { break }
                    }
                    count += 1
                }
            }
        }
        return (componentOf, Int(count))
    }
}
