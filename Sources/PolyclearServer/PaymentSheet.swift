import PolyclearCore

/// What an answer says of a payment, gathered from the state it was committed in: lookups and
/// copies only, cheap enough for the writer's turn (answers are computed there, before its
/// next batch). Its text is made after the turn, off the writer's path — as a `PaymentDTO`, or
/// straight into JSON bytes (`write`), which the batch endpoint does for its thousand payments
/// without a `String` per field.
struct PaymentSheet: Sendable {
    var state: PaymentState
    var facts: PaymentReadView.PaymentFacts?
    var condition: (sha256Hex: String, fulfilledAt: UInt64?)?
    var returnOf: UInt128?
    var returns: [UInt128] = []

    static func gather(_ states: [PaymentState], in view: PaymentReadView) -> [PaymentSheet] {
        let hub = view.hub
        // Return links cost two lookups per payment: skipped while there are no returns.
        let hasReturns = hub.hasReturns, hasConditions = hub.hasConditions
        let facts = view.facts(states.map(\.id))
        return states.indices.map { index in
            let state = states[index], id = state.id
            var sheet = PaymentSheet(state: state, facts: facts[index])
            if hasConditions { sheet.condition = hub.condition(of: id) }
            if hasReturns {
                sheet.returnOf = hub.originalOfReturn(id)
                sheet.returns = hub.returnsOf(id).ids
            }
            return sheet
        }
    }

    /// `PaymentDataDTO(texts:details: nil)`'s JSON, without making one (a payment without
    /// details — most of them — has only its texts: the DTO is nine hundred bytes of nothing).
    private static func write(texts: PaymentTexts, _ json: inout JSONBytes) {
        json.object { json in
            json.field("endToEndId", texts.endToEndID)
            json.field("invoiceNumber", texts.trade.invoiceNumber.isEmpty ? nil : texts.trade.invoiceNumber)
            json.field("purposeCode", texts.trade.purposeCode.isEmpty ? nil : texts.trade.purposeCode)
            json.field("hsCodes", texts.trade.hsCode.map { [$0] })
            func party(_ key: StaticString, named name: String?) {
                guard let name else { return }
                json.key(key)
                json.object { $0.field("name", name) }
            }
            party("debtor", named: texts.debtorName)
            party("creditor", named: texts.creditorName)
            if texts.isErased {
                json.key("personalDataErased")
                json.bool(true)
            }
        }
    }

    /// The JSON `PaymentDTO(self, currencies:)` encodes to: the same members in the same order
    /// (`PaymentSheetJSONTests` holds the two to it).
    func write(_ json: inout JSONBytes, currencies: CurrencyTable) {
        let currencyCodes = facts?.partyCurrencies
        json.object { json in
            json.key("id")
            json.uuid(state.id)
            json.field("status", state.status.code)
            json.field("rejection", state.rejection?.code)
            json.field("statusReasonCode", state.rejection?.statusReasonCode)
            json.field("payer", facts?.parties?.payer.description)
            json.field("payee", facts?.parties?.payee.description)
            json.field("payerCurrency", currencyCodes?.payer.description)
            json.field("payeeCurrency", currencyCodes?.payee.description)
            func amount(_ name: StaticString, _ minor: Int64, _ currency: Currency?) {
                guard minor != 0, let currency else { return }
                json.key(name)
                json.decimal(minorUnits: minor, exponent: currency.exponent)
            }
            amount("payerAmount", state.payerAmountMinor, currencyCodes.flatMap { currencies[$0.payer] })
            amount("payeeAmount", state.payeeAmountMinor, currencyCodes.flatMap { currencies[$0.payee] })
            amount("unitAmount", state.unitAmountMinor, currencies.unit)
            json.field("fixingVersion", state.fixingVersion)
            json.field("cycle", state.cycle)
            if let returnOf {
                json.key("returnOf")
                json.uuid(returnOf)
            }
            if !returns.isEmpty {
                json.key("returns")
                json.array(returns) { $0.uuid($1) }
            }
            if let condition {
                json.key("condition")
                json.object { json in
                    json.field("sha256", condition.sha256Hex)
                    json.field("fulfilledAt", condition.fulfilledAt)
                }
            }
            guard let facts else { return }
            json.key("details")
            if let details = facts.details {
                PaymentDataDTO(texts: facts.texts, details: details).write(&json)
            } else {
                Self.write(texts: facts.texts, &json)
            }
            let milestones = facts.milestones
            json.key("milestones")
            json.object { json in
                json.key("heldByScreening")
                json.bool(milestones.heldByScreening)
                json.field("bookedAt", milestones.bookedAt == 0 ? nil : milestones.bookedAt)
                json.field("finalAt", milestones.finalAt == 0 ? nil : milestones.finalAt)
                json.field("waitsUntil", milestones.waitsUntil == 0 ? nil : milestones.waitsUntil)
            }
        }
    }
}
