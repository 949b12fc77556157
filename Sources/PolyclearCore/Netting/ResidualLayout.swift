/// Arcs laid out per node for the flow solvers: node u's arcs — its own and the reverses of
/// those entering it — are slots first[u]..<first[u + 1], each with its head and the slot of
/// its reverse, so a scan reads memory in order and no arc is reached through an index table.
struct ResidualLayout {
    var first: [Int32]
    var slotHead: [Int32]
    var slotReverse: [Int32]
    /// Arc (input order) → its forward slot; the reverse is `slotReverse` of that.
    var slotOfArc: [Int32]

    init(nodeCount: Int, tails: [Int32], heads: [Int32]) {
        var counts = [Int32](repeating: 0, count: nodeCount + 1)
        for arc in heads.indices {
            counts[Int(tails[arc]) + 1] += 1
            counts[Int(heads[arc]) + 1] += 1
        }
        for node in 0..<nodeCount { counts[node + 1] += counts[node] }
        first = counts
        let slotCount = 2 * heads.count
        slotHead = [Int32](repeating: 0, count: slotCount)
        slotReverse = [Int32](repeating: 0, count: slotCount)
        slotOfArc = [Int32](repeating: 0, count: heads.count)
        var fill = counts
        for arc in heads.indices {
            let tail = Int(tails[arc]), head = Int(heads[arc])
            let forward = Int(fill[tail]), backward = Int(fill[head])
            fill[tail] += 1
            fill[head] += 1
            slotHead[forward] = Int32(head)
            slotHead[backward] = Int32(tail)
            slotReverse[forward] = Int32(backward)
            slotReverse[backward] = Int32(forward)
            slotOfArc[arc] = Int32(forward)
        }
    }
}
