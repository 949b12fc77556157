/// A parsed document held flat: every element in document order, linked by indexes (first
/// child, next sibling), with its local name, namespace, text and attributes in parallel
/// arrays. An element is a handle into it (`XMLElement`: the tree and an index), so walking a
/// path copies nothing — a tree of nested structs with child arrays was copied (and its
/// reference counts touched) at every step, which was a third of reading a message.
final class XMLTree: Sendable {
    struct Node: Sendable {
        var firstChild: Int32 = -1
        var nextSibling: Int32 = -1
        var namespace: Int32
    }

    let nodes: [Node]
    let names: [String]
    let texts: [String]
    let namespaces: [String]
    /// Only the elements that have attributes.
    let attributes: [Int32: [String: String]]

    init(nodes: [Node], names: [String], texts: [String], namespaces: [String], attributes: [Int32: [String: String]]) {
        self.nodes = nodes
        self.names = names
        self.texts = texts
        self.namespaces = namespaces
        self.attributes = attributes
    }
}

/// What the reader builds, element by element (`XMLTree` once done).
struct XMLTreeBuilder {
    var nodes: [XMLTree.Node] = []
    var names: [String] = []
    var texts: [String] = []
    var namespaces: [String] = []
    var namespaceIndex: [String: Int32] = [:]
    var attributes: [Int32: [String: String]] = [:]
    /// Per open element, its last child so far (to link the next one).
    var lastChild: [Int32] = []

    /// A new element, linked as the next child of `parent` (-1: the root).
    mutating func open(name: String, namespace: String, attributes: [String: String], parent: Int32) -> Int32 {
        let index = Int32(nodes.count)
        let namespaceID: Int32
        // Nearly every element has its parent's namespace (the same String): no hashing then.
        if let last = namespaces.indices.last, namespaces[last] == namespace {
            namespaceID = Int32(last)
        } else if let known = namespaceIndex[namespace] {
            namespaceID = known
        } else {
            namespaceID = Int32(namespaces.count)
            namespaces.append(namespace)
            namespaceIndex[namespace] = namespaceID
        }
        nodes.append(XMLTree.Node(namespace: namespaceID))
        names.append(name)
        texts.append("")
        lastChild.append(-1)
        if !attributes.isEmpty { self.attributes[index] = attributes }
        if parent >= 0 {
            let previous = lastChild[Int(parent)]
            if previous < 0 { nodes[Int(parent)].firstChild = index } else { nodes[Int(previous)].nextSibling = index }
            lastChild[Int(parent)] = index
        }
        return index
    }

    func finish() -> XMLTree {
        XMLTree(nodes: nodes, names: names, texts: texts, namespaces: namespaces, attributes: attributes)
    }
}

/// One element: its namespace URI (resolved from the prefixes in scope), local name,
/// attributes (local name → value), child elements, and its own character data. Equal when
/// their content is (names, namespaces, attributes, text and children, recursively).
public struct XMLElement: Sendable, Hashable {
    let tree: XMLTree
    let index: Int32

    public var name: String { tree.names[Int(index)] }
    public var namespace: String { tree.namespaces[Int(tree.nodes[Int(index)].namespace)] }
    public var text: String { tree.texts[Int(index)] }
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

    /// The index of the first child with this local name, or -1.
    private func firstChild(named name: String) -> Int32 {
        var child = tree.nodes[Int(index)].firstChild
        while child >= 0 {
            if tree.names[Int(child)] == name { return child }
            child = tree.nodes[Int(child)].nextSibling
        }
        return -1
    }

    /// The first child with this local name (ISO 20022 documents use one namespace each).
    public func child(_ name: String) -> XMLElement? {
        let found = firstChild(named: name)
        return found < 0 ? nil : XMLElement(tree: tree, index: found)
    }

    public func children(_ name: String) -> [XMLElement] {
        var found: [XMLElement] = []
        var child = tree.nodes[Int(index)].firstChild
        while child >= 0 {
            if tree.names[Int(child)] == name { found.append(XMLElement(tree: tree, index: child)) }
            child = tree.nodes[Int(child)].nextSibling
        }
        return found
    }

    /// Follows a `/`-separated path of local names. Each step is cut from the path by bytes
    /// (splitting into `Character`s cost a quarter of reading a pacs.008) into a String of at
    /// most 15 bytes, stored inline, so that comparing it with a name is one comparison of
    /// raw bits.
    public func descendant(_ path: String) -> XMLElement? {
        var current = XMLElement(tree: tree, index: index)
        let bytes = path.utf8
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let stop = bytes[start...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            let next = current.firstChild(named: String(path[start..<stop]))
            guard next >= 0 else { return nil }
            current = XMLElement(tree: tree, index: next)
            start = stop == bytes.endIndex ? stop : bytes.index(after: stop)
        }
        return current
    }

    /// The trimmed text at a path, nil when the element is missing or empty.
    public func value(_ path: String) -> String? {
        guard let element = descendant(path) else { return nil }
        let trimmed = element.text.trimmingXMLSpace()
        return trimmed.isEmpty ? nil : trimmed
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
