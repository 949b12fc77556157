/// A snapshot of queued payments for gridlock resolution, in every payer's queue order.
public struct QueueSnapshot: Sendable {
    public struct Payment: Hashable, Sendable {
        public var payer: Int32
        public var payee: Int32
        /// In the payer's currency, the payee's currency, and the unit (0 within one member).
        public var payerAmount: Int64
        public var payeeAmount: Int64
        public var unitAmount: Int64
        /// What releasing it is worth, for the objective (the unit value across members).
        public var value: Int64

        public init(payer: Int32, payee: Int32, payerAmount: Int64, payeeAmount: Int64, unitAmount: Int64, value: Int64)
        {
            self.payer = payer
            self.payee = payee
            self.payerAmount = payerAmount
            self.payeeAmount = payeeAmount
            self.unitAmount = unitAmount
            self.value = value
        }
    }

    /// Per participant: position + cap (how much more it may pay out net), its currency.
    public var participantRoom: [Int64]
    /// Per participant: its member.
    public var participantMember: [Int32]
    /// Per member: union position + quota, in the unit.
    public var memberRoom: [Int64]
    /// All queued payments; each payer's appear in its queue order (urgent first, then FIFO).
    public var payments: [Payment]

    public init(participantRoom: [Int64], participantMember: [Int32], memberRoom: [Int64], payments: [Payment]) {
        self.participantRoom = participantRoom
        self.participantMember = participantMember
        self.memberRoom = memberRoom
        self.payments = payments
    }
}

/// Finds queued payments that can all settle **simultaneously** within every participant's
/// cap and every member's quota — the TARGET2 "partial optimisation" / Bech & Soramäki
/// algorithm: select everything, then, while anyone would breach, cut the breaching payers'
/// queues from the back (a member in breach cuts its payers' latest cross-member payments).
/// Each payer's selection stays a prefix of its queue, so FIFO holds. All-or-nothing payments
/// make the exact problem NP-hard; `divisibleUpperBound` gives the LP bound to measure against.
public enum GridlockResolver {
    public static func resolve(_ snapshot: QueueSnapshot) -> [Bool] {
        let payments = snapshot.payments
        let participantCount = snapshot.participantRoom.count
        // Each payer's payments in queue order, and how many of them (a prefix) are selected.
        var queues = [[Int32]](repeating: [], count: participantCount)
        for (index, payment) in payments.enumerated() { queues[Int(payment.payer)].append(Int32(index)) }
        var selectedCount = queues.map(\.count)
        var net = [Int64](repeating: 0, count: participantCount)  // inflow − outflow, selected
        var memberNet = [Int64](repeating: 0, count: snapshot.memberRoom.count)
        for payment in payments {
            net[Int(payment.payee)] += payment.payeeAmount
            net[Int(payment.payer)] -= payment.payerAmount
            if payment.unitAmount != 0 {
                memberNet[Int(snapshot.participantMember[Int(payment.payee)])] += payment.unitAmount
                memberNet[Int(snapshot.participantMember[Int(payment.payer)])] -= payment.unitAmount
            }
        }
        func unselectLast(of payer: Int) {
            selectedCount[payer] -= 1
            let payment = payments[Int(queues[payer][selectedCount[payer]])]
            net[Int(payment.payee)] -= payment.payeeAmount
            net[payer] += payment.payerAmount
            if payment.unitAmount != 0 {
                memberNet[Int(snapshot.participantMember[Int(payment.payee)])] -= payment.unitAmount
                memberNet[Int(snapshot.participantMember[payer])] += payment.unitAmount
            }
        }
        var changed = true
        while changed {
            changed = false
            for payer in 0..<participantCount
            where snapshot.participantRoom[payer] + net[payer] < 0 && selectedCount[payer] > 0 {
                while selectedCount[payer] > 0 && snapshot.participantRoom[payer] + net[payer] < 0 {
                    unselectLast(of: payer)
                }
                changed = true
            }
            for member in snapshot.memberRoom.indices where snapshot.memberRoom[member] + memberNet[member] < 0 {
                // Cut the member's payers' latest cross-member payments until it fits.
                for payer in 0..<participantCount where snapshot.participantMember[payer] == Int32(member) {
                    while snapshot.memberRoom[member] + memberNet[member] < 0, selectedCount[payer] > 0,
                        queues[payer][..<selectedCount[payer]].contains(where: { payments[Int($0)].unitAmount != 0 })
                    {
                        unselectLast(of: payer)
                        changed = true
                    }
                }
            }
        }
        var selected = [Bool](repeating: false, count: payments.count)
        for payer in 0..<participantCount {
            for position in 0..<selectedCount[payer] { selected[Int(queues[payer][position])] = true }
        }
        return selected
    }

    /// Without queue order (single currency): start from the payments the divisible optimum
    /// settles for the most part (over half); while a payer breaches, drop its smallest payment
    /// that covers the shortfall (else its largest); then add back every payment that still
    /// fits, the best-settled first, and swap in larger payments for smaller ones of the same
    /// payer where that gains value, until nothing changes. For queues whose order may be
    /// broken (or obligations), and to measure how much the FIFO rule costs.
    public static func resolveIgnoringQueueOrder(_ snapshot: QueueSnapshot) -> [Bool] {
        let (_, undone) = divisibleSolution(snapshot)
        let payments = snapshot.payments
        var room = snapshot.participantRoom
        var selected = [Bool](repeating: false, count: payments.count)
        // mostly settled in the optimum
        for index in payments.indices where undone[index] * 2 < payments[index].value {
            selected[index] = true
            room[Int(payments[index].payer)] -= payments[index].value
            room[Int(payments[index].payee)] += payments[index].value
        }
        var outgoing = [[Int]](repeating: [], count: room.count)
        for index in payments.indices { outgoing[Int(payments[index].payer)].append(index) }
        var breaching = room.indices.filter { room[$0] < 0 }
        while let payer = breaching.popLast() {
            while room[payer] < 0 {
                let chosen = outgoing[payer].filter { selected[$0] }
                guard !chosen.isEmpty else { break }
                let shortfall = -room[payer]
                let covering = chosen.filter { payments[$0].value >= shortfall }.min {
                    payments[$0].value < payments[$1].value
                }
                let drop = covering ?? chosen.max { payments[$0].value < payments[$1].value }!
                selected[drop] = false
                room[payer] += payments[drop].value
                let payee = Int(payments[drop].payee)
                room[payee] -= payments[drop].value
                if room[payee] < 0 { breaching.append(payee) }
            }
        }
        let order = payments.indices.filter { !selected[$0] }.sorted {
            (undone[$0], payments[$1].value) < (undone[$1], payments[$0].value)
        }
        // Each payer's payments by value, smallest first, for the swaps.
        let outgoingByValue = outgoing.map { $0.sorted { payments[$0].value < payments[$1].value } }
        var added = true
        var passes = 0
        while added && passes < 16 {  // bounded: each pass only gains value, and a few reach the fixed point
            added = false
            passes += 1
            for index in order where !selected[index] && room[Int(payments[index].payer)] >= payments[index].value {
                selected[index] = true
                room[Int(payments[index].payer)] -= payments[index].value
                room[Int(payments[index].payee)] += payments[index].value
                added = true
            }
            // Swaps: make room for a larger unselected payment by dropping smaller selected
            // ones of the same payer, when that gains value and no payee of a dropped one breaches.
            for index in order where !selected[index] {
                let payer = Int(payments[index].payer)
                let needed = payments[index].value - room[payer]
                guard needed > 0 else { continue }
                var dropped: [Int] = [], freed: Int64 = 0, lost: Int64 = 0
                var payeeLoss: [Int: Int64] = [:]
                for candidate in outgoingByValue[payer] where selected[candidate] {
                    guard freed < needed, payments[candidate].value < payments[index].value else { break }
                    let payee = Int(payments[candidate].payee)
                    guard room[payee] - (payeeLoss[payee] ?? 0) >= payments[candidate].value else { continue }
                    dropped.append(candidate)
                    freed += payments[candidate].value
                    lost += payments[candidate].value
                    payeeLoss[payee, default: 0] += payments[candidate].value
                }
                guard freed >= needed, lost < payments[index].value else { continue }
                for candidate in dropped {
                    selected[candidate] = false
                    room[payer] += payments[candidate].value
                    room[Int(payments[candidate].payee)] -= payments[candidate].value
                }
                selected[index] = true
                room[payer] -= payments[index].value
                room[Int(payments[index].payee)] += payments[index].value
                added = true
            }
        }
        return selected
    }

    /// The divisible (LP) upper bound on releasable value for a single-currency snapshot
    /// (payer amount = payee amount = value, no member constraint): the most flow the payment
    /// arcs can carry with each participant's net outflow within its room. Computed exactly as
    /// a min-cost flow: saturate every payment, then undo as little as possible (cost 1 a unit)
    /// to bring each participant back within its room; bound = Σ amounts − cost.
    public static func divisibleUpperBound(_ snapshot: QueueSnapshot) -> Int64 { divisibleSolution(snapshot).bound }

    /// The bound and, per payment, how much of it the divisible optimum leaves unsettled.
    static func divisibleSolution(_ snapshot: QueueSnapshot) -> (bound: Int64, undone: [Int64]) {
        let n = snapshot.participantRoom.count
        let hub = n, source = n + 1, sink = n + 2
        var network = MinCostFlow(nodeCount: n + 3, arcCapacity: snapshot.payments.count + 3 * n)
        var excess = [Int64](repeating: 0, count: n)  // in − out with everything saturated
        var total: Int64 = 0
        var undoArcs: [Int] = []
        undoArcs.reserveCapacity(snapshot.payments.count)
        for payment in snapshot.payments {
            excess[Int(payment.payee)] += payment.value
            excess[Int(payment.payer)] -= payment.value
            total += payment.value
            undoArcs.append(
                network.addArc(from: Int(payment.payee), to: Int(payment.payer), capacity: payment.value, cost: 1))
        }
        var supply: Int64 = 0
        for participant in 0..<n {
            network.addArc(from: participant, to: hub, capacity: total, cost: 0)  // spare inflow
            // room
            network.addArc(from: hub, to: participant, capacity: max(0, snapshot.participantRoom[participant]), cost: 0)
            if excess[participant] > 0 {
                network.addArc(from: source, to: participant, capacity: excess[participant], cost: 0)
                supply += excess[participant]
            } else if excess[participant] < 0 {
                network.addArc(from: participant, to: sink, capacity: -excess[participant], cost: 0)
            }
        }
        let (_, cost) = network.solve(source: source, sink: sink, limit: supply)
        return (total - cost, undoArcs.map { network.flow(onArc: $0) })
    }
}
