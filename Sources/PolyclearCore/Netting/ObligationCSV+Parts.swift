/// Reading a large obligations file in parts at once: the file is cut at line starts, each
/// part's lines counted, and each part read on its own (party numbers and ids of its own)
/// straight into its place in the whole file's row arrays; the parts are then joined in order.
/// Core starts no thread: the caller's `perform` runs the parts (at once, on as many threads as
/// it likes). The answer is exactly what reading it in one piece answers: party numbers in
/// first-seen order, the same rows, and when any part fails or an id repeats across parts, the
/// file is read again in one piece so that the error is the first one, named by its line.
extension ObligationCSV {
    /// - Parameters:
    ///   - partCount: the parts wanted; fewer when the file is small (`minimumBytesPerPart`).
    public init(
        bytes: [UInt8], decimal: Bool = false, currencies: CurrencyTable? = nil, defaultExponent: Int = 2,
        partCount: Int, minimumBytesPerPart: Int = 1 << 20, perform: PerformParts
    ) throws(ParseError) {
        let read = bytes.withUnsafeBufferPointer { buffer in
            let ranges = Self.partRanges(buffer, count: min(partCount, buffer.count / max(1, minimumBytesPerPart)))
            return ranges.count > 1
                ? Self.readParts(
                    buffer, ranges: ranges, decimal: decimal, currencies: currencies, defaultExponent: defaultExponent,
                    perform: perform) : nil
        }
        guard let read else {
            try self.init(bytes: bytes, decimal: decimal, currencies: currencies, defaultExponent: defaultExponent)
            return
        }
        self.init(read.part, rows: read.rows, bytes: bytes)
    }

    /// The parts of `ranges` read at once and joined, or nil when a part failed or an id
    /// appears in two parts.
    static func readParts(
        _ buffer: UnsafeBufferPointer<UInt8>, ranges: [Range<Int>], decimal: Bool, currencies: CurrencyTable?,
        defaultExponent: Int, perform: PerformParts
    ) -> (part: ObligationCSVPart, rows: RowArrays)? {
        let shared = SharedBytes(buffer: buffer)
        // Each part's room: its lines (the header, read by the first part, takes none).
        let lines = PartResults<Int>(count: ranges.count)
        perform(ranges.count) { index in lines.store(index, Self.lineCount(shared.buffer, ranges[index])) }
        let header = ObligationCSVReader.startsWithHeader(buffer) ? 1 : 0
        let capacities = lines.take().enumerated().map { index, count in (count ?? 0) - (index == 0 ? header : 0) }
        var total = 0
        let offsets = capacities.map { capacity in
            defer { total += capacity }
            return total
        }
        var joined: ObligationCSVPart?
        let rows = RowArrays(capacity: total) { sink in
            let slots = PartResults<ObligationCSVPart>(count: ranges.count)
            let shared = SharedSink(sink: sink, bytes: shared)
            perform(ranges.count) { index in
                var reader = ObligationCSVReader(
                    shared.bytes.buffer, range: ranges[index], firstLineNumber: index == 0 ? 1 : 2, decimal: decimal,
                    currencies: currencies, defaultExponent: defaultExponent,
                    rows: shared.sink.slice(from: offsets[index], capacity: capacities[index]))
                slots.store(index, try? reader.readPart())
            }
            joined = Self.join(slots.take(), rows: sink, offsets: offsets)
            return joined?.rowCount ?? 0
        }
        return joined.map { ($0, rows) }
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

    /// The parts as one, or nil when a part failed or an id appears in two parts. Part k's rows
    /// are at `offsets[k]` in `rows`; they move down only over the room of lines that made no
    /// row (blank lines), and their party numbers become the whole file's.
    static func join(_ parts: consuming [ObligationCSVPart?], rows: RowSink, offsets: [Int]) -> ObligationCSVPart? {
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }), var whole = parts[0] else { return nil }
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
            let first = whole.rowCount
            if offsets[index] != first { rows.moveRows(from: offsets[index], to: first, count: part.rowCount) }
            partyNumber.withUnsafeBufferPointer { number in
                for row in first..<first + part.rowCount {
                    rows.obligations[row].debtor = number[Int(rows.obligations[row].debtor)]
                    rows.obligations[row].creditor = number[Int(rows.obligations[row].creditor)]
                }
            }
            whole.rowCount += part.rowCount
            whole.currencies.formUnion(part.currencies)
        }
        return whole
    }
}

/// The rows' buffers and the file's bytes, shared by every part at once (each part writes only
/// its own slice of the rows).
private struct SharedSink: @unchecked Sendable {
    let sink: RowSink
    let bytes: SharedBytes
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

    /// The values, moved out (the slots left empty).
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
