public import Hummingbird
import Crypto
import Foundation
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

    /// The operator sees every bank, a member its own banks, a bank itself.
    func maySee(_ participant: Participant) -> Bool {
        switch self {
        case .operatorUser: true
        case .member(let id): participant.memberID == id
        case .participant(let bic): participant.bic == bic
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

    static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

public struct APIKeyError: Error, CustomStringConvertible {
    public let detail: String
    static func malformed(_ detail: some StringProtocol) -> APIKeyError { APIKeyError(detail: "malformed API key: \(detail)") }
    public var description: String { detail }
}

/// The request context: the authenticated caller, once the middleware has found one.
public struct PolyclearRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?

    public init(source: Source) { coreContext = .init(source: source) }

    /// Request bodies above 1 MiB are refused (413) before they are read in full.
    public var maxUploadSize: Int { 1 << 20 }

    /// The caller, or 401.
    func requireCaller() throws -> Caller {
        guard let caller else { throw APIError(.unauthorized, code: "unauthenticated", "a valid bearer API key is required") }
        return caller
    }
}

/// Every route but health checks and the OpenAPI document needs `Authorization: Bearer KEY`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = PolyclearRequestContext
    static let openPaths: Set<String> = ["/healthz", "/readyz", "/openapi.yaml"]
    let keys: APIKeyStore
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let caller = keys.caller(presenting: String(header.dropFirst(7)))
        else { throw APIError(.unauthorized, code: "unauthenticated", "a valid bearer API key is required") }
        guard limiter.allow(caller) else {
            throw APIError(.tooManyRequests, code: "rate_limited", "too many requests: retry in a second", retryAfterSeconds: 1)
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }
}

/// A token bucket per caller: `ratePerSecond` sustained, `burst` at once; 429 beyond.
final class RateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }
    private let buckets = Mutex<[Caller: Bucket]>([:])
    let ratePerSecond: Double
    let burst: Double

    init(ratePerSecond: Double, burst: Double) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }

    func allow(_ caller: Caller) -> Bool {
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            var bucket = buckets[caller] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * ratePerSecond)
            bucket.updated = now
            guard bucket.tokens >= 1 else { buckets[caller] = bucket; return false }
            bucket.tokens -= 1
            buckets[caller] = bucket
            return true
        }
    }
}

/// An error answered as `{"code": "...", "message": "..."}`; codes are stable, messages hold
/// no account data.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    let retryAfterSeconds: Int?

    init(_ status: HTTPResponse.Status, code: String, _ message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds ?? (status == .serviceUnavailable ? 1 : nil)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(["code": code, "message": message])
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
