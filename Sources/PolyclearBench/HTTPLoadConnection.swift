public import NIOCore
public import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection of a load generator: one request at a time (no
/// pipelining), as a bank's client sends them; each answer is read whole.
public struct HTTPLoadConnection {
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private let host: String

    /// Connects, runs `body` with the connection, closes it.
    public static func with<T: Sendable>(
        host: String, port: Int, _ body: (inout HTTPLoadConnection) async throws -> T
    ) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = HTTPLoadConnection(
                inbound: inbound.makeAsyncIterator(), outbound: outbound, host: "\(host):\(port)")
            return try await body(&connection)
        }
    }

    /// Sends a request and returns the status code and the whole body.
    public mutating func send(
        _ method: HTTPMethod, _ path: String, authorization: String?, body: ByteBuffer?
    ) async throws -> (status: UInt, body: ByteBuffer) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.readableBytes))
        }
        var parts: [HTTPClientRequestPart] = [
            .head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers))
        ]
        if let body { parts.append(.body(.byteBuffer(body))) }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
        var status: UInt = 0
        var answer = ByteBuffer()
        while let part = try await inbound.next() {
            switch part {
            case .head(let head): status = head.status.code
            case .body(var chunk): answer.writeBuffer(&chunk)
            case .end: return (status, answer)
            }
        }
        throw HTTPLoadError.closedByServer
    }
}

extension HTTPLoadConnection {
    /// Sends a GET and reads its answer as it comes, discarding it, until the server ends it or
    /// the task is cancelled (an event-stream subscriber); the bytes read.
    public mutating func drain(_ path: String, authorization: String) async throws -> Int {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Authorization", value: authorization)
        try await outbound.write(contentsOf: [
            .head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)), .end(nil),
        ])
        var bytes = 0
        while !Task.isCancelled, let part = try? await inbound.next() {
            switch part {
            case .head, .end: continue
            case .body(let chunk): bytes += chunk.readableBytes
            }
        }
        return bytes
    }
}

public enum HTTPLoadError: Error { case closedByServer }
