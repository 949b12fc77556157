/// Numbers the distinct byte strings met in a buffer, in first-seen order, without making a
/// `String` per lookup: open addressing, each key's bytes copied once into a compact arena
/// (a probe compares against the arena, not a random place in a large file). Used to read a
/// million-row CSV at disk speed (party names, duplicate ids).
struct ByteSliceIndex {
    /// One entry of the open-addressing table, 16 bytes: a probe reads one cache line and,
    /// for a key of at most 8 bytes (party codes, most ids), decides there and then.
    private struct Slot {
        /// The key's bytes packed little-endian when there are at most 8, else 0.
        var word: UInt64
        /// The key's hash with its low 4 bits replaced by its length (15: longer than 8), so
        /// that equal words of different lengths ("A" and "A\0" pack alike) never match.
        var check: UInt32
        /// 0: empty; otherwise the entry + 1.
        var entryPlusOne: UInt32
    }
    private static let longKey: UInt32 = 15

    private var slots: [Slot]
    private var mask: Int
    /// Entry k's bytes are `arena[starts[k]..<starts[k + 1]]`.
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]

    init(expectedCount: Int = 16) {
        var capacity = 16
        while capacity < 2 * expectedCount { capacity <<= 1 }
        slots = [Slot](repeating: Slot(word: 0, check: 0, entryPlusOne: 0), count: capacity)
        mask = capacity - 1
        starts.reserveCapacity(expectedCount + 1)
        arena.reserveCapacity(8 * expectedCount)
    }

    var count: Int { starts.count - 1 }

    /// Entry k's bytes as text (the buffer was checked to be UTF-8).
    func key(_ entry: Int) -> String {
        arena.withUnsafeBufferPointer { arena in
            String(decoding: UnsafeBufferPointer(rebasing: arena[starts[entry]..<starts[entry + 1]]), as: UTF8.self)
        }
    }

    /// FNV-1a over 64 bits, folded to 32: short keys, no need for more.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var index = start
        while index < end {
            hash = (hash ^ UInt64(bytes[index])) &* 0x100_0000_01b3
            index += 1
        }
        return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
    }

    /// A short key's hash: one multiply of its packed bytes and length.
    @inline(__always)
    static func hash(word: UInt64, length: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: ((word &+ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    /// The bytes of a key of at most 8 bytes, packed little-endian.
    @inline(__always)
    static func word(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var word: UInt64 = 0
        var index = end
        while index > start {
            index -= 1
            word = word << 8 | UInt64(bytes[index])
        }
        return word
    }

    /// The number of `bytes[start..<end]`, and whether it was new (then it got the next number).
    mutating func insert(
        _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int
    ) -> (index: Int, inserted: Bool) {
        let length = end - start
        let short = length <= 8
        let word = short ? Self.word(bytes, start, end) : 0
        let hash = short ? Self.hash(word: word, length: length) : Self.hash(bytes, start, end)
        let check = hash & ~0xF | (short ? UInt32(length) : Self.longKey)
        var slot = Int(hash) & mask
        while true {
            let found = slots[slot]
            if found.entryPlusOne == 0 { break }
            if found.check == check && found.word == word
                && (short || equal(Int(found.entryPlusOne) - 1, bytes, start, end))
            {
                return (Int(found.entryPlusOne) - 1, false)
            }
            slot = (slot + 1) & mask
        }
        let entry = count
        precondition(entry < Int(UInt32.max), "more than 2^32 - 1 distinct keys")
        arena.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
        starts.append(arena.count)
        slots[slot] = Slot(word: word, check: check, entryPlusOne: UInt32(entry + 1))
        if 2 * count > slots.count { grow() }
        return (entry, true)
    }

    /// Numbers entry `entry` of `other` here (joining the indexes of a file's parts).
    mutating func insert(entry: Int, of other: ByteSliceIndex) -> (index: Int, inserted: Bool) {
        other.arena.withUnsafeBufferPointer { arena in
            insert(arena, other.starts[entry], other.starts[entry + 1])
        }
    }

    @inline(__always)
    private func equal(_ entry: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let keyStart = starts[entry]
        guard starts[entry + 1] - keyStart == end - start else { return false }
        var offset = 0
        while start + offset < end {
            if arena[keyStart + offset] != bytes[start + offset] { return false }
            offset += 1
        }
        return true
    }

    /// Twice the slots; each key's place from its full hash, computed again from its bytes
    /// (a slot keeps only 28 bits of it).
    private mutating func grow() {
        let capacity = slots.count * 2
        let old = slots
        slots = [Slot](repeating: Slot(word: 0, check: 0, entryPlusOne: 0), count: capacity)
        mask = capacity - 1
        arena.withUnsafeBufferPointer { arena in
            for found in old where found.entryPlusOne != 0 {
                let length = Int(found.check & 0xF)
                let entry = Int(found.entryPlusOne) - 1
                let hash =
                    found.check & 0xF == Self.longKey
                    ? Self.hash(arena, starts[entry], starts[entry + 1]) : Self.hash(word: found.word, length: length)
                var slot = Int(hash) & mask
                while slots[slot].entryPlusOne != 0 { slot = (slot + 1) & mask }
                slots[slot] = found
            }
        }
    }
}
