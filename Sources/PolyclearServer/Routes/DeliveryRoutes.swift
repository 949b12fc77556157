import Foundation
import Hummingbird
import PolyclearCore

/// A bank's deliveries (`HubStateMachine+Deliveries`): its outbox, pulled from a cursor and
/// acknowledged by cursor, and the endpoint the hub pushes them to, signed. The bank itself
/// only (its own key): no one else reads or acknowledges a bank's deliveries.
enum DeliveryRoutes {
    static func add<A: HubAccess>(
        to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>, signing: DeliverySigning
    ) {
        router.get("/v1/outbox") { request, context -> OutboxDTO in
            let bic = try bank(context)
            let after = UInt64(try PolyclearAPI.integer(request, "after", in: 0...Int.max) ?? 0)
            let limit = try PolyclearAPI.integer(request, "limit", in: 1...api.limits.pageSizeMax) ?? 100
            let format: DeliveryEndpoint.Format =
                try PolyclearAPI.choice(request, "format", [("json", .json), ("iso20022", .iso20022)]) ?? .json
            let found = try await api.read { hub in hub.deliveries(for: bic, after: after, limit: limit) }
            guard let (items, acknowledged, last) = found else { throw APIError.unexpectedResult }
            let rendered = try await DeliveryRenderer(api: api).render(items, for: bic, format: format)
            return OutboxDTO(items: rendered, acknowledged: acknowledged, last: last)
        }
        router.post("/v1/outbox/acknowledge") { request, context -> OutboxDTO in
            let bic = try bank(context)
            let body = try await request.decode(as: AcknowledgementDTO.self, context: context)
            let (result, found) = try await PolyclearAPI.submit(
                api.writer, [.acknowledgeDeliveries(participant: bic, through: body.through, actor: .participant(bic))],
                by: .participant(bic)
            ) { results, hub in (results.first, hub.deliveries(for: bic, after: .max, limit: 0)) }
            if case .refused(.malformedField) = result {
                throw APIError(
                    .unprocessableContent, code: "beyond_last_delivery", "through is beyond the last delivery's cursor")
            }
            if case .refused(let rejection) = result { throw APIError.refused(rejection, "acknowledgement refused") }
            guard let (_, acknowledged, last) = found else { throw APIError.unexpectedResult }
            return OutboxDTO(items: [], acknowledged: acknowledged, last: last)
        }
        router.get("/v1/delivery-endpoint") { _, context -> DeliveryEndpointDTO in
            let bic = try bank(context)
            let endpoint = try await api.read { hub in hub.deliveryEndpoint(of: bic) }
            return DeliveryEndpointDTO(endpoint, signing: signing)
        }
        router.put("/v1/delivery-endpoint") { request, context -> DeliveryEndpointDTO in
            let bic = try bank(context)
            let body = try await request.decode(as: DeliveryEndpointRequestDTO.self, context: context)
            let endpoint = DeliveryEndpoint(url: body.url, format: try body.endpointFormat)
            if let problem = DeliveryEndpointPolicy.problem(
                endpoint, allowPrivateNetwork: api.limits.pushAllowPrivateNetwork != 0)
            {
                throw APIError(.badRequest, code: "malformed_url", problem)
            }
            return try await setEndpoint(endpoint, bic: bic, api, signing: signing)
        }
        router.delete("/v1/delivery-endpoint") { _, context -> DeliveryEndpointDTO in
            try await setEndpoint(nil, bic: try bank(context), api, signing: signing)
        }
    }

    static func bank(_ context: PolyclearRequestContext) throws -> BIC {
        let caller = try context.requireCaller()
        try AccessPolicy.require(caller, .receiveDeliveries)
        guard case .participant(let bic) = caller else { throw APIError.unexpectedResult }
        return bic
    }

    static func setEndpoint<A: HubAccess>(
        _ endpoint: DeliveryEndpoint?, bic: BIC, _ api: RouteDependencies<A>, signing: DeliverySigning
    ) async throws -> DeliveryEndpointDTO {
        let command = HubCommand.setDeliveryEndpoint(participant: bic, endpoint: endpoint, actor: .participant(bic))
        let results = try await api.submit(
            [.attributed(actor: .participant(bic), command: command)], by: .participant(bic))
        if case .refused(let rejection) = results.first { throw APIError.refused(rejection, "endpoint refused") }
        return DeliveryEndpointDTO(endpoint, signing: signing)
    }
}

struct AcknowledgementDTO: OneFieldBody {
    static let key = "through"
    var through: UInt64
    init(_ value: UInt64) { through = value }
}

struct DeliveryEndpointRequestDTO: Decodable {
    var url: String
    var format: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case url, format }

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decode(String.self, forKey: .url)
        format = try c.decodeIfPresent(String.self, forKey: .format)
    }

    var endpointFormat: DeliveryEndpoint.Format {
        get throws {
            try WireChoice.decode(format, field: "format", ["json": .json, "iso20022": .iso20022], absent: .json)
        }
    }
}

/// The bank's endpoint (nil: it pulls) and how to verify what the hub pushes.
struct DeliveryEndpointDTO: ResponseCodable {
    var url: String?
    var format: String?
    var signature: SignatureDTO

    struct SignatureDTO: Codable {
        var algorithm = "ed25519"
        /// The hub's public key, base64 (32 bytes).
        var publicKey: String
        var header = DeliverySigning.headerName
        var signedContent = "<t>.<body>: the header's t (Unix seconds), a full stop, the exact body bytes"
    }

    init(_ endpoint: DeliveryEndpoint?, signing: DeliverySigning) {
        url = endpoint?.url
        format = endpoint?.format.rawValue
        signature = SignatureDTO(publicKey: signing.publicKeyBase64)
    }
}
