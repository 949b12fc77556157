public import Hummingbird
import PolyclearConsole
import Crypto
import Foundation
import NIOCore
import Synchronization
public import PolyclearCore

/// Who is calling: the operator, a member's central bank, or a participant bank.
public enum Caller: Hashable, Sendable {
    case operatorUser(String)
    case member(CountryCode)
    case participant(BIC)

    var actor: Actor {
        switch self {
        case .operatorUser(let name): .operatorUser(name)
        case .member(let id): .member(id)
        case .participant(let bic): .participant(bic)
        }
    }

    init?(actor: Actor) {
        switch actor {
        case .operatorUser(let name): self = .operatorUser(name)
        case .member(let id): self = .member(id)
        case .participant(let bic): self = .participant(bic)
        case .system: return nil
        }
    }
}

/// API keys, kept only as SHA-256 digests: a leaked configuration or memory dump holds no key.
public struct APIKeyStore: Sendable {
    private var callersByDigest: [String: Caller] = [:]

    public init() {}

    /// A key as given on the command line: `operator:NAME:SECRET`, `member:ISO3:SECRET` or
    /// `participant:BIC:SECRET`. Secrets must be at least 16 characters.
    public mutating func add(specification: String) throws(APIKeyError) {
        let parts = specification.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[2].count >= 16 else { throw .malformed(specification.prefix(20) + "…") }
        let caller: Caller
        switch parts[0] {
        case "operator": caller = .operatorUser(parts[1])
        case "member":
            guard let id = CountryCode(alpha3: parts[1]) else { throw .malformed("member \(parts[1])") }
            caller = .member(id)
        case "participant":
            guard let bic = BIC(parts[1]) else { throw .malformed("participant \(parts[1])") }
            caller = .participant(bic)
        default: throw .malformed("role \(parts[0])")
        }
        add(secret: parts[2], for: caller)
    }

    public mutating func add(secret: String, for caller: Caller) {
        callersByDigest[Self.digest(secret)] = caller
    }

    func caller(presenting secret: String) -> Caller? { callersByDigest[Self.digest(secret)] }

    func caller(digest: String) -> Caller? { callersByDigest[digest] }

    public static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

public struct APIKeyError: Error, CustomStringConvertible {
    public let detail: String
    static func malformed(_ detail: some StringProtocol) -> APIKeyError {
        APIKeyError(detail: "malformed API key: \(detail)")
    }
    public var description: String { detail }
}

/// The request context: the authenticated caller, once the middleware has found one.
public struct PolyclearRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?

    /// The peer's IP address (failed authentications are limited per address).
    public var sourceAddress: String

    public init(source: Source) {
        coreContext = .init(source: source)
        sourceAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Request bodies above `ServerLimits.requestBodyBytesMax` are refused (413) before they
    /// are read in full.
    public var maxUploadSize: Int { ServerLimits.default.requestBodyBytesMax }

    /// The caller, or 401.
    func requireCaller() throws -> Caller {
        guard let caller else {
            throw APIError(.unauthorized, code: "unauthenticated", "a valid bearer API key is required")
        }
        return caller
    }
}

/// Every route but health checks and the OpenAPI document needs `Authorization: Bearer KEY`
/// (the scheme matched case-insensitively, RFC 9110). Failed attempts are limited per source
/// address, successful callers per caller.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = PolyclearRequestContext
    static let openPaths: Set<String> = ["/healthz", "/readyz", "/openapi.yaml"]
    let keys: APIKeyStore
    /// Keys the hub manages (issued over the API, only their digests stored), as the node's
    /// committed state knows them now: a revoked key is refused as soon as this node has
    /// applied the revocation.
    let hubKeys: @Sendable (_ digest: String) async -> Caller?
    let limiter: RateLimiter<Caller>
    let failures: RateLimiter<String>

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // The console's page and assets hold no data: its scripts call the API with a key.
        if Self.openPaths.contains(request.uri.path) || Console.isPublic(path: request.uri.path) {
            return try await next(request, context)
        }
        var caller: Caller? = nil
        if let secret = Self.bearerSecret(request.headers[.authorization]), secret.utf8.count <= 256 {
            let digest = APIKeyStore.digest(secret)
            caller = keys.caller(digest: digest)
            // Only an address with failures to spare reaches the hub: a flood of bad keys
            // costs no reads of the writer's state.
            if caller == nil, failures.hasTokens(context.sourceAddress) { caller = await hubKeys(digest) }
        }
        guard let caller else {
            guard failures.allow(context.sourceAddress) else {
                throw APIError(
                    .tooManyRequests, code: "rate_limited",
                    "too many failed authentications from this address: retry later", retryAfterSeconds: 1)
            }
            throw APIError(.unauthorized, code: "unauthenticated", "a valid bearer API key is required")
        }
        guard limiter.allow(caller) else {
            throw APIError(
                .tooManyRequests, code: "rate_limited", "too many requests: retry in a second", retryAfterSeconds: 1)
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }

    /// The key of `Bearer KEY`, the scheme in any case; nil for anything else.
    static func bearerSecret(_ header: String?) -> String? {
        guard let header, header.utf8.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let secret = header.dropFirst(7).drop { $0 == " " }
        return secret.isEmpty ? nil : String(secret)
    }
}

/// A token bucket per key: `ratePerSecond` sustained, `burst` at once; 429 beyond. A request
/// may cost more than one token (a batch costs one per item).
final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }
    private let buckets = Mutex<[Key: Bucket]>([:])
    let ratePerSecond: Double
    let burst: Double

    init(ratePerSecond: Double, burst: Double) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }

    /// Whether at least one token is left now (takes none).
    func hasTokens(_ key: Key) -> Bool {
        buckets.withLock { buckets in
            guard let bucket = buckets[key] else { return true }
            let elapsed = ContinuousClock.now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return bucket.tokens + seconds * ratePerSecond >= 1
        }
    }

    /// Takes `cost` tokens if there are that many (else takes none and answers false).
    func allow(_ key: Key, cost: Int = 1) -> Bool {
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }  // bounded: many source addresses only reset the buckets
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * ratePerSecond)
            bucket.updated = now
            let allowed = bucket.tokens >= Double(cost)
            if allowed { bucket.tokens -= Double(cost) }
            buckets[key] = bucket
            return allowed
        }
    }
}

/// An error answered as `{"code": "...", "message": "..."}` (plus `"item"`, the index of the
/// batch item at fault); codes are stable, messages hold no account data.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    let retryAfterSeconds: Int?
    var item: Int?
    /// For 405: the methods the path takes.
    var allow: String?

    struct Body: Codable { var code: String, message: String, item: Int? }

    /// The same error, said of item `index` of a batch.
    func forItem(_ index: Int) -> APIError {
        var error = APIError(status, code: code, "item \(index): \(message)", retryAfterSeconds: retryAfterSeconds)
        error.item = index
        return error
    }

    init(_ status: HTTPResponse.Status, code: String, _ message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds ?? (status == .serviceUnavailable ? 1 : nil)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(Body(code: code, message: message, item: item))
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if let allow { headers[.allow] = allow }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
