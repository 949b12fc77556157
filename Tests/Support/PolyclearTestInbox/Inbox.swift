public import Foundation
import HTTPTypes
public import Hummingbird

/// A bank's push endpoint: refuses the first `refusals` attempts with 503, then takes them.
public actor Inbox {
    public struct Attempt: @unchecked Sendable {
        public var body: Data
        public var signature: String
        public var deliveries: NSArray
    }

    var refusals: Int
    /// A pause before each answer (a slow bank).
    let delay: Duration
    public private(set) var attempts: [Attempt] = []
    public private(set) var taken: [Attempt] = []
    private var boundPort: Int?
    private var waiting: [CheckedContinuation<Int, Never>] = []

    public init(refusals: Int = 0, delay: Duration = .zero) {
        self.refusals = refusals
        self.delay = delay
    }

    public func started(port: Int) {
        boundPort = port
        for continuation in waiting { continuation.resume(returning: port) }
        waiting = []
    }

    public func port() async throws -> Int {
        if let boundPort { return boundPort }
        return await withCheckedContinuation { waiting.append($0) }
    }

    /// Runs an inbox on a free loopback port until `body` returns; `body` gets the port.
    public static func serving<T: Sendable>(
        _ inbox: Inbox, _ body: @Sendable (Int) async throws -> T
    ) async throws -> T {
        let receiver = Application(
            router: inbox.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await inbox.started(port: channel.localAddress?.port ?? 0) })
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await receiver.runService()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(try await inbox.port())
        }
    }

    func receive(body: Data, signature: String) -> Bool {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let attempt = Attempt(body: body, signature: signature, deliveries: (object?["deliveries"] as? NSArray) ?? [])
        attempts.append(attempt)
        if refusals > 0 {
            refusals -= 1
            return false
        }
        taken.append(attempt)
        return true
    }

    public nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/inbox") { request, context -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 22)
            let signature = request.headers[HTTPField.Name("Polyclear-Signature")!] ?? ""
            try await Task.sleep(for: self.delay)
            return await self.receive(body: Data(buffer: body), signature: signature) ? .ok : .serviceUnavailable
        }
        return router
    }
}
