/// An open-addressing hash table from 128-bit ids to values, for the apply loop.
///
/// Why not `Dictionary`: this one never allocates except when it grows, stores keys and
/// values in two flat arrays (no per-entry boxes, 16 + `Value` bytes a slot), and hashes
/// deterministically. Linear probing; the slot is picked by multiply-shift ("fastrange"), so
/// the capacity need not be a power of two and the table grows by 1.5x, which keeps resident
/// memory per entry low. Deletion shifts the following run back (no tombstones).
/// Key 0 marks an empty slot: ids are never zero (the ledger rejects them first).
struct IDTable<Value> {
    private(set) var keys: ContiguousArray<UInt128>
    private(set) var values: ContiguousArray<Value>
    private(set) var count = 0
    private let emptyValue: Value

    /// The table grows when `count` would exceed this share of the slots (0.8).
    private static var loadNumerator: Int { 4 }
    private static var loadDenominator: Int { 5 }

    init(emptyValue: Value, minimumCapacity: Int = 0) {
        self.emptyValue = emptyValue
        let slotCount = Swift.max(16, minimumCapacity * Self.loadDenominator / Self.loadNumerator + 1)
        keys = ContiguousArray(repeating: 0, count: slotCount)
        values = ContiguousArray(repeating: emptyValue, count: slotCount)
    }

    var slotCount: Int { keys.count }

    /// Bytes held by the two arrays: what one entry really costs in memory.
    var allocatedByteCount: Int { keys.count * (MemoryLayout<UInt128>.stride + MemoryLayout<Value>.stride) }

    @inline(__always)
    private func homeSlot(_ key: UInt128) -> Int { Self.homeSlot(key, slotCount: keys.count) }

    @inline(__always)
    private static func homeSlot(_ key: UInt128, slotCount: Int) -> Int {
        // murmur3's 64-bit finaliser over both halves, then map into [0, slotCount).
        var hash = UInt64(truncatingIfNeeded: key) ^ (UInt64(truncatingIfNeeded: key >> 64) &* 0x9E37_79B9_7F4A_7C15)
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash &*= 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return Int(hash.multipliedFullWidth(by: UInt64(slotCount)).high)
    }

    /// The slot holding `key`, or nil. Never a slot for key 0: that is the empty marker, and
    /// a lookup of it must not answer with an empty slot (or the first record's).
    @inline(__always)
    func slot(of key: UInt128) -> Int? {
        guard key != 0 else { return nil }
        var slot = homeSlot(key)
        while true {
            let found = keys[slot]
            if found == key { return slot }
            if found == 0 { return nil }
            slot += 1
            if slot == keys.count { slot = 0 }
        }
    }

    /// Reads `key`'s home slot so that its cache line is loaded before the lookup that needs
    /// it: a batch's lookups, warmed a few items ahead, overlap their memory misses instead of
    /// waiting for each in turn. Answers bits of the slot for `CacheWarming.keep`.
    @inline(__always)
    func touch(_ key: UInt128) -> UInt64 { UInt64(truncatingIfNeeded: keys[homeSlot(key)]) }

    func value(for key: UInt128) -> Value? {
        guard let slot = slot(of: key) else { return nil }
        return values[slot]
    }

    subscript(slot slot: Int) -> Value {
        get { values[slot] }
        set { values[slot] = newValue }
    }

    /// Inserts a key that is not in the table.
    mutating func insertNew(_ key: UInt128, _ value: Value) {
        precondition(key != 0, "IDTable keys must not be zero")
        if (count + 1) * Self.loadDenominator > keys.count * Self.loadNumerator { grow() }
        var slot = homeSlot(key)
        while keys[slot] != 0 {
            precondition(keys[slot] != key, "IDTable.insertNew: key already present")
            slot += 1
            if slot == keys.count { slot = 0 }
        }
        keys[slot] = key
        values[slot] = value
        count += 1
    }

    /// Removes `key` and returns its value; nil if absent.
    @discardableResult
    mutating func remove(_ key: UInt128) -> Value? {
        guard var hole = slot(of: key) else { return nil }
        let removed = values[hole]
        // Backward-shift: move later entries of the run into the hole when their home slot
        // does not lie (cyclically) between the hole and their current slot.
        var next = hole
        while true {
            next += 1
            if next == keys.count { next = 0 }
            let nextKey = keys[next]
            if nextKey == 0 { break }
            let home = homeSlot(nextKey)
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if stays { continue }
            keys[hole] = nextKey
            values[hole] = values[next]
            hole = next
        }
        keys[hole] = 0
        values[hole] = emptyValue
        count -= 1
        return removed
    }

    /// Every entry, in slot order (not a meaningful order).
    func forEach(_ body: (UInt128, Value) -> Void) {
        for slot in keys.indices where keys[slot] != 0 { body(keys[slot], values[slot]) }
    }

    /// Moves every entry into 1.5x the slots. The writer stops for it (about 100 ms at five
    /// million slots), so the loop is bare: each key is known to be new and the load known to
    /// fit, and the home slots, monotonic in the hash, come nearly in order.
    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let newSlotCount = keys.count + keys.count / 2
        var newKeys = ContiguousArray<UInt128>(repeating: 0, count: newSlotCount)
        var newValues = ContiguousArray(repeating: emptyValue, count: newSlotCount)
        newKeys.withUnsafeMutableBufferPointer { keySlots in
            newValues.withUnsafeMutableBufferPointer { valueSlots in
                oldKeys.withUnsafeBufferPointer { oldKeySlots in
                    for oldSlot in oldKeySlots.indices where oldKeySlots[oldSlot] != 0 {
                        let key = oldKeySlots[oldSlot]
                        var slot = Self.homeSlot(key, slotCount: newSlotCount)
                        while keySlots[slot] != 0 {
                            slot += 1
                            if slot == newSlotCount { slot = 0 }
                        }
                        keySlots[slot] = key
                        valueSlots[slot] = oldValues[oldSlot]
                    }
                }
            }
        }
        keys = newKeys
        values = newValues
    }
}

extension IDTable: Sendable where Value: Sendable {}

/// A snapshot holds the table as it is laid out (slots included), so reading it back costs
/// no rehashing: the slot of a key depends only on the key and the slot count.
extension IDTable: Codable where Value: Codable {
    enum CodingKeys: String, CodingKey { case count, emptyValue, keys, values }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(emptyValue, forKey: .emptyValue)
        try c.encode(keys, forKey: .keys)
        try c.encode(values, forKey: .values)
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        emptyValue = try c.decode(Value.self, forKey: .emptyValue)
        keys = try c.decode(ContiguousArray<UInt128>.self, forKey: .keys)
        values = try c.decode(ContiguousArray<Value>.self, forKey: .values)
        // A table that could not have been written: refused, never probed.
        let occupied = keys.reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
        guard keys.count >= 16, keys.count == values.count, occupied == count, count < keys.count else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "an id table's slots do not add up"))
        }
    }
}

/// Reads that only warm the cache (`IDTable.touch`). Their bits are folded and passed here,
/// through a branch the optimiser cannot remove — otherwise the reads would be dead code and
/// dropped. The branch is as good as never taken, and does nothing when it is.
enum CacheWarming {
    /// Items ahead of the one being applied whose id slots are read (a payment's or transfer's
    /// work is far longer than a memory miss: a few suffice).
    static let distance = 4

    @inline(__always)
    static func keep(_ bits: UInt64) {
        if _slowPath(bits == 0x5A5A_5A5A_5A5A_5A5A) { opaque(bits) }
    }

    @_optimize(none) @inline(never)
    static func opaque(_ bits: UInt64) {}
}
