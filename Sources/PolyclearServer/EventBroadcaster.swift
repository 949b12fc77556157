import Foundation
public import PolyclearCore
import Synchronization

/// Fans committed hub events out to live subscribers (the `/v1/events` stream). Each
/// subscriber has a bounded buffer: a client too slow to keep up loses its oldest events
/// rather than growing the server's memory (and the stream says so).
public final class EventBroadcaster: Sendable {
    public static let bufferedEventCountMax = 10_000

    private let subscribers = Mutex<[UInt64: AsyncStream<HubEvent>.Continuation]>([:])
    private let nextID = Mutex<UInt64>(0)

    public init() {}

    /// Called by the writer after each commit.
    public func publish(_ events: some Sequence<HubEvent>) {
        let targets = subscribers.withLock { Array($0.values) }
        for event in events { for target in targets { target.yield(event) } }
    }

    func subscribe() -> (id: UInt64, events: AsyncStream<HubEvent>) {
        let id = nextID.withLock { $0 += 1; return $0 }
        let (stream, continuation) = AsyncStream<HubEvent>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferedEventCountMax))
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, stream)
    }

    func unsubscribe(_ id: UInt64) { _ = subscribers.withLock { $0.removeValue(forKey: id) } }

    var subscriberCount: Int { subscribers.withLock { $0.count } }
}

extension Caller {
    /// What a caller may see of the live feed: the operator everything; a bank its own payments
    /// and alarms; a member its banks' payments, its own alarms and the cycles.
    func maySee(_ event: HubEvent, parties: (payer: BIC, payee: BIC)?, memberOf: (BIC) -> CountryCode?) -> Bool {
        switch (self, event.kind) {
        case (.operatorUser, _): return true
        case (.participant(let bic), .paymentStatus): return parties.map { $0.payer == bic || $0.payee == bic } ?? false
        case (.participant(let bic), .utilisationAlarm(.participant(let subject), _, _)): return subject == bic
        case (.member(let id), .paymentStatus): return parties.map { memberOf($0.payer) == id || memberOf($0.payee) == id } ?? false
        case (.member(let id), .utilisationAlarm(let subject, _, _)):
            switch subject {
            case .member(let member): return member == id
            case .participant(let bic): return memberOf(bic) == id
            }
        case (.member, .cycleClosed), (.member, .cycleSettled): return true
        default: return false
        }
    }
}
