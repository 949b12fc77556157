import Foundation
import Hummingbird
import PolyclearCore
import PolyclearStorage

/// API keys the hub manages: the operator issues keys for members and participants, a
/// member's central bank for its own banks. The secret is made here from the system's
/// cryptographic random source, shown once in the answer, and only its SHA-256 digest goes
/// to the hub (and so to the durable log). Rotation keeps the old key working for an overlap
/// the caller chooses; revocation ends it at once.
enum APIKeyRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/api-keys") { _, context -> [APIKeyDTO] in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .manageAPIKeys)
            let now = SystemClock.nanosecondsSinceEpoch()
            return try await api.read { hub in
                hub.allAPIKeys.filter { visible($0.grant.holder, to: caller, hub) }.map { APIKeyDTO($0, now: now) }
            }
        }
        router.post("/v1/api-keys") { request, context -> EditedResponse<IssuedAPIKeyDTO> in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .manageAPIKeys)
            let body = try await request.decode(as: APIKeyRequestDTO.self, context: context)
            let holder = try body.holderActor()
            let expiresAt = try body.expiresInSeconds.map { (seconds) throws(APIError) -> UInt64 in
                guard (1...api.limits.apiKeyLifetimeSecondsMax).contains(seconds) else {
                    throw APIError(.badRequest, code: "malformed_lifetime", "expiresInSeconds is 1 s to 2 years")
                }
                return SystemClock.nanosecondsSinceEpoch() + UInt64(seconds) * 1_000_000_000
            }
            try await requireRoom(for: holder, caller: caller, api)
            let (grant, secret) = newKey(holder: holder, expiresAt: expiresAt)
            try await submit(.issueAPIKey(grant, actor: caller.actor), by: caller, api)
            return EditedResponse(status: .created, response: IssuedAPIKeyDTO(grant, secret: secret))
        }
        router.post("/v1/api-keys/:id/rotate") { request, context -> EditedResponse<IssuedAPIKeyDTO> in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .manageAPIKeys)
            let old = try keyID(context)
            let body = try await request.decode(as: RotationDTO.self, context: context)
            guard (0...api.limits.apiKeyOverlapSecondsMax).contains(body.overlapSeconds) else {
                throw APIError(.badRequest, code: "malformed_overlap", "overlapSeconds is 0 to 30 days")
            }
            let holder = try await visibleKey(old, caller: caller, api).grant.holder
            try await requireRoom(for: holder, caller: caller, api)
            let (grant, secret) = newKey(holder: holder, expiresAt: nil)
            try await submit(
                .rotateAPIKey(oldID: old, new: grant, overlapSeconds: UInt32(body.overlapSeconds), actor: caller.actor),
                by: caller, api)
            return EditedResponse(status: .created, response: IssuedAPIKeyDTO(grant, secret: secret))
        }
        router.delete("/v1/api-keys/:id") { _, context -> APIKeyDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .manageAPIKeys)
            let id = try keyID(context)
            _ = try await visibleKey(id, caller: caller, api)
            try await submit(.revokeAPIKey(id: id, actor: caller.actor), by: caller, api)
            let now = SystemClock.nanosecondsSinceEpoch()
            let record = try await api.read { hub in hub.apiKey(id) }
            return APIKeyDTO(try AdminRoutes.required(record), now: now)
        }
    }

    /// The operator sees every key; a central bank its banks' keys.
    static func visible(_ holder: Actor, to caller: Caller, _ hub: HubStateMachine) -> Bool {
        switch (caller, holder) {
        case (.operatorUser, _): true
        case (.member(let id), .participant(let bic)): hub.participant(bic)?.memberID == id
        default: false
        }
    }

    static func visibleKey<A: HubAccess>(
        _ id: UInt128, caller: Caller, _ api: RouteDependencies<A>
    ) async throws -> APIKeyRecord {
        let record = try await api.read { hub in
            hub.apiKey(id).flatMap { visible($0.grant.holder, to: caller, hub) ? $0 : nil }
        }
        guard let record else { throw APIError(.notFound, code: "not_found", "no such API key") }
        return record
    }

    static func requireRoom<A: HubAccess>(for holder: Actor, caller: Caller, _ api: RouteDependencies<A>) async throws {
        let now = SystemClock.nanosecondsSinceEpoch()
        let working = try await api.read { hub in
            hub.allAPIKeys.filter { $0.grant.holder == holder && $0.isValid(at: now) }.count
        }
        guard working < api.limits.apiKeysPerHolderMax else {
            throw APIError(
                .conflict, code: "too_many_api_keys",
                "\(api.limits.apiKeysPerHolderMax) keys already work for this holder: revoke one first")
        }
    }

    static func newKey(holder: Actor, expiresAt: UInt64?) -> (APIKeyGrant, String) {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let secret =
            "pck_"
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        // A version-4 UUID as the key's public id.
        var id = UInt128(random.next()) << 64 | UInt128(random.next())
        id = (id & ~(UInt128(0xF000) << 64)) | (UInt128(0x4000) << 64)
        id = (id & ~(UInt128(0xC000) << 48)) | (UInt128(0x8000) << 48)
        return (
            APIKeyGrant(id: id, holder: holder, digestHex: APIKeyStore.digest(secret), expiresAt: expiresAt), secret
        )
    }

    static func keyID(_ context: PolyclearRequestContext) throws -> UInt128 {
        guard let id = UUIDCoding.decode(try context.parameters.require("id")) else {
            throw APIError(.badRequest, code: "malformed_id", "API key ids are UUIDs")
        }
        return id
    }

    static func submit<A: HubAccess>(_ command: HubCommand, by caller: Caller, _ api: RouteDependencies<A>) async throws
    {
        let result = try await PolyclearAPI.submit(api.writer, [command], by: caller).first
        if case .refused(let rejection) = result { throw APIError.refused(rejection, "the key was refused") }
    }
}

/// `POST /v1/api-keys`: `holder` is `member:ISO3` or `participant:BIC`.
struct APIKeyRequestDTO: Decodable {
    var holder: String
    var expiresInSeconds: Int?

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["holder", "expiresInSeconds"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        holder = try container.decode(String.self, forKey: .holder)
        expiresInSeconds = try container.decodeIfPresent(Int.self, forKey: .expiresInSeconds)
    }

    enum CodingKeys: String, CodingKey { case holder, expiresInSeconds }

    func holderActor() throws(APIError) -> Actor {
        let parts = holder.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("member", 2): return .member(try WireAmount.member(parts[1]))
        case ("participant", 2): return .participant(try WireAmount.bic(parts[1]))
        default:
            throw APIError(.badRequest, code: "malformed_holder", "holder is member:ISO3 or participant:BIC")
        }
    }
}

struct RotationDTO: OneFieldBody {
    static let key = "overlapSeconds"
    var overlapSeconds: Int

    init(_ overlapSeconds: Int) { self.overlapSeconds = overlapSeconds }
}

/// A key as listed: never its secret or digest.
struct APIKeyDTO: ResponseCodable {
    var id: String, holder: String, issuedBy: String, issuedAt: UInt64, expiresAt: UInt64?, revokedAt: UInt64?
    var rotatedTo: String?, valid: Bool

    init(_ record: APIKeyRecord, now: UInt64) {
        id = UUIDCoding.encode(record.grant.id); holder = record.grant.holder.wireName
        issuedBy = record.issuedBy.wireName; issuedAt = record.issuedAt; expiresAt = record.expiresAt
        revokedAt = record.revokedAt; rotatedTo = record.rotatedTo.map(UUIDCoding.encode)
        valid = record.isValid(at: now)
    }
}

/// A key just issued: the secret, shown this once.
struct IssuedAPIKeyDTO: ResponseCodable {
    var id: String, holder: String, secret: String, expiresAt: UInt64?

    init(_ grant: APIKeyGrant, secret: String) {
        id = UUIDCoding.encode(grant.id); holder = grant.holder.wireName; self.secret = secret
        expiresAt = grant.expiresAt
    }
}
