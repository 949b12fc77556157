import AsyncHTTPClient
public import NIOCore
public import NIOHTTP1

/// One keep-alive HTTP/1.1 connection of a load generator: one request at a time (no
/// pipelining), as a bank's client sends them; each answer is read whole. Built on
/// AsyncHTTPClient (the project's one HTTP client) with a pool of exactly one connection, so
/// a load of N connections is N connections, as before with a hand-written NIO client.
/// Measured cost (2 cores, client and server sharing them): `bench http` reads 0.86–0.87× of
/// wrk's throughput in the same session, against about 0.97× with the hand-written client;
/// kept for one client in the project, and wrk is the peer for the server's own figure.
public struct HTTPLoadConnection {
    private let client: HTTPClient
    private let base: String

    /// Connects (on first use), runs `body` with the connection, closes it.
    public static func with<T: Sendable>(
        host: String, port: Int, _ body: (inout HTTPLoadConnection) async throws -> T
    ) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(2))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1
        // A refused connection fails at once (a node being killed in a drill), as a socket would.
        configuration.connectionPool.retryConnectionEstablishment = false
        return try await HTTPClient.withHTTPClient(configuration: configuration) { client in
            var connection = HTTPLoadConnection(client: client, base: "http://\(host):\(port)")
            return try await body(&connection)
        }
    }

    private init(client: HTTPClient, base: String) {
        self.client = client
        self.base = base
    }

    /// Sends a request and returns the status code and the whole body.
    public mutating func send(
        _ method: HTTPMethod, _ path: String, authorization: String?, body: ByteBuffer?
    ) async throws -> (status: UInt, body: ByteBuffer) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: .seconds(120))
        return (response.status.code, try await response.body.collect(upTo: 64 << 20))
    }

    /// Sends a GET and reads its answer as it comes, discarding it, until the server ends it or
    /// the task is cancelled (an event-stream subscriber); the bytes read.
    public mutating func drain(_ path: String, authorization: String) async throws -> Int {
        var request = HTTPClientRequest(url: base + path)
        request.headers.add(name: "Authorization", value: authorization)
        var bytes = 0
        do {
            let response = try await client.execute(request, timeout: .hours(24))
            for try await chunk in response.body {
                bytes += chunk.readableBytes
                if Task.isCancelled { break }
            }
        } catch {
            // Cancelled or closed: what was read is the answer.
        }
        return bytes
    }
}
