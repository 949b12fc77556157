/// camt.053.001.08 (bank-to-customer statement) and camt.054.001.08 (debit/credit
/// notification): one account report each — a statement per participant per cycle, a
/// notification per booked payment. They share the account and entry shapes.
public struct AccountReport: Hashable, Sendable {
    public enum Kind: Sendable {
        case statement, notification

        var messageDefinition: String { self == .statement ? "camt.053.001.08" : "camt.054.001.08" }
        var rootName: String { self == .statement ? "BkToCstmrStmt" : "BkToCstmrDbtCdtNtfctn" }
        var reportName: String { self == .statement ? "Stmt" : "Ntfctn" }
    }

    public var kind: Kind
    public var messageID: String
    public var creationDateTime: String
    /// Stmt/Id or Ntfctn/Id.
    public var reportID: String
    public var electronicSequenceNumber: Int?
    public var fromDateTime: String?
    public var toDateTime: String?
    /// The account: here the participant's position at the hub, identified by its BIC.
    public var accountID: String
    public var accountIssuer: String?
    public var currency: String?
    /// Statements only: opening (OPBD) and closing (CLBD) booked balances.
    public var balances: [Balance]
    public var entries: [Entry]

    public struct Balance: Hashable, Sendable {
        /// OPBD, CLBD, ...
        public var type: String
        public var amount: ISOAmount
        /// CRDT or DBIT.
        public var creditDebit: String
        public var date: String

        public init(type: String, amount: ISOAmount, creditDebit: String, date: String) {
            self.type = type
            self.amount = amount
            self.creditDebit = creditDebit
            self.date = date
        }
    }

    public struct Entry: Hashable, Sendable {
        public var reference: String?
        public var amount: ISOAmount
        public var creditDebit: String
        /// BOOK, PDNG, ...
        public var status: String
        public var bookingDateTime: String?
        public var valueDate: String?
        public var servicerReference: String?
        /// Proprietary bank transaction code (the hub's transfer kind) and its issuer.
        public var transactionCode: String?
        public var transactionCodeIssuer: String?
        public var endToEndID: String?
        public var uetr: String?
        /// The payment's parties, agents, purpose and remittance (TxDtls), when known.
        public var details: EntryDetails?

        public init(
            reference: String?, amount: ISOAmount, creditDebit: String, status: String = "BOOK",
            bookingDateTime: String?,
            valueDate: String?, servicerReference: String?, transactionCode: String?,
            transactionCodeIssuer: String? = "POLYCLEAR",
            endToEndID: String? = nil, uetr: String? = nil
        ) {
            self.reference = reference
            self.amount = amount
            self.creditDebit = creditDebit
            self.status = status
            self.bookingDateTime = bookingDateTime
            self.valueDate = valueDate
            self.servicerReference = servicerReference
            self.transactionCode = transactionCode
            self.transactionCodeIssuer = transactionCodeIssuer
            self.endToEndID = endToEndID
            self.uetr = uetr
        }
    }

    public init(
        kind: Kind, messageID: String, creationDateTime: String, reportID: String, electronicSequenceNumber: Int? = nil,
        fromDateTime: String? = nil, toDateTime: String? = nil, accountID: String, accountIssuer: String? = "POLYCLEAR",
        currency: String?, balances: [Balance] = [], entries: [Entry]
    ) {
        self.kind = kind
        self.messageID = messageID
        self.creationDateTime = creationDateTime
        self.reportID = reportID
        self.electronicSequenceNumber = electronicSequenceNumber
        self.fromDateTime = fromDateTime
        self.toDateTime = toDateTime
        self.accountID = accountID
        self.accountIssuer = accountIssuer
        self.currency = currency
        self.balances = balances
        self.entries = entries
    }

    /// The first report of the message (the hub writes one per message).
    init(document: XMLElement, kind: Kind) throws(ISOMessageError) {
        let root = try ElementReader(document, path: "Document").required(kind.rootName)
        let header = try root.required("GrpHdr")
        self.kind = kind
        messageID = try header.requiredText("MsgId")
        creationDateTime = try header.requiredText("CreDtTm")
        // The hub writes one report per message; reading more would silently drop the rest.
        guard root.children(kind.reportName).count <= 1 else {
            throw ISOMessageError(
                .invalidValue, path: root.path + "/" + kind.reportName,
                "one \(kind.reportName) per message is supported")
        }
        let report = try root.required(kind.reportName)
        reportID = try report.requiredText("Id")
        electronicSequenceNumber = report.text("ElctrncSeqNb").flatMap { Int($0) }
        fromDateTime = report.text("FrToDt/FrDtTm")
        toDateTime = report.text("FrToDt/ToDtTm")
        let account = try report.required("Acct")
        guard let id = account.text("Id/Othr/Id") ?? account.text("Id/IBAN") else {
            throw ISOMessageError(.missingElement, path: account.path + "/Id", "an IBAN or other account id")
        }
        accountID = id
        accountIssuer = account.text("Id/Othr/Issr")
        currency = account.text("Ccy")
        var balances: [Balance] = []
        for balance in report.children("Bal") {
            guard let type = balance.text("Tp/CdOrPrtry/Cd") ?? balance.text("Tp/CdOrPrtry/Prtry") else {
                throw ISOMessageError(.missingElement, path: balance.path + "/Tp", "balance type")
            }
            let date = if let day = balance.text("Dt/Dt") { day } else { try balance.requiredText("Dt/DtTm") }
            balances.append(
                Balance(
                    type: type, amount: try balance.requiredAmount("Amt"),
                    creditDebit: try balance.requiredText("CdtDbtInd"), date: date))
        }
        if kind == .statement && balances.isEmpty {
            throw ISOMessageError(.missingElement, path: report.path + "/Bal", "a statement has balances")
        }
        self.balances = balances
        var entries: [Entry] = []
        for entry in report.children("Ntry") {
            _ = try entry.required("BkTxCd")
            let details = entry.child("NtryDtls")?.child("TxDtls")
            let status = if let code = entry.text("Sts/Cd") { code } else { try entry.requiredText("Sts/Prtry") }
            entries.append(
                Entry(
                    reference: entry.text("NtryRef"), amount: try entry.requiredAmount("Amt"),
                    creditDebit: try entry.requiredText("CdtDbtInd"),
                    status: status,
                    bookingDateTime: entry.text("BookgDt/DtTm") ?? entry.text("BookgDt/Dt"),
                    valueDate: entry.text("ValDt/Dt") ?? entry.text("ValDt/DtTm"),
                    servicerReference: entry.text("AcctSvcrRef"), transactionCode: entry.text("BkTxCd/Prtry/Cd"),
                    transactionCodeIssuer: entry.text("BkTxCd/Prtry/Issr"),
                    endToEndID: details?.text("Refs/EndToEndId"), uetr: details?.text("Refs/UETR")))
            if let details, case let read = EntryDetails(details), read != EntryDetails() {
                entries[entries.count - 1].details = read
            }
        }
        self.entries = entries
    }

    public func write(_ xml: inout XMLWriter) {
        xml.group("Document", attributes: ["xmlns": ISONamespace.of(kind.messageDefinition)]) { xml in
            xml.group(kind.rootName) { xml in
                xml.group("GrpHdr") { xml in
                    xml.element("MsgId", messageID)
                    xml.element("CreDtTm", creationDateTime)
                }
                xml.group(kind.reportName) { xml in
                    xml.element("Id", reportID)
                    if let electronicSequenceNumber { xml.element("ElctrncSeqNb", String(electronicSequenceNumber)) }
                    xml.element("CreDtTm", creationDateTime)
                    if let fromDateTime, let toDateTime {
                        xml.group("FrToDt") { xml in
                            xml.element("FrDtTm", fromDateTime)
                            xml.element("ToDtTm", toDateTime)
                        }
                    }
                    xml.group("Acct") { xml in
                        xml.group("Id") { xml in
                            xml.group("Othr") { xml in
                                xml.element("Id", accountID)
                                xml.optional("Issr", accountIssuer)
                            }
                        }
                        xml.optional("Ccy", currency)
                    }
                    for balance in balances {
                        xml.group("Bal") { xml in
                            xml.group("Tp") { $0.group("CdOrPrtry") { $0.element("Cd", balance.type) } }
                            xml.amount("Amt", balance.amount)
                            xml.element("CdtDbtInd", balance.creditDebit)
                            xml.group("Dt") { $0.element("Dt", balance.date) }
                        }
                    }
                    for entry in entries {
                        xml.group("Ntry") { xml in
                            xml.optional("NtryRef", entry.reference)
                            xml.amount("Amt", entry.amount)
                            xml.element("CdtDbtInd", entry.creditDebit)
                            xml.group("Sts") { $0.element("Cd", entry.status) }
                            if let booked = entry.bookingDateTime {
                                xml.group("BookgDt") { $0.element("DtTm", booked) }
                            }
                            if let value = entry.valueDate { xml.group("ValDt") { $0.element("Dt", value) } }
                            xml.optional("AcctSvcrRef", entry.servicerReference)
                            xml.group("BkTxCd") { xml in
                                if let code = entry.transactionCode {
                                    xml.group("Prtry") { xml in
                                        xml.element("Cd", code)
                                        xml.optional("Issr", entry.transactionCodeIssuer)
                                    }
                                }
                            }
                            if entry.endToEndID != nil || entry.uetr != nil || entry.details != nil {
                                xml.group("NtryDtls") { xml in
                                    xml.group("TxDtls") { xml in
                                        xml.group("Refs") { xml in
                                            xml.optional("EndToEndId", entry.endToEndID)
                                            xml.optional("UETR", entry.uetr)
                                        }
                                        entry.details?.write(&xml)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
