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
        // The batch route reads flat bodies on their bytes: it must answer as the decoder does
        // or decline (a difference stops the fuzzer here).
        if let fast = body.withUnsafeBytes(PaymentRequestFastPath.decode) {
            precondition(
                fast == (try? JSONDecoder().decode([PaymentRequestDTO].self, from: data)),
                "the batch body's fast reading differs from JSONDecoder's")
        }
        let banks: [BIC: CurrencyCode] = [
            BIC("BANKBRSP")!: CurrencyCode("BRL")!, BIC("BANKCNBJ")!: CurrencyCode("CNY")!,
        ]
        return paymentAndMoneyBodies(data, banks: banks, currencies: currencies)
            + administrationBodies(data, currencies: currencies) + settingsBodies(data, currencies: currencies)
    }

    /// Payments, funds, fixings, quotes, set-off, recalls, deliveries, cycle confirmations.
    private static func paymentAndMoneyBodies(
        _ data: Data, banks: [BIC: CurrencyCode], currencies: CurrencyTable
    ) -> [String?] {
        let brl = currencies[CurrencyCode("BRL")!]!
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
            read(ComputedFixingRequestDTO.self, data) {
                try $0.fixing(
                    basket: [CurrencyCode("BRL")!: DecimalNumber("1")!, CurrencyCode("CNY")!: DecimalNumber("1")!],
                    memberCurrencies: [CurrencyCode("BRL")!, CurrencyCode("CNY")!], currencies, .default)
            },
            read(UnitRequestDTO.self, data) { try $0.amounts() },
            read(QuoteRequestDTO.self, data) { _ in },
            read(SetOffRunRequestDTO.self, data) { run in
                for item in run.obligations { _ = try SetOffRoutes.amountMinor(item.amount, in: brl) }
            },
            read(ConfirmationDTO.self, data) { _ = try CycleRoutes.amountMinor($0.amount, brl) },
            read(ConfirmationDTO.self, data) {
                _ = try CycleRoutes.amountMinor($0.amount, currencies.unit, lengthMax: 19)
            },
            read(RecallRequestDTO.self, data) { try reasonCode($0.reason) },
            read(RecallRejectionDTO.self, data) { try reasonCode($0.reason) },
            read(FulfilmentDTO.self, data) { _ = Data(base64Encoded: $0.document) },
            read(AcknowledgementDTO.self, data) { _ in },
            read(DeliveryEndpointRequestDTO.self, data) { body in
                let endpoint = DeliveryEndpoint(url: body.url, format: try body.endpointFormat)
                if DeliveryEndpointPolicy.problem(endpoint, allowPrivateNetwork: false) != nil {
                    throw APIError(.badRequest, code: "malformed_url", "")
                }
            },
        ]
    }

    /// Members, banks, keys, proposals and votes, decisions on held payments.
    private static func administrationBodies(_ data: Data, currencies: CurrencyTable) -> [String?] {
        let unit = currencies.unit
        let brl = currencies[CurrencyCode("BRL")!]!
        return [
            read(MemberRequestDTO.self, data) { try $0.member(unit: unit) },
            read(MemberUpdateDTO.self, data) { body in
                _ = try body.quota.map { (text) throws(APIError) in
                    try WireAmount.nonNegativeMinor(text, unit, field: "quota")
                }
                _ = try WireAmount.status(body.status)
            },
            read(ParticipantRequestDTO.self, data) { body in
                _ = try WireAmount.member(body.member)
                _ = try WireAmount.bic(body.bic)
                _ = try WireAmount.name(body.name)
                _ = try WireAmount.nonNegativeMinor(body.netDebitCap, brl, field: "netDebitCap", lengthMax: 14)
            },
            read(ParticipantUpdateDTO.self, data) { body in
                _ = try body.netDebitCap.map { (text) throws(APIError) in
                    try WireAmount.nonNegativeMinor(text, brl, field: "netDebitCap", lengthMax: 14)
                }
                _ = try WireAmount.status(body.status)
            },
            read(APIKeyRequestDTO.self, data) { try $0.holderActor() },
            read(RotationDTO.self, data) { _ in },
            read(ProposalRequestDTO.self, data) {
                try $0.change.change(unit: unit, checks: ServerLimits.default.rateChecks(confirmed: false))
            },
            read(VoteDTO.self, data) { try $0.choice },
            read(DecisionDTO.self, data) { body in _ = try body.reason.map { try WireAmount.name($0, field: "reason") }
            },
        ]
    }

    /// The operator's settings.
    private static func settingsBodies(_ data: Data, currencies: CurrencyTable) -> [String?] {
        [
            read(AlarmThresholdsDTO.self, data) { _ in },
            read(GridlockPolicyDTO.self, data) { _ in },
            read(CycleTriggersDTO.self, data) { try $0.triggers(unit: currencies.unit) },
            read(ScreeningListDTO.self, data) { try $0.list(limits: .default) },
            read(SettingsDTO.Rules.self, data) { try $0.rules() },
            read(QueuePolicyDTO.self, data) { try $0.policy },
        ]
    }

    /// A recall's reason as the recall routes check it (the refusal they answer).
    private static func reasonCode(_ code: String) throws(APIError) {
        guard HubStateMachineCodes.isReasonCode(code) else { throw APIError(.badRequest, code: "malformed_reason", "") }
    }

    private static func read<T: Decodable, R>(_ type: T.Type, _ data: Data, _ convert: (T) throws -> R) -> String? {
        guard let decoded = try? JSONDecoder().decode(T.self, from: data) else { return "malformed_request" }
        do { _ = try convert(decoded) } catch let error as APIError { return error.code } catch { return "unexpected" }
        return nil
    }
}
