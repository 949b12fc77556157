import Foundation
import PolyclearTestSupport
import Synchronization

/// A plain TCP connection to a local server, for clients that misbehave as real ones do: a
/// stream reader that never finishes, one that half-closes or vanishes. What it reads
/// arrives in `received` from a thread of its own.
final class RawConnection: Sendable {
    private let descriptor: Int32
    private let isClosed = Mutex(false)
    private let buffer = Mutex("")
    private let isOpen = Mutex(true)

    init(port: Int, request: String) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { close(descriptor); throw POSIXError(.ECONNREFUSED) }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw POSIXError(.EIO)
        }
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 4_096)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                buffer.withLock { $0 += String(decoding: chunk[0..<count], as: UTF8.self) }
            }
            isOpen.withLock { $0 = false }
        }
        thread.start()
    }

    var received: String { buffer.withLock { $0 } }
    /// False once the server closed the connection (or it failed).
    var serverIsConnected: Bool { isOpen.withLock { $0 } }

    /// Closes our side for writing only: the server still sends.
    func halfClose() { shutdown(descriptor, Int32(SHUT_WR)) }

    /// Goes away as a killed client does: the socket is closed, unread data and all, so the
    /// server learns of it only when it next writes (and is reset).
    func vanish() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        closeOnce()
    }

    private func closeOnce() {
        let wasClosed = isClosed.withLock { closed in
            defer { closed = true }; return closed
        }
        if !wasClosed { close(descriptor) }
    }

    func waitUntil(seconds: Double, _ condition: @escaping @Sendable (RawConnection) -> Bool) async -> Bool {
        await onOwnThread {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition(self) { return true }
                usleep(10_000)
            }
            return condition(self)
        }
    }

    deinit { closeOnce() }
}

extension RawConnection {
    /// `GET /v1/events` with a bearer key.
    static func eventStream(port: Int, secret: String) throws -> RawConnection {
        try RawConnection(
            port: port,
            request:
                "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(secret)\r\nAccept: text/event-stream\r\n\r\n"
        )
    }
}
