/// One obligation for set-off: `debtor` owes `creditor` `amountMinor`, due on `dueDay`
/// (days since 1970-01-01; nil: no due date). Parties are dense indices 0..<partyCount.
public struct Obligation: Hashable, Sendable {
    public var debtor: Int32
    public var creditor: Int32
    public var amountMinor: Int64
    public var dueDay: Int32?

    public init(debtor: Int32, creditor: Int32, amountMinor: Int64, dueDay: Int32? = nil) {
        self.debtor = debtor
        self.creditor = creditor
        self.amountMinor = amountMinor
        self.dueDay = dueDay
    }
}

/// The dual certificate of a set-off run: node potentials under which no residual arc has a
/// negative reduced cost, and the dual bound they give. `primal == dual` proves optimality.
public struct SetOffCertificate: Hashable, Sendable, Codable {
    public var potentials: [Int64]
    public var primal: Int64
    public var dual: Int64
    public var isProven: Bool { primal == dual }
}

public struct SetOffResult: Hashable, Sendable {
    /// Per obligation, in input order: the amount set off (the remainder is amount − this).
    public var setOffMinor: [Int64]
    public var grossMinor: Int64
    /// The least that must still be paid: Σ of the net debtors' net positions.
    public var netLiquidityNeedMinor: Int64
    public var totalSetOffMinor: Int64
    public var certificate: SetOffCertificate

    public var remainderMinor: Int64 { grossMinor - totalSetOffMinor }
}

/// Why a set-off run has no result. Stable: append only.
public enum SetOffError: Error, Hashable, Sendable {
    case selfObligation(index: Int)
    case nonPositiveAmount(index: Int)
    case partyOutOfRange(index: Int)
    case totalOverflow
    /// The certificate did not close: a bug, never a result.
    case certificateFailed(primal: Int64, dual: Int64)
}

/// Multilateral obligation set-off, exact and self-certifying.
///
/// The largest total that can be cancelled without changing any party's net position is the
/// maximum circulation within the obligations. Equivalently the remainder is a min-cost flow:
/// route every net debtor's net debt to the net creditors along the obligations (capacity =
/// amount, cost 1 a unit); set-off = gross − min cost. Obligations on the same ordered pair are
/// merged first; opposite pairs stay separate arcs (their bilateral set-off is a 2-cycle). The
/// result is then proven optimal with node potentials on the residual graph of the set-off
/// circulation (arc weights −1 forward, +1 backward): every residual arc must satisfy them and
/// Σ set-off must equal the dual bound Σ amount × max(0, 1 − (d_debtor − d_creditor)).
/// A pair's set-off is split onto its obligations earliest due date first (no date last), then
/// in input order.
public enum ObligationSetOff {
    public static func solve(partyCount: Int, obligations: [Obligation]) throws(SetOffError) -> SetOffResult {
        let instance = try SetOffInstance(partyCount: partyCount, obligations: obligations)
        return try finish(instance, routing: route(instance), obligations: obligations)
    }

    /// The least-cost routing of every net debt to the net creditors over the merged pairs; the
    /// set-off per pair is what the routing leaves unused. Not yet proven (`finish` proves it).
    /// Successive shortest paths cost one phase per distinct path cost; where paths grow long
    /// (supply chains, chains of debts) that is many phases, and cost scaling, whose work
    /// does not grow with path cost, is faster. So the automatic choice runs primal-dual for
    /// at most `primalDualPhaseBudget` phases and, past it, starts over with cost scaling; a
    /// component that is plainly long (`SetOffParts.solver(_:for:)`) goes to cost scaling
    /// first. Measured on the seven benchmark shapes (10,000 × 1,000,000) this picks the
    /// faster solver on each: primal-dual took 3–17 phases on six shapes, 108 on chains.
    public static let primalDualPhaseBudget = 24

    /// One instance routed as a whole, however many components it has (`route` cuts it first).
    /// Primal-dual builds each phase's arcs in `partCount` parts run by `perform`.
    static func routeWhole(
        _ instance: SetOffInstance, solver: SetOffSolver, partCount: Int = 1, perform: PerformParts = performInTurn
    ) -> SetOffRouting {
        func primalDual(_ phaseBudget: Int) -> SetOffRouting? {
            routeByPrimalDual(instance, phaseBudget: phaseBudget, partCount: partCount, perform: perform)
        }
        switch solver {
        case .costScaling: return routeByCostScaling(instance) ?? primalDual(.max)!
        case .primalDual: return primalDual(.max)!
        case .automatic: return primalDual(primalDualPhaseBudget) ?? routeByCostScaling(instance) ?? primalDual(.max)!
        }
    }

    /// Nil when the phase budget ran out before every net debt was routed.
    static func routeByPrimalDual(
        _ instance: SetOffInstance, phaseBudget: Int, partCount: Int = 1, perform: PerformParts = performInTurn
    ) -> SetOffRouting? {
        let partyCount = instance.partyCount
        let source = partyCount, sink = partyCount + 1
        var network = MinCostFlow(nodeCount: partyCount + 2, arcCapacity: instance.pairDebtor.count + partyCount)
        for pair in instance.pairDebtor.indices {
            network.addArc(
                from: Int(instance.pairDebtor[pair]), to: Int(instance.pairCreditor[pair]),
                capacity: instance.pairAmount[pair], cost: 1)
        }
        for party in 0..<partyCount where instance.balance[party] != 0 {
            if instance.balance[party] > 0 {
                network.addArc(from: source, to: party, capacity: instance.balance[party], cost: 0)
            } else {
                network.addArc(from: party, to: sink, capacity: -instance.balance[party], cost: 0)
            }
        }
        let (routed, _) = network.solve(
            source: source, sink: sink, limit: instance.needMinor, phaseBudget: phaseBudget, partCount: partCount,
            perform: perform)
        if routed < instance.needMinor && network.stats.costPhases >= phaseBudget { return nil }
        precondition(routed == instance.needMinor, "the obligations themselves route every net debt")
        var pairSetOff = [Int64](repeating: 0, count: instance.pairDebtor.count)
        for pair in instance.pairDebtor.indices {
            pairSetOff[pair] = instance.pairAmount[pair] - network.flow(onArc: 2 * pair)
        }
        return SetOffRouting(
            pairSetOffMinor: pairSetOff, potentials: (0..<partyCount).map { -network.potentials[$0] },
            solver: .primalDual, solverStats: network.stats)
    }

    /// The same routing as a circulation: every obligation starts paid in full and cost
    /// scaling lowers the payments wherever a cycle allows (`CostScalingCirculation`). Nil if
    /// it stopped on a step its theory rules out; the routing is then primal-dual's.
    static func routeByCostScaling(_ instance: SetOffInstance) -> SetOffRouting? {
        var circulation = CostScalingCirculation(
            nodeCount: instance.partyCount, tails: instance.pairDebtor, heads: instance.pairCreditor,
            capacities: instance.pairAmount, costs: [Int32](repeating: 1, count: instance.pairCount))
        circulation.solve()
        guard let potentials = circulation.exactPotentials() else { return nil }
        let pairSetOff = instance.pairAmount.indices.map { instance.pairAmount[$0] - circulation.flow(onArc: $0) }
        return SetOffRouting(
            pairSetOffMinor: pairSetOff, potentials: potentials.map { -$0 },
            solver: .costScaling, solverStats: circulation.stats)
    }

    /// Proves the routing optimal (or throws) and splits each pair's set-off onto its obligations.
    public static func finish(
        _ instance: SetOffInstance, routing: SetOffRouting, obligations: [Obligation]
    ) throws(SetOffError) -> SetOffResult {
        let certificate = try certify(
            partyCount: instance.partyCount, debtors: instance.pairDebtor, creditors: instance.pairCreditor,
            amounts: instance.pairAmount, setOff: routing.pairSetOffMinor, candidate: routing.potentials)
        let perObligation = split(
            obligations: obligations, pairOf: instance.pairOf, pairSetOff: routing.pairSetOffMinor)
        return SetOffResult(
            setOffMinor: perObligation, grossMinor: instance.grossMinor, netLiquidityNeedMinor: instance.needMinor,
            totalSetOffMinor: certificate.primal, certificate: certificate)
    }

    /// Finds potentials d with d[debtor] − d[creditor] ≥ 1 on every arc with room to set off
    /// more, and ≤ 1 on every arc with some set-off (Bellman-Ford from the solver's potentials;
    /// a negative cycle would mean a non-optimal run), then checks primal = dual in integers.
    static func certify(
        partyCount: Int, debtors: [Int32], creditors: [Int32], amounts: [Int64], setOff: [Int64], candidate: [Int64]
    ) throws(SetOffError) -> SetOffCertificate {
        var d = candidate
        var rounds = 0
        while true {
            var changed = false
            for pair in debtors.indices {
                let u = Int(debtors[pair]), v = Int(creditors[pair])
                // forward, weight −1
                if setOff[pair] < amounts[pair] && d[v] > d[u] - 1 { d[v] = d[u] - 1; changed = true }
                if setOff[pair] > 0 && d[u] > d[v] + 1 { d[u] = d[v] + 1; changed = true }  // backward, weight +1
            }
            if !changed { break }
            rounds += 1
            // More than n rounds of relaxation: a negative cycle, so the run was not optimal.
            if rounds > partyCount + 1 { throw .certificateFailed(primal: setOff.reduce(0, +), dual: -1) }
        }
        var primal: Int64 = 0, dual: Int64 = 0
        for pair in debtors.indices {
            primal += setOff[pair]
            let slack = 1 - (d[Int(debtors[pair])] - d[Int(creditors[pair])])
            if slack > 0 { dual += amounts[pair] * slack }
        }
        guard primal == dual else { throw .certificateFailed(primal: primal, dual: dual) }
        return SetOffCertificate(potentials: d, primal: primal, dual: dual)
    }

    /// Earliest due date first (no date last), then input order, within each pair.
    static func split(obligations: [Obligation], pairOf: [Int32], pairSetOff: [Int64]) -> [Int64] {
        // Without due dates the order is the input order: no sort, no index array.
        let dated = obligations.contains { $0.dueDay != nil }
        let order: [Int] =
            !dated
            ? []
            : obligations.indices.sorted { a, b in
                let dueA = obligations[a].dueDay ?? .max, dueB = obligations[b].dueDay ?? .max
                return dueA != dueB ? dueA < dueB : a < b
            }
        var left = pairSetOff
        var result = [Int64](repeating: 0, count: obligations.count)
        for position in obligations.indices {
            let index = dated ? order[position] : position
            let pair = Int(pairOf[index])
            let take = min(left[pair], obligations[index].amountMinor)
            result[index] = take
            left[pair] -= take
        }
        return result
    }
}

/// Obligations checked and merged by ordered pair (opposite pairs stay apart), with each
/// party's net position: the input of the routing.
public struct SetOffInstance: Sendable {
    public let partyCount: Int
    var pairDebtor: [Int32] = [], pairCreditor: [Int32] = [], pairAmount: [Int64] = []
    /// Per obligation, its pair.
    var pairOf: [Int32]
    /// Out − in: positive = net debtor.
    var balance: [Int64]
    public internal(set) var grossMinor: Int64 = 0
    public internal(set) var needMinor: Int64 = 0
    public var pairCount: Int { pairDebtor.count }

    public init(partyCount: Int, obligations: [Obligation]) throws(SetOffError) {
        self.partyCount = partyCount
        pairOf = [Int32](repeating: 0, count: obligations.count)
        balance = [Int64](repeating: 0, count: partyCount)
        // Sized for few pairs and grown as needed: a table sized for every obligation would be
        // mostly empty and cache-hostile when obligations repeat pairs.
        var pairIndexByKey = PackedKeyTable(expectedCount: min(obligations.count, 1 << 15))
        for (index, o) in obligations.enumerated() {
            try Self.check(o, index: index, partyCount: partyCount, adding: &grossMinor)
            let key = Self.key(o)
            let (pair, inserted) = pairIndexByKey.insert(key, next: Int32(pairDebtor.count))
            if inserted {
                pairDebtor.append(o.debtor); pairCreditor.append(o.creditor); pairAmount.append(o.amountMinor)
            } else {
                pairAmount[Int(pair)] += o.amountMinor
            }
            pairOf[index] = pair
            balance[Int(o.debtor)] += o.amountMinor
            balance[Int(o.creditor)] -= o.amountMinor
        }
        needMinor = balance.reduce(0) { $0 + max(0, $1) }
    }

    /// One obligation's checks, in the order every merge makes them; adds it to `gross`.
    @inline(__always)
    static func check(
        _ o: Obligation, index: Int, partyCount: Int, adding gross: inout Int64
    ) throws(SetOffError) {
        guard (0..<Int32(partyCount)).contains(o.debtor), (0..<Int32(partyCount)).contains(o.creditor) else {
            throw .partyOutOfRange(index: index)
        }
        guard o.debtor != o.creditor else { throw .selfObligation(index: index) }
        guard o.amountMinor > 0 else { throw .nonPositiveAmount(index: index) }
        let (sum, overflow) = gross.addingReportingOverflow(o.amountMinor)
        guard !overflow else { throw .totalOverflow }
        gross = sum
    }

    /// Pairs already merged and checked (a component of a checked instance): no `pairOf`.
    init(partyCount: Int, pairDebtor: [Int32], pairCreditor: [Int32], pairAmount: [Int64]) {
        self.partyCount = partyCount
        (self.pairDebtor, self.pairCreditor, self.pairAmount) = (pairDebtor, pairCreditor, pairAmount)
        pairOf = []
        balance = [Int64](repeating: 0, count: partyCount)
        for pair in pairAmount.indices {
            balance[Int(pairDebtor[pair])] += pairAmount[pair]
            balance[Int(pairCreditor[pair])] -= pairAmount[pair]
            grossMinor += pairAmount[pair]
        }
        needMinor = balance.reduce(0) { $0 + max(0, $1) }
    }
}

/// A routing's set-off per pair and the solver's node potentials (the certificate's start).
public struct SetOffRouting: Sendable {
    public var pairSetOffMinor: [Int64]
    public var potentials: [Int64]
    /// The solver that produced it, and its work (for cost scaling: refinements as phases,
    /// relabels as rounds, price updates as paths).
    public var solver: SetOffSolver
    public var solverStats: MinCostFlowStats
}

/// How a set-off is routed: successive shortest paths with blocking flows, or cost scaling.
public enum SetOffSolver: String, CaseIterable, Sendable {
    /// Primal-dual while its phases stay few, else cost scaling (`ObligationSetOff.route`).
    case automatic
    case primalDual = "primal-dual"
    case costScaling = "cost-scaling"
}
