/// A small, strict, non-validating XML 1.0 parser for ISO 20022 messages — written here
/// rather than borrowed so that what it refuses is exactly what the hub must refuse:
/// no DTDs (so no entity expansion of any kind, no external entities), only the five
/// predefined entities and character references, UTF-8 only, and hard limits on size, depth
/// and element count checked while reading, before anything is built beyond them.
public struct XMLLimits: Sendable {
    /// Sized for the largest message the hub accepts, a pacs.008 of 1,000 transactions with
    /// full party data (about 50 elements and 2.5 KB a transaction; tested), with room.
    public var maxBytes = 4 << 20
    /// The tree holds offsets as 32-bit integers: no limit takes a document beyond them.
    public var effectiveMaxBytes: Int { min(maxBytes, Int(Int32.max)) }
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
        guard bytes.count <= limits.effectiveMaxBytes else {
            throw XMLParseError(
                code: .tooLarge, line: 0, reason: "\(bytes.count) bytes, at most \(limits.effectiveMaxBytes)")
        }
        try checkCharacters(bytes)
        // The reader reads through a pointer (no bounds check or array access per byte); the
        // tree keeps the array.
        let parsed: Result<XMLElement, XMLParseError> = bytes.withUnsafeBufferPointer { buffer in
            var reader = XMLReader(bytes: bytes, buffer: buffer, limits: limits)
            do throws(XMLParseError) { return .success(try reader.document()) } catch { return .failure(error) }
        }
        return try parsed.get()
    }

    public static func parse(_ text: String, limits: XMLLimits = XMLLimits()) throws(XMLParseError) -> XMLElement {
        try parse(Array(text.utf8), limits: limits)
    }
}

private struct XMLReader {
    let bytes: [UInt8]
    /// `bytes`, valid while the parse runs.
    let buffer: UnsafeBufferPointer<UInt8>
    let limits: XMLLimits
    var offset = 0
    var elementCount = 0
    /// Namespace bindings in scope, innermost last: (prefix bytes, namespace index); an empty
    /// prefix is the default namespace.
    var bindings: [(prefix: [UInt8], namespace: Int32)] = []
    var namespaces: [String] = ["", "http://www.w3.org/XML/1998/namespace"]
    /// Filled only once a document declares more than 16 namespaces (see `namespaceID`).
    var namespaceIndex: [String: Int32] = [:]
    var nodes: [XMLTree.Node] = []
    var chunks: [XMLTree.Chunk] = []
    var decoded: [String] = []
    var attributes: [Int32: [String: String]] = [:]
    /// Per open element, its last child so far (to link the next one).
    var lastChild: [Int32] = []

    init(bytes: [UInt8], buffer: UnsafeBufferPointer<UInt8>, limits: XMLLimits) {
        self.bytes = bytes
        self.buffer = buffer
        self.limits = limits
        bindings.reserveCapacity(8)
        bindings.append((Array("xml".utf8), 1))
        nodes.reserveCapacity(bytes.count / 24)
        chunks.reserveCapacity(bytes.count / 12)
        lastChild.reserveCapacity(bytes.count / 24)
    }

    /// The line is counted only when there is an error to report: counting while reading
    /// cost a test per byte.
    func fail(_ code: XMLParseError.Code, _ reason: String) -> XMLParseError {
        XMLParseError(code: code, line: XMLParser.line(of: offset, in: bytes), reason: reason)
    }

    var isAtEnd: Bool { offset >= buffer.count }
    func peek(_ ahead: Int = 0) -> UInt8? { offset + ahead < buffer.count ? buffer[offset + ahead] : nil }

    func startsWith(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= buffer.count else { return false }
        return literal.withUTF8Buffer { literalBytes in
            for index in 0..<count where buffer[offset + index] != literalBytes[index] { return false }
            return true
        }
    }

    mutating func advance(_ count: Int = 1) { offset += count }

    mutating func skipSpace() {
        while offset < buffer.count, XMLTree.isSpace(buffer[offset]) { offset += 1 }
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
        // On bytes: every message starts with one.
        guard content.count > 3, content.starts(with: "xml".utf8),
            XMLTree.isSpace(content[content.startIndex + 3])
        else { return }
        let key = "encoding".utf8
        guard let start = content.indices.first(where: { content[$0...].starts(with: key) }) else { return }
        let rest = content[(start + key.count)...].drop {
            $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'")
        }
        let name = rest.prefix { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "'") }
        let encoding = String(decoding: name, as: UTF8.self).uppercased()
        guard encoding == "UTF-8" || encoding == "UTF8" else {
            throw fail(.notUTF8, "encoding \(encoding) is not supported; send UTF-8")
        }
    }

    mutating func document() throws(XMLParseError) -> XMLElement {
        if startsWith("\u{FEFF}") { advance(3) }  // UTF-8 byte order mark
        try skipMisc()
        guard peek() == UInt8(ascii: "<") else { throw fail(.malformed, "no root element") }
        let root = try element(depth: 1, parent: -1)
        try skipMisc()
        guard isAtEnd else { throw fail(.malformed, "content after the root element") }
        let tree = XMLTree(
            bytes: bytes, nodes: nodes, chunks: chunks, decoded: decoded, namespaces: namespaces,
            attributes: attributes)
        return XMLElement(tree: tree, index: root)
    }

    /// Letters, digits, `_ - . :` and every byte of a multi-byte character, as two bit masks
    /// (bytes 0–63, 64–127): one shift per byte of every name.
    static let nameBytesLow: UInt64 = 0x07FF_6000_0000_0000  // 0-9 - . :
    static let nameBytesHigh: UInt64 = 0x07FF_FFFE_87FF_FFFE  // A-Z _ a-z (bit = byte - 64)

    @inline(__always)
    static func isNameByte(_ byte: UInt8) -> Bool {
        if byte >= 0x80 { return true }
        return byte < 64 ? (nameBytesLow >> UInt64(byte)) & 1 == 1 : (nameBytesHigh >> UInt64(byte - 64)) & 1 == 1
    }

    /// A name as a String (attribute names and error messages only: element names stay bytes).
    mutating func name() throws(XMLParseError) -> String {
        let range = try nameRange()
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// The bytes of the name at the reading position, which it passes.
    mutating func nameRange() throws(XMLParseError) -> Range<Int> {
        let start = offset
        while offset < buffer.count, Self.isNameByte(buffer[offset]) { offset += 1 }
        guard offset > start, case let first = buffer[start], !(first >= 48 && first <= 57),
            first != UInt8(ascii: "-"), first != UInt8(ascii: ".")
        else { throw fail(.malformed, "expected a name") }
        return start..<offset
    }

    /// The namespace bound to a prefix (the bytes of `range`; empty: the default namespace).
    func resolve(_ range: Range<Int>) throws(XMLParseError) -> Int32 {
        var index = bindings.count - 1
        while index >= 0 {
            if Self.equal(bindings[index].prefix, buffer, range) { return bindings[index].namespace }
            index -= 1
        }
        if range.isEmpty { return 0 }
        throw fail(
            .undeclaredPrefix,
            "namespace prefix '\(String(decoding: bytes[range], as: UTF8.self))' is not declared")
    }

    @inline(__always)
    static func equal(_ prefix: [UInt8], _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard prefix.count == range.count else { return false }
        var index = 0
        while index < prefix.count {
            if prefix[index] != buffer[range.lowerBound + index] { return false }
            index += 1
        }
        return true
    }

    /// Whether the bytes at `start` repeat those of `range` (which end before `start`).
    @inline(__always)
    static func sameBytes(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ range: Range<Int>) -> Bool {
        var index = 0
        while index < range.count {
            if buffer[start + index] != buffer[range.lowerBound + index] { return false }
            index += 1
        }
        return true
    }

    mutating func namespaceID(_ uri: String) -> Int32 {
        // A message declares a handful: comparing them is cheaper than hashing the URI (and
        // than building the index for every message).
        if namespaces.count <= 16 {
            if let known = namespaces.firstIndex(of: uri) { return Int32(known) }
        } else {
            if namespaceIndex.isEmpty {
                for (index, known) in namespaces.enumerated() { namespaceIndex[known] = Int32(index) }
            }
            if let known = namespaceIndex[uri] { return known }
        }
        let id = Int32(namespaces.count)
        namespaces.append(uri)
        if !namespaceIndex.isEmpty { namespaceIndex[uri] = id }
        return id
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
        let nameBytes = try nameRange()
        let (rawAttributes, selfClosing) = try attributeList(of: nameBytes)
        let bindingsBefore = bindings.count
        // Most elements have no attributes: nothing to bind or keep (not even an empty table).
        let elementAttributes = rawAttributes.isEmpty ? nil : try bind(rawAttributes)
        // Prefix and local name, split at the colon.
        var local = nameBytes
        var prefix = nameBytes.lowerBound..<nameBytes.lowerBound
        var colon = nameBytes.lowerBound
        while colon < nameBytes.upperBound, buffer[colon] != UInt8(ascii: ":") { colon += 1 }
        if colon < nameBytes.upperBound {
            prefix = nameBytes.lowerBound..<colon
            local = (colon + 1)..<nameBytes.upperBound
        }
        let index = open(local: local, namespace: try resolve(prefix), parent: parent)
        if let elementAttributes, !elementAttributes.isEmpty { attributes[index] = elementAttributes }
        if !selfClosing { try content(of: index, nameBytes: nameBytes, depth: depth) }
        if bindings.count > bindingsBefore { bindings.removeSubrange(bindingsBefore...) }
        return index
    }

    /// Binds the namespace declarations among a start tag's attributes (first: they apply to
    /// the element and its attributes) and answers the other attributes by local name.
    mutating func bind(_ rawAttributes: [(String, String)]) throws(XMLParseError) -> [String: String] {
        var elementAttributes: [String: String] = [:]
        for (attributeName, value) in rawAttributes {
            if attributeName == "xmlns" {
                bindings.append(([], namespaceID(value)))
            } else if attributeName.hasPrefix("xmlns:") {
                bindings.append((Array(attributeName.utf8.dropFirst(6)), namespaceID(value)))
            }
        }
        for (attributeName, value) in rawAttributes where attributeName != "xmlns" && !attributeName.hasPrefix("xmlns:")
        {
            let utf8 = attributeName.utf8
            if let colon = utf8.firstIndex(of: UInt8(ascii: ":")) {
                let prefixLength = utf8.distance(from: utf8.startIndex, to: colon)
                let prefix = Array(utf8.prefix(prefixLength))
                guard prefix.isEmpty || bindings.contains(where: { $0.prefix == prefix }) else {
                    throw fail(
                        .undeclaredPrefix,
                        "namespace prefix '\(String(decoding: prefix, as: UTF8.self))' is not declared")
                }
                elementAttributes[String(attributeName[utf8.index(after: colon)...])] = value
            } else {
                elementAttributes[attributeName] = value
            }
        }
        return elementAttributes
    }

    /// A new element, linked as the next child of `parent` (-1: the root).
    mutating func open(local: Range<Int>, namespace: Int32, parent: Int32) -> Int32 {
        let index = Int32(nodes.count)
        let prefix = XMLTree.prefix(UnsafeBufferPointer(rebasing: buffer[local]))
        nodes.append(
            XMLTree.Node(
                parent: parent, namespace: namespace, nameStart: Int32(local.lowerBound),
                nameLength: Int32(local.count), namePrefix: prefix))
        lastChild.append(-1)
        if parent >= 0 {
            nodes[Int(parent)].childNames |= XMLTree.nameBit(prefix: prefix, length: local.count)
            let previous = lastChild[Int(parent)]
            if previous < 0 { nodes[Int(parent)].firstChild = index } else { nodes[Int(previous)].nextSibling = index }
            lastChild[Int(parent)] = index
        }
        return index
    }

    /// The attributes of a start tag (names and decoded values, in order), and whether the tag
    /// closes itself. The reading position ends after the tag.
    mutating func attributeList(of nameBytes: Range<Int>) throws(XMLParseError) -> ([(String, String)], Bool) {
        var rawAttributes: [(String, String)] = []
        while true {
            skipSpace()
            guard let byte = peek() else { throw fail(.malformed, "unterminated start tag <\(qualified(nameBytes))>") }
            if byte == UInt8(ascii: ">") {
                advance()
                return (rawAttributes, false)
            }
            if byte == UInt8(ascii: "/") {
                guard peek(1) == UInt8(ascii: ">") else {
                    throw fail(.malformed, "expected /> in <\(qualified(nameBytes))>")
                }
                advance(2)
                return (rawAttributes, true)
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
                throw fail(.malformed, "too many attributes on <\(qualified(nameBytes))>")
            }
        }
    }

    func qualified(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// A run of character data of `element`, appended to its chain of chunks.
    mutating func addChunk(_ chunk: XMLTree.Chunk, to element: Int32) {
        let index = Int32(chunks.count)
        chunks.append(chunk)
        let last = nodes[Int(element)].lastChunk
        if last < 0 { nodes[Int(element)].firstChunk = index } else { chunks[Int(last)].next = index }
        nodes[Int(element)].lastChunk = index
    }

    mutating func content(of element: Int32, nameBytes: Range<Int>, depth: Int) throws(XMLParseError) {
        while true {
            guard offset < buffer.count else { throw fail(.malformed, "<\(qualified(nameBytes))> is not closed") }
            guard buffer[offset] == UInt8(ascii: "<") else {
                let start = offset
                var hasReference = false
                while offset < buffer.count, buffer[offset] != UInt8(ascii: "<") {
                    if buffer[offset] == UInt8(ascii: "&") { hasReference = true }
                    offset += 1
                }
                if hasReference {
                    decoded.append(try decodeText(bytes[start..<offset]))
                    addChunk(
                        XMLTree.Chunk(start: Int32(decoded.count - 1), end: 0, isDecoded: true), to: element)
                } else {
                    addChunk(XMLTree.Chunk(start: Int32(start), end: Int32(offset)), to: element)
                }
                continue
            }
            // One test of the byte after `<` picks the kind of markup.
            switch peek(1) {
            case UInt8(ascii: "/"):
                advance(2)
                // The closing name compared as bytes with the opening one.
                let end = offset + nameBytes.count
                guard end < buffer.count, Self.sameBytes(buffer, offset, nameBytes),
                    !Self.isNameByte(buffer[end])
                else {
                    let closing = try name()
                    throw fail(.malformed, "</\(closing)> closes <\(qualified(nameBytes))>")
                }
                offset = end
                skipSpace()
                guard peek() == UInt8(ascii: ">") else {
                    throw fail(.malformed, "expected > after </\(qualified(nameBytes))")
                }
                advance()
                return
            case UInt8(ascii: "!"):
                if startsWith("<!--") {
                    advance(4)
                    _ = try skip(past: "-->", what: "comment")
                } else if startsWith("<![CDATA[") {
                    advance(9)
                    let range = try skip(past: "]]>", what: "CDATA section")
                    addChunk(XMLTree.Chunk(start: Int32(range.lowerBound), end: Int32(range.upperBound)), to: element)
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
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
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
        // The raw bytes were checked as UTF-8 and references add whole characters.
        return String(decoding: output, as: UTF8.self)
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
