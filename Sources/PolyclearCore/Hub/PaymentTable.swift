/// The payments the hub holds in memory, by `PaymentIndex` (which stays the payment's number
/// for ever: ledger transfer ids are made from it).
///
/// Payments from `base` on sit in the window, in index order (the hot path: two array reads).
/// Payments before `base` have left memory for the store's archive (`+Archive`), except the
/// few still open when the front passed them (queued, reserved, recalled, booked in a cycle
/// not yet settled): those are `stragglers`, open work, found by a dictionary. So memory is
/// bounded by open work and the window since the last settled cycle, not by history.
///
/// The window is kept in chunks of `chunkSize` payments, not one array: a snapshot holds a
/// copy of the table while it is encoded, and the writer's next change copies (copy-on-write)
/// only the chunk it touches — the newest, nearly always — instead of the whole window, which
/// stopped the writer for a quarter of a second at a million payments.
struct PaymentTable: Sendable {
    struct Resident: Sendable, Codable {
        var record: PaymentRecord
        var texts: PaymentTexts
    }

    /// Up to `chunkSize` consecutive payments of the window.
    struct Chunk: Sendable {
        var records = ContiguousArray<PaymentRecord>()
        var texts = ContiguousArray<PaymentTexts>()
    }

    static let chunkSize = 4_096

    /// `chunks[0]` from `head` on, then the other chunks, hold payments `base...`; every chunk
    /// but the last is full, and a chunk leaves once the front has passed all of it.
    private(set) var chunks = ContiguousArray<Chunk>()
    private var head = 0
    private(set) var base: UInt32 = 0
    private(set) var stragglers: [UInt32: Resident] = [:]

    /// Every payment ever recorded: the next payment's index.
    var count: Int { Int(base) + windowCount }
    var nextIndex: PaymentIndex { PaymentIndex(count) }
    /// Payments in memory.
    var residentCount: Int { windowCount + stragglers.count }
    /// Payments in the window (from `base` on).
    var windowCount: Int {
        guard let last = chunks.last else { return 0 }
        return (chunks.count - 1) * Self.chunkSize + last.records.count - head
    }

    func isResident(_ index: PaymentIndex) -> Bool {
        if index.raw >= base { return Int(index.raw - base) < windowCount }
        return stragglers[index.raw] != nil
    }

    /// The chunk and the place in it of window payment `index` (at or after `base`).
    @inline(__always)
    private func position(_ index: PaymentIndex) -> (chunk: Int, offset: Int) {
        let place = head + Int(index.raw &- base)
        return (place / Self.chunkSize, place % Self.chunkSize)
    }

    /// The record of a resident payment (a caller holds only indices of resident payments:
    /// the id tables, queues and expiries forget a payment before it leaves).
    subscript(_ index: PaymentIndex) -> PaymentRecord {
        _read {
            if index.raw >= base {
                let (chunk, offset) = position(index)
                yield chunks[chunk].records[offset]
            } else {
                yield stragglers[index.raw]!.record
            }
        }
        _modify {
            if index.raw >= base {
                let (chunk, offset) = position(index)
                yield &chunks[chunk].records[offset]
            } else {
                yield &stragglers[index.raw]!.record
            }
        }
    }

    func texts(_ index: PaymentIndex) -> PaymentTexts {
        guard index.raw >= base else { return stragglers[index.raw]!.texts }
        let (chunk, offset) = position(index)
        return chunks[chunk].texts[offset]
    }

    mutating func modifyTexts(_ index: PaymentIndex, _ body: (inout PaymentTexts) -> Void) {
        if index.raw >= base {
            let (chunk, offset) = position(index)
            body(&chunks[chunk].texts[offset])
        } else {
            body(&stragglers[index.raw]!.texts)
        }
    }

    mutating func reserveCapacity(_ count: Int) {
        chunks.reserveCapacity(count / Self.chunkSize + 1)
    }

    mutating func append(_ record: PaymentRecord, texts: PaymentTexts) {
        if chunks.last.map({ $0.records.count == Self.chunkSize }) ?? true {
            var chunk = Chunk()
            chunk.records.reserveCapacity(Self.chunkSize)
            chunk.texts.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        let last = chunks.count - 1
        chunks[last].records.append(record)
        chunks[last].texts.append(texts)
    }

    /// The first payment of the window (nil: empty).
    var front: (index: PaymentIndex, record: PaymentRecord)? {
        windowCount > 0 ? (PaymentIndex(raw: base), chunks[0].records[head]) : nil
    }

    /// Takes the window's first payment out of memory (it was archived).
    mutating func dropFront() -> Resident {
        let taken = Resident(record: chunks[0].records[head], texts: chunks[0].texts[head])
        head += 1
        base += 1
        if head == Self.chunkSize {
            chunks.removeFirst()
            head = 0
        }
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

    /// Bytes the table holds in its arrays (not the strings the texts point to).
    var allocatedByteCount: Int {
        chunks.reduce(chunks.capacity * MemoryLayout<Chunk>.stride) {
            $0 + $1.records.capacity * MemoryLayout<PaymentRecord>.stride
                + $1.texts.capacity * MemoryLayout<PaymentTexts>.stride
        } + stragglers.capacity * (MemoryLayout<Resident>.stride + 4)
    }
}

/// A snapshot holds the live window and the stragglers in index order (canonical bytes).
extension PaymentTable: Codable {
    enum CodingKeys: String, CodingKey { case base, window, windowTexts, stragglerIndices, stragglers }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(base, forKey: .base)
        // The bytes of one array each (as before the chunks), written from the chunks in place.
        try c.encode(WindowRecords(chunks: chunks, head: head, count: windowCount, field: \.records), forKey: .window)
        try c.encode(
            WindowRecords(chunks: chunks, head: head, count: windowCount, field: \.texts), forKey: .windowTexts)
        let keys = stragglers.keys.sorted()
        try c.encode(keys, forKey: .stragglerIndices)
        try c.encode(keys.map { stragglers[$0]! }, forKey: .stragglers)
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        base = try c.decode(UInt32.self, forKey: .base)
        let window = try c.decode(ChunkedRecords<PaymentRecord>.self, forKey: .window)
        let windowTexts = try c.decode(ChunkedRecords<PaymentTexts>.self, forKey: .windowTexts)
        let keys = try c.decode([UInt32].self, forKey: .stragglerIndices)
        let values = try c.decode([Resident].self, forKey: .stragglers)
        guard window.count == windowTexts.count, keys.count == values.count, keys.allSatisfy({ $0 < base }),
            UInt64(base) + UInt64(window.count) <= UInt64(UInt32.max)
        else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "a payment table does not add up"))
        }
        for (key, value) in zip(keys, values) { stragglers[key] = value }
        chunks = ContiguousArray(zip(window.chunks, windowTexts.chunks).map { Chunk(records: $0, texts: $1) })
    }
}

/// One field of the window's payments, in order across the chunks: encoded as the array of
/// them would be (`BinaryRecordArray`: the count, then each record).
private struct WindowRecords<Record: SnapshotRecord & Encodable>: Encodable, BinaryRecordArray {
    let chunks: ContiguousArray<PaymentTable.Chunk>
    let head: Int
    let count: Int
    let field: KeyPath<PaymentTable.Chunk, ContiguousArray<Record>>

    func appendRecords(to sink: BinarySink) {
        sink.append(UInt32(count))
        for (number, chunk) in chunks.enumerated() {
            for record in chunk[keyPath: field][(number == 0 ? head : 0)...] { record.write(to: sink) }
        }
    }

    /// Only the binary snapshot encodes a payment table (it takes `appendRecords`).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for (number, chunk) in chunks.enumerated() {
            for record in chunk[keyPath: field][(number == 0 ? head : 0)...] { try container.encode(record) }
        }
    }
}

/// The window's payments read back (`BinaryRecordArrayDecodable`: the count, then each record)
/// straight into chunks of `PaymentTable.chunkSize`, without the whole window in one array.
private struct ChunkedRecords<Record: SnapshotRecord & Decodable>: Decodable, BinaryRecordArrayDecodable {
    var chunks: [ContiguousArray<Record>] = []
    var count = 0

    init(records source: BinarySource) throws {
        count = Int(try source.integer(UInt32.self))
        // Every record takes at least a byte: a count the rest cannot hold reserves nothing.
        guard count <= source.bytes.count - source.offset else {
            throw BinaryCodecError.malformed("\(count) records in \(source.bytes.count - source.offset) bytes")
        }
        for start in stride(from: 0, to: count, by: PaymentTable.chunkSize) {
            var chunk = ContiguousArray<Record>()
            chunk.reserveCapacity(PaymentTable.chunkSize)
            for _ in start..<min(start + PaymentTable.chunkSize, count) { chunk.append(try Record(reading: source)) }
            chunks.append(chunk)
        }
    }

    /// Only the binary snapshot decodes a payment table (it takes `init(records:)`).
    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        var all = ContiguousArray<Record>()
        while !container.isAtEnd { all.append(try container.decode(Record.self)) }
        count = all.count
        chunks = stride(from: 0, to: count, by: PaymentTable.chunkSize).map {
            ContiguousArray(all[$0..<min($0 + PaymentTable.chunkSize, count)])
        }
    }
}
