import PolyclearCore

/// Why a message cannot be read. `path` names the element (e.g.
/// `FIToFICstmrCdtTrf/CdtTrfTxInf[1]/PmtId/EndToEndId`) so that the sender can fix it.
public struct ISOMessageError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case xml = "xml_invalid"
        case noDocument = "no_document"
        case unsupportedMessage = "unsupported_message"
        case missingElement = "missing_element"
        case invalidValue = "invalid_value"
        case headerMismatch = "header_mismatch"
    }

    public let code: Code
    public let path: String
    public let reason: String

    public init(_ code: Code, path: String, _ reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String {
        path.isEmpty ? "\(code.rawValue): \(reason)" : "\(code.rawValue) at \(path): \(reason)"
    }
}

/// An amount as ISO 20022 writes it: decimal text and a currency code attribute.
public struct ISOAmount: Hashable, Sendable {
    public var value: String
    public var currency: String

    public init(value: String, currency: String) {
        self.value = value
        self.currency = currency
    }
}

/// Reading helpers that know where they are, for error paths. The path is made only when an
/// error needs it: the reader keeps the path of its anchor (where reading started, or the list
/// item it was reached through, e.g. `Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]`) and finds
/// the names below it in the tree (building the path on every step was a tenth of reading a
/// message).
struct ElementReader {
    let element: XMLElement
    /// The anchor's path, made only when asked (a list inside a list item anchors at the outer
    /// item, whose own path is made then).
    let anchorPath: () -> String
    let anchor: Int32
    /// For an element reached through `children` (and what is read below it): the list item,
    /// its parent and its position, so that `[n]` is written only when a path is asked for.
    let item: (node: Int32, parent: Int32, index: Int)?

    init(_ element: XMLElement, path: String) {
        self.element = element
        self.anchorPath = { path }
        self.anchor = element.index
        self.item = nil
    }

    private init(
        _ element: XMLElement, anchorPath: @escaping () -> String, anchor: Int32, item: (Int32, Int32, Int)?
    ) {
        self.element = element
        self.anchorPath = anchorPath
        self.anchor = anchor
        self.item = item
    }

    var path: String {
        func joined(_ base: String, _ names: [String]) -> String {
            names.isEmpty ? base : base + "/" + names.joined(separator: "/")
        }
        guard let item else { return joined(anchorPath(), element.names(below: anchor)) }
        let parent = XMLElement(tree: element.tree, index: item.parent)
        let listItem = XMLElement(tree: element.tree, index: item.node)
        let base = joined(anchorPath(), parent.names(below: anchor)) + "/\(listItem.name)[\(item.index)]"
        return joined(base, element.names(below: item.node))
    }

    func child(_ name: String) -> ElementReader? {
        element.child(name).map { ElementReader($0, anchorPath: anchorPath, anchor: anchor, item: item) }
    }

    func required(_ name: String) throws(ISOMessageError) -> ElementReader {
        guard let found = child(name) else {
            throw ISOMessageError(.missingElement, path: path + "/" + name, "mandatory element missing")
        }
        return found
    }

    func children(_ name: String) -> [ElementReader] {
        let found = element.children(name)
        guard !found.isEmpty else { return [] }
        // A list inside a list item anchors at this reader (its path made only if asked for);
        // otherwise the items keep this reader's anchor.
        let (anchorPath, anchor): (() -> String, Int32) =
            item == nil ? (self.anchorPath, self.anchor) : ({ [self] in self.path }, element.index)
        return found.enumerated().map { position, child in
            ElementReader(
                child, anchorPath: anchorPath, anchor: anchor, item: (child.index, element.index, position + 1))
        }
    }

    /// Text of a descendant, nil if absent or empty.
    func text(_ relative: String) -> String? { element.value(relative) }

    func requiredText(_ relative: String) throws(ISOMessageError) -> String {
        guard let value = element.value(relative) else {
            throw ISOMessageError(.missingElement, path: path + "/" + relative, "mandatory element missing")
        }
        return value
    }

    /// `<X Ccy="…">value</X>`.
    func amount(_ name: String) throws(ISOMessageError) -> ISOAmount? {
        guard let node = child(name) else { return nil }
        let value = node.element.trimmedText
        guard let currency = node.element.attributes["Ccy"], !value.isEmpty else {
            throw ISOMessageError(.invalidValue, path: node.path, "an amount needs a value and a Ccy attribute")
        }
        return ISOAmount(value: value, currency: currency)
    }

    func requiredAmount(_ name: String) throws(ISOMessageError) -> ISOAmount {
        guard let amount = try amount(name) else {
            throw ISOMessageError(.missingElement, path: path + "/" + name, "mandatory element missing")
        }
        return amount
    }

    /// `<Agt><FinInstnId><BICFI>`: the BIC of a financial institution element, if it has one.
    func bic(_ name: String) -> String? { element.child(name)?.value("FinInstnId/BICFI") }

    func requiredCount(_ relative: String) throws(ISOMessageError) -> Int {
        let text = try requiredText(relative)
        guard let count = Int(text), count >= 0 else {
            throw ISOMessageError(.invalidValue, path: path + "/" + relative, "not a count: \(text.prefix(20))")
        }
        return count
    }
}

/// Dates and times as ISO 20022 writes them (UTC).
public enum ISODateTime {
    /// `2026-11-29T17:08:21Z` from nanoseconds since 1970.
    public static func format(nanoseconds: UInt64) -> String {
        let seconds = Int(nanoseconds / 1_000_000_000)
        let (days, secondOfDay) = (seconds / 86_400, seconds % 86_400)
        return date(daysSinceEpoch: days) + "T" + two(secondOfDay / 3_600) + ":" + two(secondOfDay / 60 % 60) + ":"
            + two(secondOfDay % 60) + "Z"
    }

    /// `2026-11-29`.
    public static func date(nanoseconds: UInt64) -> String {
        date(daysSinceEpoch: Int(nanoseconds / 86_400_000_000_000))
    }

    /// Proleptic Gregorian civil date of a day count (Howard Hinnant's algorithm).
    static func date(daysSinceEpoch: Int) -> String {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return String(year) + "-" + two(month) + "-" + two(day)
    }

    static func two(_ value: Int) -> String { value < 10 ? "0" + String(value) : String(value) }

    /// Nanoseconds since 1970 of `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)` (ISODateTime with
    /// a zone; a time without one is refused: it would mean different instants to different
    /// banks). nil: not such a time, or before 1970.
    public static func nanoseconds(of text: String) -> UInt64? {
        let b = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var value = 0
            for byte in b[start..<(start + count)] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58,
            PaymentDetailsCheck.isValidDate(String(decoding: b[0..<10], as: UTF8.self)),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var fraction: UInt64 = 0, scale: UInt64 = 1_000_000_000
        if b[index] == 46 {  // "."
            index += 1
            while index < b.count, b[index] >= 48 && b[index] <= 57 {
                if scale > 1 {
                    scale /= 10
                    fraction += UInt64(b[index] - 48) * scale
                }
                index += 1
            }
        }
        var offsetSeconds = 0
        if index == b.count - 1 && b[index] == 90 {  // "Z"
        } else if index == b.count - 6, b[index] == 43 || b[index] == 45, b[index + 3] == 58,
            let hours = number(index + 1, 2), let minutes = number(index + 4, 2), hours < 24, minutes < 60
        {
            offsetSeconds = (hours * 3_600 + minutes * 60) * (b[index] == 43 ? 1 : -1)
        } else {
            return nil
        }
        // Days since 1970 of the civil date (Howard Hinnant's algorithm, inverse of `date`).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offsetSeconds
        guard seconds >= 0 else { return nil }
        return UInt64(seconds) * 1_000_000_000 + fraction
    }
}

/// Namespaces of the messages the hub reads and writes.
public enum ISONamespace {
    static let prefix = "urn:iso:std:iso:20022:tech:xsd:"
    static let prefixBytes = Array(prefix.utf8)

    public static func of(_ messageDefinition: String) -> String { prefix + messageDefinition }

    /// `pacs.008.001.08` from its namespace, nil for anything else.
    public static func messageDefinition(of namespace: String) -> String? {
        // Bytes, not Characters: the namespace is read for every message.
        var namespace = namespace
        return namespace.withUTF8 { bytes in
            let head = prefixBytes
            guard bytes.count >= head.count, bytes.prefix(head.count).elementsEqual(head) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[head.count...]), as: UTF8.self)
        }
    }
}

/// The unique end-to-end transaction reference: a version-4 UUID in lower case
/// (`[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}`).
public enum UETR {
    public static func isWellFormed(_ text: String) -> Bool { parse(text) != nil }

    public static func parse(_ text: String) -> UInt128? {
        guard !text.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }),
            let value = UUIDText.parse(text), (value >> 76) & 0xF == 4,
            (value >> 62) & 0b11 == 0b10
        else { return nil }
        return value
    }
}

/// The group header of pacs.008, pacs.004 and pacs.009 (GroupHeader93/90): message id,
/// creation time, the number of transactions (checked against the message), the interbank
/// settlement date, the settlement method — written in the schemas' order.
struct TransferGroupHeader {
    var messageID: String
    var creationDateTime: String
    var settlementMethod: String
    var interbankSettlementDate: String?

    /// Reads `root/GrpHdr` and checks NbOfTxs against the `transactions` found.
    init(_ root: ElementReader, transactions: Int, atLeastOne: Bool) throws(ISOMessageError) {
        let header = try root.required("GrpHdr")
        messageID = try header.requiredText("MsgId")
        creationDateTime = try header.requiredText("CreDtTm")
        let count = try header.requiredCount("NbOfTxs")
        settlementMethod = try header.requiredText("SttlmInf/SttlmMtd")
        interbankSettlementDate = header.text("IntrBkSttlmDt")
        guard count == transactions, !atLeastOne || transactions > 0 else {
            throw ISOMessageError(
                .invalidValue, path: header.path + "/NbOfTxs", "says \(count), the message holds \(transactions)")
        }
    }

    static func write(
        _ xml: inout XMLWriter, messageID: String, creationDateTime: String, count: Int,
        interbankSettlementDate: String? = nil, settlementMethod: String
    ) {
        xml.group("GrpHdr") { xml in
            xml.element("MsgId", messageID)
            xml.element("CreDtTm", creationDateTime)
            xml.element("NbOfTxs", String(count))
            xml.optional("IntrBkSttlmDt", interbankSettlementDate)
            xml.group("SttlmInf") { $0.element("SttlmMtd", settlementMethod) }
        }
    }
}
