/// Which payment ids may be in the store's archive: a Bloom filter, so that a new payment's id
/// (nearly always new) costs a few memory reads instead of a store lookup, and the archive's
/// ids need not stay in memory. "No" is certain; "maybe" (under 1% of new ids per full level,
/// a few levels in all) sends the writer to the store before the command is applied (`+Archive`).
///
/// Blocked: each id sets 7 bits of one 64-bit word, so a query reads one word per level.
/// Scalable: a full level is kept and a new one four times larger is started, so the filter
/// grows with the archive at about 12 bits an id and never needs the ids again.
struct ArchivedIDFilter: Sendable, Hashable, Codable {
    struct Level: Sendable, Hashable, Codable {
        var words: ContiguousArray<UInt64>
        var count = 0
        /// Ids the level takes before the next starts (about 12 bits each).
        var capacity: Int { words.count * 64 / 12 }
    }

    private(set) var levels: [Level] = []
    /// 512 KiB: a union's first few hundred thousand archived payments.
    static let firstLevelWordCount = 1 << 16

    var count: Int { levels.reduce(0) { $0 + $1.count } }
    var allocatedByteCount: Int { levels.reduce(0) { $0 + $1.words.count * 8 } }

    @inline(__always)
    private static func hash(_ id: UInt128) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: id) ^ (UInt64(truncatingIfNeeded: id >> 64) &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 31
        h &*= 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        h &*= 0x94D0_49BB_1331_11EB
        h ^= h >> 32
        return h
    }

    /// The word (by the hash) and the seven bits (six bits each of a second mix).
    @inline(__always)
    private static func probe(_ hash: UInt64, wordCount: Int) -> (word: Int, mask: UInt64) {
        let word = Int(hash.multipliedFullWidth(by: UInt64(wordCount)).high)
        var mask: UInt64 = 0
        var bits = hash &* 0xD6E8_FEB8_6659_FD93
        for _ in 0..<7 {
            mask |= 1 << (bits & 63)
            bits >>= 6
        }
        return (word, mask)
    }

    mutating func insert(_ id: UInt128) {
        if levels.isEmpty || levels[levels.count - 1].count >= levels[levels.count - 1].capacity {
            let words = levels.last.map { $0.words.count * 4 } ?? Self.firstLevelWordCount
            levels.append(Level(words: ContiguousArray(repeating: 0, count: words)))
        }
        let last = levels.count - 1
        let (word, mask) = Self.probe(Self.hash(id), wordCount: levels[last].words.count)
        levels[last].words[word] |= mask
        levels[last].count += 1
    }

    func mayContain(_ id: UInt128) -> Bool {
        guard !levels.isEmpty else { return false }
        let hash = Self.hash(id)
        for level in levels.reversed() {
            let (word, mask) = Self.probe(hash, wordCount: level.words.count)
            if level.words[word] & mask == mask { return true }
        }
        return false
    }
}
