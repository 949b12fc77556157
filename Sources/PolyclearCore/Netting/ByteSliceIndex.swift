/// Numbers the distinct byte strings met in a buffer, in first-seen order, without making a
/// `String` per lookup: open addressing, each key's bytes copied once into a compact arena
/// (a probe compares against the arena, not a random place in a large file). Used to read a
/// million-row CSV at disk speed (party names, duplicate ids).
struct ByteSliceIndex {
    /// 0: empty; otherwise the key's 32-bit hash (high half) and its entry + 1 (low half), so
    /// a probe touches the key's bytes only when the hashes match (one cache miss per new key).
    private var slots: [UInt64]
    private var mask: Int
    /// Entry k's bytes are `arena[starts[k]..<starts[k + 1]]`.
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    /// Entry k's bytes packed little-endian when there are at most 8 (party codes, most ids),
    /// else 0: such a key is hashed with one multiply and compared in one step.
    private var words: [UInt64] = []

    init(expectedCount: Int = 16) {
        var capacity = 16
        while capacity < 2 * expectedCount { capacity <<= 1 }
        slots = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
        starts.reserveCapacity(expectedCount + 1)
        words.reserveCapacity(expectedCount)
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
        // A short key's length is in its hash and its comparison ("A" and "A\0" pack alike).
        let hash =
            short
            ? UInt32(truncatingIfNeeded: ((word &+ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> 32)
            : Self.hash(bytes, start, end)
        var slot = Int(hash) & mask
        while true {
            let value = slots[slot]
            if value == 0 { break }
            if UInt32(truncatingIfNeeded: value >> 32) == hash {
                let entry = Int(truncatingIfNeeded: value & 0xFFFF_FFFF) - 1
                if short {
                    if words[entry] == word && starts[entry + 1] - starts[entry] == length { return (entry, false) }
                } else if equal(entry, bytes, start, end) {
                    return (entry, false)
                }
            }
            slot = (slot + 1) & mask
        }
        let entry = count
        arena.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
        starts.append(arena.count)
        words.append(word)
        slots[slot] = UInt64(hash) << 32 | UInt64(entry + 1)
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

    private mutating func grow() {
        let capacity = slots.count * 2
        let old = slots
        slots = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
        for value in old where value != 0 {
            var slot = Int(value >> 32) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = value
        }
    }
}
