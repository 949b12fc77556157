import PolyclearCore
import PolyclearStorage

/// The closed cycles one read may name: those in the hub's memory and the archived ones
/// fetched from the store for it (`HubStateMachine+CycleArchive`). Archived cycles are final,
/// so a copy fetched before the read is the cycle as the read's state has it.
struct CycleReadView {
    let hub: HubStateMachine
    let archived: [UInt32: ArchivedCycle]

    /// Closed cycle `number`, archived or not.
    func cycle(_ number: UInt32) -> CycleReport? { archived[number]?.report ?? hub.residentCycle(number: number) }

    /// The trade flows of the cycles in `cycles`, archived ones included.
    func tradeFlows(cycles: ClosedRange<UInt32>, member: CountryCode?) -> [(TradeFlowKey, TradeFlowTotals)] {
        hub.tradeFlows(cycles: cycles, member: member, archived: Array(archived.values))
    }

    /// The archived numbers in `wanted` not fetched yet: from the first missing to the last
    /// archived one wanted (nil: nothing to fetch).
    func missing(in wanted: ClosedRange<UInt32>) -> ClosedRange<UInt32>? {
        let archivedCount = UInt32(clamping: hub.archivedCycleCount)
        guard archivedCount > 0, wanted.lowerBound <= archivedCount else { return nil }
        let lower = max(wanted.lowerBound, 1), upper = min(wanted.upperBound, archivedCount)
        guard lower <= upper, let first = (lower...upper).first(where: { archived[$0] == nil }) else { return nil }
        return first...upper
    }
}

extension PolyclearAPI {
    private enum CycleReadStep<T: Sendable>: Sendable {
        case answer(T)
        case fetch(ClosedRange<UInt32>)
    }

    /// Reads with the closed cycles `numbers` names (on the state read; nil: none) at hand,
    /// archived ones fetched from the store first. A cycle archived between the fetch and the
    /// read is fetched in another round: each round fetches at least one cycle more, and the
    /// archive only grows, so the rounds end.
    static func readCycles<A: HubAccess, T: Sendable>(
        _ writer: A, numbers: @escaping @Sendable (HubStateMachine) -> ClosedRange<UInt32>?,
        _ body: @escaping @Sendable (CycleReadView) -> T
    ) async throws -> T {
        var fetched: [UInt32: ArchivedCycle] = [:]
        while true {
            let have = fetched
            let step: CycleReadStep<T> = try await read(writer) { hub in
                let view = CycleReadView(hub: hub, archived: have)
                if let wanted = numbers(hub), let missing = view.missing(in: wanted) { return .fetch(missing) }
                return .answer(body(view))
            }
            switch step {
            case .answer(let answer): return answer
            case .fetch(let range):
                let found = try await fromArchive("cycle") { try await writer.archivedCycles(range) }
                // Every number asked was archived when the hub was read: committed with it.
                guard found.map(\.number) == Array(range) else {
                    throw archiveLacks("cycle", "cycles \(range.lowerBound)...\(range.upperBound)")
                }
                for cycle in found { fetched[cycle.number] = cycle }
            }
        }
    }

    /// Reads with closed cycle `number` (and, with `previous`, the one before it) at hand.
    static func readCycle<A: HubAccess, T: Sendable>(
        _ writer: A, _ number: UInt32, previous: Bool = false,
        _ body: @escaping @Sendable (CycleReport?, CycleReadView) -> T
    ) async throws -> T {
        let first = previous && number > 1 ? number - 1 : number
        return try await readCycles(writer, numbers: { _ in first...max(first, number) }) { view in
            body(view.cycle(number), view)
        }
    }
}
