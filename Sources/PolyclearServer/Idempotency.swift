import Crypto
import HTTPTypes
import Hummingbird
import Synchronization

/// `Idempotency-Key` on POSTs. The same caller, key, path and body get the first answer again
/// (nothing runs twice); the same key with another path or body gets 409, and so does a retry
/// while the first is still running. Only answers below 500 are kept: after a 5xx (busy,
/// stopped) the retry runs. Answers live in memory for `retentionSeconds` and at most
/// `capacity` keys, oldest dropped first; a restart forgets them, and then the hub's own
/// idempotency (payment ids, run ids) still refuses a second execution.
final class IdempotencyCache: Sendable {
    struct Key: Hashable { let caller: Caller; let key: String }
    struct Answer { let status: HTTPResponse.Status; let headers: HTTPFields; let body: ByteBuffer }
    enum Lookup { case proceed, replay(Answer), conflict(String) }

    private enum Entry { case running(digest: [UInt8]), done(digest: [UInt8], answer: Answer, at: ContinuousClock.Instant) }
    private struct State {
        var entries: [Key: Entry] = [:]
        var arrivals: [(key: Key, at: ContinuousClock.Instant)] = []  // oldest first, from `head`
        var head = 0
    }

    private let state = Mutex(State())
    let capacity: Int
    let retentionSeconds: Int

    init(capacity: Int = 100_000, retentionSeconds: Int = 86_400) {
        self.capacity = capacity
        self.retentionSeconds = retentionSeconds
    }

    func begin(_ key: Key, digest: [UInt8]) -> Lookup {
        let now = ContinuousClock.now
        return state.withLock { state in
            evict(&state, now: now)
            switch state.entries[key] {
            case .running: return .conflict("a request with this Idempotency-Key is still running")
            case .done(let stored, let answer, _):
                return stored == digest ? .replay(answer) : .conflict("this Idempotency-Key was used for a different request")
            case nil:
                state.entries[key] = .running(digest: digest)
                state.arrivals.append((key, now))
                return .proceed
            }
        }
    }

    func finish(_ key: Key, digest: [UInt8], answer: Answer?) {
        state.withLock { state in
            if let answer { state.entries[key] = .done(digest: digest, answer: answer, at: ContinuousClock.now) } else { state.entries[key] = nil }
        }
    }

    private func evict(_ state: inout State, now: ContinuousClock.Instant) {
        let oldest = now - .seconds(retentionSeconds)
        let end = state.arrivals.count  // requeued running ones are looked at next time, not again now
        while state.head < end {
            let arrival = state.arrivals[state.head]
            guard state.arrivals.count - state.head > capacity || arrival.at < oldest else { break }
            switch state.entries[arrival.key] {
            case .done: state.entries[arrival.key] = nil
            case .running: state.arrivals.append(arrival)  // stays until it finishes, and is dropped on a later pass
            case nil: break
            }
            state.head += 1
        }
        if state.head > 1_024 && state.head * 2 > state.arrivals.count {
            state.arrivals.removeFirst(state.head)
            state.head = 0
        }
    }
}

struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = PolyclearRequestContext
    static let header = HTTPField.Name("Idempotency-Key")!
    let cache: IdempotencyCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let value = request.headers[Self.header], let caller = context.caller else {
            return try await next(request, context)
        }
        guard (1...255).contains(value.utf8.count), value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError(.badRequest, code: "malformed_idempotency_key", "Idempotency-Key is 1 to 255 visible ASCII characters")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var hasher = SHA256()
        hasher.update(data: Array(request.uri.path.utf8) + [0])
        hasher.update(data: Array(body.readableBytesView))
        let digest = Array(hasher.finalize())
        let key = IdempotencyCache.Key(caller: caller, key: value)
        switch cache.begin(key, digest: digest) {
        case .replay(let answer): return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: answer.body))
        case .conflict(let message): throw APIError(.conflict, code: "idempotency_key_reused", message)
        case .proceed: break
        }
        let response: Response
        do { response = try await next(request, context) } catch {
            // A refusal answers the same on every retry; it is not kept, so the retry is checked afresh.
            cache.finish(key, digest: digest, answer: nil)
            throw error
        }
        guard response.status.code < 500 else {
            cache.finish(key, digest: digest, answer: nil)
            return response
        }
        let collector = CollectingBodyWriter()
        let responseBody = response.body
        try await responseBody.write(collector)
        let answer = IdempotencyCache.Answer(status: response.status, headers: response.headers, body: collector.buffer)
        cache.finish(key, digest: digest, answer: answer)
        return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: answer.body))
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
