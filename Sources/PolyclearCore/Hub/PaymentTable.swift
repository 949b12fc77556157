/// The payments the hub holds in memory, by `PaymentIndex` (which stays the payment's number
/// for ever: ledger transfer ids are made from it).
///
/// Payments from `base` on sit in `window`, in index order (the hot path: one array read).
/// Payments before `base` have left memory for the store's archive (`+Archive`), except the
/// few still open when the front passed them (queued, reserved, recalled, booked in a cycle
/// not yet settled): those are `stragglers`, open work, found by a dictionary. So memory is
/// bounded by open work and the window since the last settled cycle, not by history.
struct PaymentTable: Sendable {
    struct Resident: Sendable, Codable {
        var record: PaymentRecord
        var texts: PaymentTexts
    }

    /// `window[head...]` holds payments `base...`; the consumed front is dropped in halves.
    private(set) var window = ContiguousArray<PaymentRecord>()
    private(set) var windowTexts = ContiguousArray<PaymentTexts>()
    private var head = 0
    private(set) var base: UInt32 = 0
    private(set) var stragglers: [UInt32: Resident] = [:]

    /// Every payment ever recorded: the next payment's index.
    var count: Int { Int(base) + window.count - head }
    var nextIndex: PaymentIndex { PaymentIndex(count) }
    /// Payments in memory.
    var residentCount: Int { window.count - head + stragglers.count }
    /// Payments in the window (from `base` on).
    var windowCount: Int { window.count - head }

    func isResident(_ index: PaymentIndex) -> Bool {
        if index.raw >= base { return Int(index.raw - base) < window.count - head }
        return stragglers[index.raw] != nil
    }

    /// The record of a resident payment (a caller holds only indices of resident payments:
    /// the id tables, queues and expiries forget a payment before it leaves).
    subscript(_ index: PaymentIndex) -> PaymentRecord {
        _read {
            if index.raw >= base {
                yield window[head + Int(index.raw &- base)]
            } else {
                yield stragglers[index.raw]!.record
            }
        }
        _modify {
            if index.raw >= base {
                yield &window[head + Int(index.raw &- base)]
            } else {
                yield &stragglers[index.raw]!.record
            }
        }
    }

    func texts(_ index: PaymentIndex) -> PaymentTexts {
        index.raw >= base ? windowTexts[head + Int(index.raw &- base)] : stragglers[index.raw]!.texts
    }

    mutating func modifyTexts(_ index: PaymentIndex, _ body: (inout PaymentTexts) -> Void) {
        if index.raw >= base {
            body(&windowTexts[head + Int(index.raw &- base)])
        } else {
            body(&stragglers[index.raw]!.texts)
        }
    }

    mutating func reserveCapacity(_ count: Int) {
        window.reserveCapacity(count)
        windowTexts.reserveCapacity(count)
    }

    mutating func append(_ record: PaymentRecord, texts: PaymentTexts) {
        window.append(record)
        windowTexts.append(texts)
    }

    /// The first payment of the window (nil: empty).
    var front: (index: PaymentIndex, record: PaymentRecord)? {
        head < window.count ? (PaymentIndex(raw: base), window[head]) : nil
    }

    /// Takes the window's first payment out of memory (it was archived).
    mutating func dropFront() -> Resident {
        let taken = Resident(record: window[head], texts: windowTexts[head])
        head += 1
        base += 1
        if head >= 4_096 && head * 2 >= window.count { compact() }
        return taken
    }

    /// Moves the window's first payment among the stragglers (it is still open work).
    mutating func keepFrontAsStraggler() {
        let index = base
        stragglers[index] = dropFront()
    }

    @discardableResult
    mutating func removeStraggler(_ index: PaymentIndex) -> Resident? { stragglers.removeValue(forKey: index.raw) }

    /// Brings an archived payment back into memory (a command names it).
    mutating func insertStraggler(_ index: PaymentIndex, _ resident: Resident) {
        precondition(index.raw < base && stragglers[index.raw] == nil, "only an archived payment comes back")
        stragglers[index.raw] = resident
    }

    /// Straggler indices in order (deterministic passes).
    var stragglerIndices: [PaymentIndex] { stragglers.keys.sorted().map { PaymentIndex(raw: $0) } }

    /// Resident indices in order: stragglers, then the window.
    var residentIndices: [PaymentIndex] {
        stragglerIndices + (0..<windowCount).map { PaymentIndex(raw: base + UInt32($0)) }
    }

    /// Every resident record, in index order (tests, tools).
    var records: [PaymentRecord] { residentIndices.map { self[$0] } }

    /// Copies the live part into arrays of its own size, so memory follows what is held.
    private mutating func compact() {
        window = ContiguousArray(window[head...])
        windowTexts = ContiguousArray(windowTexts[head...])
        head = 0
    }

    /// Bytes the table holds in its arrays (not the strings the texts point to).
    var allocatedByteCount: Int {
        window.capacity * MemoryLayout<PaymentRecord>.stride + windowTexts.capacity * MemoryLayout<PaymentTexts>.stride
            + stragglers.capacity * (MemoryLayout<Resident>.stride + 4)
    }
}

/// A snapshot holds the live window and the stragglers in index order (canonical bytes).
extension PaymentTable: Codable {
    enum CodingKeys: String, CodingKey { case base, window, windowTexts, stragglerIndices, stragglers }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(base, forKey: .base)
        try c.encode(ContiguousArray(window[head...]), forKey: .window)
        try c.encode(ContiguousArray(windowTexts[head...]), forKey: .windowTexts)
        let keys = stragglers.keys.sorted()
        try c.encode(keys, forKey: .stragglerIndices)
        try c.encode(keys.map { stragglers[$0]! }, forKey: .stragglers)
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        base = try c.decode(UInt32.self, forKey: .base)
        window = try c.decode(ContiguousArray<PaymentRecord>.self, forKey: .window)
        windowTexts = try c.decode(ContiguousArray<PaymentTexts>.self, forKey: .windowTexts)
        let keys = try c.decode([UInt32].self, forKey: .stragglerIndices)
        let values = try c.decode([Resident].self, forKey: .stragglers)
        guard window.count == windowTexts.count, keys.count == values.count, keys.allSatisfy({ $0 < base }),
            UInt64(base) + UInt64(window.count) <= UInt64(UInt32.max)
        else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "a payment table does not add up"))
        }
        for (key, value) in zip(keys, values) { stragglers[key] = value }
    }
}
