/// pacs.004.001.09, payment return: the creditor side sends (part of) a settled payment back.
public struct PaymentReturn: Hashable, Sendable {
    public static let messageDefinition = "pacs.004.001.09"

    public var messageID: String
    public var creationDateTime: String
    public var settlementMethod: String
    public var transactions: [Transaction]

    public struct Transaction: Hashable, Sendable {
        public var returnID: String?
        public var originalMessageID: String?
        public var originalMessageNameID: String?
        public var originalInstructionID: String?
        public var originalEndToEndID: String?
        public var originalTransactionID: String?
        /// Identifies the payment returned.
        public var originalUETR: String?
        public var returnedAmount: ISOAmount
        public var interbankSettlementDate: String?
        public var chargeBearer: String?
        public var instructingAgentBIC: String?
        public var instructedAgentBIC: String?
        /// ExternalReturnReason1Code, e.g. AC04 (closed account), CUST (customer request).
        public var reasonCode: String?

        public init(
            returnID: String?, originalMessageID: String? = nil, originalMessageNameID: String? = nil,
            originalInstructionID: String? = nil,
            originalEndToEndID: String? = nil, originalTransactionID: String? = nil, originalUETR: String?,
            returnedAmount: ISOAmount,
            interbankSettlementDate: String? = nil, chargeBearer: String? = nil, instructingAgentBIC: String? = nil,
            instructedAgentBIC: String? = nil, reasonCode: String?
        ) {
            self.returnID = returnID
            self.originalMessageID = originalMessageID
            self.originalMessageNameID = originalMessageNameID
            self.originalInstructionID = originalInstructionID
            self.originalEndToEndID = originalEndToEndID
            self.originalTransactionID = originalTransactionID
            self.originalUETR = originalUETR
            self.returnedAmount = returnedAmount
            self.interbankSettlementDate = interbankSettlementDate
            self.chargeBearer = chargeBearer
            self.instructingAgentBIC = instructingAgentBIC
            self.instructedAgentBIC = instructedAgentBIC
            self.reasonCode = reasonCode
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
        let root = try ElementReader(document, path: "Document").required("PmtRtr")
        let items = root.children("TxInf")
        let header = try TransferGroupHeader(root, transactions: items.count, atLeastOne: false)
        (messageID, creationDateTime, settlementMethod) = (
            header.messageID, header.creationDateTime, header.settlementMethod
        )
        var transactions: [Transaction] = []
        for item in items {
            transactions.append(
                Transaction(
                    returnID: item.text("RtrId"), originalMessageID: item.text("OrgnlGrpInf/OrgnlMsgId"),
                    originalMessageNameID: item.text("OrgnlGrpInf/OrgnlMsgNmId"),
                    originalInstructionID: item.text("OrgnlInstrId"), originalEndToEndID: item.text("OrgnlEndToEndId"),
                    originalTransactionID: item.text("OrgnlTxId"), originalUETR: item.text("OrgnlUETR"),
                    returnedAmount: try item.requiredAmount("RtrdIntrBkSttlmAmt"),
                    interbankSettlementDate: item.text("IntrBkSttlmDt"),
                    chargeBearer: item.text("ChrgBr"), instructingAgentBIC: item.bic("InstgAgt"),
                    instructedAgentBIC: item.bic("InstdAgt"),
                    reasonCode: item.text("RtrRsnInf/Rsn/Cd")))
        }
        self.transactions = transactions
    }

    public func write(_ xml: inout XMLWriter) {
        xml.group("Document", attributes: ["xmlns": ISONamespace.of(Self.messageDefinition)]) { xml in
            xml.group("PmtRtr") { xml in
                TransferGroupHeader.write(
                    &xml, messageID: messageID, creationDateTime: creationDateTime, count: transactions.count,
                    settlementMethod: settlementMethod)
                for tx in transactions {
                    xml.group("TxInf") { xml in
                        xml.optional("RtrId", tx.returnID)
                        if let id = tx.originalMessageID, let name = tx.originalMessageNameID {
                            xml.group("OrgnlGrpInf") { xml in
                                xml.element("OrgnlMsgId", id)
                                xml.element("OrgnlMsgNmId", name)
                            }
                        }
                        xml.optional("OrgnlInstrId", tx.originalInstructionID)
                        xml.optional("OrgnlEndToEndId", tx.originalEndToEndID)
                        xml.optional("OrgnlTxId", tx.originalTransactionID)
                        xml.optional("OrgnlUETR", tx.originalUETR)
                        xml.amount("RtrdIntrBkSttlmAmt", tx.returnedAmount)
                        xml.optional("IntrBkSttlmDt", tx.interbankSettlementDate)
                        xml.optional("ChrgBr", tx.chargeBearer)
                        if let bic = tx.instructingAgentBIC { xml.agent("InstgAgt", bic: bic) }
                        if let bic = tx.instructedAgentBIC { xml.agent("InstdAgt", bic: bic) }
                        if let code = tx.reasonCode {
                            xml.group("RtrRsnInf") { $0.group("Rsn") { $0.element("Cd", code) } }
                        }
                    }
                }
            }
        }
    }
}
