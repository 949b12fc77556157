/// A document of one of the message versions the hub reads and writes.
public enum ISODocument: Hashable, Sendable {
    case customerCreditTransfer(CustomerCreditTransfer)
    case paymentStatusReport(PaymentStatusReport)
    case paymentReturn(PaymentReturn)
    case institutionCreditTransfer(FinancialInstitutionCreditTransfer)
    case statement(AccountReport)
    case notification(AccountReport)
    case cancellationRequest(PaymentCancellationRequest)
    case investigationResolution(InvestigationResolution)
    case statusRequest(PaymentStatusRequest)

    /// The supported versions, by their message definition id.
    public static let supported: [String] = [
        CustomerCreditTransfer.messageDefinition, PaymentStatusReport.messageDefinition,
        PaymentReturn.messageDefinition,
        FinancialInstitutionCreditTransfer.messageDefinition, AccountReport.Kind.statement.messageDefinition,
        AccountReport.Kind.notification.messageDefinition, PaymentCancellationRequest.messageDefinition,
        InvestigationResolution.messageDefinition, PaymentStatusRequest.messageDefinition,
    ]

    public var messageDefinition: String {
        switch self {
        case .customerCreditTransfer: CustomerCreditTransfer.messageDefinition
        case .paymentStatusReport: PaymentStatusReport.messageDefinition
        case .paymentReturn: PaymentReturn.messageDefinition
        case .institutionCreditTransfer: FinancialInstitutionCreditTransfer.messageDefinition
        case .statement(let report), .notification(let report): report.kind.messageDefinition
        case .cancellationRequest: PaymentCancellationRequest.messageDefinition
        case .investigationResolution: InvestigationResolution.messageDefinition
        case .statusRequest: PaymentStatusRequest.messageDefinition
        }
    }

    public var messageID: String {
        switch self {
        case .customerCreditTransfer(let message): message.messageID
        case .paymentStatusReport(let message): message.messageID
        case .paymentReturn(let message): message.messageID
        case .institutionCreditTransfer(let message): message.messageID
        case .statement(let report), .notification(let report): report.messageID
        case .cancellationRequest(let message): message.messageID
        case .investigationResolution(let message): message.messageID
        case .statusRequest(let message): message.messageID
        }
    }

    init(_ element: XMLElement) throws(ISOMessageError) {
        guard element.name == "Document" else {
            throw ISOMessageError(.noDocument, path: element.name, "expected a Document element")
        }
        guard let definition = ISONamespace.messageDefinition(of: element.namespace) else {
            throw ISOMessageError(
                .unsupportedMessage, path: "Document",
                "namespace '\(element.namespace.prefix(80))' is not an ISO 20022 message")
        }
        switch definition {
        case CustomerCreditTransfer.messageDefinition:
            self = .customerCreditTransfer(try CustomerCreditTransfer(document: element))
        case PaymentStatusReport.messageDefinition:
            self = .paymentStatusReport(try PaymentStatusReport(document: element))
        case PaymentReturn.messageDefinition: self = .paymentReturn(try PaymentReturn(document: element))
        case FinancialInstitutionCreditTransfer.messageDefinition:
            self = .institutionCreditTransfer(try FinancialInstitutionCreditTransfer(document: element))
        case AccountReport.Kind.statement.messageDefinition:
            self = .statement(try AccountReport(document: element, kind: .statement))
        case AccountReport.Kind.notification.messageDefinition:
            self = .notification(try AccountReport(document: element, kind: .notification))
        case PaymentCancellationRequest.messageDefinition:
            self = .cancellationRequest(try PaymentCancellationRequest(document: element))
        case InvestigationResolution.messageDefinition:
            self = .investigationResolution(try InvestigationResolution(document: element))
        case PaymentStatusRequest.messageDefinition:
            self = .statusRequest(try PaymentStatusRequest(document: element))
        default:
            throw ISOMessageError(
                .unsupportedMessage, path: "Document",
                "\(definition) is not supported; supported: \(Self.supported.joined(separator: ", "))")
        }
    }

    public func write(_ xml: inout XMLWriter) {
        switch self {
        case .customerCreditTransfer(let message): message.write(&xml)
        case .paymentStatusReport(let message): message.write(&xml)
        case .paymentReturn(let message): message.write(&xml)
        case .institutionCreditTransfer(let message): message.write(&xml)
        case .statement(let report), .notification(let report): report.write(&xml)
        case .cancellationRequest(let message): message.write(&xml)
        case .investigationResolution(let message): message.write(&xml)
        case .statusRequest(let message): message.write(&xml)
        }
    }
}

/// A message as received or sent: the Document, with its business application header when
/// there is one. On the wire: a bare `Document`, or any wrapper element (a Swift `Envelope`,
/// for example) holding an `AppHdr` and a `Document`.
public struct ISOMessage: Hashable, Sendable {
    public var header: BusinessApplicationHeader?
    public var document: ISODocument

    public init(header: BusinessApplicationHeader?, document: ISODocument) {
        self.header = header
        self.document = document
    }

    /// Parses and checks a message: safe XML (see `XMLParser`), a supported Document, and a
    /// header that names the same message version as the Document.
    public static func parse(_ bytes: [UInt8], limits: XMLLimits = XMLLimits()) throws(ISOMessageError) -> ISOMessage {
        let root: XMLElement
        do { root = try XMLParser.parse(bytes, limits: limits) } catch {
            throw ISOMessageError(.xml, path: "", error.description)
        }
        if root.name == "Document" { return ISOMessage(header: nil, document: try ISODocument(root)) }
        if root.name == "AppHdr" { throw ISOMessageError(.noDocument, path: "AppHdr", "a header without a Document") }
        let headers = root.children.filter { $0.name == "AppHdr" },
            documents = root.children.filter { $0.name == "Document" }
        guard documents.count == 1 else {
            throw ISOMessageError(
                .noDocument, path: root.name,
                documents.isEmpty ? "no Document inside \(root.name)" : "one Document per message")
        }
        guard headers.count <= 1 else { throw ISOMessageError(.invalidValue, path: root.name, "more than one AppHdr") }
        guard let headerElement = headers.first else {
            return ISOMessage(header: nil, document: try ISODocument(documents[0]))
        }
        guard let headerVersion = ISONamespace.messageDefinition(of: headerElement.namespace),
            BusinessApplicationHeader.readableVersions.contains(headerVersion)
        else {
            throw ISOMessageError(
                .unsupportedMessage, path: "AppHdr",
                "header namespace '\(headerElement.namespace.prefix(80))' is not head.001.001.0x")
        }
        let header = try BusinessApplicationHeader(headerElement)
        // Checked before the Document is read: a header naming another version than the
        // Document's namespace is refused as such, whatever the Document holds.
        let documentVersion = ISONamespace.messageDefinition(of: documents[0].namespace) ?? documents[0].namespace
        guard header.messageDefinitionID == documentVersion else {
            throw ISOMessageError(
                .headerMismatch, path: "AppHdr/MsgDefIdr",
                "the header says \(header.messageDefinitionID.prefix(35)), the Document is \(documentVersion.prefix(80))"
            )
        }
        let document = try ISODocument(documents[0])
        return ISOMessage(header: header, document: document)
    }

    public static func parse(_ text: String, limits: XMLLimits = XMLLimits()) throws(ISOMessageError) -> ISOMessage {
        try parse(Array(text.utf8), limits: limits)
    }

    /// XML text: the Document alone, or a Swift-style `Envelope` holding header and Document.
    public func xml() -> String {
        var xml = XMLWriter()
        if let header {
            xml.group("Envelope", attributes: ["xmlns": "urn:swift:xsd:envelope"]) { xml in
                header.write(&xml)
                document.write(&xml)
            }
        } else {
            document.write(&xml)
        }
        return xml.text
    }

    /// The header alone and the Document alone, each a complete XML document (how each part
    /// is validated against its own schema).
    public func parts() -> (header: String?, document: String) {
        var documentXML = XMLWriter()
        document.write(&documentXML)
        return (
            header.map { header in
                var headerXML = XMLWriter()
                header.write(&headerXML)
                return headerXML.text
            }, documentXML.text
        )
    }
}
