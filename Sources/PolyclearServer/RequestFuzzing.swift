import Foundation
public import PolyclearCore

/// Every JSON request body the API reads, checked the way the routes check it, for the
/// coverage-guided fuzz target (`scripts/fuzz.sh json`) and its corpus replay test: any bytes
/// must end in an accepted request or in a refusal with a stable code, never in a crash.
public enum RequestFuzzing {
    /// The refusal codes for `body` as each JSON route would read it (nil: that route accepts it).
    public static func refusals(_ body: [UInt8], currencies: CurrencyTable) -> [String?] {
        if let problem = JSONShapeCheck.problem(in: body, depthMax: ServerLimits.default.jsonDepthMax) {
            return [problem.code]
        }
        let data = Data(body)
        let banks: [BIC: CurrencyCode] = [
            BIC("BANKBRSP")!: CurrencyCode("BRL")!, BIC("BANKCNBJ")!: CurrencyCode("CNY")!,
        ]
        return [
            read(PaymentRequestDTO.self, data) { try $0.instruction(currencyOf: banks, currencies: currencies) },
            read([PaymentRequestDTO].self, data) { items in
                for (index, item) in items.enumerated() {
                    do { _ = try item.instruction(currencyOf: banks, currencies: currencies) } catch let error
                        as APIError
                    { throw error.forItem(index) }
                }
            },
            read(FundsRequestDTO.self, data) { body in
                _ = try WireChoice.decode(
                    body.direction, field: "direction", ["in": FundsDirection.into, "out": .outOf])
                guard UUIDCoding.decode(body.id) != nil else { throw APIError(.badRequest, code: "malformed_id", "") }
            },
            read(FixingRequestDTO.self, data) { try $0.fixing(limits: .default) },
            read(UnitRequestDTO.self, data) { try $0.amounts() },
            read(QuoteRequestDTO.self, data) { _ in },
            read(SetOffRunRequestDTO.self, data) { run in
                for item in run.obligations {
                    _ = try SetOffRoutes.amountMinor(item.amount, in: currencies[CurrencyCode("BRL")!]!)
                }
            },
        ]
    }

    private static func read<T: Decodable, R>(_ type: T.Type, _ data: Data, _ convert: (T) throws -> R) -> String? {
        guard let decoded = try? JSONDecoder().decode(T.self, from: data) else { return "malformed_request" }
        do { _ = try convert(decoded) } catch let error as APIError { return error.code } catch { return "unexpected" }
        return nil
    }
}
