/// The arcs that may carry flow in one phase of `MinCostFlow` — reduced cost 0 under the
/// phase's potentials, an arc and its reverse alike (the reverse has the opposite reduced
/// cost) — copied into positions of their own: node u's at first[u]..<first[u + 1], each
/// with its head, residual and the position of its reverse. Potentials change only between
/// phases, so the phase's breadth-first and depth-first searches (Dinic) pass these few, in
/// order, instead of every arc; the residuals go back to the slots when the phase ends.
///
/// Held in buffers allocated once per solve (the searches run millions of steps: no bounds
/// or uniqueness checks in them); `deallocate()` frees them. Sendable for `build`, whose parts
/// write disjoint ranges of them.
struct PhaseArcs: @unchecked Sendable {
    let nodeCount: Int
    private(set) var count = 0
    private let first: UnsafeMutableBufferPointer<Int32>
    private let slot: UnsafeMutableBufferPointer<Int32>
    private let head: UnsafeMutableBufferPointer<Int32>
    private let residual: UnsafeMutableBufferPointer<Int64>
    private let reverse: UnsafeMutableBufferPointer<Int32>
    private let positionOfSlot: UnsafeMutableBufferPointer<Int32>
    private let level: UnsafeMutableBufferPointer<Int32>
    private let current: UnsafeMutableBufferPointer<Int32>
    private let queue: UnsafeMutableBufferPointer<Int32>
    /// The search's path (positions) and each arc's tail; levels rise along a path, so it
    /// holds at most one arc per node.
    private let path: UnsafeMutableBufferPointer<Int32>
    private let pathTails: UnsafeMutableBufferPointer<Int32>

    /// The nodes cut into parts of about equal slots: part k is partNodes[k]..<partNodes[k + 1].
    private let partNodes: [Int32]

    init(nodeCount: Int, slotCount: Int, partCount: Int = 1, first slotFirst: [Int32]) {
        self.nodeCount = nodeCount
        var partNodes: [Int32] = [0]
        var node = 0
        for part in 1..<max(1, partCount) {
            while node < nodeCount && Int(slotFirst[node]) < slotCount * part / partCount { node += 1 }
            if node > Int(partNodes[partNodes.count - 1]) { partNodes.append(Int32(node)) }
        }
        if nodeCount > Int(partNodes[partNodes.count - 1]) { partNodes.append(Int32(nodeCount)) }
        self.partNodes = partNodes
        func buffer<T>(_ count: Int, _ value: T) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(count, 1))
            buffer.initialize(repeating: value)
            return buffer
        }
        // Slot-sized buffers are left as allocated: each position is written before it is
        // read (a build writes positions 0..<count, and the position of every slot it takes).
        func unset<T>(_ count: Int) -> UnsafeMutableBufferPointer<T> {
            UnsafeMutableBufferPointer<T>.allocate(capacity: max(count, 1))
        }
        first = buffer(nodeCount + 1, 0)
        slot = unset(slotCount)
        head = unset(slotCount)
        residual = unset(slotCount)
        reverse = unset(slotCount)
        positionOfSlot = unset(slotCount)
        level = buffer(nodeCount, -1)
        current = buffer(nodeCount, 0)
        queue = buffer(nodeCount, 0)
        path = buffer(nodeCount + 1, 0)
        pathTails = buffer(nodeCount + 1, 0)
    }

    /// The phase's arcs as built (tests compare builds): per node its first position, and per
    /// position the head, residual and reverse position.
    var built: (first: [Int32], head: [Int32], residual: [Int64], reverse: [Int32]) {
        (Array(first), Array(head[0..<count]), Array(residual[0..<count]), Array(reverse[0..<count]))
    }

    func deallocate() {
        for buffer in [first, slot, head, reverse, positionOfSlot, level, current, queue, path, pathTails] {
            buffer.deallocate()
        }
        residual.deallocate()
    }

    /// Collects the phase's arcs from the solver's slot layout, in parts run by `perform`: part
    /// k takes the nodes `partNodes[k]..<partNodes[k + 1]` and writes their arcs from the index
    /// of its first slot on (a part keeps at most as many arcs as it has slots, so parts never
    /// overlap); the parts then move down to close the gaps, and each part finds its arcs'
    /// reverses, whose positions it reads as written and shifts by their part's move.
    mutating func build(
        first slotFirst: [Int32], slotHead: [Int32], slotCost: [Int32], slotResidual: [Int64], slotReverse: [Int32],
        potentials: [Int64], perform: PerformParts
    ) {
        let arcs = self, partNodes = partNodes, parts = partNodes.count - 1
        let ends = PartResults<Int>(count: parts)
        perform(parts) { part in
            var count = Int(slotFirst[Int(partNodes[part])])
            for node in Int(partNodes[part])..<Int(partNodes[part + 1]) {
                arcs.first[node] = Int32(count)
                let potential = potentials[node]
                for arc in Int(slotFirst[node])..<Int(slotFirst[node + 1])
                where Int64(slotCost[arc]) + potential == potentials[Int(slotHead[arc])] {
                    arcs.positionOfSlot[arc] = Int32(count)
                    arcs.slot[count] = Int32(arc)
                    arcs.head[count] = slotHead[arc]
                    arcs.residual[count] = slotResidual[arc]
                    count += 1
                }
            }
            ends.store(part, count)
        }
        // Part k was written at starts[k]..<ends[k] and moves down by shifts[k].
        let written = ends.take().map { $0! }
        var starts = [Int32](repeating: 0, count: parts), shifts = [Int32](repeating: 0, count: parts)
        var count = 0
        for part in 0..<parts {
            let start = Int(slotFirst[Int(partNodes[part])]), length = written[part] - start
            (starts[part], shifts[part]) = (Int32(start), Int32(start - count))
            if start > count {
                moveDown(from: start, to: count, length: length)
                for node in Int(partNodes[part])..<Int(partNodes[part + 1]) { first[node] -= shifts[part] }
            }
            count += length
        }
        first[nodeCount] = Int32(count)
        self.count = count
        guard parts > 1 else {
            for position in 0..<count { reverse[position] = positionOfSlot[Int(slotReverse[Int(slot[position])])] }
            return
        }
        let (startsNow, shiftsNow) = (starts, shifts)
        perform(parts) { part in
            for position in Int(arcs.first[Int(partNodes[part])])..<Int(arcs.first[Int(partNodes[part + 1])]) {
                let written = arcs.positionOfSlot[Int(slotReverse[Int(arcs.slot[position])])]
                var owner = parts - 1
                while written < startsNow[owner] { owner -= 1 }
                arcs.reverse[position] = written - shiftsNow[owner]
            }
        }
    }

    /// Moves positions `from..<from + length` down to `to..<to + length` (they may overlap).
    private func moveDown(from: Int, to: Int, length: Int) {
        guard length > 0 else { return }
        func move<T>(_ buffer: UnsafeMutableBufferPointer<T>) {
            UnsafeMutableRawPointer(buffer.baseAddress! + to).copyMemory(
                from: buffer.baseAddress! + from, byteCount: length * MemoryLayout<T>.stride)
        }
        move(slot)
        move(head)
        move(residual)
    }

    /// The phase's residuals back into the solver's slots.
    func writeBack(into slotResidual: inout [Int64]) {
        for position in 0..<count { slotResidual[Int(slot[position])] = residual[position] }
    }

    /// Levels: each node's breadth-first distance to the sink over the arcs with room,
    /// searched backwards from the sink and stopping once the source has its level. The depth-first
    /// search then follows only arcs one level nearer the sink, so every step it takes leads
    /// towards the sink (a search levelled from the source wanders into nodes that reach no
    /// sink and must back out of each). False: the sink is cut off.
    func buildLevels(source: Int, sink: Int) -> Bool {
        for node in 0..<nodeCount { level[node] = -1 }
        level[sink] = 0
        var front = 0, back = 0
        queue[back] = Int32(sink)
        back += 1
        while front < back {
            let node = Int(queue[front])
            front += 1
            let nextLevel = level[node] + 1
            if level[source] >= 0 && nextLevel > level[source] { break }
            for position in Int(first[node])..<Int(first[node + 1]) {
                // The arc from `previous` into this node is the reverse of this one.
                let previous = Int(head[position])
                if level[previous] < 0 && residual[Int(reverse[position])] > 0 {
                    // The rest of this level and the levels past it are of no use to the
                    // depth-first search, which starts at the source and only goes down.
                    if previous == source {
                        level[previous] = nextLevel
                        return true
                    }
                    level[previous] = nextLevel
                    queue[back] = Int32(previous)
                    back += 1
                }
            }
        }
        return level[source] >= 0
    }

    /// A blocking flow in the level graph by depth-first search (iterative: paths can be long):
    /// the flow pushed and the paths it took. After each augmentation the search backs up only
    /// to the first arc it saturated; the path keeps each arc's tail, so backing up reads no arc.
    func blockingFlow(from source: Int, to sink: Int, limit: Int64) -> (pushed: Int64, paths: Int) {
        for node in 0..<nodeCount { current[node] = first[node] }
        var pushed: Int64 = 0, paths = 0, depth = 0
        var node = source
        while pushed < limit {
            if node == sink {
                var bottleneck = limit - pushed
                for step in 0..<depth { bottleneck = min(bottleneck, residual[Int(path[step])]) }
                var firstSaturated = depth
                for step in 0..<depth {
                    let position = Int(path[step])
                    residual[position] -= bottleneck
                    residual[Int(reverse[position])] += bottleneck
                    if residual[position] == 0 && firstSaturated == depth { firstSaturated = step }
                }
                pushed += bottleneck
                paths += 1
                if firstSaturated == depth { break }  // the limit was reached
                node = Int(pathTails[firstSaturated])
                depth = firstSaturated
                continue
            }
            let end = first[node + 1], nextLevel = level[node] - 1
            var position = current[node]
            while position < end {
                if residual[Int(position)] > 0 && level[Int(head[Int(position)])] == nextLevel { break }
                position += 1
            }
            current[node] = position
            if position < end {
                path[depth] = position
                pathTails[depth] = Int32(node)
                depth += 1
                node = Int(head[Int(position)])
            } else {
                guard depth > 0 else { break }
                depth -= 1
                node = Int(pathTails[depth])
                current[node] += 1  // this arc leads nowhere now
            }
        }
        return (pushed, paths)
    }
}
