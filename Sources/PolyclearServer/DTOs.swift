import Foundation
import Hummingbird
import PolyclearCore
import PolyclearISO20022
import PolyclearStorage

/// UUIDs (payment ids, UETRs) as 128-bit values.
enum UUIDCoding {
    static func decode(_ text: String) -> UInt128? { UUIDText.parse(text) }
    static func encode(_ value: UInt128) -> String { UUIDText.format(value) }
}

/// Enumerations on the wire are read strictly: a value outside the documented set is a 400
/// `malformed_<field>` naming the field and the values it takes — never a default (an
/// unknown funds `direction` once booked a funds-in).
enum WireChoice {
    static func decode<T>(
        _ text: String?, field: String, _ choices: KeyValuePairs<String, T>, absent: T? = nil
    ) throws -> T {
        if let text, let match = choices.first(where: { $0.key == text }) { return match.value }
        if text == nil, let absent { return absent }
        let names = choices.map(\.key).joined(separator: ", ")
        throw APIError(.badRequest, code: "malformed_\(field)", "\(field) must be one of: \(names)")
    }
}

/// A member: its quota in the unit of account (a decimal string).
struct MemberDTO: ResponseCodable {
    var id: String, name: String, currency: String, quota: String, status: String
    init(_ member: Member, money: WireMoney) {
        id = member.id.alpha3; name = member.name; currency = member.currency.description
        quota = money.unitText(member.quotaUnitMinor); status = member.status == .active ? "active" : "suspended"
    }
}

/// A participant bank: its net debit cap in its member's currency (a decimal string).
struct ParticipantDTO: ResponseCodable {
    var bic: String, name: String, member: String, currency: String, netDebitCap: String, status: String
    init(_ participant: Participant, currency code: CurrencyCode, money: WireMoney) throws(APIError) {
        bic = participant.bic.description; name = participant.name; member = participant.memberID.alpha3
        currency = code.description; netDebitCap = try money.text(participant.netDebitCapMinor, code)
        status = participant.status == .active ? "active" : "suspended"
    }
}

/// `POST /v1/payments`. Amounts are decimal strings in the currency of the side they fix.
struct PaymentRequestDTO: Decodable, Equatable {
    var id: String
    var payer: String
    var payee: String
    var amount: String
    var side: String?
    var endToEndId: String
    var uetr: String
    /// The trade reference: mandatory or not as the union's payment rules say.
    var invoiceNumber: String?
    var purposeCode: String?
    var hsCode: String?
    /// All HS codes of the goods (instead of `hsCode`), the first one counted in statistics.
    var hsCodes: [String]?
    var invoiceDate: String?
    var incoterm: String?
    var shipmentReference: String?
    var debtor: PartyDTO?
    var creditor: PartyDTO?
    var ultimateDebtor: PartyDTO?
    var ultimateCreditor: PartyDTO?
    var remittance: RemittanceDTO?
    var priority: String?
    var twoPhase: Bool?
    var immediateOrReject: Bool?
    var debtorName: String?
    var creditorName: String?
    /// A quote from `POST /v1/quotes`: the payment converts at its rates if used in time.
    var quoteId: String?
    /// Trade-conditional: booked only when the payee bank presents the document with this
    /// SHA-256 (`POST /v1/payments/{id}/fulfil`) within `expiresInSeconds`; reserved till then.
    var condition: ConditionRequestDTO?

    struct ConditionRequestDTO: Decodable, Equatable {
        var sha256: String
        var expiresInSeconds: UInt32
    }

    /// The instructions of a batch, with one read of the hub for every bank's currency (not one
    /// per item: reads queue behind the writer's batches). A reference read: it need not wait
    /// for the commit of a batch of payments in flight, which cannot change a currency.
    static func instructions<A: HubAccess>(
        _ requests: [PaymentRequestDTO], writer: A, currencies: CurrencyTable
    ) async throws -> [PaymentInstruction] {
        let banks = Set(requests.flatMap { [BIC($0.payer), BIC($0.payee)] }.compactMap { $0 })
        let currencyByBank = try await PolyclearAPI.readReference(writer) { hub in
            var byBank: [BIC: CurrencyCode] = [:]
            for bank in banks { byBank[bank] = hub.participant(bank).flatMap { hub.member($0.memberID)?.currency } }
            return byBank
        }
        return try requests.enumerated().map { index, request in
            do { return try request.instruction(currencyOf: currencyByBank, currencies: currencies) } catch let error
                as APIError where requests.count > 1
            {
                throw error.forItem(index)  // a batch says which item and why
            }
        }
    }

    func instruction(
        currencyOf currencyByBank: [BIC: CurrencyCode], currencies: CurrencyTable
    ) throws -> PaymentInstruction {
        func bad(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code: code, message) }
        guard let id = UUIDCoding.decode(id) else { throw bad("malformed_id", "id must be a UUID") }
        guard let uetr = UUIDCoding.decode(uetr) else { throw bad("malformed_uetr", "uetr must be a UUID") }
        guard let payer = BIC(payer), let payee = BIC(payee) else {
            throw bad("malformed_bic", "payer and payee must be BICs")
        }
        let amountSide = try WireChoice.decode(
            side, field: "side", ["payer_debit": AmountSide.payerDebit, "payee_credit": .payeeCredit],
            absent: .payerDebit)
        let priority = try WireChoice.decode(
            priority, field: "priority", ["normal": PaymentPriority.normal, "urgent": .urgent], absent: .normal)
        let sideBIC = amountSide == .payerDebit ? payer : payee
        var quoteID: UInt128?
        if let quoteId {
            guard let id = UUIDCoding.decode(quoteId) else { throw bad("malformed_quote_id", "quoteId must be a UUID") }
            quoteID = id
        }
        guard let currencyCode = currencyByBank[sideBIC], let currency = currencies[currencyCode] else {
            throw APIError(
                .unprocessableContent, code: "unknown_participant", "the bank fixing the amount is not a participant")
        }
        let money: Money
        do { money = try Money(parsing: amount, currency: currency, sign: .positive) } catch {
            throw bad("malformed_amount", "amount: \(error)")
        }
        let condition = try condition.map { (condition) throws(APIError) -> PaymentCondition in
            let digest = condition.sha256.lowercased()
            guard digest.utf8.count == 64,
                digest.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
                (1...Limits.pendingTimeoutSecondsMax).contains(condition.expiresInSeconds)
            else {
                throw bad(
                    "malformed_condition",
                    "condition: sha256 is 64 hexadecimal digits, expiresInSeconds 1 to \(Limits.pendingTimeoutSecondsMax)"
                )
            }
            return PaymentCondition(sha256Hex: digest)
        }
        let (details, debtorName, creditorName) = try detailsAndNames()
        return PaymentInstruction(
            id: id, payer: payer, payee: payee, amountMinor: money.minorUnits, amountSide: amountSide,
            endToEndID: endToEndId, uetr: uetr,
            trade: TradeReference(
                invoiceNumber: invoiceNumber ?? "", purposeCode: purposeCode ?? "", hsCode: hsCode ?? hsCodes?.first),
            debtorName: debtorName, creditorName: creditorName, priority: priority,
            isTwoPhase: condition != nil || (twoPhase ?? false), timeoutSeconds: self.condition?.expiresInSeconds ?? 0,
            immediateOrReject: immediateOrReject ?? false, quoteID: quoteID, condition: condition, details: details)
    }
}

struct CycleDTO: ResponseCodable {
    var number: UInt32
    var state: String
    var paymentCount: Int
    var instructionCount: Int

    init(_ report: CycleReport) {
        number = report.number; state = report.state.code
        paymentCount = report.paymentCount; instructionCount = report.instructions.count
    }

    init(_ listing: ClosedCycleListing) {
        number = listing.number; state = listing.state.code
        paymentCount = listing.paymentCount; instructionCount = listing.instructionCount
    }

    init(openNumber: UInt32) { number = openNumber; state = "open"; paymentCount = 0; instructionCount = 0 }
}

struct PositionDTO: ResponseCodable {
    var holder: String
    var kind: String
    var amount: String
    var currency: String
    var limit: String
}

/// `GET /v1/node`: the node's part in a cluster.
struct NodeStatusDTO: ResponseEncodable {
    var role: String, nodeId: String?, writer: String?, appliedSequence: Int64?
    init(_ status: HubNodeStatus) {
        role = status.role.rawValue; nodeId = status.nodeID; writer = status.writer;
        appliedSequence = status.appliedSequence
    }
}

struct PaymentPageDTO: ResponseCodable {
    var items: [PaymentDTO]
    /// Pass as `cursor` for the next page; absent on the last page.
    var nextCursor: String?
}

struct FixingDTO: ResponseCodable {
    var version: UInt32, effectiveFrom: UInt64, sourceDate: String, unit: String
    var ratesPerUnit: [String: String]
    init(_ fixing: Fixing, unit: Currency) {
        version = fixing.version; effectiveFrom = fixing.effectiveFrom; sourceDate = fixing.sourceDate.description
        self.unit = unit.code.description
        ratesPerUnit = Dictionary(
            uniqueKeysWithValues: fixing.ratesPerUnit.map { ($0.key.description, $0.value.description) })
    }
}

/// `GET /v1/unit`: what one unit of account is, and what it is worth now.
struct UnitDTO: ResponseCodable {
    var code: String, exponent: Int
    /// Currency amounts per one unit, as decimal strings (empty until the union defines it).
    var amountsPerUnit: [String: String]
    var fixingVersion: UInt32?
    init(unit: Currency, amounts: [CurrencyCode: DecimalNumber], fixing: Fixing?) {
        code = unit.code.description; exponent = unit.exponent; fixingVersion = fixing?.version
        amountsPerUnit = Dictionary(uniqueKeysWithValues: amounts.map { ($0.key.description, $0.value.description) })
    }
}

/// `POST /v1/unit`: `{"amountsPerUnit": {"EUR": "0.38", ...}}`.
struct UnitRequestDTO: Decodable {
    var amountsPerUnit: [String: String]
    /// Confirms an amount that moves more than the allowed factor (audited).
    var confirmLargeMove: Bool?

    func amounts() throws -> [CurrencyCode: DecimalNumber] {
        var amounts: [CurrencyCode: DecimalNumber] = [:]
        for (code, text) in amountsPerUnit {
            guard let currency = CurrencyCode(code), let amount = DecimalNumber(text) else {
                throw APIError(
                    .badRequest, code: "malformed_amounts",
                    "amountsPerUnit maps ISO 4217 codes to decimals: \(code.prefix(8))")
            }
            amounts[currency] = amount
        }
        return amounts
    }
}

/// `POST /v1/fixings`: a new fixing. `effectiveFrom` is hub time (nanoseconds since 1970);
/// rates are currency units per unit of account, as decimal strings.
struct FixingRequestDTO: Decodable {
    var version: UInt32, effectiveFrom: UInt64, sourceDate: String
    var ratesPerUnit: [String: String]
    /// Confirms a rate that moves more than the allowed factor (audited).
    var confirmLargeMove: Bool?

    func fixing(limits: ServerLimits) throws -> Fixing {
        guard let date = CivilDate(sourceDate) else {
            throw APIError(.badRequest, code: "malformed_date", "sourceDate is YYYY-MM-DD")
        }
        guard !ratesPerUnit.isEmpty else {
            throw APIError(.badRequest, code: "malformed_rates", "ratesPerUnit names at least one currency")
        }
        var rates: [CurrencyCode: DecimalNumber] = [:]
        for (code, text) in ratesPerUnit {
            guard let currency = CurrencyCode(code), let rate = DecimalNumber(text), rate.significand > 0 else {
                throw APIError(
                    .badRequest, code: "malformed_rates",
                    "ratesPerUnit maps ISO 4217 codes to positive decimals: \(code.prefix(8))")
            }
            rates[currency] = rate
        }
        return Fixing(
            version: version, effectiveFrom: effectiveFrom, sourceDate: date, ratesPerUnit: rates,
            checks: limits.rateChecks(confirmed: confirmLargeMove ?? false))
    }
}

/// `POST /v1/quotes`: the rates a payment between two banks will convert at, held for
/// `validitySeconds` (default 60, at most 86,400).
struct QuoteRequestDTO: Decodable { var id: String, payer: String, payee: String, validitySeconds: UInt32? }

struct QuoteDTO: ResponseCodable {
    var id: String, fixingVersion: UInt32, expiresAt: UInt64, payerRatePerUnit: String, payeeRatePerUnit: String
    init(_ quote: QuoteState) {
        id = UUIDCoding.encode(quote.id); fixingVersion = quote.fixingVersion; expiresAt = quote.expiresAt
        payerRatePerUnit = quote.payerRatePerUnit.description; payeeRatePerUnit = quote.payeeRatePerUnit.description
    }
}

struct FundsRequestDTO: Decodable { var id: String, amount: String, direction: String }
struct FundsDTO: ResponseCodable { var id: String, status: String }

/// `POST /v1/setoff-runs`: each obligation's amount a positive decimal string in its banks'
/// currency (one currency per run).
struct SetOffRunRequestDTO: Decodable {
    struct Item: Decodable { var id: String, debtor: String, creditor: String, amount: String }
    var id: String
    var obligations: [Item]
}

/// A set-off run's result, amounts as decimal strings in the run's currency.
struct SetOffRunDTO: ResponseCodable {
    var id: String, currency: String, gross: String, totalSetOff: String, setOff: [String]
    var certificateProven: Bool
    init(_ outcome: SetOffRunOutcome, currency code: CurrencyCode, money: WireMoney) throws(APIError) {
        let currency = try money.currency(code)
        func text(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).decimalString }
        id = UUIDCoding.encode(outcome.runID); self.currency = code.description; gross = text(outcome.grossMinor)
        totalSetOff = text(outcome.totalSetOffMinor); setOff = outcome.setOffMinor.map(text)
        certificateProven = outcome.certificate.isProven
    }
}

/// One event of the live feed, as JSON.
struct EventDTO: Encodable {
    var kind: String
    var timestamp: UInt64
    var payment: String?
    var status: String?
    var rejection: String?
    var cycle: UInt32?
    var subject: String?
    var thresholdPercent: Int?
    var audit: AuditRecordDTO?

    init(_ event: HubEvent) {
        kind = event.kind.name
        timestamp = event.timestamp
        switch event.kind {
        case .paymentStatus(let id, let status, let rejection, _):
            payment = UUIDCoding.encode(id); self.status = status.code; self.rejection = rejection?.code
        case .cycleClosed(let report): cycle = report.number
        case .cycleSettled(let number): cycle = number
        case .excessSettlementOverdue(let number, let member, _): cycle = number; subject = member.alpha3
        case .utilisationAlarm(let alarmSubject, let threshold, _):
            thresholdPercent = threshold
            switch alarmSubject {
            case .participant(let bic): subject = bic.description;
            case .member(let id): subject = id.alpha3
            }
        case .audited(let record): audit = AuditRecordDTO(record)
        default: break
        }
    }

    /// Keys sorted: one event reads the same on every stream and every time.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

extension HubEvent.Kind {
    var name: String {
        switch self {
        case .paymentStatus: "payment_status"
        case .utilisationAlarm: "utilisation_alarm"
        case .fundsStatus: "funds_status"
        case .cycleClosed: "cycle_closed"
        case .cycleSettled: "cycle_settled"
        case .settlementDeadlineMissed: "settlement_deadline_missed"
        case .persistentImbalance: "persistent_imbalance"
        case .excessSettlementOverdue: "excess_settlement_overdue"
        case .gridlockResolved: "gridlock_resolved"
        case .setOffRun: "set_off_run"
        case .audited: "audit"
        case .personalDataErased: "personal_data_erased"
        }
    }
}

/// One audit record: an operator's or central bank's action, who did it, how it ended.
struct AuditRecordDTO: ResponseCodable {
    var time: UInt64, actor: String, action: String, subject: String, outcome: String
    init(_ record: AuditRecord) {
        time = record.time; action = record.action; subject = record.subject; outcome = record.outcome
        actor =
            switch record.actor {
            case .system: "system"
            case .operatorUser(let name): "operator:" + name
            case .member(let id): "member:" + id.alpha3
            case .participant(let bic): "participant:" + bic.description
            }
    }
}

struct AuditPageDTO: ResponseCodable {
    var records: [AuditRecordDTO]
    /// Pass as `after` for the next page; absent on the last page.
    var next: Int?
}
