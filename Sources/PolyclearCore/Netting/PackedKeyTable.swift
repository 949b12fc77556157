/// A non-zero 64-bit key (a packed pair: debtor << 32 | creditor; exporter, importer and
/// chapter) → a 32-bit number, by open addressing: merging a million obligations or reading a
/// trade file without a `Dictionary`'s hashing and resizing.
public struct PackedKeyTable {
    private var keys: [UInt64]
    private var values: [Int32]
    private var mask: Int
    private var count = 0

    public init(expectedCount: Int) {
        var capacity = 16
        while capacity < 2 * expectedCount { capacity <<= 1 }
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Int32](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// The number already given to `key`, or `next` (then `inserted`). `key` must not be 0.
    public mutating func insert(_ key: UInt64, next: Int32) -> (value: Int32, inserted: Bool) {
        var slot = Self.slot(of: key, mask)
        while keys[slot] != 0 {
            if keys[slot] == key { return (values[slot], false) }
            slot = (slot + 1) & mask
        }
        keys[slot] = key
        values[slot] = next
        count += 1
        if 2 * count > keys.count { grow() }
        return (next, true)
    }

    private mutating func grow() {
        let (oldKeys, oldValues) = (keys, values)
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [Int32](repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        for (key, value) in zip(oldKeys, oldValues) where key != 0 {
            var slot = Self.slot(of: key, mask)
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            values[slot] = value
        }
    }

    /// MurmurHash3's finaliser: every key bit reaches the low bits the mask keeps (a plain
    /// multiply would leave the high half — the debtor, the exporter — out of them).
    @inline(__always)
    private static func slot(of key: UInt64, _ mask: Int) -> Int {
        var hash = key
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return Int(truncatingIfNeeded: hash) & mask
    }
}
