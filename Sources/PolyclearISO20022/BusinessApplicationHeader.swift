/// head.001.001.02, the business application header: who sends what to whom.
public struct BusinessApplicationHeader: Hashable, Sendable {
    public static let messageDefinition = "head.001.001.02"
    /// Versions read (same fields the hub uses); the hub writes .02.
    static let readableVersions: Set<String> = [
        "head.001.001.01", "head.001.001.02", "head.001.001.03", "head.001.001.04",
    ]

    public var fromBIC: String
    public var toBIC: String
    public var businessMessageID: String
    /// The message the Document holds, e.g. `pacs.008.001.08`; must match its namespace.
    public var messageDefinitionID: String
    public var businessService: String?
    public var creationDate: String

    public init(
        fromBIC: String, toBIC: String, businessMessageID: String, messageDefinitionID: String,
        businessService: String? = nil, creationDate: String
    ) {
        self.fromBIC = fromBIC
        self.toBIC = toBIC
        self.businessMessageID = businessMessageID
        self.messageDefinitionID = messageDefinitionID
        self.businessService = businessService
        self.creationDate = creationDate
    }

    init(_ element: XMLElement) throws(ISOMessageError) {
        let reader = ElementReader(element, path: "AppHdr")
        // Fr and To name financial institutions by BIC here (an organisation id is refused).
        fromBIC = try reader.requiredText("Fr/FIId/FinInstnId/BICFI")
        toBIC = try reader.requiredText("To/FIId/FinInstnId/BICFI")
        businessMessageID = try reader.requiredText("BizMsgIdr")
        messageDefinitionID = try reader.requiredText("MsgDefIdr")
        businessService = reader.text("BizSvc")
        creationDate = try reader.requiredText("CreDt")
    }

    public func write(_ xml: inout XMLWriter) {
        xml.group("AppHdr", attributes: ["xmlns": ISONamespace.of(Self.messageDefinition)]) { xml in
            xml.group("Fr") { $0.group("FIId") { $0.group("FinInstnId") { $0.element("BICFI", fromBIC) } } }
            xml.group("To") { $0.group("FIId") { $0.group("FinInstnId") { $0.element("BICFI", toBIC) } } }
            xml.element("BizMsgIdr", businessMessageID)
            xml.element("MsgDefIdr", messageDefinitionID)
            xml.optional("BizSvc", businessService)
            xml.element("CreDt", creationDate)
        }
    }
}
