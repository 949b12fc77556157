import PolyclearCore

/// A referred document of structured remittance (RfrdDocInf): its type code (CINV a
/// commercial invoice, BOLD a bill of lading, …), number and date.
public struct ReferredDocument: Hashable, Sendable {
    public var typeCode: String?
    public var number: String
    public var date: String?

    /// ISO 20022 DocumentType6Code (anything else is written as a proprietary type).
    static let typeCodes: Set<String> = [
        "MSIN", "CNFA", "DNFA", "CINV", "CREN", "DEBN", "HIRI", "SBIN", "CMCN", "SOAC", "DISP", "BOLD", "VCHR", "AROI",
        "TSUT", "PUOR",
    ]

    public init(typeCode: String? = nil, number: String, date: String? = nil) {
        self.typeCode = typeCode
        self.number = number
        self.date = date
    }
}

/// One regulatory reporting detail (RgltryRptg/Dtls): type, code and information lines.
/// The hub reads and writes HS codes here with type "HS".
public struct RegulatoryDetail: Hashable, Sendable {
    public var type: String?
    public var code: String?
    public var information: [String]

    public init(type: String? = nil, code: String? = nil, information: [String] = []) {
        self.type = type
        self.code = code
        self.information = information
    }
}

/// A trade condition as pacs.008 carries it: in `SplmtryData` (place and name
/// `PolyclearCondition`), an element `Cond` of the hub's namespace with the document's SHA-256
/// (64 hexadecimal digits) and the expiry (ISODateTime with a zone).
public struct TransferCondition: Hashable, Sendable {
    public static let placeAndName = "PolyclearCondition"
    public static let namespace = "urn:polyclear:xsd:condition.01"

    public var sha256Hex: String
    public var expiry: String

    public init(sha256Hex: String, expiry: String) {
        self.sha256Hex = sha256Hex
        self.expiry = expiry
    }
}

extension CustomerCreditTransfer.Transaction {
    /// Parties, intermediary agents, purposes, regulatory reporting and remittance of one
    /// CdtTrfTxInf (everything but the references, amounts and the agents the hub routes by).
    mutating func readDetails(_ item: ElementReader) {
        debtor = item.party("Dbtr", account: "DbtrAcct")
        creditor = item.party("Cdtr", account: "CdtrAcct")
        ultimateDebtor = item.party("UltmtDbtr")
        ultimateCreditor = item.party("UltmtCdtr")
        intermediaryAgentBICs = ["IntrmyAgt1", "IntrmyAgt2", "IntrmyAgt3"].compactMap { item.bic($0) }
        categoryPurposeCode = item.text("PmtTpInf/CtgyPurp/Cd")
        regulatoryReporting = item.children("RgltryRptg").flatMap { $0.children("Dtls") }.map { detail in
            RegulatoryDetail(
                type: detail.text("Tp"), code: detail.text("Cd"),
                information: detail.element.children("Inf").map { $0.trimmedText })
        }
        for supplement in item.children("SplmtryData")
        where supplement.text("PlcAndNm") == TransferCondition.placeAndName {
            condition = TransferCondition(
                sha256Hex: supplement.text("Envlp/Cond/Sha256") ?? "",
                expiry: supplement.text("Envlp/Cond/XpryDtTm") ?? "")
        }
        guard let remittance = item.child("RmtInf") else { return }
        unstructuredRemittance = remittance.element.children("Ustrd").map { $0.trimmedText }
        for structured in remittance.children("Strd") {
            for document in structured.children("RfrdDocInf") {
                guard let number = document.text("Nb") else { continue }
                referredDocuments.append(
                    ReferredDocument(
                        typeCode: document.text("Tp/CdOrPrtry/Cd") ?? document.text("Tp/CdOrPrtry/Prtry"),
                        number: number, date: document.text("RltdDt")))
            }
            if let reference = structured.text("CdtrRefInf/Ref") { creditorReferences.append(reference) }
            additionalRemittance += structured.element.children("AddtlRmtInf").map { $0.trimmedText }
        }
    }

    /// From the intermediary agents to the remittance information, in the schema's order.
    func writeParties(_ xml: inout XMLWriter) {
        for (index, bic) in intermediaryAgentBICs.prefix(3).enumerated() {
            xml.agent("IntrmyAgt\(index + 1)", bic: bic)
        }
        if let ultimateDebtor { xml.party("UltmtDbtr", ultimateDebtor) }
        xml.party("Dbtr", debtor ?? Party())
        xml.account("DbtrAcct", debtor?.account)
        xml.group("DbtrAgt") { $0.group("FinInstnId") { $0.optional("BICFI", debtorAgentBIC) } }
        xml.group("CdtrAgt") { $0.group("FinInstnId") { $0.optional("BICFI", creditorAgentBIC) } }
        xml.party("Cdtr", creditor ?? Party())
        xml.account("CdtrAcct", creditor?.account)
        if let ultimateCreditor { xml.party("UltmtCdtr", ultimateCreditor) }
        if let purpose = purposeCode { xml.group("Purp") { $0.element("Cd", purpose) } }
        if !regulatoryReporting.isEmpty {
            xml.group("RgltryRptg") { xml in
                for detail in regulatoryReporting {
                    xml.group("Dtls") { xml in
                        xml.optional("Tp", detail.type)
                        xml.optional("Cd", detail.code)
                        for line in detail.information { xml.element("Inf", line) }
                    }
                }
            }
        }
        writeRemittance(&xml)
        if let condition {
            xml.group("SplmtryData") { xml in
                xml.element("PlcAndNm", TransferCondition.placeAndName)
                xml.group("Envlp") { xml in
                    xml.group("Cond", attributes: ["xmlns": TransferCondition.namespace]) { xml in
                        xml.element("Sha256", condition.sha256Hex)
                        xml.element("XpryDtTm", condition.expiry)
                    }
                }
            }
        }
    }

    func writeRemittance(_ xml: inout XMLWriter) {
        let hasStructured =
            !referredDocuments.isEmpty || !creditorReferences.isEmpty || !additionalRemittance.isEmpty
        guard !unstructuredRemittance.isEmpty || hasStructured else { return }
        xml.group("RmtInf") { xml in
            for line in unstructuredRemittance { xml.element("Ustrd", line) }
            guard hasStructured else { return }
            // One Strd with every document, the first creditor reference and the additional
            // lines; further creditor references each in their own Strd (CdtrRefInf is 0..1).
            xml.group("Strd") { xml in
                for document in referredDocuments {
                    xml.group("RfrdDocInf") { xml in
                        if let code = document.typeCode {
                            let kind = ReferredDocument.typeCodes.contains(code) ? "Cd" : "Prtry"
                            xml.group("Tp") { $0.group("CdOrPrtry") { $0.element(kind, code) } }
                        }
                        xml.element("Nb", document.number)
                        xml.optional("RltdDt", document.date)
                    }
                }
                if let reference = creditorReferences.first {
                    xml.group("CdtrRefInf") { $0.element("Ref", reference) }
                }
                for line in additionalRemittance.prefix(3) { xml.element("AddtlRmtInf", line) }
            }
            for reference in creditorReferences.dropFirst() {
                xml.group("Strd") { $0.group("CdtrRefInf") { $0.element("Ref", reference) } }
            }
        }
    }
}
