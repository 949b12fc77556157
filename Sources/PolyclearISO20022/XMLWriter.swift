/// Writes XML text: elements in the order given (ISO 20022 schemas are sequences, so the
/// order is part of validity), text and attribute values escaped, no pretty-printing.
public struct XMLWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(declaration: Bool = true) {
        bytes.reserveCapacity(4_096)
        if declaration { append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") }
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(_ literal: String) { bytes.append(contentsOf: literal.utf8) }

    mutating func escaped(_ value: String, attribute: Bool) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "<"): append("&lt;")
            case UInt8(ascii: ">"): append("&gt;")
            case UInt8(ascii: "&"): append("&amp;")
            case UInt8(ascii: "\"") where attribute: append("&quot;")
            default: bytes.append(byte)
            }
        }
    }

    public mutating func open(_ name: String, attributes: KeyValuePairs<String, String> = [:]) {
        bytes.append(UInt8(ascii: "<"))
        append(name)
        for (key, value) in attributes {
            bytes.append(UInt8(ascii: " "))
            append(key)
            append("=\"")
            escaped(value, attribute: true)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: ">"))
    }

    public mutating func close(_ name: String) {
        append("</")
        append(name)
        bytes.append(UInt8(ascii: ">"))
    }

    /// `<name attributes>value</name>`.
    public mutating func element(_ name: String, _ value: String, attributes: KeyValuePairs<String, String> = [:]) {
        open(name, attributes: attributes)
        escaped(value, attribute: false)
        close(name)
    }

    /// Only when there is a value: ISO 20022 optional elements are absent, never empty.
    public mutating func optional(_ name: String, _ value: String?) {
        if let value, !value.isEmpty { element(name, value) }
    }

    /// `<name>…</name>` around whatever `body` writes.
    public mutating func group(
        _ name: String, attributes: KeyValuePairs<String, String> = [:], _ body: (inout XMLWriter) -> Void
    ) {
        open(name, attributes: attributes)
        body(&self)
        close(name)
    }

    /// A financial institution identified by its BIC: `<name><FinInstnId><BICFI>…`.
    public mutating func agent(_ name: String, bic: String) {
        group(name) { $0.group("FinInstnId") { $0.element("BICFI", bic) } }
    }

    /// An amount with its currency attribute, e.g. `<IntrBkSttlmAmt Ccy="BRL">12.50</IntrBkSttlmAmt>`.
    public mutating func amount(_ name: String, _ amount: ISOAmount) {
        element(name, amount.value, attributes: ["Ccy": amount.currency])
    }
}
