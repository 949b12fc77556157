import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix
import PolyclearStorage
import Synchronization

/// On a node that does not hold the writer role, sends every write request (any method but
/// GET/HEAD) to the node that does, and relays its answer unchanged: clients may talk to any
/// node and need not follow redirects (which drop the Authorization header across hosts).
/// The writer authenticates, rate-limits and deduplicates (Idempotency-Key) as usual; the
/// forwarded request is marked so that it is never forwarded twice. Reads stay local.
struct WriteForwardingMiddleware<Access: HubAccess>: RouterMiddleware {
    typealias Context = PolyclearRequestContext
    static var forwardedHeader: HTTPField.Name { HTTPField.Name("Polyclear-Forwarded")! }

    let hub: Access
    let forwarder: HTTPForwarder

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if request.method == .get || request.method == .head { return try await next(request, context) }
        switch hub.writeRoute {
        case .local:
            return try await next(request, context)
        case .unavailable:
            throw APIError(
                .serviceUnavailable, code: "no_writer",
                "no node holds the writer role at the moment (failover): retry shortly")
        case .forward(let host, let port):
            if request.headers[Self.forwardedHeader] != nil {
                throw APIError(.serviceUnavailable, code: "no_writer", "this node lost the writer role: retry shortly")
            }
            var request = request
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            var headers = HTTPHeaders()
            for field in request.headers where !HTTPForwarder.isHopByHop(field.name.canonicalName) {
                headers.add(name: field.name.rawName, value: field.value)
            }
            headers.add(name: Self.forwardedHeader.rawName, value: "1")
            let answer: HTTPForwarder.Answer
            do {
                answer = try await forwarder.send(
                    host: host, port: port, method: HTTPMethod(rawValue: request.method.rawValue),
                    uri: request.uri.description, headers: headers, body: body)
            } catch ForwardingError.unreachable {
                // Nothing was sent: the outcome is certain (nothing happened).
                throw APIError(
                    .serviceUnavailable, code: "no_writer",
                    "the writer node cannot be reached (failover under way?): retry shortly")
            } catch {
                throw APIError(
                    .badGateway, code: "writer_unreachable",
                    "the writer node did not answer; the outcome is unknown: retry with the same Idempotency-Key or payment id",
                    retryAfterSeconds: 1)
            }
            var fields = HTTPFields()
            for (name, value) in answer.headers
            where !HTTPForwarder.isHopByHop(name.lowercased()) && name.lowercased() != "content-length" {
                if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
            }
            return Response(
                status: .init(code: Int(answer.status)), headers: fields, body: .init(byteBuffer: answer.body))
        }
    }
}

/// A small HTTP/1.1 client for forwarding: keep-alive connections per target, one request at
/// a time each; idle connections are reused for up to `idleSecondsMax` (shorter than the
/// servers' idle timeout, so a reused connection is not one the server is closing).
public final class HTTPForwarder: Sendable {
    struct Answer: Sendable {
        let status: UInt
        let headers: [(String, String)]
        let body: ByteBuffer
    }

    struct Idle { let channel: any Channel; let since: ContinuousClock.Instant }

    private let idle = Mutex<[String: [Idle]]>([:])
    let timeoutSeconds: Int64
    let idleSecondsMax: Int

    public init(timeoutSeconds: Int64 = 30, idleSecondsMax: Int = 20) {
        self.timeoutSeconds = timeoutSeconds
        self.idleSecondsMax = idleSecondsMax
    }

    static func isHopByHop(_ name: String) -> Bool {
        [
            "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
            "proxy-authenticate", "host",
        ].contains(name)
    }

    func send(
        host: String, port: Int, method: HTTPMethod, uri: String, headers: HTTPHeaders, body: ByteBuffer
    ) async throws -> Answer {
        let key = "\(host):\(port)"
        let reused = takeIdle(key)
        let channel: any Channel
        if let reused {
            channel = reused
        } else {
            do { channel = try await connect(host: host, port: port) } catch { throw ForwardingError.unreachable }
        }
        var headers = headers
        headers.replaceOrAdd(name: "Host", value: key)
        headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        let promise = channel.eventLoop.makePromise(of: Answer.self)
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(timeoutSeconds)) {
            promise.fail(ForwardingError.timedOut)
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        let request = ForwardRequest(
            head: HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers), body: body,
            promise: promise)
        do {
            try await channel.writeAndFlush(request)
            let answer = try await promise.futureResult.get()
            let keepAlive = !answer.headers.contains {
                $0.0.lowercased() == "connection" && $0.1.lowercased() == "close"
            }
            if keepAlive && channel.isActive {
                idle.withLock { $0[key, default: []].append(Idle(channel: channel, since: .now)) }
            } else {
                channel.close(promise: nil)
            }
            return answer
        } catch {
            promise.fail(error)
            channel.close(promise: nil)
            throw error
        }
    }

    private func takeIdle(_ key: String) -> (any Channel)? {
        let now = ContinuousClock.now
        let (found, stale): ((any Channel)?, [any Channel]) = idle.withLock { idle in
            var stale: [any Channel] = []
            while var list = idle[key], let last = list.popLast() {
                idle[key] = list
                if now - last.since < .seconds(idleSecondsMax) && last.channel.isActive { return (last.channel, stale) }
                stale.append(last.channel)
            }
            return (nil, stale)
        }
        for channel in stale { channel.close(promise: nil) }
        return found
    }

    private func connect(host: String, port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ForwardingClientHandler())
                }
            }
            .connect(host: host, port: port).get()
    }
}

enum ForwardingError: Error { case timedOut, closed, unreachable }

struct ForwardRequest: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer
    let promise: EventLoopPromise<HTTPForwarder.Answer>
}

/// Writes one request and completes its promise with the whole answer (or the failure).
final class ForwardingClientHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = ForwardRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<HTTPForwarder.Answer>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending = request.promise
        head = nil
        body.clear()
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if request.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received): head = received
        case .body(var chunk): body.writeBuffer(&chunk)
        case .end:
            guard let head, let pending else { return }
            self.pending = nil
            pending.succeed(
                HTTPForwarder.Answer(
                    status: head.status.code, headers: head.headers.map { ($0.name, $0.value) }, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(ForwardingError.closed)
        pending = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }
}
