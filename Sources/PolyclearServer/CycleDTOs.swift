import Hummingbird
import PolyclearCore

/// A closed cycle's full report on the wire: money as decimal strings (each in the currency
/// named beside it; union figures in the unit), codes spelled as `/v1/cycles` spells them.
struct CycleReportDTO: ResponseCodable {
    struct Bank: Codable {
        var bic: String, currency: String, grossSent: String, grossReceived: String, net: String
        var closingPosted: String
    }
    struct Member: Codable {
        var id: String, currency: String, participantsNet: String
        /// In the unit of account.
        var unitSent: String, unitReceived: String, unitNet: String, closingUnionPosition: String
        var closingUnionPosted: String
    }
    struct Efficiency: Codable {
        var currency: String, grossValue: String, liquidityNeeded: String, efficiencyPartsPerMillion: Int64
    }
    struct Instruction: Codable {
        var cycle: UInt32, index: Int, member: String, participant: String, currency: String, direction: String
        var amount: String, isConfirmed: Bool

        init(_ instruction: SettlementInstruction, money: WireMoney) throws(APIError) {
            cycle = instruction.cycle; index = instruction.index; member = instruction.member.alpha3
            participant = instruction.participant.description; currency = instruction.currency.description
            direction = instruction.direction == .payIn ? "pay_in" : "pay_out"
            amount = try money.text(instruction.amountMinor, instruction.currency)
            isConfirmed = instruction.isConfirmed
        }
    }
    /// `received`: its share of the other side's charges (rules that redistribute them).
    struct Charge: Codable { var member: String, averagePosition: String, charge: String, received: String }
    /// `direction`: `member_pays` (the member pays the union in the asset) or `union_pays`.
    struct Excess: Codable {
        var member: String, direction: String, amount: String, settlementAsset: String, isConfirmed: Bool
    }

    var number: UInt32, openedAt: UInt64, closedAt: UInt64, firstLedgerTimestamp: UInt64, lastLedgerTimestamp: UInt64
    var state: String, paymentCount: Int, unit: String
    var participants: [Bank], members: [Member]
    /// Paid from the row member to the column member, in the unit (members in `members` order).
    var bilateralUnit: [[String]]
    var efficiencyByCurrency: [Efficiency], overallEfficiency: Efficiency?
    var instructions: [Instruction], charges: [Charge], excessSettlements: [Excess]

    init(_ report: CycleReport, money: WireMoney) throws(APIError) {
        let unit = money.unitText
        number = report.number; openedAt = report.openedAt; closedAt = report.closedAt
        firstLedgerTimestamp = report.firstLedgerTimestamp; lastLedgerTimestamp = report.lastLedgerTimestamp
        state = report.state.code; paymentCount = report.paymentCount;
        self.unit = money.currencies.unit.code.description
        participants = try report.participants.map { (bank) throws(APIError) in
            let c = bank.currency
            return Bank(
                bic: bank.bic.description, currency: c.description, grossSent: try money.text(bank.grossSentMinor, c),
                grossReceived: try money.text(bank.grossReceivedMinor, c), net: try money.text(bank.netMinor, c),
                closingPosted: try money.text(bank.closingPostedMinor, c))
        }
        members = try report.members.map { (member) throws(APIError) in
            Member(
                id: member.id.alpha3, currency: member.currency.description,
                participantsNet: try money.text(member.participantsNetMinor, member.currency),
                unitSent: unit(member.unitSentMinor), unitReceived: unit(member.unitReceivedMinor),
                unitNet: unit(member.unitNetMinor), closingUnionPosition: unit(member.closingUnionPositionMinor),
                closingUnionPosted: unit(member.closingUnionPostedMinor))
        }
        bilateralUnit = report.bilateralUnitMinor.map { $0.map(unit) }
        efficiencyByCurrency = try report.efficiencyByCurrency.map { (value) throws(APIError) in
            try Self.efficiency(value, money)
        }
        overallEfficiency = try report.overallEfficiency.map { (value) throws(APIError) in
            try Self.efficiency(value, money)
        }
        instructions = try report.instructions.map { (instruction) throws(APIError) in
            try Instruction(instruction, money: money)
        }
        charges = report.charges.map {
            Charge(
                member: $0.member.alpha3, averagePosition: unit($0.averagePositionMinor), charge: unit($0.chargeMinor),
                received: unit($0.receivedMinor))
        }
        excessSettlements = report.excessSettlements.map {
            Excess(
                member: $0.member.alpha3, direction: $0.direction.rawValue, amount: unit($0.amountUnitMinor),
                settlementAsset: $0.settlementAsset, isConfirmed: $0.isConfirmed)
        }
    }

    static func efficiency(_ value: NettingEfficiency, _ money: WireMoney) throws(APIError) -> Efficiency {
        Efficiency(
            currency: value.currency.description, grossValue: try money.text(value.grossValueMinor, value.currency),
            liquidityNeeded: try money.text(value.liquidityNeededMinor, value.currency),
            efficiencyPartsPerMillion: value.efficiencyPartsPerMillion)
    }
}

/// A bank's statement for a closed cycle: opening, movements and closing as decimal strings
/// in the bank's currency.
struct StatementDTO: ResponseCodable {
    struct Entry: Codable {
        var transferId: String, timestamp: UInt64, kind: String, reference: String, amount: String
        /// For a payment: its end-to-end id and invoice number, and a trade-conditional
        /// payment's condition with when its document was presented.
        var endToEndId: String?
        var invoiceNumber: String?
        var condition: PaymentDTO.ConditionDTO?
    }
    var cycle: UInt32, bic: String, currency: String, opening: String, closing: String, reconciles: Bool
    var entries: [Entry]

    /// What each entry's payment said (looked up once for the statement).
    struct PaymentNotes: Sendable {
        var endToEndID: String
        var invoiceNumber: String
        var condition: (sha256Hex: String, fulfilledAt: UInt64?)?
    }

    static func notes(_ statement: ParticipantStatement, in view: PaymentReadView) -> [UInt128: PaymentNotes] {
        let hub = view.hub
        var notes: [UInt128: PaymentNotes] = [:]
        for entry in statement.entries where notes[entry.reference] == nil {
            guard let data = view.paymentData(entry.reference) else { continue }
            notes[entry.reference] = PaymentNotes(
                endToEndID: data.texts.endToEndID, invoiceNumber: data.texts.trade.invoiceNumber,
                condition: hub.hasConditions ? hub.condition(of: entry.reference) : nil)
        }
        return notes
    }

    init(_ statement: ParticipantStatement, money: WireMoney, notes: [UInt128: PaymentNotes] = [:]) throws(APIError) {
        let currency = try money.currency(statement.currency)
        func text(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).decimalString }
        cycle = statement.cycle; bic = statement.bic.description; self.currency = statement.currency.description
        opening = text(statement.openingMinor); closing = text(statement.closingMinor)
        reconciles = statement.reconciles
        entries = statement.entries.map {
            let note = notes[$0.reference]
            return Entry(
                transferId: String($0.transferID, radix: 16), timestamp: $0.timestamp, kind: $0.kind,
                reference: UUIDCoding.encode($0.reference), amount: text($0.amountMinor), endToEndId: note?.endToEndID,
                invoiceNumber: note.flatMap { $0.invoiceNumber.isEmpty ? nil : $0.invoiceNumber },
                condition: note?.condition.map {
                    PaymentDTO.ConditionDTO(sha256: $0.sha256Hex, fulfilledAt: $0.fulfilledAt)
                })
        }
    }
}
