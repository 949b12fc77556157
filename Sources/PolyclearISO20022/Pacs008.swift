public import PolyclearCore

/// pacs.008.001.08, FI-to-FI customer credit transfer: the fields the hub uses, and the
/// group header. Unknown optional elements are skipped; missing mandatory ones are errors
/// naming their path.
public struct CustomerCreditTransfer: Hashable, Sendable {
    public static let messageDefinition = "pacs.008.001.08"

    public var messageID: String
    public var creationDateTime: String
    public var settlementMethod: String
    public var interbankSettlementDate: String?
    public var transactions: [Transaction]

    public struct Transaction: Hashable, Sendable {
        public var instructionID: String?
        public var endToEndID: String
        public var transactionID: String?
        public var uetr: String?
        public var interbankSettlementAmount: ISOAmount
        public var interbankSettlementDate: String?
        public var instructedAmount: ISOAmount?
        /// DEBT, CRED, SHAR or SLEV.
        public var chargeBearer: String
        public var instructingAgentBIC: String?
        public var instructedAgentBIC: String?
        /// The debtor and creditor with their accounts (DbtrAcct, CdtrAcct), names included.
        public var debtor: Party?
        public var debtorAgentBIC: String?
        public var creditorAgentBIC: String?
        public var creditor: Party?
        public var ultimateDebtor: Party?
        public var ultimateCreditor: Party?
        /// IntrmyAgt1…3: carried through; the hub does not route by them.
        public var intermediaryAgentBICs: [String] = []
        public var categoryPurposeCode: String?
        public var purposeCode: String?
        public var regulatoryReporting: [RegulatoryDetail] = []
        public var unstructuredRemittance: [String]
        /// Structured remittance: the referred documents (invoices, bills of lading).
        public var referredDocuments: [ReferredDocument]
        public var creditorReferences: [String] = []
        public var additionalRemittance: [String] = []
        /// Trade-conditional (the hub's supplementary data, `SplmtryData` named
        /// PolyclearCondition): booked only when the payee's bank presents the document with
        /// this SHA-256 before the expiry.
        public var condition: TransferCondition?

        public var debtorName: String? {
            get { debtor?.name }
            set { debtor = Self.named(debtor, newValue) }
        }
        public var creditorName: String? {
            get { creditor?.name }
            set { creditor = Self.named(creditor, newValue) }
        }
        /// The numbers of the referred documents, in order.
        public var referredDocumentNumbers: [String] { referredDocuments.map(\.number) }

        static func named(_ party: Party?, _ name: String?) -> Party? {
            var party = party ?? Party()
            party.name = name
            return party.isEmpty ? nil : party
        }

        public init(
            instructionID: String? = nil, endToEndID: String, transactionID: String? = nil, uetr: String? = nil,
            interbankSettlementAmount: ISOAmount, interbankSettlementDate: String? = nil,
            instructedAmount: ISOAmount? = nil,
            chargeBearer: String = "SHAR", instructingAgentBIC: String? = nil, instructedAgentBIC: String? = nil,
            debtorName: String? = nil, debtorAgentBIC: String?, creditorAgentBIC: String?, creditorName: String? = nil,
            purposeCode: String? = nil, unstructuredRemittance: [String] = [], referredDocumentNumbers: [String] = []
        ) {
            self.instructionID = instructionID
            self.endToEndID = endToEndID
            self.transactionID = transactionID
            self.uetr = uetr
            self.interbankSettlementAmount = interbankSettlementAmount
            self.interbankSettlementDate = interbankSettlementDate
            self.instructedAmount = instructedAmount
            self.chargeBearer = chargeBearer
            self.instructingAgentBIC = instructingAgentBIC
            self.instructedAgentBIC = instructedAgentBIC
            self.debtor = Self.named(nil, debtorName)
            self.debtorAgentBIC = debtorAgentBIC
            self.creditorAgentBIC = creditorAgentBIC
            self.creditor = Self.named(nil, creditorName)
            self.purposeCode = purposeCode
            self.unstructuredRemittance = unstructuredRemittance
            self.referredDocuments = referredDocumentNumbers.map { ReferredDocument(number: $0) }
        }
    }

    public init(
        messageID: String, creationDateTime: String, settlementMethod: String = "CLRG",
        interbankSettlementDate: String? = nil, transactions: [Transaction]
    ) {
        self.messageID = messageID
        self.creationDateTime = creationDateTime
        self.settlementMethod = settlementMethod
        self.interbankSettlementDate = interbankSettlementDate
        self.transactions = transactions
    }

    init(document: XMLElement) throws(ISOMessageError) {
        let root = try ElementReader(document, path: "Document").required("FIToFICstmrCdtTrf")
        let items = root.children("CdtTrfTxInf")
        guard !items.isEmpty else {
            throw ISOMessageError(.missingElement, path: root.path + "/CdtTrfTxInf", "at least one transaction")
        }
        let header = try TransferGroupHeader(root, transactions: items.count, atLeastOne: true)
        (messageID, creationDateTime, settlementMethod, interbankSettlementDate) =
            (header.messageID, header.creationDateTime, header.settlementMethod, header.interbankSettlementDate)
        var transactions: [Transaction] = []
        transactions.reserveCapacity(items.count)
        for item in items {
            // In document order, so the first missing element reported is the first one.
            let endToEndID = try item.requiredText("PmtId/EndToEndId")
            let amount = try item.requiredAmount("IntrBkSttlmAmt")
            let chargeBearer = try item.requiredText("ChrgBr")
            _ = try item.required("Dbtr")
            _ = try item.required("DbtrAgt").required("FinInstnId")
            _ = try item.required("CdtrAgt").required("FinInstnId")
            _ = try item.required("Cdtr")
            transactions.append(
                Transaction(
                    instructionID: item.text("PmtId/InstrId"), endToEndID: endToEndID,
                    transactionID: item.text("PmtId/TxId"),
                    uetr: item.text("PmtId/UETR"), interbankSettlementAmount: amount,
                    interbankSettlementDate: item.text("IntrBkSttlmDt"), instructedAmount: try item.amount("InstdAmt"),
                    chargeBearer: chargeBearer, instructingAgentBIC: item.bic("InstgAgt"),
                    instructedAgentBIC: item.bic("InstdAgt"), debtorAgentBIC: item.bic("DbtrAgt"),
                    creditorAgentBIC: item.bic("CdtrAgt"), purposeCode: item.text("Purp/Cd")))
            // In place: the transaction is large, and a copy retains every text in it.
            transactions[transactions.count - 1].readDetails(item)
        }
        self.transactions = transactions
    }

    public func write(_ xml: inout XMLWriter) {
        xml.group("Document", attributes: ["xmlns": ISONamespace.of(Self.messageDefinition)]) { xml in
            xml.group("FIToFICstmrCdtTrf") { xml in
                TransferGroupHeader.write(
                    &xml, messageID: messageID, creationDateTime: creationDateTime, count: transactions.count,
                    interbankSettlementDate: interbankSettlementDate, settlementMethod: settlementMethod)
                for tx in transactions {
                    xml.group("CdtTrfTxInf") { xml in
                        xml.group("PmtId") { xml in
                            xml.optional("InstrId", tx.instructionID)
                            xml.element("EndToEndId", tx.endToEndID)
                            xml.optional("TxId", tx.transactionID)
                            xml.optional("UETR", tx.uetr)
                        }
                        if let category = tx.categoryPurposeCode {
                            xml.group("PmtTpInf") { $0.group("CtgyPurp") { $0.element("Cd", category) } }
                        }
                        xml.amount("IntrBkSttlmAmt", tx.interbankSettlementAmount)
                        xml.optional("IntrBkSttlmDt", tx.interbankSettlementDate)
                        if let instructed = tx.instructedAmount { xml.amount("InstdAmt", instructed) }
                        xml.element("ChrgBr", tx.chargeBearer)
                        if let bic = tx.instructingAgentBIC { xml.agent("InstgAgt", bic: bic) }
                        if let bic = tx.instructedAgentBIC { xml.agent("InstdAgt", bic: bic) }
                        tx.writeParties(&xml)
                    }
                }
            }
        }
    }
}
