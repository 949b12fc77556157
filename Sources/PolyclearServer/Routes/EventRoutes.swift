import Hummingbird
import PolyclearCore
import PolyclearStorage

/// `/v1/events`: committed changes as server-sent events, each caller seeing only its own
/// (the broadcaster routes them by `EventAudience`).
enum EventRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        let events = api.events, limits = api.limits
        router.get("/v1/events") { request, context -> Response in
            let caller = try context.requireCaller()
            // `max`: close after that many events (scripts and tests); otherwise the stream stays open.
            let maxEvents = try PolyclearAPI.positiveInteger(request, "max") ?? Int.max
            let (id, stream): (UInt64, AsyncStream<ByteBuffer>)
            switch events.subscribe(caller, streamsMax: limits.eventStreamsPerCaller) {
            case .success(let subscription): (id, stream) = subscription
            case .failure(.tooManyStreams):
                throw APIError(
                    .tooManyRequests, code: "too_many_streams",
                    "at most \(limits.eventStreamsPerCaller) event streams per caller", retryAfterSeconds: 5)
            case .failure(.closed):
                throw APIError(.serviceUnavailable, code: "shutting_down", "the server is shutting down")
            }
            let lines = AsyncStream<ByteBuffer> { continuation in
                let task = Task {
                    var sent = 0
                    continuation.yield(ByteBuffer(string: ": polyclear events\n\n"))
                    for await event in stream {
                        continuation.yield(event)
                        sent += 1
                        if sent >= maxEvents { break }
                    }
                    if events.isClosed {
                        continuation.yield(
                            ByteBuffer(
                                string: "event: shutdown\ndata: {\"reason\":\"the server is shutting down\"}\n\n"))
                    }
                    events.unsubscribe(id, of: caller)
                    continuation.finish()
                }
                // A comment now and then: a client that vanished is noticed at the next write,
                // and its stream (and its slot among the caller's streams) ends.
                let heartbeat = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(limits.eventHeartbeatSeconds))
                        if !Task.isCancelled { continuation.yield(ByteBuffer(string: ": keep-alive\n\n")) }
                    }
                }
                continuation.onTermination = { _ in
                    task.cancel(); heartbeat.cancel(); events.unsubscribe(id, of: caller)
                }
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody(asyncSequence: lines))
        }
    }
}
