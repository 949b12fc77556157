import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PolyclearStorage
import Synchronization

/// `Idempotency-Key` on POSTs. The same caller, key, path and body get the first answer again
/// (nothing runs twice); the same key with another path or body gets 409, and so does a retry
/// while the first is still running. Only answers below 500 are kept: after a 5xx (busy,
/// stopped) the retry runs. Answers live in memory for `retentionSeconds`, bounded by bytes —
/// overall and per caller, so that one bank caching large batch answers cannot crowd out the
/// others or grow the process — oldest dropped first. What survives a restart or a takeover
/// is the store's (`IdempotencyMiddleware`).
final class IdempotencyCache: Sendable {
    struct Key: Hashable { let caller: Caller; let key: String }
    struct Answer {
        let status: HTTPResponse.Status; let headers: HTTPFields; let body: ByteBuffer
        /// What keeping it costs: body, headers and the entry itself.
        var byteCount: Int {
            body.readableBytes + headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count } + 256
        }
    }
    enum Lookup { case proceed, replay(Answer), conflict(String) }

    private enum Entry { case running(digest: [UInt8]), done(digest: [UInt8], answer: Answer, arrival: UInt64) }
    private struct Arrival { let key: Key; let number: UInt64; let at: ContinuousClock.Instant; let byteCount: Int }
    /// Arrivals oldest first from `head`; some may be stale (already dropped), skipped.
    private struct Queue {
        var arrivals: [Arrival] = []
        var head = 0
        var liveCount: Int { arrivals.count - head }
        mutating func compact(keeping isLive: (Arrival) -> Bool) {
            arrivals = arrivals[head...].filter(isLive)
            head = 0
        }
    }
    private struct State {
        var entries: [Key: Entry] = [:]
        var all = Queue()
        var byCaller: [Caller: Queue] = [:]
        var bytes = 0
        var bytesByCaller: [Caller: Int] = [:]
        var keptCount = 0
        /// Arrivals in the per-caller queues, stale ones included.
        var queuedByCaller = 0
        var nextArrival: UInt64 = 0
    }

    private let state = Mutex(State())
    let bytesMax: Int
    let bytesPerCallerMax: Int
    let retentionSeconds: Int

    init(
        bytesMax: Int = ServerLimits.default.idempotencyBytesMax,
        bytesPerCallerMax: Int = ServerLimits.default.idempotencyBytesPerCallerMax,
        retentionSeconds: Int = ServerLimits.default.idempotencyRetentionSeconds
    ) {
        self.bytesMax = bytesMax
        self.bytesPerCallerMax = min(bytesPerCallerMax, bytesMax)
        self.retentionSeconds = retentionSeconds
    }

    /// Bytes of kept answers, overall and for one caller (tests and metrics).
    var keptBytes: Int { state.withLock { $0.bytes } }
    func keptBytes(of caller: Caller) -> Int { state.withLock { $0.bytesByCaller[caller] ?? 0 } }

    func begin(_ key: Key, digest: [UInt8]) -> Lookup {
        let now = ContinuousClock.now
        return state.withLock { state in
            dropExpired(&state, now: now)
            switch state.entries[key] {
            case .running: return .conflict("a request with this Idempotency-Key is still running")
            case .done(let stored, let answer, _):
                return stored == digest
                    ? .replay(answer) : .conflict("this Idempotency-Key was used for a different request")
            case nil:
                state.entries[key] = .running(digest: digest)
                return .proceed
            }
        }
    }

    func finish(_ key: Key, digest: [UInt8], answer: Answer?) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard let answer, answer.byteCount <= bytesPerCallerMax else { state.entries[key] = nil; return }
            state.nextArrival += 1
            let arrival = Arrival(key: key, number: state.nextArrival, at: now, byteCount: answer.byteCount)
            state.entries[key] = .done(digest: digest, answer: answer, arrival: arrival.number)
            state.all.arrivals.append(arrival)
            state.byCaller[key.caller, default: Queue()].arrivals.append(arrival)
            state.queuedByCaller += 1
            state.bytes += arrival.byteCount
            state.bytesByCaller[key.caller, default: 0] += arrival.byteCount
            state.keptCount += 1
            while state.bytesByCaller[key.caller, default: 0] > bytesPerCallerMax,
                let oldest = popLive(&state, caller: key.caller)
            { drop(&state, oldest) }
            while state.bytes > bytesMax, let oldest = popLive(&state, caller: nil) { drop(&state, oldest) }
            compactIfStale(&state)
        }
    }

    private func isLive(_ state: State, _ arrival: Arrival) -> Bool {
        if case .done(_, _, let number) = state.entries[arrival.key] { return number == arrival.number }
        return false
    }

    /// The oldest kept arrival, of one caller or of all, taken off its queue.
    private func popLive(_ state: inout State, caller: Caller?) -> Arrival? {
        if let caller {
            while let queue = state.byCaller[caller], queue.head < queue.arrivals.count {
                let arrival = queue.arrivals[queue.head]
                state.byCaller[caller]?.head += 1
                state.queuedByCaller -= 1
                if isLive(state, arrival) { return arrival }
            }
            return nil
        }
        while state.all.head < state.all.arrivals.count {
            let arrival = state.all.arrivals[state.all.head]
            state.all.head += 1
            if isLive(state, arrival) { return arrival }
        }
        return nil
    }

    private func drop(_ state: inout State, _ arrival: Arrival) {
        state.entries[arrival.key] = nil
        state.bytes -= arrival.byteCount
        state.bytesByCaller[arrival.key.caller, default: 0] -= arrival.byteCount
        if state.bytesByCaller[arrival.key.caller] == 0 { state.bytesByCaller[arrival.key.caller] = nil }
        state.keptCount -= 1
    }

    private func dropExpired(_ state: inout State, now: ContinuousClock.Instant) {
        let oldest = now - .seconds(retentionSeconds)
        while state.all.head < state.all.arrivals.count, state.all.arrivals[state.all.head].at < oldest {
            let arrival = state.all.arrivals[state.all.head]
            state.all.head += 1
            if isLive(state, arrival) { drop(&state, arrival) }
        }
    }

    /// Queues hold stale arrivals (dropped through the other queue): rebuilt when those
    /// outnumber the kept ones, so memory stays proportional to what is kept.
    private func compactIfStale(_ state: inout State) {
        guard state.all.liveCount + state.queuedByCaller > 4 * state.keptCount + 1_024 else { return }
        let current = state
        state.all.compact { isLive(current, $0) }
        state.byCaller = state.byCaller.compactMapValues { queue in
            var queue = queue
            queue.compact { isLive(current, $0) }
            return queue.arrivals.isEmpty ? nil : queue
        }
        state.queuedByCaller = state.byCaller.values.reduce(0) { $0 + $1.liveCount }
    }
}

/// The first answer is kept twice: in memory (`IdempotencyCache`, fast, this node) and in
/// the hub's store (`IdempotencyRecord`: the key and results in the commit that executed the
/// request, the answer stored before it is sent), so a retry after a restart, or on the node
/// that took the writer role over, gets the same answer and never a second execution.
struct IdempotencyMiddleware<Hub: HubAccess>: RouterMiddleware {
    typealias Context = PolyclearRequestContext
    static var header: HTTPField.Name { HTTPField.Name("Idempotency-Key")! }
    let cache: IdempotencyCache
    let hub: Hub

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post, let value = request.headers[Self.header], let caller = context.caller else {
            return try await next(request, context)
        }
        guard (1...255).contains(value.utf8.count), value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError(
                .badRequest, code: "malformed_idempotency_key", "Idempotency-Key is 1 to 255 visible ASCII characters")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var hasher = SHA256()
        hasher.update(data: Array(request.uri.path.utf8) + [0])
        hasher.update(data: Array(body.readableBytesView))
        let digest = Array(hasher.finalize())
        let key = IdempotencyCache.Key(caller: caller, key: value)
        switch cache.begin(key, digest: digest) {
        case .replay(let answer): return answer.response
        case .conflict(let message): throw APIError(.conflict, code: "idempotency_key_reused", message)
        case .proceed: break
        }
        let callerID = IdempotencyScope.callerID(caller)
        let scope: IdempotencyScope
        do {
            switch try await durableLookup(callerID: callerID, key: value, digest: digest) {
            case .answered(let answer):
                cache.finish(key, digest: digest, answer: answer)
                return answer.response
            case .executing(let scopeMode): scope = IdempotencyScope(scopeMode)
            }
        } catch {
            cache.finish(key, digest: digest, answer: nil)
            throw error
        }
        let response: Response
        do {
            response = try await IdempotencyScope.$current.withValue(scope) { try await next(request, context) }
        } catch {
            // A refusal is not kept as an answer: the retry is answered afresh (from the recorded
            // results if the refusal came after a commit, so it is the same refusal).
            cache.finish(key, digest: digest, answer: nil)
            throw error
        }
        guard response.status.code < 500 else {
            cache.finish(key, digest: digest, answer: nil)
            return response
        }
        let collector = CollectingBodyWriter()
        try await response.body.write(collector)
        let answer = IdempotencyCache.Answer(status: response.status, headers: response.headers, body: collector.buffer)
        if scope.wasTaken {
            Failpoint.afterCommit.hit(key: value)
            // Stored before it is sent: a client that got this answer gets it again anywhere.
            let cutoff = SystemClock.nanosecondsSinceEpoch() &- UInt64(cache.retentionSeconds) * 1_000_000_000
            try? await hub.storeIdempotencyAnswer(
                caller: callerID, key: value, answer: answer.stored, expiringBefore: cutoff)
            Failpoint.afterAnswerStored.hit(key: value)
        }
        cache.finish(key, digest: digest, answer: answer)
        return answer.response
    }

    enum DurableState { case answered(IdempotencyCache.Answer), executing(IdempotencyScope.Mode) }

    /// What the store says of the key: answered before, executed without a kept answer, or
    /// new (or expired). Another request under the same key is refused.
    func durableLookup(callerID: String, key: String, digest: [UInt8]) async throws -> DurableState {
        let fresh = DurableState.executing(
            .record(
                IdempotencyMark(caller: callerID, key: key, digest: digest, encode: IdempotencyScope.encode)))
        let record: IdempotencyRecord?
        do { record = try await hub.idempotencyRecord(caller: callerID, key: key) } catch {
            throw APIError(.serviceUnavailable, code: "stopped", "the hub's store cannot be read: retry shortly")
        }
        let oldest = SystemClock.nanosecondsSinceEpoch() &- UInt64(cache.retentionSeconds) * 1_000_000_000
        guard let record, record.createdAt >= oldest else { return fresh }
        guard record.digest == digest else {
            throw APIError(
                .conflict, code: "idempotency_key_reused", "this Idempotency-Key was used for a different request")
        }
        if let stored = record.answer { return .answered(IdempotencyCache.Answer(stored)) }
        guard let results = IdempotencyScope.decode(record.results) else { throw APIError.unexpectedResult }
        return .executing(.recover(results: results))
    }
}

extension IdempotencyCache.Answer {
    var response: Response { Response(status: status, headers: headers, body: .init(byteBuffer: body)) }

    var stored: IdempotencyAnswer {
        IdempotencyAnswer(
            status: Int(status.code), headers: headers.map { [$0.name.rawName, $0.value] },
            body: Data(body.readableBytesView))
    }

    init(_ stored: IdempotencyAnswer) {
        var fields = HTTPFields()
        for pair in stored.headers where pair.count == 2 {
            if let name = HTTPField.Name(pair[0]) { fields.append(HTTPField(name: name, value: pair[1])) }
        }
        self.init(
            status: HTTPResponse.Status(code: stored.status), headers: fields, body: ByteBuffer(bytes: stored.body))
    }
}

/// Gathers a response body so it can be kept and sent again.
private final class CollectingBodyWriter: ResponseBodyWriter {
    var buffer = ByteBuffer()
    func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.writeBuffer(&part)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
