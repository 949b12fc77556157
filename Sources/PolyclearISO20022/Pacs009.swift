/// pacs.009.001.08, financial institution credit transfer: how a closed cycle's settlement
/// instructions travel to a member's central bank (one message per member and cycle).
public struct FinancialInstitutionCreditTransfer: Hashable, Sendable {
    public static let messageDefinition = "pacs.009.001.08"

    public var messageID: String
    public var creationDateTime: String
    public var settlementMethod: String
    public var transactions: [Transaction]

    /// A financial institution: by BIC, or (a central bank or the union, which need not have
    /// one in the hub) by name and a proprietary id.
    public struct Institution: Hashable, Sendable {
        public var bic: String?
        public var name: String?
        public var otherID: String?
        public var otherIssuer: String?

        public init(bic: String? = nil, name: String? = nil, otherID: String? = nil, otherIssuer: String? = nil) {
            self.bic = bic
            self.name = name
            self.otherID = otherID
            self.otherIssuer = otherIssuer
        }

        init(_ reader: ElementReader) {
            bic = reader.text("FinInstnId/BICFI")
            name = reader.text("FinInstnId/Nm")
            otherID = reader.text("FinInstnId/Othr/Id")
            otherIssuer = reader.text("FinInstnId/Othr/Issr")
        }

        func write(_ name: String, _ xml: inout XMLWriter) {
            xml.group(name) { xml in
                xml.group("FinInstnId") { xml in
                    xml.optional("BICFI", bic)
                    xml.optional("Nm", self.name)
                    if let otherID {
                        xml.group("Othr") { xml in
                            xml.element("Id", otherID)
                            xml.optional("Issr", otherIssuer)
                        }
                    }
                }
            }
        }
    }

    public struct Transaction: Hashable, Sendable {
        public var instructionID: String?
        public var endToEndID: String
        public var uetr: String?
        public var interbankSettlementAmount: ISOAmount
        public var interbankSettlementDate: String?
        public var debtor: Institution
        public var creditor: Institution

        public init(
            instructionID: String?, endToEndID: String, uetr: String?, interbankSettlementAmount: ISOAmount,
            interbankSettlementDate: String?, debtor: Institution, creditor: Institution
        ) {
            self.instructionID = instructionID
            self.endToEndID = endToEndID
            self.uetr = uetr
            self.interbankSettlementAmount = interbankSettlementAmount
            self.interbankSettlementDate = interbankSettlementDate
            self.debtor = debtor
            self.creditor = creditor
        }
    }

    public init(
        messageID: String, creationDateTime: String, settlementMethod: String = "CLRG", transactions: [Transaction]
    ) {
        self.messageID = messageID
        self.creationDateTime = creationDateTime
        self.settlementMethod = settlementMethod
        self.transactions = transactions
    }

    init(document: XMLElement) throws(ISOMessageError) {
        let root = try ElementReader(document, path: "Document").required("FICdtTrf")
        let items = root.children("CdtTrfTxInf")
        let header = try TransferGroupHeader(root, transactions: items.count, atLeastOne: true)
        (messageID, creationDateTime, settlementMethod) = (
            header.messageID, header.creationDateTime, header.settlementMethod
        )
        var transactions: [Transaction] = []
        for item in items {
            transactions.append(
                Transaction(
                    instructionID: item.text("PmtId/InstrId"), endToEndID: try item.requiredText("PmtId/EndToEndId"),
                    uetr: item.text("PmtId/UETR"),
                    interbankSettlementAmount: try item.requiredAmount("IntrBkSttlmAmt"),
                    interbankSettlementDate: item.text("IntrBkSttlmDt"),
                    debtor: Institution(try item.required("Dbtr")), creditor: Institution(try item.required("Cdtr"))))
        }
        self.transactions = transactions
    }

    public func write(_ xml: inout XMLWriter) {
        xml.group("Document", attributes: ["xmlns": ISONamespace.of(Self.messageDefinition)]) { xml in
            xml.group("FICdtTrf") { xml in
                TransferGroupHeader.write(
                    &xml, messageID: messageID, creationDateTime: creationDateTime, count: transactions.count,
                    settlementMethod: settlementMethod)
                for tx in transactions {
                    xml.group("CdtTrfTxInf") { xml in
                        xml.group("PmtId") { xml in
                            xml.optional("InstrId", tx.instructionID)
                            xml.element("EndToEndId", tx.endToEndID)
                            xml.optional("UETR", tx.uetr)
                        }
                        xml.amount("IntrBkSttlmAmt", tx.interbankSettlementAmount)
                        xml.optional("IntrBkSttlmDt", tx.interbankSettlementDate)
                        tx.debtor.write("Dbtr", &xml)
                        tx.creditor.write("Cdtr", &xml)
                    }
                }
            }
        }
    }
}
