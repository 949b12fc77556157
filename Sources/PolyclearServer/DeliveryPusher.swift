import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PolyclearCore
import ServiceLifecycle

/// How the hub signs what it pushes: Ed25519 over `"<t>.<body>"`, sent as
/// `Polyclear-Signature: t=<unix seconds>,ed25519=<base64 signature>`. A bank verifies with
/// the hub's public key (`GET /v1/delivery-endpoint`) and refuses stale times.
public struct DeliverySigning: Sendable {
    public static let headerName = "Polyclear-Signature"
    /// The private key's 32-byte seed (the key type itself is not `Sendable`).
    let seed: [UInt8]

    init(seed: [UInt8]) throws {
        _ = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        self.seed = seed
    }

    private var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: seed) }

    /// A key for this process only (tests, `demo`): banks could not verify across restarts.
    public static func ephemeral() -> DeliverySigning {
        try! DeliverySigning(seed: Array(Curve25519.Signing.PrivateKey().rawRepresentation))
    }

    /// The key in `path` (its 32-byte seed), created with mode 0600 if the file is missing.
    public static func load(path: String) throws -> DeliverySigning {
        if let seed = FileManager.default.contents(atPath: path) { return try DeliverySigning(seed: Array(seed)) }
        let signing = ephemeral()
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(signing.seed), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        return signing
    }

    var publicKeyBase64: String { key.publicKey.rawRepresentation.base64EncodedString() }

    func header(body: [UInt8], unixSeconds: Int) throws -> String {
        let signature = try key.signature(for: Array("\(unixSeconds).".utf8) + body)
        return "t=\(unixSeconds),ed25519=\(signature.base64EncodedString())"
    }
}

/// Pushes every bank's unacknowledged deliveries to the endpoint it registered, oldest first,
/// in batches; a 2xx answer acknowledges the batch (a logged command, so a restart or a new
/// writer continues after it). Anything else is retried with backoff (1 s doubling to
/// `pushRetrySecondsMax`), for ever: at least once, the same delivery ids and content each time.
/// Runs only where the writer runs (followers would push twice).
struct DeliveryPusher<A: HubAccess>: Service {
    let api: RouteDependencies<A>
    let signing: DeliverySigning
    let logger: Logger
    /// How often outboxes are looked at when there is nothing to retry.
    var pollMilliseconds = 250

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var retryAt: [BIC: (at: ContinuousClock.Instant, pause: Duration)] = [:]
        do {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if api.writer.writeRoute == .local {
                    let pending = (try? await api.read { hub in hub.pendingPushes }) ?? []
                    for (bic, endpoint, acknowledged) in pending {
                        if let retry = retryAt[bic], retry.at > .now { continue }
                        if await push(bic, endpoint, after: acknowledged, client: client) {
                            retryAt[bic] = nil
                        } else {
                            let pause = min(
                                (retryAt[bic]?.pause ?? .milliseconds(500)) * 2,
                                .seconds(api.limits.pushRetrySecondsMax))
                            retryAt[bic] = (.now + pause, pause)
                        }
                    }
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(pollMilliseconds)) }
            }
        }
        try? await client.shutdown()
    }

    /// One batch to one bank; true if the bank took it (and it is acknowledged).
    func push(_ bic: BIC, _ endpoint: DeliveryEndpoint, after cursor: UInt64, client: HTTPClient) async -> Bool {
        // Checked again at each push: the operator may have closed private networks since.
        if let problem = DeliveryEndpointPolicy.problem(
            endpoint, allowPrivateNetwork: api.limits.pushAllowPrivateNetwork != 0)
        {
            logger.info("push endpoint not allowed", metadata: ["bank": "\(bic)", "why": "\(problem)"])
            return false
        }
        do {
            let limit = api.limits.pushBatchDeliveryCountMax
            guard
                let (items, _, _) = try await api.read({ hub in hub.deliveries(for: bic, after: cursor, limit: limit) }
                ),
                let last = items.last
            else { return true }
            let rendered = try await DeliveryRenderer(api: api).render(items, for: bic, format: endpoint.format)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = Array(try encoder.encode(PushDTO(bank: bic.description, deliveries: rendered)))
            var request = HTTPClientRequest(url: endpoint.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(
                name: DeliverySigning.headerName,
                value: try signing.header(body: body, unixSeconds: Int(Date().timeIntervalSince1970)))
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await client.execute(request, timeout: .seconds(Int64(api.limits.pushTimeoutSeconds)))
            _ = try? await response.body.collect(upTo: 64 << 10)
            guard (200..<300).contains(response.status.code) else {
                logger.info("push refused", metadata: ["bank": "\(bic)", "status": "\(response.status.code)"])
                return false
            }
            _ = try await api.writer.submit([
                .acknowledgeDeliveries(participant: bic, through: last.cursor, actor: .system)
            ])
            return true
        } catch {
            logger.info("push failed", metadata: ["bank": "\(bic)", "error": "\(error)"])
            return false
        }
    }
}

/// The body of a push: the bank it is for and its deliveries, oldest first.
struct PushDTO: Encodable {
    var bank: String
    var deliveries: [DeliveryDTO]
}

/// Applies the union's personal-data retention rule every `retentionRunSeconds` (a logged
/// command, `erasePersonalData`), where the writer runs and only when the rule sets a period.
struct RetentionScheduler<A: HubAccess>: Service {
    let writer: A
    let intervalSeconds: Int
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // A day's sleep must not hold a shutdown: graceful shutdown cancels it.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(intervalSeconds)) }
            guard !Task.isCancelled, !Task.isShuttingDownGracefully, writer.writeRoute == .local,
                (try? await writer.read { hub in hub.settings.paymentRules.personalDataRetentionDays }) != nil
            else { continue }
            let results = try? await writer.submit([
                .attributed(actor: .operatorUser("retention schedule"), command: .erasePersonalData)
            ])
            if case .personalDataErased(let count) = results?.first, count > 0 {
                logger.info("retention run", metadata: ["erased_payments": "\(count)"])
            }
        }
    }
}
