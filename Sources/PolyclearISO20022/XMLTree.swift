/// A parsed document held flat over its own bytes: every element in document order, linked by
/// indexes (parent, first child, next sibling), its local name a range of the bytes, its
/// character data a chain of ranges ("chunks"). Nothing becomes a String until it is read:
/// building a String for every name and every run of text (the white space between elements
/// included) was most of reading a message. An element is a handle (`XMLElement`: the tree and
/// an index), so walking a path copies nothing; names are compared as bytes.
///
/// The parser has checked everything before the tree exists (UTF-8, XML's characters,
/// references), so reading it cannot fail.
final class XMLTree: Sendable {
    struct Node: Sendable {
        var parent: Int32
        var firstChild: Int32 = -1
        var nextSibling: Int32 = -1
        var namespace: Int32
        /// The local name's bytes (after any prefix).
        var nameStart: Int32
        var nameLength: Int32
        /// The name's first eight bytes (little-endian, zero-padded): one comparison rejects
        /// nearly every sibling a lookup passes over.
        var namePrefix: UInt64
        /// One bit per child name (`XMLTree.nameBit`): a lookup of a name none of the children
        /// has (most optional elements) ends here instead of passing every child.
        var childNames: UInt64 = 0
        /// The first and last of the element's character-data chunks (-1: none).
        var firstChunk: Int32 = -1
        var lastChunk: Int32 = -1
    }

    /// A run of character data: raw bytes (plain text or a CDATA section), or text with
    /// references, decoded once by the parser (`decoded[start]`).
    struct Chunk: Sendable {
        var start: Int32
        var end: Int32
        var next: Int32 = -1
        var isDecoded = false
    }

    let bytes: [UInt8]
    let nodes: [Node]
    let chunks: [Chunk]
    let decoded: [String]
    let namespaces: [String]
    /// Only the elements that have attributes.
    let attributes: [Int32: [String: String]]

    init(
        bytes: [UInt8], nodes: [Node], chunks: [Chunk], decoded: [String], namespaces: [String],
        attributes: [Int32: [String: String]]
    ) {
        self.bytes = bytes
        self.nodes = nodes
        self.chunks = chunks
        self.decoded = decoded
        self.namespaces = namespaces
        self.attributes = attributes
    }

    func name(_ node: Int32) -> String {
        let found = nodes[Int(node)]
        let start = Int(found.nameStart)
        return String(decoding: bytes[start..<start + Int(found.nameLength)], as: UTF8.self)
    }

    /// The first eight bytes of a name, as `Node.namePrefix` holds them.
    @inline(__always)
    static func prefix(_ name: UnsafeBufferPointer<UInt8>) -> UInt64 {
        if name.count >= 8 { return UnsafeRawPointer(name.baseAddress!).loadUnaligned(as: UInt64.self).littleEndian }
        var value: UInt64 = 0
        var index = 0
        let count = name.count
        while index < count {
            value |= UInt64(name[index]) << (8 * UInt64(index))
            index += 1
        }
        return value
    }

    /// The bit of a name (its first eight bytes and length) in `Node.childNames`.
    @inline(__always)
    static func nameBit(prefix: UInt64, length: Int) -> UInt64 {
        1 << (((prefix ^ UInt64(truncatingIfNeeded: length)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
    }

    /// Whether the node's local name is these bytes (whose first eight are `prefix`).
    @inline(__always)
    func hasName(
        _ node: Int32, _ name: UnsafeBufferPointer<UInt8>, prefix: UInt64, in buffer: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        let found = nodes[Int(node)]
        guard found.namePrefix == prefix, Int(found.nameLength) == name.count else { return false }
        let start = Int(found.nameStart)
        var index = 8
        while index < name.count {
            if buffer[start + index] != name[index] { return false }
            index += 1
        }
        return true
    }

    /// The index of the first child named `name`, or -1.
    func firstChild(of node: Int32, named name: String) -> Int32 {
        var name = name
        return name.withUTF8 { name in
            bytes.withUnsafeBufferPointer { buffer in firstChild(of: node, named: name, in: buffer) }
        }
    }

    @inline(__always)
    func firstChild(
        of node: Int32, named name: UnsafeBufferPointer<UInt8>, in buffer: UnsafeBufferPointer<UInt8>
    ) -> Int32 {
        let prefix = Self.prefix(name)
        guard nodes[Int(node)].childNames & Self.nameBit(prefix: prefix, length: name.count) != 0 else { return -1 }
        var child = nodes[Int(node)].firstChild
        while child >= 0 {
            if hasName(child, name, prefix: prefix, in: buffer) { return child }
            child = nodes[Int(child)].nextSibling
        }
        return -1
    }

    /// The node at a `/`-separated path of local names below `node`, or -1.
    func descendant(of node: Int32, path: String) -> Int32 {
        var path = path
        return path.withUTF8 { path in
            bytes.withUnsafeBufferPointer { buffer in
                var current = node
                var start = 0
                while start < path.count {
                    var stop = start
                    while stop < path.count, path[stop] != UInt8(ascii: "/") { stop += 1 }
                    let step = UnsafeBufferPointer(rebasing: path[start..<stop])
                    current = firstChild(of: current, named: step, in: buffer)
                    guard current >= 0 else { return -1 }
                    start = stop + 1
                }
                return current
            }
        }
    }

    /// The element's character data, all chunks in order.
    func text(_ node: Int32) -> String {
        var chunk = nodes[Int(node)].firstChunk
        guard chunk >= 0 else { return "" }
        guard chunks[Int(chunk)].next >= 0 else { return text(ofChunk: chunk) }
        var result = ""
        while chunk >= 0 {
            result += text(ofChunk: chunk)
            chunk = chunks[Int(chunk)].next
        }
        return result
    }

    private func text(ofChunk index: Int32) -> String {
        let chunk = chunks[Int(index)]
        if chunk.isDecoded { return decoded[Int(chunk.start)] }
        return String(decoding: bytes[Int(chunk.start)..<Int(chunk.end)], as: UTF8.self)
    }

    /// The character data without leading and trailing XML white space. One raw chunk (nearly
    /// every value in a payment message) is trimmed on its bytes, so only the value becomes a
    /// String.
    func trimmedText(_ node: Int32) -> String {
        let first = nodes[Int(node)].firstChunk
        guard first >= 0 else { return "" }
        let chunk = chunks[Int(first)]
        guard chunk.next < 0, !chunk.isDecoded else { return text(node).trimmingXMLSpace() }
        var (start, end) = (Int(chunk.start), Int(chunk.end))
        while start < end, XMLTree.isSpace(bytes[start]) { start += 1 }
        while end > start, XMLTree.isSpace(bytes[end - 1]) { end -= 1 }
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self)
        }
    }

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
}

/// One element: its namespace URI (resolved from the prefixes in scope), local name,
/// attributes (local name → value), child elements, and its own character data. Equal when
/// their content is (names, namespaces, attributes, text and children, recursively).
public struct XMLElement: Sendable, Hashable {
    let tree: XMLTree
    let index: Int32

    public var name: String { tree.name(index) }
    public var namespace: String { tree.namespaces[Int(tree.nodes[Int(index)].namespace)] }
    public var text: String { tree.text(index) }
    /// The text without leading and trailing XML white space.
    public var trimmedText: String { tree.trimmedText(index) }
    public var attributes: [String: String] { tree.attributes[index] ?? [:] }

    public var children: [XMLElement] {
        var found: [XMLElement] = []
        var child = tree.nodes[Int(index)].firstChild
        while child >= 0 {
            found.append(XMLElement(tree: tree, index: child))
            child = tree.nodes[Int(child)].nextSibling
        }
        return found
    }

    /// The first child with this local name (ISO 20022 documents use one namespace each).
    public func child(_ name: String) -> XMLElement? {
        let found = tree.firstChild(of: index, named: name)
        return found < 0 ? nil : XMLElement(tree: tree, index: found)
    }

    public func children(_ name: String) -> [XMLElement] {
        var name = name
        return name.withUTF8 { name in
            tree.bytes.withUnsafeBufferPointer { buffer in
                var found: [XMLElement] = []
                let prefix = XMLTree.prefix(name)
                let bit = XMLTree.nameBit(prefix: prefix, length: name.count)
                guard tree.nodes[Int(index)].childNames & bit != 0 else { return found }
                var child = tree.nodes[Int(index)].firstChild
                while child >= 0 {
                    if tree.hasName(child, name, prefix: prefix, in: buffer) {
                        found.append(XMLElement(tree: tree, index: child))
                    }
                    child = tree.nodes[Int(child)].nextSibling
                }
                return found
            }
        }
    }

    /// Follows a `/`-separated path of local names, comparing each step's bytes with the
    /// names' bytes (no String is made for a step).
    public func descendant(_ path: String) -> XMLElement? {
        let found = tree.descendant(of: index, path: path)
        return found < 0 ? nil : XMLElement(tree: tree, index: found)
    }

    /// The trimmed text at a path, nil when the element is missing or empty.
    public func value(_ path: String) -> String? {
        // On indexes: no element handle (and no reference to the tree) is made on the way.
        let found = tree.descendant(of: index, path: path)
        guard found >= 0 else { return nil }
        let trimmed = tree.trimmedText(found)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The path of local names from `ancestor` (exclusive) down to this element, e.g.
    /// `Dbtr/PstlAdr/Ctry`; empty when this is the ancestor. For error messages only.
    func names(below ancestor: Int32) -> [String] {
        var names: [String] = []
        var node = index
        while node >= 0 && node != ancestor {
            names.append(tree.name(node))
            node = tree.nodes[Int(node)].parent
        }
        return names.reversed()
    }

    public static func == (left: XMLElement, right: XMLElement) -> Bool {
        if left.tree === right.tree && left.index == right.index { return true }
        return left.name == right.name && left.namespace == right.namespace && left.text == right.text
            && left.attributes == right.attributes && left.children == right.children
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(namespace)
        hasher.combine(text)
    }
}
