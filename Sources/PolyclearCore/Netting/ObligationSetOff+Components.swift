/// Set-off one strongly connected component at a time.
///
/// A circulation lives on cycles and every cycle lies inside one strongly connected component
/// of the obligations, so an obligation between two components sets off nothing and each
/// component is an instance of its own: smaller (fewer cost-scaling refinements, prices that
/// stay in cache), independent (the caller may route them at once), and an obligation on no
/// cycle at all costs the solver nothing. The components' potentials are joined into one
/// certificate by shifting each component's by a constant, sinks first, so that every arc
/// leaving it has d[debtor] − d[creditor] ≥ 1 (its set-off is 0, so that is all it needs).
/// Core starts no thread: `perform` runs the groups of components, at once or in turn.
extension ObligationSetOff {
    public static func route(
        _ instance: SetOffInstance, solver: SetOffSolver = .automatic, partCount: Int = 1,
        perform: PerformParts = performInTurn
    ) -> SetOffRouting {
        let parts = SetOffParts(instance)
        // One component holding every obligation: route it as it stands, nothing to cut.
        if parts.internalArcCount == instance.pairCount && parts.solvedComponents.count <= 1 {
            return routeWhole(
                instance, solver: parts.solvedComponents.first.map { parts.solver(solver, for: $0) } ?? solver,
                partCount: partCount, perform: perform)
        }
        let groups = parts.groups(count: partCount)
        if groups.count == 1 {
            // One group (one component with a cycle): it has the cores to itself, for building
            // its phases' arcs in parts.
            let routings = groups[0].map { component in
                routeWhole(
                    parts.instance(of: component), solver: parts.solver(solver, for: component), partCount: partCount,
                    perform: perform)
            }
            return parts.join(groups: groups, routings: [routings], solver: solver)
        }
        let results = PartResults<[SetOffRouting]>(count: groups.count)
        perform(groups.count) { group in
            results.store(
                group,
                groups[group].map { component in
                    routeWhole(parts.instance(of: component), solver: parts.solver(solver, for: component))
                })
        }
        return parts.join(groups: groups, routings: results.take(), solver: solver)
    }
}

/// An instance's strongly connected components: their parties and the obligations (merged
/// pairs) inside each, as index lists grouped by component.
struct SetOffParts: Sendable {
    let whole: SetOffInstance
    let components: StrongComponents
    /// Component c's parties: `nodes[nodeFirst[c]..<nodeFirst[c + 1]]`, ascending.
    private let nodeFirst: [Int32], nodes: [Int32]
    /// Per party, its index among its component's parties.
    private let localIndex: [Int32]
    /// Component c's pairs (both ends in c): `arcs[arcFirst[c]..<arcFirst[c + 1]]`, ascending.
    private let arcFirst: [Int32], arcs: [Int32]
    /// The components with a pair inside, largest first.
    let solvedComponents: [Int]
    var internalArcCount: Int { arcs.count }

    init(_ instance: SetOffInstance) {
        whole = instance
        let components = StrongComponents(
            nodeCount: instance.partyCount, tails: instance.pairDebtor, heads: instance.pairCreditor)
        let componentOf = components.componentOf
        self.components = components
        (nodeFirst, nodes) = Self.group(
            count: components.count, items: 0..<instance.partyCount, into: { Int(componentOf[$0]) })
        var localIndex = [Int32](repeating: 0, count: instance.partyCount)
        for component in 0..<components.count {
            for position in Int(nodeFirst[component])..<Int(nodeFirst[component + 1]) {
                localIndex[Int(nodes[position])] = Int32(position) - nodeFirst[component]
            }
        }
        self.localIndex = localIndex
        (arcFirst, arcs) = Self.group(count: components.count, items: 0..<instance.pairCount) { pair in
            let tail = componentOf[Int(instance.pairDebtor[pair])]
            return tail == componentOf[Int(instance.pairCreditor[pair])] ? Int(tail) : nil
        }
        let arcFirst = self.arcFirst
        solvedComponents = (0..<components.count).filter { arcFirst[$0 + 1] > arcFirst[$0] }
            .sorted { a, b in
                let sizeA = arcFirst[a + 1] - arcFirst[a], sizeB = arcFirst[b + 1] - arcFirst[b]
                return sizeA != sizeB ? sizeA > sizeB : a < b
            }
    }

    /// A counting sort: the items (ascending) grouped by `into` (nil: left out).
    private static func group(
        count: Int, items: Range<Int>, into: (Int) -> Int?
    ) -> (first: [Int32], members: [Int32]) {
        var first = [Int32](repeating: 0, count: count + 1)
        for item in items { if let group = into(item) { first[group + 1] += 1 } }
        for group in 0..<count { first[group + 1] += first[group] }
        var fill = first
        var members = [Int32](repeating: 0, count: Int(first[count]))
        for item in items {
            guard let group = into(item) else { continue }
            members[Int(fill[group])] = Int32(item)
            fill[group] += 1
        }
        return (first, members)
    }

    func nodes(of component: Int) -> ArraySlice<Int32> {
        nodes[Int(nodeFirst[component])..<Int(nodeFirst[component + 1])]
    }

    func arcs(of component: Int) -> ArraySlice<Int32> { arcs[Int(arcFirst[component])..<Int(arcFirst[component + 1])] }

    /// Component `component` as an instance of its own, parties numbered in ascending order.
    func instance(of component: Int) -> SetOffInstance {
        let pairs = arcs(of: component)
        return SetOffInstance(
            partyCount: nodes(of: component).count,
            pairDebtor: pairs.map { localIndex[Int(whole.pairDebtor[Int($0)])] },
            pairCreditor: pairs.map { localIndex[Int(whole.pairCreditor[Int($0)])] },
            pairAmount: pairs.map { whole.pairAmount[Int($0)] })
    }

    /// The automatic choice goes straight to cost scaling for a component whose paths are long
    /// (breadth-first depth past twice the primal-dual phase budget: chains of debts), where
    /// primal-dual would spend its budget first; else `routeWhole` decides.
    func solver(_ solver: SetOffSolver, for component: Int) -> SetOffSolver {
        solver == .automatic && depth(of: component) > 2 * ObligationSetOff.primalDualPhaseBudget
            ? .costScaling : solver
    }

    /// The breadth-first depth of a component from its first party, over its own pairs: a
    /// cheap sign of how long its shortest paths run (primal-dual needs a phase per path cost).
    func depth(of component: Int) -> Int {
        let members = nodes(of: component)
        var distance = [Int32](repeating: -1, count: members.count)
        var queue: [Int32] = [members.first!]
        queue.reserveCapacity(members.count)
        distance[0] = 0  // the first party is local index 0
        var head = 0
        while head < queue.count {
            let node = Int(queue[head])
            head += 1
            let reached = distance[Int(localIndex[node])] + 1
            for slot in Int(components.first[node])..<Int(components.first[node + 1]) {
                let next = Int(whole.pairCreditor[Int(components.arcByTail[slot])])
                guard Int(components.componentOf[next]) == component, distance[Int(localIndex[next])] < 0 else {
                    continue
                }
                distance[Int(localIndex[next])] = reached
                queue.append(Int32(next))
            }
        }
        return Int(distance[Int(localIndex[Int(queue[queue.count - 1])])])
    }

    /// The solved components dealt into at most `count` groups of about equal size (by pairs).
    func groups(count: Int) -> [[Int]] {
        var groups = [[Int]](repeating: [], count: max(1, min(count, solvedComponents.count)))
        var load = [Int](repeating: 0, count: groups.count)
        for component in solvedComponents {
            let lightest = load.indices.min { load[$0] < load[$1] }!
            groups[lightest].append(component)
            load[lightest] += arcs(of: component).count
        }
        return groups
    }

    /// The components' routings as one routing of the whole instance.
    func join(
        groups: [[Int]], routings: [[SetOffRouting]?], solver: SetOffSolver
    ) -> SetOffRouting {
        var pairSetOff = [Int64](repeating: 0, count: whole.pairCount)
        var local = [Int64](repeating: 0, count: whole.partyCount)
        var stats = MinCostFlowStats()
        var largest: (pairs: Int, solver: SetOffSolver) = (-1, solver == .costScaling ? .costScaling : .primalDual)
        for (group, groupRoutings) in zip(groups, routings) {
            for (component, routing) in zip(group, groupRoutings!) {
                for (index, pair) in arcs(of: component).enumerated() {
                    pairSetOff[Int(pair)] = routing.pairSetOffMinor[index]
                }
                for (index, node) in nodes(of: component).enumerated() { local[Int(node)] = routing.potentials[index] }
                stats.costPhases += routing.solverStats.costPhases
                stats.blockingRounds += routing.solverStats.blockingRounds
                stats.augmentations += routing.solverStats.augmentations
                if arcs(of: component).count > largest.pairs {
                    largest = (arcs(of: component).count, routing.solver)
                }
            }
        }
        return SetOffRouting(
            pairSetOffMinor: pairSetOff, potentials: shifted(local), solver: largest.solver,
            solverStats: stats)
    }

    /// Each component's potentials moved up by one constant, sinks first, so that every pair
    /// leaving it has d[debtor] ≥ d[creditor] + 1 (the components' own conditions are unchanged
    /// by a shift). Pairs between components only run to lower-numbered ones: already final.
    private func shifted(_ local: [Int64]) -> [Int64] {
        var potentials = local
        let componentOf = components.componentOf
        for component in 0..<components.count {
            var shift: Int64?
            for node in nodes(of: component) {
                for slot in Int(components.first[Int(node)])..<Int(components.first[Int(node) + 1]) {
                    let creditor = Int(whole.pairCreditor[Int(components.arcByTail[slot])])
                    guard Int(componentOf[creditor]) != component else { continue }
                    shift = max(shift ?? .min, potentials[creditor] + 1 - local[Int(node)])
                }
            }
            guard let shift else { continue }
            for node in nodes(of: component) { potentials[Int(node)] = local[Int(node)] + shift }
        }
        return potentials
    }
}
