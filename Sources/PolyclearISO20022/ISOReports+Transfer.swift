public import PolyclearCore

/// A booked payment as the hub forwards it to the payee's bank: a pacs.008 with the hub as
/// instructing agent, carrying everything the payer's instruction said (parties, accounts,
/// purpose, HS codes, remittance). The same payment always gives the same message: every
/// value comes from the hub's record, the times from the booking.
extension ISOReports {
    public static let hubBIC = "POLYXXXX"

    /// - Parameters:
    ///   - payeeAmount: what the payee's bank is credited, in its currency (IntrBkSttlmAmt).
    ///   - payerAmount: what the payer's bank was debited, in its currency (InstdAmt).
    ///   - bookedAt: when the hub booked it (nanoseconds since 1970): creation time and settlement date.
    public static func forwardedTransfer(
        id: UInt128, uetr: UInt128, texts: PaymentTexts, details: PaymentDetails?, payer: BIC, payee: BIC,
        payeeAmount: ISOAmount, payerAmount: ISOAmount, bookedAt: UInt64
    ) -> CustomerCreditTransfer {
        let date = ISODateTime.date(nanoseconds: bookedAt)
        var tx = transaction(
            texts: texts, details: details, payer: payer, payee: payee, id: id, uetr: uetr, payeeAmount: payeeAmount,
            payerAmount: payerAmount, date: date)
        tx.instructingAgentBIC = hubBIC
        tx.instructedAgentBIC = payee.description
        return CustomerCreditTransfer(
            messageID: "PLCF" + hex(id).prefix(31), creationDateTime: ISODateTime.format(nanoseconds: bookedAt),
            interbankSettlementDate: date, transactions: [tx])
    }

    /// One CdtTrfTxInf from the hub's record of a payment (ISO20022-MAPPING.md, outbound).
    static func transaction(
        texts: PaymentTexts, details: PaymentDetails?, payer: BIC, payee: BIC, id: UInt128, uetr: UInt128?,
        payeeAmount: ISOAmount, payerAmount: ISOAmount?, date: String?
    ) -> CustomerCreditTransfer.Transaction {
        var tx = CustomerCreditTransfer.Transaction(
            instructionID: id == 0 ? nil : String(hex(id).prefix(35)), endToEndID: texts.endToEndID,
            transactionID: id == 0 ? nil : String(hex(id).prefix(35)),
            uetr: uetr.map(UUIDText.format), interbankSettlementAmount: payeeAmount, interbankSettlementDate: date,
            instructedAmount: payerAmount, chargeBearer: "SHAR", debtorAgentBIC: payer.description,
            creditorAgentBIC: payee.description)
        func named(_ party: Party?, _ name: String?) -> Party? {
            var party = party ?? Party()
            party.name = name
            return party == Party() ? nil : party
        }
        tx.debtor = named(details?.debtor, texts.debtorName)
        tx.creditor = named(details?.creditor, texts.creditorName)
        tx.ultimateDebtor = details?.ultimateDebtor
        tx.ultimateCreditor = details?.ultimateCreditor
        let trade = texts.trade
        tx.purposeCode = trade.purposeCode.isEmpty ? nil : trade.purposeCode
        let hsCodes = (trade.hsCode.map { [$0] } ?? []) + (details?.trade?.moreHSCodes ?? [])
        if !hsCodes.isEmpty {
            tx.regulatoryReporting = [
                RegulatoryDetail(type: "HS", code: hsCodes[0], information: Array(hsCodes.dropFirst()))
            ]
        }
        tx.unstructuredRemittance = details?.remittance?.lines ?? trade.freeText.map { [$0] } ?? []
        tx.creditorReferences = details?.remittance?.creditorReferences ?? []
        if !trade.invoiceNumber.isEmpty {
            tx.referredDocuments.append(
                ReferredDocument(typeCode: "CINV", number: trade.invoiceNumber, date: details?.trade?.invoiceDate))
        }
        if let shipment = details?.trade?.shipmentReference {
            tx.referredDocuments.append(ReferredDocument(typeCode: "BOLD", number: shipment))
        }
        if let incoterm = details?.trade?.incoterm { tx.additionalRemittance = ["/INCO/" + incoterm] }
        return tx
    }
}
