import Foundation
import NIOCore
public import ServiceLifecycle
public import PolyclearCore
import PolyclearStorage
import Synchronization

/// Fans committed hub events out to live subscribers (the `/v1/events` stream).
///
/// Cost: each committed batch is resolved once — one read of the hub for every event's
/// audience (who may see it) — and each event then goes only to the subscribers in its
/// audience, found by caller in a dictionary (operators and, for a cycle's events, members
/// from their own sets). Banks and members who cannot see an event cost nothing for it, not
/// even a comparison (they used to cost a writer read each). Each subscriber has a bounded
/// buffer: a client too slow to keep up loses its oldest events rather than growing the
/// server's memory. A caller holds a bounded number of streams at once (`subscribe`).
public final class EventBroadcaster: Sendable {
    /// Events one subscriber's buffer (and the batch queue) holds (`ServerLimits`).
    let bufferedEventCountMax: Int

    /// Why a stream was not opened.
    enum Refusal: Error { case closed, tooManyStreams }

    private struct Subscribers {
        var byCaller: [Caller: [UInt64: AsyncStream<ByteBuffer>.Continuation]] = [:]
        /// The callers with streams who see more than their own key names: operators (every
        /// event) and members (the cycles' events) — so no event looks at any other caller.
        var operatorCallers: Set<Caller> = []
        var memberCallers: Set<Caller> = []
        var nextID: UInt64 = 0
        var isClosed = false
        var dispatcher: Task<Void, Never>?
    }
    private let subscribers = Mutex(Subscribers())
    private let batches: AsyncStream<[HubEvent]>
    private let batchInput: AsyncStream<[HubEvent]>.Continuation

    public init(bufferedEventCountMax: Int = ServerLimits.default.eventBufferEventCountMax) {
        self.bufferedEventCountMax = bufferedEventCountMax
        (batches, batchInput) = AsyncStream<[HubEvent]>.makeStream(
            bufferingPolicy: .bufferingNewest(bufferedEventCountMax))
    }

    /// Called by the writer after each commit; never waits.
    public func publish(_ events: some Sequence<HubEvent>) {
        let batch = Array(events)
        guard !batch.isEmpty, subscribers.withLock({ !$0.byCaller.isEmpty }) else { return }
        batchInput.yield(batch)
    }

    /// Starts delivering (once): `resolve` answers each event's audience, with one read of
    /// the committed state per batch.
    func startDelivering(resolve: @escaping @Sendable ([HubEvent]) async -> [EventAudience]) {
        subscribers.withLock { subscribers in
            guard subscribers.dispatcher == nil, !subscribers.isClosed else { return }
            subscribers.dispatcher = Task { [batches] in
                for await batch in batches {
                    let audiences = await resolve(batch)
                    for (event, audience) in zip(batch, audiences) { deliver(event, to: audience) }
                }
            }
        }
    }

    /// Each event is encoded once, as its server-sent-event lines, whatever the number of
    /// streams it goes to (and not at all when none may see it).
    private func deliver(_ event: HubEvent, to audience: EventAudience) {
        var encoded: ByteBuffer?
        subscribers.withLock { subscribers in
            var reached = Set<Caller>()
            func send(_ caller: Caller) {
                guard let streams = subscribers.byCaller[caller], reached.insert(caller).inserted else { return }
                let lines = encoded ?? Self.lines(event)
                encoded = lines
                for stream in streams.values { stream.yield(lines) }
            }
            for caller in subscribers.operatorCallers { send(caller) }
            if audience.allMembers {
                for caller in subscribers.memberCallers { send(caller) }
            } else {
                for member in audience.members { send(.member(member)) }
            }
            for bic in audience.participants { send(.participant(bic)) }
        }
    }

    /// An event as a server-sent event: `event: <kind>` and `data: <JSON>`.
    static func lines(_ event: HubEvent) -> ByteBuffer {
        ByteBuffer(string: "event: \(event.kind.name)\ndata: \(EventDTO(event).json)\n\n")
    }

    /// Ends every stream and refuses new ones: the server is shutting down. An open event
    /// stream would otherwise hold the HTTP server (and so the process and its database)
    /// open for ever, also one whose client went away without the server noticing.
    public func close() {
        let (open, dispatcher) = subscribers.withLock { subscribers in
            subscribers.isClosed = true
            defer {
                subscribers.byCaller.removeAll()
                subscribers.operatorCallers.removeAll()
                subscribers.memberCallers.removeAll()
            }
            return (subscribers.byCaller.values.flatMap(\.values), subscribers.dispatcher)
        }
        batchInput.finish()
        dispatcher?.cancel()
        for continuation in open { continuation.finish() }
    }

    public var isClosed: Bool { subscribers.withLock { $0.isClosed } }

    /// A new stream for `caller`, who may hold `streamsMax` at once — each element one event's
    /// server-sent-event lines; or why not.
    func subscribe(_ caller: Caller, streamsMax: Int) -> Result<(id: UInt64, events: AsyncStream<ByteBuffer>), Refusal>
    {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(
            bufferingPolicy: .bufferingNewest(bufferedEventCountMax))
        let id: Result<UInt64, Refusal> = subscribers.withLock { subscribers in
            guard !subscribers.isClosed else { return .failure(.closed) }
            guard subscribers.byCaller[caller, default: [:]].count < streamsMax else {
                return .failure(.tooManyStreams)
            }
            subscribers.nextID += 1
            subscribers.byCaller[caller, default: [:]][subscribers.nextID] = continuation
            switch caller {
            case .operatorUser: subscribers.operatorCallers.insert(caller)
            case .member: subscribers.memberCallers.insert(caller)
            case .participant: break
            }
            return .success(subscribers.nextID)
        }
        return id.map { id in
            continuation.onTermination = { [weak self] _ in self?.unsubscribe(id, of: caller) }
            return (id, stream)
        }
    }

    func unsubscribe(_ id: UInt64, of caller: Caller) {
        subscribers.withLock { subscribers in
            subscribers.byCaller[caller]?.removeValue(forKey: id)
            if subscribers.byCaller[caller]?.isEmpty == true {
                subscribers.byCaller.removeValue(forKey: caller)
                subscribers.operatorCallers.remove(caller)
                subscribers.memberCallers.remove(caller)
            }
        }
    }

    /// Streams open now, of every caller.
    public var streamCount: Int { subscribers.withLock { $0.byCaller.values.reduce(0) { $0 + $1.count } } }
}

/// Who may see one event of the live feed: the operator everything; a bank its own payments
/// and alarms; a member its banks' payments, its own alarms and the cycles.
struct EventAudience: Sendable, Equatable {
    var participants: [BIC] = []
    var members: [CountryCode] = []
    var allMembers = false

    /// The operator alone.
    init() {}

    func includes(_ caller: Caller) -> Bool {
        switch caller {
        case .operatorUser: true
        case .participant(let bic): participants.contains(bic)
        case .member(let id): allMembers || members.contains(id)
        }
    }

    /// - Parameters: parties: a payment event's payer and payee; memberOf: a bank's member.
    init(_ event: HubEvent, parties: (payer: BIC, payee: BIC)?, memberOf: (BIC) -> CountryCode?) {
        switch event.kind {
        case .paymentStatus:
            guard let parties else { return }
            participants = [parties.payer, parties.payee]
            members = [parties.payer, parties.payee].compactMap(memberOf)
        case .utilisationAlarm(.participant(let bic), _, _):
            participants = [bic]
            members = memberOf(bic).map { [$0] } ?? []
        case .utilisationAlarm(.member(let member), _, _), .excessSettlementOverdue(_, let member, _):
            members = [member]
        case .cycleClosed, .cycleSettled:
            allMembers = true
        default:
            break
        }
    }

    /// Resolves a batch's audiences with one read of the committed state.
    static func resolver<A: HubAccess>(_ hub: A) -> @Sendable ([HubEvent]) async -> [EventAudience] {
        { batch in
            // A payment may have left memory since its event (archived): read through the archive.
            let ids = batch.compactMap { event -> UInt128? in
                if case .paymentStatus(let id, _, _, _) = event.kind { id } else { nil }
            }
            return
                (try? await PolyclearAPI.readPayments(hub, ids: ids) { view in
                    batch.map { event in
                        let parties: (payer: BIC, payee: BIC)? =
                            if case .paymentStatus(let id, _, _, _) = event.kind { view.paymentParties(id) } else {
                                nil
                            }
                        return EventAudience(event, parties: parties, memberOf: { view.hub.participant($0)?.memberID })
                    }
                }) ?? batch.map { _ in EventAudience() }  // no state (stopping): the operator alone
        }
    }
}

/// Ends the live event streams when the server begins to shut down, before the HTTP server
/// drains its connections (list it after the application in the service group: services
/// are stopped in reverse order).
public struct EventStreamCloser: Service {
    let events: EventBroadcaster

    public init(events: EventBroadcaster) { self.events = events }

    public func run() async throws {
        try? await gracefulShutdown()  // returns on shutdown, throws on cancellation: either way, close
        events.close()
    }
}
