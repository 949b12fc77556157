public import PolyclearCore

/// The hub's reports as ISO 20022 documents: a participant's cycle statement (camt.053), a
/// booked payment's notification (camt.054), a member's settlement instructions (pacs.009).
/// Accounts are the participants' positions at the hub, identified by BIC (issuer POLYCLEAR);
/// members' central banks and the union, which need no BIC here, by name and proprietary id.
public enum ISOReports {
    static let issuer = "POLYCLEAR"

    static func amount(_ minor: Int64, _ currency: CurrencyCode, exponent: Int) -> ISOAmount {
        ISOAmount(value: Money.format(minorUnits: minor.magnitude, exponent: exponent), currency: currency.description)
    }

    /// 32 hexadecimal digits: fits Max35Text, unlike the 36-character UUID form.
    static func hex(_ value: UInt128) -> String { UUIDText.format(value).filter { $0 != "-" } }

    /// - Parameters:
    ///   - details: each payment's parties, purpose and remittance, by its id (the entries'
    ///     `TxDtls`).
    ///   - uetrs: each payment's UETR (what its instruction carried), by its id; an entry
    ///     without one (funds, settlements) carries no `<UETR>`. A payment's id is its UETR
    ///     only when it came in by pacs.008, so the id is never written in its place.
    public static func statement(
        _ statement: ParticipantStatement, closedAt: UInt64, exponent: Int, details: [UInt128: EntryDetails] = [:],
        uetrs: [UInt128: UInt128] = [:]
    ) -> AccountReport {
        let date = ISODateTime.date(nanoseconds: closedAt)
        let balances = [("OPBD", statement.openingMinor), ("CLBD", statement.closingMinor)].map { type, minor in
            AccountReport.Balance(
                type: type, amount: amount(minor, statement.currency, exponent: exponent),
                creditDebit: minor < 0 ? "DBIT" : "CRDT", date: date)
        }
        let entries = statement.entries.map { entry in
            var reported = AccountReport.Entry(
                reference: hex(entry.reference),
                amount: amount(entry.amountMinor, statement.currency, exponent: exponent),
                creditDebit: entry.amountMinor < 0 ? "DBIT" : "CRDT",
                bookingDateTime: ISODateTime.format(nanoseconds: entry.timestamp),
                valueDate: date, servicerReference: hex(entry.transferID), transactionCode: entry.kind,
                uetr: uetrs[entry.reference].flatMap {
                    UETR.parse(UUIDText.format($0)) != nil ? UUIDText.format($0) : nil
                })
            reported.details = details[entry.reference]
            return reported
        }
        let id = "STMT-\(statement.bic)-\(statement.cycle)"
        return AccountReport(
            kind: .statement, messageID: id, creationDateTime: ISODateTime.format(nanoseconds: closedAt), reportID: id,
            electronicSequenceNumber: Int(statement.cycle), accountID: statement.bic.description,
            currency: statement.currency.description, balances: balances, entries: entries)
    }

    /// - Parameters:
    ///   - uetr: the UETR the payment's instruction carried (not its id).
    ///   - details: the payment's parties, purpose and remittance (TxDtls).
    ///   - bookedAt: when the hub booked the payment (the entry's booking and value dates; nil:
    ///     `now`); `now` dates the message.
    public static func notification(
        _ state: PaymentState, uetr: UInt128, account: BIC, currency: CurrencyCode, debit: Bool, exponent: Int,
        now: UInt64, bookedAt: UInt64? = nil, details: EntryDetails? = nil
    ) -> AccountReport {
        let booked = bookedAt ?? now
        let minor = debit ? state.payerAmountMinor : state.payeeAmountMinor
        let id = "NTFN-\(hex(state.id).prefix(24))-\(debit ? "D" : "C")"
        var entry = AccountReport.Entry(
            reference: hex(state.id), amount: amount(minor, currency, exponent: exponent),
            creditDebit: debit ? "DBIT" : "CRDT",
            bookingDateTime: ISODateTime.format(nanoseconds: booked), valueDate: ISODateTime.date(nanoseconds: booked),
            servicerReference: nil,
            transactionCode: debit ? "payment_out" : "payment_in",
            uetr: UETR.parse(UUIDText.format(uetr)) != nil ? UUIDText.format(uetr) : nil)
        entry.details = details
        return AccountReport(
            kind: .notification, messageID: id, creationDateTime: ISODateTime.format(nanoseconds: now), reportID: id,
            accountID: account.description, currency: currency.description, entries: [entry])
    }

    /// A bank's settlement instruction, executed by its central bank and booked at the hub: a
    /// camt.054 on the bank's position (a pay-in credits it, a pay-out debits it). Its
    /// EndToEndId is the one the member's pacs.009 instruction carries.
    public static func settlementNotification(
        _ instruction: SettlementInstruction, bookedAt: UInt64, exponent: Int
    ) -> AccountReport {
        let name = "C\(instruction.cycle)-I\(instruction.index)"
        let payIn = instruction.direction == .payIn
        let entry = AccountReport.Entry(
            reference: name, amount: amount(instruction.amountMinor, instruction.currency, exponent: exponent),
            creditDebit: payIn ? "CRDT" : "DBIT", bookingDateTime: ISODateTime.format(nanoseconds: bookedAt),
            valueDate: ISODateTime.date(nanoseconds: bookedAt), servicerReference: nil,
            transactionCode: payIn ? "settlement_pay_in" : "settlement_pay_out", endToEndID: "POLYCLEAR-\(name)")
        let id = "NTFN-SETL-\(name)-\(instruction.participant)"
        return AccountReport(
            kind: .notification, messageID: id, creationDateTime: ISODateTime.format(nanoseconds: bookedAt),
            reportID: id, accountID: instruction.participant.description, currency: instruction.currency.description,
            entries: [entry])
    }

    /// A member's settlement instructions of a cycle: pay-ins from its banks to its central
    /// bank, pay-outs from the central bank to its banks, in its currency.
    public static func instructions(
        _ report: CycleReport, member: Member, exponent: Int
    ) -> FinancialInstitutionCreditTransfer {
        let centralBank = FinancialInstitutionCreditTransfer.Institution(
            name: String(member.name.prefix(140)), otherID: member.id.alpha3, otherIssuer: issuer)
        let date = ISODateTime.date(nanoseconds: report.closedAt)
        let transactions = report.instructions.filter { $0.member == member.id }.map { instruction in
            let bank = FinancialInstitutionCreditTransfer.Institution(bic: instruction.participant.description)
            let payIn = instruction.direction == .payIn
            return FinancialInstitutionCreditTransfer.Transaction(
                instructionID: "C\(report.number)-I\(instruction.index)",
                endToEndID: "POLYCLEAR-C\(report.number)-I\(instruction.index)", uetr: nil,
                interbankSettlementAmount: amount(instruction.amountMinor, instruction.currency, exponent: exponent),
                interbankSettlementDate: date,
                debtor: payIn ? bank : centralBank, creditor: payIn ? centralBank : bank)
        }
        return FinancialInstitutionCreditTransfer(
            messageID: "SI-C\(report.number)-\(member.id.alpha3)",
            creationDateTime: ISODateTime.format(nanoseconds: report.closedAt), transactions: transactions)
    }
}
