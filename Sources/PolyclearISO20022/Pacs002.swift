/// pacs.002.001.10, FI-to-FI payment status report: the hub's answer to every message.
public struct PaymentStatusReport: Hashable, Sendable {
    public static let messageDefinition = "pacs.002.001.10"

    public var messageID: String
    public var creationDateTime: String
    /// The message reported on (optional in the schema; the hub's reports always name it).
    public var originalMessageID: String?
    /// e.g. `pacs.008.001.08`.
    public var originalMessageNameID: String?
    /// Group status (e.g. RJCT for a message refused as a whole); nil when per transaction.
    public var groupStatus: String?
    public var groupReason: Reason?
    public var transactions: [Transaction]

    /// An ISO status reason: a code (ExternalStatusReason1Code) and free text.
    public struct Reason: Hashable, Sendable {
        public var code: String?
        public var additionalInformation: String?

        public init(code: String?, additionalInformation: String? = nil) {
            self.code = code
            self.additionalInformation = additionalInformation
        }
    }

    public struct Transaction: Hashable, Sendable {
        public var originalInstructionID: String?
        public var originalEndToEndID: String?
        public var originalTransactionID: String?
        public var originalUETR: String?
        /// ACSC, ACCP, PDNG, RJCT, ...
        public var status: String?
        public var reason: Reason?
        public var acceptanceDateTime: String?
        /// OrgnlTxRef: the payment reported on — its amount, parties, agents, purpose and
        /// remittance (the hub's status deliveries carry it).
        public var originalAmount: ISOAmount?
        public var originalReference: EntryDetails?

        public init(
            originalInstructionID: String? = nil, originalEndToEndID: String?, originalTransactionID: String? = nil,
            originalUETR: String?, status: String?, reason: Reason? = nil, acceptanceDateTime: String? = nil,
            originalAmount: ISOAmount? = nil, originalReference: EntryDetails? = nil
        ) {
            self.originalAmount = originalAmount
            self.originalReference = originalReference
            self.originalInstructionID = originalInstructionID
            self.originalEndToEndID = originalEndToEndID
            self.originalTransactionID = originalTransactionID
            self.originalUETR = originalUETR
            self.status = status
            self.reason = reason
            self.acceptanceDateTime = acceptanceDateTime
        }
    }

    public init(
        messageID: String, creationDateTime: String, originalMessageID: String?, originalMessageNameID: String?,
        groupStatus: String? = nil, groupReason: Reason? = nil, transactions: [Transaction]
    ) {
        self.messageID = messageID
        self.creationDateTime = creationDateTime
        self.originalMessageID = originalMessageID
        self.originalMessageNameID = originalMessageNameID
        self.groupStatus = groupStatus
        self.groupReason = groupReason
        self.transactions = transactions
    }

    init(document: XMLElement) throws(ISOMessageError) {
        let root = try ElementReader(document, path: "Document").required("FIToFIPmtStsRpt")
        let header = try root.required("GrpHdr")
        messageID = try header.requiredText("MsgId")
        creationDateTime = try header.requiredText("CreDtTm")
        let original = root.child("OrgnlGrpInfAndSts")
        originalMessageID = original?.text("OrgnlMsgId")
        originalMessageNameID = original?.text("OrgnlMsgNmId")
        groupStatus = original?.text("GrpSts")
        groupReason = original?.child("StsRsnInf").map(Self.reason)
        transactions = root.children("TxInfAndSts").map { item in
            Transaction(
                originalInstructionID: item.text("OrgnlInstrId"), originalEndToEndID: item.text("OrgnlEndToEndId"),
                originalTransactionID: item.text("OrgnlTxId"), originalUETR: item.text("OrgnlUETR"),
                status: item.text("TxSts"),
                reason: item.child("StsRsnInf").map(Self.reason), acceptanceDateTime: item.text("AccptncDtTm"))
        }
        for (index, item) in root.children("TxInfAndSts").enumerated() {
            guard let reference = item.child("OrgnlTxRef") else { continue }
            transactions[index].originalAmount = try reference.amount("IntrBkSttlmAmt")
            transactions[index].originalReference = EntryDetails(originalReference: reference)
        }
    }

    static func reason(_ element: ElementReader) -> Reason {
        Reason(
            code: element.text("Rsn/Cd") ?? element.text("Rsn/Prtry"), additionalInformation: element.text("AddtlInf"))
    }

    public func write(_ xml: inout XMLWriter) {
        func write(_ reason: Reason, _ xml: inout XMLWriter) {
            xml.group("StsRsnInf") { xml in
                if let code = reason.code { xml.group("Rsn") { $0.element("Cd", code) } }
                // Max105Text: longer explanations are cut, never refused.
                if let text = reason.additionalInformation { xml.element("AddtlInf", String(text.prefix(105))) }
            }
        }
        xml.group("Document", attributes: ["xmlns": ISONamespace.of(Self.messageDefinition)]) { xml in
            xml.group("FIToFIPmtStsRpt") { xml in
                xml.group("GrpHdr") { xml in
                    xml.element("MsgId", messageID)
                    xml.element("CreDtTm", creationDateTime)
                }
                if originalMessageID != nil || originalMessageNameID != nil || groupStatus != nil || groupReason != nil
                {
                    xml.group("OrgnlGrpInfAndSts") { xml in
                        // Echoes of what was received, cut to the schema's Max35Text; ISO's
                        // NOTPROVIDED when the original could not even be read.
                        xml.element("OrgnlMsgId", originalMessageID.map { String($0.prefix(35)) } ?? "NOTPROVIDED")
                        xml.element(
                            "OrgnlMsgNmId", originalMessageNameID.map { String($0.prefix(35)) } ?? "NOTPROVIDED")
                        xml.optional("GrpSts", groupStatus)
                        if let groupReason { write(groupReason, &xml) }
                    }
                }
                for tx in transactions {
                    xml.group("TxInfAndSts") { xml in
                        xml.optional("OrgnlInstrId", tx.originalInstructionID.map { String($0.prefix(35)) })
                        xml.optional("OrgnlEndToEndId", tx.originalEndToEndID.map { String($0.prefix(35)) })
                        xml.optional("OrgnlTxId", tx.originalTransactionID.map { String($0.prefix(35)) })
                        // Only a well-formed UETR is echoed (the schema's UUIDv4 pattern).
                        xml.optional("OrgnlUETR", tx.originalUETR.flatMap { UETR.isWellFormed($0) ? $0 : nil })
                        xml.optional("TxSts", tx.status)
                        if let reason = tx.reason { write(reason, &xml) }
                        xml.optional("AccptncDtTm", tx.acceptanceDateTime)
                        if tx.originalAmount != nil || tx.originalReference != nil {
                            xml.group("OrgnlTxRef") { xml in
                                if let amount = tx.originalAmount { xml.amount("IntrBkSttlmAmt", amount) }
                                tx.originalReference?.writeOriginalReference(&xml)
                            }
                        }
                    }
                }
            }
        }
    }
}
