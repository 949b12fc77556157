/// Investigations: a recall (camt.056.001.08, FI-to-FI payment cancellation request), its
/// answer (camt.029.001.09, resolution of investigation), and a status enquiry
/// (pacs.028.001.03, FI-to-FI payment status request, answered by pacs.002). The fields the
/// hub uses; the payment is named by its UETR.

/// A case assignment (Assgnmt), shared by camt.056 and camt.029: who sends the case to whom.
public struct CaseAssignment: Hashable, Sendable {
    public var id: String
    public var assignerBIC: String
    public var assigneeBIC: String
    public var creationDateTime: String

    public init(id: String, assignerBIC: String, assigneeBIC: String, creationDateTime: String) {
        self.id = id
        self.assignerBIC = assignerBIC
        self.assigneeBIC = assigneeBIC
        self.creationDateTime = creationDateTime
    }

    init(_ node: ElementReader) throws(ISOMessageError) {
        id = try node.requiredText("Id")
        assignerBIC = try node.requiredText("Assgnr/Agt/FinInstnId/BICFI")
        assigneeBIC = try node.requiredText("Assgne/Agt/FinInstnId/BICFI")
        creationDateTime = try node.requiredText("CreDtTm")
    }

    func write(_ xml: inout XMLWriter) {
        xml.group("Assgnmt") { xml in
            xml.element("Id", id)
            xml.group("Assgnr") { $0.agent("Agt", bic: assignerBIC) }
            xml.group("Assgne") { $0.agent("Agt", bic: assigneeBIC) }
            xml.element("CreDtTm", creationDateTime)
        }
    }

    /// Case5: an id and its creator (an agent).
    static func writeCase(_ name: String, id: String, creatorBIC: String, _ xml: inout XMLWriter) {
        xml.group(name) { xml in
            xml.element("Id", id)
            xml.group("Cretr") { $0.agent("Agt", bic: creatorBIC) }
        }
    }
}

/// camt.056.001.08: the payer's bank asks for booked payments back.
public struct PaymentCancellationRequest: Hashable, Sendable {
    public static let messageDefinition = "camt.056.001.08"

    public var assignment: CaseAssignment
    public var caseID: String?
    public var transactions: [Transaction]

    public struct Transaction: Hashable, Sendable {
        public var cancellationID: String?
        public var originalEndToEndID: String?
        public var originalUETR: String?
        public var originalAmount: ISOAmount?
        /// ExternalCancellationReason1Code: DUPL, FRAD, TECH, CUST, UPAY, AGNT, CURR, ...
        public var reasonCode: String?
        public var additionalInformation: [String]

        public init(
            cancellationID: String?, originalEndToEndID: String? = nil, originalUETR: String?,
            originalAmount: ISOAmount? = nil, reasonCode: String?, additionalInformation: [String] = []
        ) {
            self.cancellationID = cancellationID
            self.originalEndToEndID = originalEndToEndID
            self.originalUETR = originalUETR
            self.originalAmount = originalAmount
            self.reasonCode = reasonCode
            self.additionalInformation = additionalInformation
        }
    }

    public init(assignment: CaseAssignment, caseID: String? = nil, transactions: [Transaction]) {
        self.assignment = assignment
        self.caseID = caseID
        self.transactions = transactions
    }

    public var messageID: String { assignment.id }

    init(document: XMLElement) throws(ISOMessageError) {
        let root = try ElementReader(document, path: "Document").required("FIToFIPmtCxlReq")
        assignment = try CaseAssignment(try root.required("Assgnmt"))
        caseID = root.text("Case/Id")
        let items = root.children("Undrlyg").flatMap { $0.children("TxInf") }
        guard !items.isEmpty else {
            throw ISOMessageError(.missingElement, path: root.path + "/Undrlyg/TxInf", "at least one transaction")
        }
        var transactions: [Transaction] = []
        for item in items {
            transactions.append(
                Transaction(
                    cancellationID: item.text("CxlId"), originalEndToEndID: item.text("OrgnlEndToEndId"),
                    originalUETR: item.text("OrgnlUETR"), originalAmount: try item.amount("OrgnlIntrBkSttlmAmt"),
                    reasonCode: item.text("CxlRsnInf/Rsn/Cd"),
                    additionalInformation: item.child("CxlRsnInf")?.element.children("AddtlInf").map {
                        $0.trimmedText
                    } ?? []))
        }
        self.transactions = transactions
    }

    public func write(_ xml: inout XMLWriter) {
        xml.group("Document", attributes: ["xmlns": ISONamespace.of(Self.messageDefinition)]) { xml in
            xml.group("FIToFIPmtCxlReq") { xml in
                assignment.write(&xml)
                if let caseID { CaseAssignment.writeCase("Case", id: caseID, creatorBIC: assignment.assignerBIC, &xml) }
                xml.group("Undrlyg") { xml in
                    for tx in transactions {
                        xml.group("TxInf") { xml in
                            xml.optional("CxlId", tx.cancellationID)
                            xml.optional("OrgnlEndToEndId", tx.originalEndToEndID)
                            xml.optional("OrgnlUETR", tx.originalUETR)
                            if let amount = tx.originalAmount { xml.amount("OrgnlIntrBkSttlmAmt", amount) }
                            if tx.reasonCode != nil || !tx.additionalInformation.isEmpty {
                                xml.group("CxlRsnInf") { xml in
                                    if let code = tx.reasonCode { xml.group("Rsn") { $0.element("Cd", code) } }
                                    for line in tx.additionalInformation {
                                        xml.element("AddtlInf", String(line.prefix(105)))
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

/// camt.029.001.09: the answer to a recall — CNCL (cancelled as requested: the return is
/// booked), RJCR (rejected, with a reason) or PDCR (pending).
public struct InvestigationResolution: Hashable, Sendable {
    public static let messageDefinition = "camt.029.001.09"

    public var assignment: CaseAssignment
    public var resolvedCaseID: String?
    /// Sts/Conf: CNCL, RJCR or PDCR (ExternalInvestigationExecutionConfirmation1Code).
    public var confirmation: String
    public var transactions: [Transaction]

    public struct Transaction: Hashable, Sendable {
        public var cancellationStatusID: String?
        public var originalEndToEndID: String?
        public var originalUETR: String?
        /// TxCxlSts: ACCR, RJCR or PDCR.
        public var status: String?
        /// ExternalPaymentCancellationRejection1Code when rejected: NOOR, ARDT, LEGL, CUST, NOAS, AC04, ...
        public var reasonCode: String?
        public var additionalInformation: [String]

        public init(
            cancellationStatusID: String?, originalEndToEndID: String? = nil, originalUETR: String?, status: String?,
            reasonCode: String? = nil, additionalInformation: [String] = []
        ) {
            self.cancellationStatusID = cancellationStatusID
            self.originalEndToEndID = originalEndToEndID
            self.originalUETR = originalUETR
            self.status = status
            self.reasonCode = reasonCode
            self.additionalInformation = additionalInformation
        }
    }

    public init(
        assignment: CaseAssignment, resolvedCaseID: String? = nil, confirmation: String, transactions: [Transaction]
    ) {
        self.assignment = assignment
        self.resolvedCaseID = resolvedCaseID
        self.confirmation = confirmation
        self.transactions = transactions
    }

    public var messageID: String { assignment.id }

    init(document: XMLElement) throws(ISOMessageError) {
        let root = try ElementReader(document, path: "Document").required("RsltnOfInvstgtn")
        assignment = try CaseAssignment(try root.required("Assgnmt"))
        resolvedCaseID = root.text("RslvdCase/Id")
        confirmation = try root.requiredText("Sts/Conf")
        transactions = root.children("CxlDtls").flatMap { $0.children("TxInfAndSts") }.map { item in
            Transaction(
                cancellationStatusID: item.text("CxlStsId"), originalEndToEndID: item.text("OrgnlEndToEndId"),
                originalUETR: item.text("OrgnlUETR"), status: item.text("TxCxlSts"),
                reasonCode: item.text("CxlStsRsnInf/Rsn/Cd"),
                additionalInformation: item.child("CxlStsRsnInf")?.element.children("AddtlInf").map {
                    $0.trimmedText
                } ?? [])
        }
    }

    public func write(_ xml: inout XMLWriter) {
        xml.group("Document", attributes: ["xmlns": ISONamespace.of(Self.messageDefinition)]) { xml in
            xml.group("RsltnOfInvstgtn") { xml in
                assignment.write(&xml)
                if let resolvedCaseID {
                    CaseAssignment.writeCase("RslvdCase", id: resolvedCaseID, creatorBIC: assignment.assigneeBIC, &xml)
                }
                xml.group("Sts") { $0.element("Conf", confirmation) }
                guard !transactions.isEmpty else { return }
                xml.group("CxlDtls") { xml in
                    for tx in transactions {
                        xml.group("TxInfAndSts") { xml in
                            xml.optional("CxlStsId", tx.cancellationStatusID)
                            xml.optional("OrgnlEndToEndId", tx.originalEndToEndID)
                            xml.optional("OrgnlUETR", tx.originalUETR)
                            xml.optional("TxCxlSts", tx.status)
                            if tx.reasonCode != nil || !tx.additionalInformation.isEmpty {
                                xml.group("CxlStsRsnInf") { xml in
                                    if let code = tx.reasonCode { xml.group("Rsn") { $0.element("Cd", code) } }
                                    for line in tx.additionalInformation {
                                        xml.element("AddtlInf", String(line.prefix(105)))
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

/// pacs.028.001.03: a bank asks where its payments stand; the hub answers with a pacs.002.
public struct PaymentStatusRequest: Hashable, Sendable {
    public static let messageDefinition = "pacs.028.001.03"

    public var messageID: String
    public var creationDateTime: String
    public var transactions: [Transaction]

    public struct Transaction: Hashable, Sendable {
        public var statusRequestID: String?
        public var originalEndToEndID: String?
        public var originalUETR: String?

        public init(statusRequestID: String?, originalEndToEndID: String? = nil, originalUETR: String?) {
            self.statusRequestID = statusRequestID
            self.originalEndToEndID = originalEndToEndID
            self.originalUETR = originalUETR
        }
    }

    public init(messageID: String, creationDateTime: String, transactions: [Transaction]) {
        self.messageID = messageID
        self.creationDateTime = creationDateTime
        self.transactions = transactions
    }

    init(document: XMLElement) throws(ISOMessageError) {
        let root = try ElementReader(document, path: "Document").required("FIToFIPmtStsReq")
        messageID = try root.requiredText("GrpHdr/MsgId")
        creationDateTime = try root.requiredText("GrpHdr/CreDtTm")
        let items = root.children("TxInf")
        guard !items.isEmpty else {
            throw ISOMessageError(.missingElement, path: root.path + "/TxInf", "at least one transaction")
        }
        transactions = items.map { item in
            Transaction(
                statusRequestID: item.text("StsReqId"), originalEndToEndID: item.text("OrgnlEndToEndId"),
                originalUETR: item.text("OrgnlUETR"))
        }
    }

    public func write(_ xml: inout XMLWriter) {
        xml.group("Document", attributes: ["xmlns": ISONamespace.of(Self.messageDefinition)]) { xml in
            xml.group("FIToFIPmtStsReq") { xml in
                xml.group("GrpHdr") { xml in
                    xml.element("MsgId", messageID)
                    xml.element("CreDtTm", creationDateTime)
                }
                for tx in transactions {
                    xml.group("TxInf") { xml in
                        xml.optional("StsReqId", tx.statusRequestID)
                        xml.optional("OrgnlEndToEndId", tx.originalEndToEndID)
                        xml.optional("OrgnlUETR", tx.originalUETR)
                    }
                }
            }
        }
    }
}
