/// An API key the hub manages: its holder and its secret's SHA-256 digest (the secret itself
/// never reaches the hub, its log or its store).
public struct APIKeyGrant: Hashable, Sendable, Codable {
    public var id: UInt128
    /// A member's central bank or a participant bank.
    public var holder: Actor
    /// Lowercase hexadecimal SHA-256 of the secret: 64 characters.
    public var digestHex: String
    /// Hub time (nanoseconds) from which the key no longer works; nil: until revoked.
    public var expiresAt: UInt64?

    public init(id: UInt128, holder: Actor, digestHex: String, expiresAt: UInt64? = nil) {
        self.id = id
        self.holder = holder
        self.digestHex = digestHex
        self.expiresAt = expiresAt
    }
}

public struct APIKeyRecord: Hashable, Sendable, Codable {
    public var grant: APIKeyGrant
    public var issuedBy: Actor
    public var issuedAt: UInt64
    /// The grant's expiry, or earlier once the key was rotated.
    public var expiresAt: UInt64?
    public var revokedAt: UInt64?
    /// The key that replaced this one.
    public var rotatedTo: UInt128?

    /// Whether the key works at `time`.
    public func isValid(at time: UInt64) -> Bool {
        revokedAt == nil && (expiresAt.map { time < $0 } ?? true)
    }
}

extension HubStateMachine {
    public var allAPIKeys: [APIKeyRecord] { apiKeys }

    public func apiKey(_ id: UInt128) -> APIKeyRecord? { apiKeyIndexByID[id].map { apiKeys[$0] } }

    /// Who holds the key with this digest, if it works at `time`.
    public func apiKeyHolder(digestHex: String, at time: UInt64) -> Actor? {
        guard let index = apiKeyIndexByDigest[digestHex], apiKeys[index].isValid(at: time) else { return nil }
        return apiKeys[index].grant.holder
    }

    /// The operator manages members' and banks' keys; a member's central bank its own banks'.
    func mayManageKey(of holder: Actor, actor: Actor) -> HubCommandRejection? {
        switch holder {
        case .member(let id):
            guard memberIndexByID[id.alpha3] != nil else { return .memberNotFound }
            if case .operatorUser = actor { return nil }
            return .notAllowedForActor
        case .participant(let bic):
            guard let index = participantIndexByBIC.value(for: UInt128(bic.packed)) else {
                return .participantNotFound
            }
            switch actor {
            case .operatorUser: return nil
            case .member(let id):
                return members[participants[index].memberIndex].member.id == id ? nil : .notAllowedForActor
            default: return .notAllowedForActor
            }
        case .operatorUser, .system:
            return .notAllowedForActor
        }
    }

    mutating func issueAPIKey(_ grant: APIKeyGrant, actor: Actor) -> HubResult {
        if let rejection = mayManageKey(of: grant.holder, actor: actor) { return .refused(rejection) }
        guard grant.digestHex.utf8.count == 64,
            grant.digestHex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
            grant.expiresAt.map({ $0 > now }) ?? true
        else { return .refused(.malformedField) }
        guard apiKeyIndexByID[grant.id] == nil, apiKeyIndexByDigest[grant.digestHex] == nil else {
            return .refused(.apiKeyExists)
        }
        apiKeyIndexByID[grant.id] = apiKeys.count
        apiKeyIndexByDigest[grant.digestHex] = apiKeys.count
        apiKeys.append(APIKeyRecord(grant: grant, issuedBy: actor, issuedAt: now, expiresAt: grant.expiresAt))
        return .ok
    }

    mutating func rotateAPIKey(
        oldID: UInt128, new grant: APIKeyGrant, overlapSeconds: UInt32, actor: Actor
    )
        -> HubResult
    {
        guard let old = apiKeyIndexByID[oldID] else { return .refused(.apiKeyNotFound) }
        if let rejection = mayManageKey(of: apiKeys[old].grant.holder, actor: actor) { return .refused(rejection) }
        guard apiKeys[old].isValid(at: now), apiKeys[old].rotatedTo == nil else { return .refused(.apiKeyRevoked) }
        guard grant.holder == apiKeys[old].grant.holder else { return .refused(.malformedField) }
        let issued = issueAPIKey(grant, actor: actor)
        guard issued == .ok else { return issued }
        let overlapEnd = now + UInt64(overlapSeconds) * 1_000_000_000
        apiKeys[old].expiresAt = min(apiKeys[old].expiresAt ?? .max, overlapEnd)
        apiKeys[old].rotatedTo = grant.id
        return .ok
    }

    mutating func revokeAPIKey(id: UInt128, actor: Actor) -> HubResult {
        guard let index = apiKeyIndexByID[id] else { return .refused(.apiKeyNotFound) }
        if let rejection = mayManageKey(of: apiKeys[index].grant.holder, actor: actor) { return .refused(rejection) }
        guard apiKeys[index].revokedAt == nil else { return .refused(.apiKeyRevoked) }
        apiKeys[index].revokedAt = now
        return .ok
    }
}
