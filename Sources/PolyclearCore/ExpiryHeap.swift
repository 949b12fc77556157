/// A binary min-heap of pending-transfer deadlines, for deterministic expiry.
///
/// Entries are never removed when a pending transfer is posted or voided: the sweep checks
/// each popped entry against the pending table and skips stale ones (lazy deletion), which
/// keeps posting O(1).
struct ExpiryHeap {
    struct Entry {
        var expiresAt: UInt64
        var pendingID: UInt128
    }

    private(set) var entries: ContiguousArray<Entry> = []

    var isEmpty: Bool { entries.isEmpty }
    var earliest: Entry? { entries.first }

    mutating func reserveCapacity(_ count: Int) { entries.reserveCapacity(count) }

    mutating func insert(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].expiresAt < entries[parent].expiresAt else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeEarliest() -> Entry? {
        guard let first = entries.first else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return first }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { break }
            let right = left + 1
            let smaller = right < entries.count && entries[right].expiresAt < entries[left].expiresAt ? right : left
            guard entries[smaller].expiresAt < entries[parent].expiresAt else { break }
            entries.swapAt(smaller, parent)
            parent = smaller
        }
        return first
    }
}

extension ExpiryHeap.Entry: Codable {}

extension ExpiryHeap: Codable {
    init(from decoder: any Decoder) throws {
        entries = try ContiguousArray<Entry>(from: decoder)
        // Heap order is what the sweep relies on: a snapshot that breaks it is refused.
        for index in entries.indices.dropFirst() where entries[(index - 1) / 2].expiresAt > entries[index].expiresAt {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "expiry heap out of order"))
        }
    }

    func encode(to encoder: any Encoder) throws { try entries.encode(to: encoder) }
}
