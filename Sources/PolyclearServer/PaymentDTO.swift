import Hummingbird
import PolyclearCore

/// `GET /v1/payments/{id}` and every other answer that shows a payment: what the hub knows of
/// it, amounts as decimal strings in the currency of the side they fix.
struct PaymentDTO: ResponseCodable {
    var id: String
    var status: String
    var rejection: String?
    var statusReasonCode: String?
    /// The payer and payee banks (BICs) and their currencies.
    var payer: String?
    var payee: String?
    var payerCurrency: String?
    var payeeCurrency: String?
    var payerAmount: String?
    var payeeAmount: String?
    var unitAmount: String?
    var fixingVersion: UInt32
    var cycle: UInt32
    /// For a return (pacs.004): the payment it sent back.
    var returnOf: String?
    /// For a returned payment: its returns, oldest first.
    var returns: [String]?
    /// A trade-conditional payment's condition, and when the payee bank fulfilled it.
    var condition: ConditionDTO?
    /// What the payment said: references, trade reference, parties and remittance.
    var details: PaymentDataDTO?
    /// Its way so far: held by screening, booked and final times (nanoseconds since 1970),
    /// and until when it may still wait in the queue or reserved.
    var milestones: MilestonesDTO?

    struct MilestonesDTO: Codable {
        var heldByScreening: Bool, bookedAt: UInt64?, finalAt: UInt64?, waitsUntil: UInt64?
        init(_ m: PaymentMilestones) {
            heldByScreening = m.heldByScreening
            bookedAt = m.bookedAt == 0 ? nil : m.bookedAt
            finalAt = m.finalAt == 0 ? nil : m.finalAt
            waitsUntil = m.waitsUntil == 0 ? nil : m.waitsUntil
        }
    }

    struct ConditionDTO: Codable { var sha256: String, fulfilledAt: UInt64? }

    init<A: HubAccess>(_ state: PaymentState, writer: A, currencies: CurrencyTable) async throws {
        self = try await Self.many([state], writer: writer, currencies: currencies)[0]
    }

    /// Many payments with one read of the hub for their currencies (not one per payment).
    static func many<A: HubAccess>(
        _ states: [PaymentState], writer: A, currencies: CurrencyTable
    ) async throws -> [PaymentDTO] {
        try await PolyclearAPI.readPayments(writer, ids: states.map(\.id)) { view in
            describe(states, in: view, currencies: currencies)
        }
    }

    /// The payments as `view` shows them: the parties' currencies and the return links.
    static func describe(_ states: [PaymentState], in view: PaymentReadView, currencies: CurrencyTable) -> [PaymentDTO]
    {
        PaymentSheet.gather(states, in: view).map { PaymentDTO($0, currencies: currencies) }
    }

    /// The payment a sheet gathered (`PaymentSheet.write` writes the same JSON without it).
    init(_ sheet: PaymentSheet, currencies: CurrencyTable) {
        let state = sheet.state
        let facts = sheet.facts
        let parties = (facts?.partyCurrencies?.payer, facts?.partyCurrencies?.payee)
        id = UUIDCoding.encode(state.id)
        status = state.status.code
        rejection = state.rejection?.code
        statusReasonCode = state.rejection?.statusReasonCode
        payer = facts?.parties?.payer.description
        payee = facts?.parties?.payee.description
        payerCurrency = parties.0?.description
        payeeCurrency = parties.1?.description
        func format(_ minor: Int64, _ code: CurrencyCode?) -> String? {
            guard minor != 0, let code, let currency = currencies[code] else { return nil }
            return Money(minorUnits: minor, currency: currency).decimalString
        }
        payerAmount = format(state.payerAmountMinor, parties.0)
        payeeAmount = format(state.payeeAmountMinor, parties.1)
        unitAmount =
            state.unitAmountMinor == 0
            ? nil : Money(minorUnits: state.unitAmountMinor, currency: currencies.unit).decimalString
        fixingVersion = state.fixingVersion
        cycle = state.cycle
        returnOf = sheet.returnOf.map(UUIDCoding.encode)
        returns = sheet.returns.isEmpty ? nil : sheet.returns.map(UUIDCoding.encode)
        condition = sheet.condition.map { ConditionDTO(sha256: $0.sha256Hex, fulfilledAt: $0.fulfilledAt) }
        details = facts.map { PaymentDataDTO(texts: $0.texts, details: $0.details) }
        milestones = facts.map { MilestonesDTO($0.milestones) }
    }
}
