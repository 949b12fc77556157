public import Foundation

/// What the hub keeps of one `Idempotency-Key` (per caller), durably: the request's digest and
/// the results of the commit that executed it — stored in that commit's own transaction, so a
/// retry after a crash or a takeover can never execute the request again — and, once the
/// answer has been made, the answer itself (stored before the client is sent it), so a retry
/// gets the very same answer. Kept for the expiry period (24 h).
public struct IdempotencyRecord: Sendable, Hashable {
    /// `participant:BANKBRSP`, `member:BRA`, `operator:NAME`.
    public var caller: String
    public var key: String
    /// SHA-256 of the request's path and body.
    public var digest: [UInt8]
    /// When the commit executed it (nanoseconds since 1970).
    public var createdAt: UInt64
    /// The commit's results for the request's commands, encoded by the API.
    public var results: Data
    public var answer: IdempotencyAnswer?

    public init(
        caller: String, key: String, digest: [UInt8], createdAt: UInt64, results: Data, answer: IdempotencyAnswer? = nil
    ) {
        self.caller = caller
        self.key = key
        self.digest = digest
        self.createdAt = createdAt
        self.results = results
        self.answer = answer
    }
}

/// An HTTP answer as it was sent: status, headers (name, value) and body.
public struct IdempotencyAnswer: Sendable, Hashable {
    public var status: Int
    public var headers: [[String]]
    public var body: Data

    public init(status: Int, headers: [[String]], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The headers as one blob (JSON array of pairs), for the stores.
    public var headersData: Data { (try? JSONEncoder().encode(headers)) ?? Data("[]".utf8) }

    public init(status: Int, headersData: Data, body: Data) {
        self.init(
            status: status, headers: (try? JSONDecoder().decode([[String]].self, from: headersData)) ?? [], body: body)
    }
}

/// What a submission asks the writer to record with its commit: who, which key, which
/// request, and how to encode its results.
public struct IdempotencyMark<Result: Sendable>: Sendable {
    public var caller: String
    public var key: String
    public var digest: [UInt8]
    public var encode: @Sendable ([Result]) -> Data

    public init(caller: String, key: String, digest: [UInt8], encode: @escaping @Sendable ([Result]) -> Data) {
        self.caller = caller
        self.key = key
        self.digest = digest
        self.encode = encode
    }
}

/// The durable side of idempotency, for stores that keep it (the hub stores).
public protocol IdempotencyStore: Sendable {
    /// The record of a caller's key, if one is kept.
    func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord?
    /// Stores the answer of a recorded key (fsynced before returning), and drops records
    /// created before `expiringBefore`.
    func storeIdempotencyAnswer(
        caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64
    ) async throws
}
