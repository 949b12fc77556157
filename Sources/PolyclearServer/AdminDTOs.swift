import Foundation
import Hummingbird
import PolyclearCore

/// Bodies of the union's administration: members and participants, registered and changed.
/// Strict: an unknown key is refused (`unknown_field`), so a misspelt field never passes as
/// "not given".
enum WireAmount {
    /// A decimal ≥ 0 (caps and quotas may be zero) of at most `lengthMax` characters.
    static func nonNegativeMinor(
        _ text: String, _ currency: Currency, field: String, lengthMax: Int = 19
    ) throws(APIError) -> Int64 {
        guard text.utf8.count <= lengthMax,
            let money = try? Money(parsing: text, currency: currency, sign: .nonNegative)
        else {
            throw APIError(
                .badRequest, code: "malformed_amount",
                "\(field) is a decimal ≥ 0 in \(currency.code) with at most \(currency.exponent) decimals")
        }
        return money.minorUnits
    }

    static func status(_ text: String?) throws(APIError) -> ReferenceStatus? {
        switch text {
        case nil: nil
        case "active": .active
        case "suspended": .suspended
        default: throw APIError(.badRequest, code: "malformed_status", "status is \"active\" or \"suspended\"")
        }
    }

    /// A name of 1 to 140 characters without control characters.
    static func name(_ text: String, field: String = "name") throws(APIError) -> String {
        guard (1...140).contains(text.count),
            !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw APIError(
                .badRequest, code: "malformed_name", "\(field) is 1 to 140 characters, no control characters")
        }
        return text
    }

    static func member(_ text: String) throws(APIError) -> CountryCode {
        guard let id = CountryCode(alpha3: text) else {
            throw APIError(.badRequest, code: "malformed_member", "members are ISO 3166 alpha-3 codes")
        }
        return id
    }

    static func bic(_ text: String) throws(APIError) -> BIC {
        guard let bic = BIC(text) else { throw APIError(.badRequest, code: "malformed_bic", "not a BIC") }
        return bic
    }
}

/// `POST /v1/members` (and a proposal to admit one): quota in the unit.
struct MemberRequestDTO: Decodable {
    var id: String, name: String, currency: String, quota: String

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["id", "name", "currency", "quota"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        currency = try container.decode(String.self, forKey: .currency)
        quota = try container.decode(String.self, forKey: .quota)
    }

    enum CodingKeys: String, CodingKey { case id, name, currency, quota }

    func member(unit: Currency) throws(APIError) -> Member {
        guard let code = CurrencyCode(currency) else {
            throw APIError(.badRequest, code: "malformed_currency", "currency is an ISO 4217 code")
        }
        return Member(
            id: try WireAmount.member(id), name: try WireAmount.name(name), currency: code,
            quotaUnitMinor: try WireAmount.nonNegativeMinor(quota, unit, field: "quota"))
    }
}

/// `PATCH /v1/members/{id}`: quota and/or status.
struct MemberUpdateDTO: Decodable {
    var quota: String?, status: String?

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["quota", "status"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        quota = try container.decodeIfPresent(String.self, forKey: .quota)
        status = try container.decodeIfPresent(String.self, forKey: .status)
    }

    enum CodingKeys: String, CodingKey { case quota, status }
}

/// `POST /v1/participants`: the cap in the member's currency.
struct ParticipantRequestDTO: Decodable {
    var bic: String, lei: String?, name: String, member: String, netDebitCap: String

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["bic", "lei", "name", "member", "netDebitCap"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bic = try container.decode(String.self, forKey: .bic)
        lei = try container.decodeIfPresent(String.self, forKey: .lei)
        name = try container.decode(String.self, forKey: .name)
        member = try container.decode(String.self, forKey: .member)
        netDebitCap = try container.decode(String.self, forKey: .netDebitCap)
    }

    enum CodingKeys: String, CodingKey { case bic, lei, name, member, netDebitCap }
}

/// `PATCH /v1/participants/{bic}`: cap and/or status.
struct ParticipantUpdateDTO: Decodable {
    var netDebitCap: String?, status: String?

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["netDebitCap", "status"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        netDebitCap = try container.decodeIfPresent(String.self, forKey: .netDebitCap)
        status = try container.decodeIfPresent(String.self, forKey: .status)
    }

    enum CodingKeys: String, CodingKey { case netDebitCap, status }
}

/// An operator action waiting for (or decided by) a second operator.
struct ApprovalDTO: ResponseCodable {
    var number: UInt32, action: String, summary: String, status: String, maker: String
    var checker: String?, requestedAt: UInt64, decidedAt: UInt64?, outcome: String?

    init(_ approval: Approval) {
        number = approval.number
        action =
            switch approval.action {
            case .participantCap: "participant_cap"
            case .screeningList: "screening_list"
            case .heldPaymentRelease: "held_payment_release"
            }
        let (name, subject) = approval.command.auditDescription
        summary = subject.isEmpty ? name : "\(name) \(subject)"
        status = approval.status.code
        maker = approval.maker
        checker = approval.checker
        requestedAt = approval.requestedAt
        decidedAt = approval.decidedAt
        outcome = approval.outcome
    }
}

/// What a change answers: the changed thing (200), or the approval it now waits for (202).
enum ChangeAnswer<Done: ResponseEncodable>: ResponseEncodable {
    case done(Done), pending(ApprovalDTO)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .done(let value): try value.encode(to: encoder)
        case .pending(let approval): try approval.encode(to: encoder)
        }
    }

    var edited: EditedResponse<ChangeAnswer> {
        switch self {
        case .done: EditedResponse(status: .ok, response: self)
        case .pending: EditedResponse(status: .accepted, response: self)
        }
    }
}

extension Actor {
    /// `operator:NAME`, `member:ISO3`, `participant:BIC` or `system`.
    var wireName: String {
        switch self {
        case .system: "system"
        case .operatorUser(let name): "operator:" + name
        case .member(let id): "member:" + id.alpha3
        case .participant(let bic): "participant:" + bic.description
        }
    }
}
