import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix
import PolyclearStorage

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
            where !HTTPForwarder.isHopByHop(name.lowercased()) {
                if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
            }
            return Response(
                status: .init(code: Int(answer.status)), headers: fields, body: .init(byteBuffer: answer.body))
        }
    }
}

/// Forwards with AsyncHTTPClient, the ecosystem's client (one client for forwarding and the
/// load generators): keep-alive connections per writer in its pool, a deadline per request,
/// and no retried connection attempts — a writer that cannot be reached is answered at once
/// (503 `no_writer`), so clients retry while the cluster fails over instead of waiting.
public final class HTTPForwarder: Sendable {
    struct Answer: Sendable {
        let status: UInt
        let headers: [(String, String)]
        let body: ByteBuffer
    }

    /// The process's forwarding client. It lives as long as the process: a client must be
    /// shut down before it is freed, and a global never is. Idle connections are closed after
    /// `forwardIdleSecondsMax`, below the servers' idle timeout, so a reused connection is not
    /// one the writer is closing.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(2))
        configuration.connectionPool.idleTimeout = .seconds(Int64(ServerLimits.default.forwardIdleSecondsMax))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// The most a forwarded request may take, answer included, and the largest answer relayed.
    let timeoutSeconds: Int64
    let answerBytesMax: Int

    public init(limits: ServerLimits = .default) {
        timeoutSeconds = Int64(limits.forwardTimeoutSeconds)
        answerBytesMax = limits.forwardAnswerBytesMax
    }

    static func isHopByHop(_ name: String) -> Bool {
        [
            "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
            "proxy-authenticate", "host", "content-length",
        ].contains(name)
    }

    func send(
        host: String, port: Int, method: HTTPMethod, uri: String, headers: HTTPHeaders, body: ByteBuffer
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://\(host):\(port)\(uri)")
        request.method = method
        request.headers = headers
        request.body = .bytes(body)
        let response: HTTPClientResponse
        do { response = try await Self.client.execute(request, timeout: .seconds(timeoutSeconds)) } catch {
            throw Self.isUnreachable(error) ? ForwardingError.unreachable : error
        }
        let answer = try await response.body.collect(upTo: answerBytesMax)
        return Answer(
            status: response.status.code, headers: response.headers.map { ($0.name, $0.value) }, body: answer)
    }

    /// Whether the request certainly never reached the writer: the connection could not be
    /// made. Anything else (reset, timeout after sending) leaves the outcome unknown.
    static func isUnreachable(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        if let error = error as? IOError {
            return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        }
        return false
    }
}

enum ForwardingError: Error { case unreachable }
