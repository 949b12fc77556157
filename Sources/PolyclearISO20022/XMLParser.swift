/// A small, strict, non-validating XML 1.0 parser for ISO 20022 messages — written here
/// rather than borrowed so that what it refuses is exactly what the hub must refuse:
/// no DTDs (so no entity expansion of any kind, no external entities), only the five
/// predefined entities and character references, UTF-8 only, and hard limits on size, depth
/// and element count checked while reading, before anything is built beyond them.
public struct XMLLimits: Sendable {
    /// Sized for the largest message the hub accepts, a pacs.008 of 1,000 transactions with
    /// full party data (about 50 elements and 2.5 KB a transaction; tested), with room.
    public var maxBytes = 4 << 20
    public var maxDepth = 48
    public var maxElements = 100_000
    public var maxAttributesPerElement = 32

    public init() {}
}

public struct XMLParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case malformed = "xml_malformed"
        case dtdForbidden = "xml_dtd_forbidden"
        case undeclaredEntity = "xml_undeclared_entity"
        case tooLarge = "xml_too_large"
        case tooDeep = "xml_too_deep"
        case tooManyElements = "xml_too_many_elements"
        case undeclaredPrefix = "xml_undeclared_prefix"
        case notUTF8 = "xml_not_utf8"
        /// A character XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE, U+FFFF), raw or
        /// by reference.
        case forbiddenCharacter = "xml_forbidden_character"
    }

    public let code: Code
    public let line: Int
    public let reason: String

    public var description: String { "\(code.rawValue) at line \(line): \(reason)" }
}

public enum XMLParser {
    public static func parse(_ bytes: [UInt8], limits: XMLLimits = XMLLimits()) throws(XMLParseError) -> XMLElement {
        guard bytes.count <= limits.maxBytes else {
            throw XMLParseError(code: .tooLarge, line: 0, reason: "\(bytes.count) bytes, at most \(limits.maxBytes)")
        }
        // XML 1.0's Char production, for the raw bytes: no C0 control but tab, LF and CR
        // (UTF-8 encodes no other character with these bytes), and no U+FFFE or U+FFFF.
        for index in bytes.indices {
            let byte = bytes[index]
            // Most bytes are printable ASCII: one comparison clears them.
            guard byte < 0x20 || byte == 0xEF else { continue }
            let isControl = byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D
            let isNonCharacter =
                byte == 0xEF && index + 2 < bytes.count && bytes[index + 1] == 0xBF
                && (bytes[index + 2] == 0xBE || bytes[index + 2] == 0xBF)
            if isControl || isNonCharacter {
                throw XMLParseError(
                    code: .forbiddenCharacter, line: XMLReader.line(of: index, in: bytes),
                    reason: "a character XML 1.0 forbids (byte \(index))")
            }
        }
        var reader = XMLReader(bytes: bytes, limits: limits)
        return try reader.document()
    }

    /// XML 1.0's Char production.
    static func isXMLCharacter(_ value: UInt32) -> Bool {
        value == 0x09 || value == 0x0A || value == 0x0D || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }

    public static func parse(_ text: String, limits: XMLLimits = XMLLimits()) throws(XMLParseError) -> XMLElement {
        try parse(Array(text.utf8), limits: limits)
    }
}

private struct XMLReader {
    let bytes: [UInt8]
    let limits: XMLLimits
    var offset = 0
    var elementCount = 0
    /// Namespace bindings in scope, innermost last: (prefix, uri); "" is the default namespace.
    var bindings: [(prefix: String, uri: String)] = [("xml", "http://www.w3.org/XML/1998/namespace")]
    /// The document as read so far.
    var tree = XMLTreeBuilder()

    init(bytes: [UInt8], limits: XMLLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// The line is counted only when there is an error to report: counting while reading
    /// cost a test per byte.
    func fail(_ code: XMLParseError.Code, _ reason: String) -> XMLParseError {
        XMLParseError(code: code, line: Self.line(of: offset, in: bytes), reason: reason)
    }

    static func line(of offset: Int, in bytes: [UInt8]) -> Int {
        bytes[..<min(offset, bytes.count)].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
    }

    var isAtEnd: Bool { offset >= bytes.count }
    func peek(_ ahead: Int = 0) -> UInt8? { offset + ahead < bytes.count ? bytes[offset + ahead] : nil }

    func startsWith(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { literalBytes in
            for index in 0..<count where bytes[offset + index] != literalBytes[index] { return false }
            return true
        }
    }

    mutating func advance(_ count: Int = 1) { offset += count }

    mutating func skipSpace() {
        while let byte = peek(), byte == 32 || byte == 9 || byte == 10 || byte == 13 { advance() }
    }

    /// Advances past the next occurrence of `terminator`; fails if there is none.
    mutating func skip(past terminator: StaticString, what: String) throws(XMLParseError) -> Range<Int> {
        let start = offset
        while !isAtEnd {
            if startsWith(terminator) {
                let end = offset
                advance(terminator.utf8CodeUnitCount)
                return start..<end
            }
            advance()
        }
        throw fail(.malformed, "unterminated \(what)")
    }

    /// Comments, processing instructions (the XML declaration among them) and white space
    /// outside the root element. A DOCTYPE is refused outright.
    mutating func skipMisc() throws(XMLParseError) {
        while true {
            skipSpace()
            if startsWith("<!--") {
                advance(4)
                _ = try skip(past: "-->", what: "comment")
            } else if startsWith("<?") {
                advance(2)
                let range = try skip(past: "?>", what: "processing instruction")
                try checkDeclaration(bytes[range])
            } else if startsWith("<!DOCTYPE") || startsWith("<!doctype") {
                throw fail(.dtdForbidden, "a DOCTYPE (DTD) is not accepted")
            } else {
                return
            }
        }
    }

    /// `<?xml version="1.0" encoding="UTF-8"?>`: only UTF-8 (or no encoding) is accepted.
    func checkDeclaration(_ content: ArraySlice<UInt8>) throws(XMLParseError) {
        let text = String(decoding: content, as: UTF8.self)
        guard text.hasPrefix("xml ") || text.hasPrefix("xml\t") || text.hasPrefix("xml\n") || text.hasPrefix("xml\r")
        else { return }
        let words = Array(text.utf8)
        let key = Array("encoding".utf8)
        if let start = (0..<max(0, words.count - key.count + 1)).first(where: {
            words[$0..<$0 + key.count].elementsEqual(key)
        }) {
            let after = String(decoding: words[(start + key.count)...], as: UTF8.self)
            let rest = after.drop { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "'" }
            let encoding = rest.prefix { $0 != "\"" && $0 != "'" }.uppercased()
            guard encoding == "UTF-8" || encoding == "UTF8" else {
                throw fail(.notUTF8, "encoding \(encoding) is not supported; send UTF-8")
            }
        }
    }

    mutating func document() throws(XMLParseError) -> XMLElement {
        if startsWith("\u{FEFF}") { advance(3) }  // UTF-8 byte order mark
        try skipMisc()
        guard peek() == UInt8(ascii: "<") else { throw fail(.malformed, "no root element") }
        let root = try element(depth: 1, parent: -1)
        try skipMisc()
        guard isAtEnd else { throw fail(.malformed, "content after the root element") }
        return XMLElement(tree: tree.finish(), index: root)
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: ":") || byte >= 0x80
    }

    mutating func name() throws(XMLParseError) -> String {
        let range = try nameRange()
        return try string(range, what: "a name")
    }

    /// The bytes of the name at the reading position, which it passes.
    mutating func nameRange() throws(XMLParseError) -> Range<Int> {
        let start = offset
        while offset < bytes.count, Self.isNameByte(bytes[offset]) { offset += 1 }
        guard offset > start, case let first = bytes[start], !(first >= 48 && first <= 57),
            first != UInt8(ascii: "-"), first != UInt8(ascii: ".")
        else { throw fail(.malformed, "expected a name") }
        return start..<offset
    }

    /// The bytes as a String, refused unless they are UTF-8. ASCII (nearly every name and
    /// value in a payment message) takes the direct path: generic validation of a slice was
    /// a tenth of reading a message.
    func string(_ range: Range<Int>, what: String) throws(XMLParseError) -> String {
        let text: String? = bytes.withUnsafeBufferPointer { buffer in
            let slice = UnsafeBufferPointer(rebasing: buffer[range])
            var isASCII = true
            for byte in slice where byte >= 0x80 {
                isASCII = false
                break
            }
            return isASCII ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
        }
        guard let text else { throw fail(.notUTF8, "\(what) is not UTF-8") }
        return text
    }

    func resolve(_ prefix: String) throws(XMLParseError) -> String {
        for binding in bindings.reversed() where binding.prefix == prefix { return binding.uri }
        if prefix.isEmpty { return "" }
        throw fail(.undeclaredPrefix, "namespace prefix '\(prefix)' is not declared")
    }

    /// Prefix and local name, split at the colon (by bytes: a Character search here was a
    /// tenth of reading a message).
    static func split(_ qualified: String) -> (prefix: String, local: String) {
        let utf8 = qualified.utf8
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")) else { return ("", qualified) }
        return (String(qualified[..<colon]), String(qualified[utf8.index(after: colon)...]))
    }

    /// Reads the element at the reading position (and everything in it) into the tree, as the
    /// next child of `parent`; answers its index.
    mutating func element(depth: Int, parent: Int32) throws(XMLParseError) -> Int32 {
        guard depth <= limits.maxDepth else { throw fail(.tooDeep, "elements nest deeper than \(limits.maxDepth)") }
        elementCount += 1
        guard elementCount <= limits.maxElements else {
            throw fail(.tooManyElements, "more than \(limits.maxElements) elements")
        }
        advance()  // <
        let nameStart = offset
        let qualified = try name()
        let nameBytes = nameStart..<offset
        var rawAttributes: [(String, String)] = []
        var selfClosing = false
        while true {
            skipSpace()
            guard let byte = peek() else { throw fail(.malformed, "unterminated start tag <\(qualified)>") }
            if byte == UInt8(ascii: ">") { advance(); break }
            if byte == UInt8(ascii: "/") {
                guard peek(1) == UInt8(ascii: ">") else { throw fail(.malformed, "expected /> in <\(qualified)>") }
                advance(2)
                selfClosing = true
                break
            }
            let attributeName = try name()
            skipSpace()
            guard peek() == UInt8(ascii: "=") else { throw fail(.malformed, "attribute \(attributeName) has no value") }
            advance()
            skipSpace()
            guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                throw fail(.malformed, "attribute \(attributeName) is not quoted")
            }
            advance()
            let start = offset
            while let next = peek(), next != quote {
                guard next != UInt8(ascii: "<") else { throw fail(.malformed, "< inside attribute \(attributeName)") }
                advance()
            }
            guard !isAtEnd else { throw fail(.malformed, "unterminated attribute \(attributeName)") }
            let value = try decodeText(bytes[start..<offset])
            advance()
            guard !rawAttributes.contains(where: { $0.0 == attributeName }) else {
                throw fail(.malformed, "attribute \(attributeName) repeated")
            }
            rawAttributes.append((attributeName, value))
            guard rawAttributes.count <= limits.maxAttributesPerElement else {
                throw fail(.malformed, "too many attributes on <\(qualified)>")
            }
        }
        // Namespace declarations first: they apply to this element and its attributes.
        let bindingsBefore = bindings.count
        var attributes: [String: String] = [:]
        for (attributeName, value) in rawAttributes {
            if attributeName == "xmlns" {
                bindings.append(("", value))
            } else if attributeName.hasPrefix("xmlns:") {
                bindings.append((String(attributeName.dropFirst(6)), value))
            }
        }
        for (attributeName, value) in rawAttributes where attributeName != "xmlns" && !attributeName.hasPrefix("xmlns:")
        {
            let (prefix, local) = Self.split(attributeName)
            if !prefix.isEmpty { _ = try resolve(prefix) }
            attributes[local] = value
        }
        let (prefix, local) = Self.split(qualified)
        let index = tree.open(name: local, namespace: try resolve(prefix), attributes: attributes, parent: parent)
        if !selfClosing { try content(of: index, qualified: qualified, nameBytes: nameBytes, depth: depth) }
        bindings.removeSubrange(bindingsBefore...)
        return index
    }

    mutating func content(
        of element: Int32, qualified: String, nameBytes: Range<Int>, depth: Int
    ) throws(XMLParseError) {
        var text = ""
        while true {
            guard offset < bytes.count else { throw fail(.malformed, "<\(qualified)> is not closed") }
            guard bytes[offset] == UInt8(ascii: "<") else {
                let start = offset
                while offset < bytes.count, bytes[offset] != UInt8(ascii: "<") { offset += 1 }
                let chunk = try decodeText(bytes[start..<offset])
                if text.isEmpty { text = chunk } else { text += chunk }
                continue
            }
            // One test of the byte after `<` picks the kind of markup.
            switch peek(1) {
            case UInt8(ascii: "/"):
                advance(2)
                // The closing name compared as bytes with the opening one (no String for it).
                let end = offset + nameBytes.count
                guard end < bytes.count, bytes[offset..<end].elementsEqual(bytes[nameBytes]),
                    !Self.isNameByte(bytes[end])
                else {
                    let closing = try name()
                    throw fail(.malformed, "</\(closing)> closes <\(qualified)>")
                }
                offset = end
                skipSpace()
                guard peek() == UInt8(ascii: ">") else { throw fail(.malformed, "expected > after </\(qualified)") }
                advance()
                tree.texts[Int(element)] = text
                return
            case UInt8(ascii: "!"):
                if startsWith("<!--") {
                    advance(4)
                    _ = try skip(past: "-->", what: "comment")
                } else if startsWith("<![CDATA[") {
                    advance(9)
                    let range = try skip(past: "]]>", what: "CDATA section")
                    text += try string(range, what: "CDATA")
                } else {
                    throw fail(.dtdForbidden, "markup declarations are not accepted")
                }
            case UInt8(ascii: "?"):
                advance(2)
                _ = try skip(past: "?>", what: "processing instruction")
            default:
                _ = try self.element(depth: depth + 1, parent: element)
            }
        }
    }

    /// Character data with the five predefined entities and character references; any other
    /// entity is undeclared (there is no DTD to declare it).
    func decodeText(_ raw: ArraySlice<UInt8>) throws(XMLParseError) -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return try string(raw.indices, what: "text") }
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "&") else { output.append(byte); index += 1; continue }
            guard let semicolon = raw[index...].firstIndex(of: UInt8(ascii: ";")), semicolon - index <= 12 else {
                throw fail(.malformed, "& without ;")
            }
            let entity = String(decoding: raw[(index + 1)..<semicolon], as: UTF8.self)
            switch entity {
            case "lt": output.append(UInt8(ascii: "<"))
            case "gt": output.append(UInt8(ascii: ">"))
            case "amp": output.append(UInt8(ascii: "&"))
            case "quot": output.append(UInt8(ascii: "\""))
            case "apos": output.append(UInt8(ascii: "'"))
            default:
                let scalarValue: UInt32? =
                    if entity.hasPrefix("#x") { UInt32(entity.dropFirst(2), radix: 16) } else if entity.hasPrefix("#") {
                        UInt32(entity.dropFirst(1))
                    } else { nil }
                guard let scalarValue else { throw fail(.undeclaredEntity, "entity &\(entity); is not declared") }
                guard let scalar = Unicode.Scalar(scalarValue) else {
                    throw fail(.malformed, "bad character reference &\(entity);")
                }
                guard XMLParser.isXMLCharacter(scalarValue) else {
                    throw fail(.forbiddenCharacter, "&\(entity); is a character XML 1.0 forbids")
                }
                output.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
            index = semicolon + 1
        }
        guard let text = String(validating: output, as: UTF8.self) else { throw fail(.notUTF8, "text is not UTF-8") }
        return text
    }
}

extension String {
    /// Without leading and trailing XML white space (space, tab, CR, LF).
    func trimmingXMLSpace() -> String {
        // Bytes, not Characters: XML's four space characters are ASCII.
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let bytes = utf8
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        if first == bytes.startIndex && bytes.index(after: last) == bytes.endIndex { return self }
        return String(self[first...last])
    }
}
