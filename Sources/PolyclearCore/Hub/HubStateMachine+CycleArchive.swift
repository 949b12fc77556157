/// Memory bounded by open work, for closed cycles: once archiving is on (`startCycleArchive`,
/// logged), the oldest cycles whose work is done — settled, every excess settlement confirmed —
/// leave memory with their trade flows for the store's archive whenever more than
/// `Limits.cycleReportsResidentMax` closed cycles are in memory, down to half of it. A report
/// holds every participant's and member's net and the bilateral matrix, and a cycle's trade
/// flows one row per members, purpose and HS heading: with daily cycles they grew by about
/// 190 KiB a day for as long as the union ran.
///
/// Cycles leave in number order (a cycle still settling holds back the ones after it), so the
/// first `cycleArchive.base` closed cycles are archived and the rest are `closedCycles`. Per
/// archived cycle a few bytes stay (`ArchivedCycleSummary`): when it closed (trade statistics
/// by day) and which members had an excess settlement (so that confirming one again gets the
/// same answer as before it left). The pass runs in `tick`, so replay archives the same cycles
/// at the same points; they go out in the outcome (`HubOutcome.archivedCycles`) and the store
/// keeps them in the same commit. Reads of numbers up to `archivedCycleCount` go to the store.
public struct ArchivedCycle: Hashable, Sendable {
    public var report: CycleReport
    /// The cycle's trade flows (`cycle` in each key is the report's number), in key order.
    public var tradeFlows: [TradeFlow]

    public var number: UInt32 { report.number }

    public init(report: CycleReport, tradeFlows: [TradeFlow]) {
        self.report = report
        self.tradeFlows = tradeFlows
    }

    /// How an archive stores it (`BinaryCodec`).
    public func encoded() -> [UInt8] {
        // Plain values: encoding cannot fail (a failure is a bug in the codec).
        try! BinaryCodec.encode(Body(report: report, flows: tradeFlows), reserving: 4_096)
    }

    /// Reads what `encoded()` wrote; a damaged body throws.
    public init(encoded bytes: [UInt8]) throws {
        let body = try BinaryCodec.decode(Body.self, from: bytes)
        self.init(report: body.report, tradeFlows: body.flows)
    }

    private struct Body: Codable {
        var report: CycleReport
        var flows: [TradeFlow]
    }
}

/// One row of trade statistics: its key and its totals.
public struct TradeFlow: Hashable, Sendable, Codable {
    public var key: TradeFlowKey
    public var totals: TradeFlowTotals

    public init(key: TradeFlowKey, totals: TradeFlowTotals) {
        self.key = key
        self.totals = totals
    }
}

/// What stays in memory of an archived cycle: enough to list it and to answer a late
/// confirmation without the store.
struct ArchivedCycleSummary: Hashable, Sendable, Codable {
    var closedAt: UInt64
    var paymentCount: Int
    var instructionCount: Int
    /// Members that had an excess settlement in the cycle (all confirmed: it was archived).
    var excessMembers: [CountryCode]
}

/// One line of the list of closed cycles.
public struct ClosedCycleListing: Hashable, Sendable {
    public var number: UInt32
    public var state: CycleState
    public var paymentCount: Int
    public var instructionCount: Int
}

/// The cycle archive's state (one snapshot key).
struct CycleArchiveState: Hashable, Sendable, Codable {
    var isOn = false
    /// Closed cycles archived: numbers `1...base`.
    var base: Int { summaries.count }
    /// Per archived cycle, by number − 1.
    var summaries: [ArchivedCycleSummary] = []
}

extension HubStateMachine {
    /// Every closed cycle, archived or not.
    public var closedCycleCount: Int { cycleArchive.base + closedCycles.count }

    /// Cycles `1...archivedCycleCount` are in the store's archive, the rest in memory (`cycles`).
    public var archivedCycleCount: Int { cycleArchive.base }

    /// Whether settled cycles leave memory (`startCycleArchive` was applied).
    public var isArchivingCycles: Bool { cycleArchive.isOn }

    /// The closed cycle `number` if it is in memory.
    public func residentCycle(number: UInt32) -> CycleReport? {
        let position = Int(number) - 1 - cycleArchive.base
        return closedCycles.indices.contains(position) ? closedCycles[position] : nil
    }

    /// When closed cycle `number` closed, archived or not (nil: not closed).
    public func cycleClosedAt(number: UInt32) -> UInt64? {
        let position = Int(number) - 1
        guard position >= 0 else { return nil }
        if position < cycleArchive.base { return cycleArchive.summaries[position].closedAt }
        return residentCycle(number: number)?.closedAt
    }

    /// The numbers of the closed cycles that closed at `closedAt` in `range` (nanoseconds).
    public func closedCycleNumbers(closedIn range: Range<UInt64>) -> [UInt32] {
        var numbers: [UInt32] = []
        for (offset, summary) in cycleArchive.summaries.enumerated() where range.contains(summary.closedAt) {
            numbers.append(UInt32(offset + 1))
        }
        return numbers + closedCycles.filter { range.contains($0.closedAt) }.map(\.number)
    }

    /// Every closed cycle, oldest first, archived ones from what memory keeps of them.
    public var closedCycleListing: [ClosedCycleListing] {
        let archived = cycleArchive.summaries.enumerated().map { offset, summary in
            ClosedCycleListing(
                number: UInt32(offset + 1), state: .settled, paymentCount: summary.paymentCount,
                instructionCount: summary.instructionCount)
        }
        return archived
            + closedCycles.map {
                ClosedCycleListing(
                    number: $0.number, state: $0.state, paymentCount: $0.paymentCount,
                    instructionCount: $0.instructions.count)
            }
    }

    /// Settled, archived or not.
    func isCycleSettled(number: UInt32) -> Bool {
        Int(number) <= cycleArchive.base || residentCycle(number: number)?.state == .settled
    }

    mutating func startCycleArchive() -> HubResult {
        guard configuration.paymentArchiveAvailable else { return .refused(.archiveUnavailable) }
        cycleArchive.isOn = true
        return .ok
    }

    /// What confirming a settlement of an archived cycle answers: what it answered before
    /// the cycle left (every instruction and excess settlement in it is confirmed).
    func archivedCycleAnswer(number: UInt32, excessMember member: CountryCode?) -> HubResult? {
        let position = Int(number) - 1
        guard position >= 0, position < cycleArchive.base else { return nil }
        guard let member else { return .refused(.cycleNotSettling) }
        return cycleArchive.summaries[position].excessMembers.contains(member)
            ? .refused(.instructionAlreadyConfirmed) : .refused(.excessSettlementNotFound)
    }

    /// True while more closed cycles are in memory than kept and the oldest may leave.
    var hasCyclesToArchive: Bool {
        guard cycleArchive.isOn, closedCycles.count > Limits.cycleReportsResidentMax, let first = closedCycles.first
        else { return false }
        return isDone(first)
    }

    private func isDone(_ report: CycleReport) -> Bool {
        report.state == .settled && report.excessSettlements.allSatisfy(\.isConfirmed)
    }

    /// One pass (from `tick`): the oldest finished cycles out, down to half the bound.
    mutating func archiveOldCycles() {
        guard hasCyclesToArchive else { return }
        var count = 0
        while closedCycles.count - count > Limits.cycleReportsResidentMax / 2, isDone(closedCycles[count]) {
            count += 1
        }
        let leaving = closedCycles.prefix(count)
        let last = leaving.last!.number
        var flowsByCycle: [UInt32: [TradeFlow]] = [:]
        for (packed, totals) in zip(tradeFlowKeys, tradeFlowTotals) where packed.cycle <= last {
            flowsByCycle[packed.cycle, default: []].append(TradeFlow(key: tradeFlowKey(packed), totals: totals))
        }
        for report in leaving {
            forgetLedgerBookings(of: report)
            let flows = (flowsByCycle[report.number] ?? []).sorted { $0.key.sortKey < $1.key.sortKey }
            archivedCycles.append(ArchivedCycle(report: report, tradeFlows: flows))
            cycleArchive.summaries.append(
                ArchivedCycleSummary(
                    closedAt: report.closedAt, paymentCount: report.paymentCount,
                    instructionCount: report.instructions.count, excessMembers: report.excessSettlements.map(\.member)))
        }
        closedCycles.removeFirst(count)
        dropTradeFlows(throughCycle: last)
        // Their pay-ins were all confirmed: nothing can be overdue (the list stays bounded,
        // and the overdue check never meets a cycle it cannot find).
        excessPayInsDue.removeAll { $0.cycle <= last }
    }

    /// The cycle's bookings leave the ledger's index (`ledgerForgot`): their ids carry the
    /// cycle, and nothing books them again once it is final.
    private mutating func forgetLedgerBookings(of report: CycleReport) {
        for instruction in report.instructions {
            ledger.forgetTransfer(id: HubTransferID.settlement(cycle: report.number, instruction: instruction.index))
            ledger.forgetTransfer(
                id: HubTransferID.settlementPost(cycle: report.number, instruction: instruction.index))
        }
        for member in members.hubIndices {
            ledger.forgetTransfer(id: HubTransferID.imbalanceCharge(cycle: report.number, member: member))
            ledger.forgetTransfer(id: HubTransferID.chargeRedistribution(cycle: report.number, member: member))
            ledger.forgetTransfer(id: HubTransferID.excessSettlement(cycle: report.number, member: member))
        }
    }

    /// Rebuilds the flat trade-flow tables without the archived cycles' rows.
    private mutating func dropTradeFlows(throughCycle last: UInt32) {
        var slots = IDTable<Int>(emptyValue: -1)
        var keys = ContiguousArray<PackedTradeFlowKey>()
        var totals = ContiguousArray<TradeFlowTotals>()
        for (packed, total) in zip(tradeFlowKeys, tradeFlowTotals) where packed.cycle > last {
            slots.insertNew(packed.packed, keys.count)
            keys.append(packed)
            totals.append(total)
        }
        (tradeFlowSlots, tradeFlowKeys, tradeFlowTotals) = (slots, keys, totals)
    }
}
