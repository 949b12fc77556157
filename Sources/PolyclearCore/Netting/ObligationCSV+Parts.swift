/// Reading a large obligations file in parts at once: the file is cut at line starts, each
/// part read on its own (party numbers and ids of its own), and the parts joined in order.
/// Core starts no thread: the caller's `perform` runs the parts (at once, on as many threads as
/// it likes). The answer is exactly what reading it in one piece answers: party numbers in
/// first-seen order, the same rows, and when any part fails or an id repeats across parts, the
/// file is read again in one piece so that the error is the first one, named by its line.
extension ObligationCSV {
    /// A function that calls `body` once for each of `0..<count`, in any order, perhaps at once.
    public typealias PerformParts = (_ count: Int, _ body: @Sendable (Int) -> Void) -> Void

    /// - Parameters:
    ///   - partCount: the parts wanted; fewer when the file is small (`minimumBytesPerPart`).
    public init(
        bytes: [UInt8], decimal: Bool = false, currencies: CurrencyTable? = nil, defaultExponent: Int = 2,
        partCount: Int, minimumBytesPerPart: Int = 1 << 20, perform: PerformParts
    ) throws(ParseError) {
        let joined = bytes.withUnsafeBufferPointer { buffer in
            let ranges = Self.partRanges(buffer, count: min(partCount, buffer.count / max(1, minimumBytesPerPart)))
            guard ranges.count > 1 else {
                return nil as (rows: [Row], parties: [String], currencies: Set<CurrencyCode?>)?
            }
            let slots = PartResults<ObligationCSVPart>(count: ranges.count)
            let shared = SharedBytes(buffer: buffer)
            perform(ranges.count) { index in
                var reader = ObligationCSVReader(
                    shared.buffer, range: ranges[index], firstLineNumber: index == 0 ? 1 : 2, decimal: decimal,
                    currencies: currencies, defaultExponent: defaultExponent,
                    // The first part's rows become the whole file's: room for all of them.
                    rowCapacity: index == 0 ? shared.buffer.count / 24 + 1 : nil)
                slots.store(index, try? reader.readPart())
            }
            return Self.join(slots.take())
        }
        guard let joined else {
            try self.init(bytes: bytes, decimal: decimal, currencies: currencies, defaultExponent: defaultExponent)
            return
        }
        self.init(rows: joined.rows, parties: joined.parties, currencies: joined.currencies)
    }

    /// `count` ranges that cover the buffer, each (but the first) starting just after a line
    /// feed; fewer when the lines are too long to cut there.
    static func partRanges(_ bytes: UnsafeBufferPointer<UInt8>, count: Int) -> [Range<Int>] {
        guard count > 1 else { return [0..<bytes.count] }
        var starts = [0]
        for part in 1..<count {
            var cut = max(bytes.count / count * part, starts[starts.count - 1])
            while cut < bytes.count && bytes[cut] != 0x0A { cut += 1 }
            cut += 1
            if cut < bytes.count && cut > starts[starts.count - 1] { starts.append(cut) }
        }
        return starts.indices.map { starts[$0]..<(($0 + 1 < starts.count) ? starts[$0 + 1] : bytes.count) }
    }

    /// The parts as one, or nil when a part failed or an id appears in two parts.
    static func join(
        _ parts: consuming [ObligationCSVPart?]
    ) -> (rows: [Row], parties: [String], currencies: Set<CurrencyCode?>)? {
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }), var whole = parts[0] else { return nil }
        parts[0] = nil  // `whole` holds the first part's rows alone: appending copies none of them
        whole.rows.reserveCapacity(parts.reduce(whole.rows.count) { $0 + ($1?.rows.count ?? 0) })
        for index in parts.indices.dropFirst() {
            guard let part = parts[index] else { return nil }
            if whole.numericIDs.count < part.numericIDs.count {
                whole.numericIDs.append(
                    contentsOf: repeatElement(0, count: part.numericIDs.count - whole.numericIDs.count))
            }
            for (word, bits) in part.numericIDs.enumerated() where bits != 0 {
                guard whole.numericIDs[word] & bits == 0 else { return nil }
                whole.numericIDs[word] |= bits
            }
            for entry in 0..<part.ids.count {
                guard whole.ids.insert(entry: entry, of: part.ids).inserted else { return nil }
            }
            let partyNumber = (0..<part.parties.count).map {
                Int32(whole.parties.insert(entry: $0, of: part.parties).index)
            }
            let first = whole.rows.count
            whole.rows.append(contentsOf: part.rows)
            whole.rows.withUnsafeMutableBufferPointer { rows in
                partyNumber.withUnsafeBufferPointer { number in
                    for index in first..<rows.count {
                        rows[index].debtor = number[Int(rows[index].debtor)]
                        rows[index].creditor = number[Int(rows[index].creditor)]
                    }
                }
            }
            whole.currencies.formUnion(part.currencies)
        }
        return (whole.rows, whole.partyNames, whole.currencies)
    }
}

/// The file's bytes, read (never written) by every part at once.
private struct SharedBytes: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<UInt8>
}

/// One result slot per part; each part writes only its own, and all are read after `perform`
/// returned.
final class PartResults<Value>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func store(_ index: Int, _ value: Value?) { slots[index] = value }

    /// The values, moved out (the slots left empty): a part's arrays are then held once, and
    /// the join appends to the first part's rows without copying them.
    func take() -> [Value?] {
        var values: [Value?] = []
        values.reserveCapacity(slots.count)
        for index in slots.indices {
            values.append(slots[index])
            slots[index] = nil
        }
        return values
    }
}
