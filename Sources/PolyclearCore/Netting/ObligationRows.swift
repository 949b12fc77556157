/// Where a reading puts its rows: three plain buffers with room for every line of the text
/// it reads (a line makes at most one row). The reading of a large file's parts writes each
/// part straight into its place in the whole file's arrays, so joining them copies nothing.
struct RowSink {
    let obligations: UnsafeMutablePointer<Obligation>
    let currencies: UnsafeMutablePointer<CurrencyCode?>
    let idSpans: UnsafeMutablePointer<ObligationCSV.IDSpan>
    let capacity: Int
    private(set) var count = 0

    @inline(__always)
    mutating func append(_ obligation: Obligation, currency: CurrencyCode?, idSpan: ObligationCSV.IDSpan) {
        precondition(count < capacity, "more rows than lines")
        (obligations + count).initialize(to: obligation)
        (currencies + count).initialize(to: currency)
        (idSpans + count).initialize(to: idSpan)
        count += 1
    }

    /// The part of this sink from `offset`, `capacity` rows long.
    func slice(from offset: Int, capacity: Int) -> RowSink {
        precondition(offset + capacity <= self.capacity)
        return RowSink(
            obligations: obligations + offset, currencies: currencies + offset, idSpans: idSpans + offset,
            capacity: capacity)
    }

    /// A sink with no room (for readings that make no rows).
    static var none: RowSink {
        RowSink(
            obligations: UnsafeMutablePointer(bitPattern: MemoryLayout<Obligation>.alignment)!,
            currencies: UnsafeMutablePointer(bitPattern: MemoryLayout<CurrencyCode?>.alignment)!,
            idSpans: UnsafeMutablePointer(bitPattern: MemoryLayout<ObligationCSV.IDSpan>.alignment)!, capacity: 0)
    }

    /// Moves `count` rows from `source` down to `destination` (over the room of lines that made
    /// no row). Plain data, so a byte move, which may overlap.
    func moveRows(from source: Int, to destination: Int, count: Int) {
        func move<T>(_ base: UnsafeMutablePointer<T>) {
            UnsafeMutableRawPointer(base + destination).copyMemory(
                from: base + source, byteCount: count * MemoryLayout<T>.stride)
        }
        move(obligations)
        move(currencies)
        move(idSpans)
    }
}

/// The three row arrays of a table, filled through a `RowSink` (all plain data: no row needs
/// initializing before it is written, none deinitializing after).
struct RowArrays {
    var obligations: [Obligation] = []
    var currencies: [CurrencyCode?] = []
    var idSpans: [ObligationCSV.IDSpan] = []

    /// `fill` writes rows into a sink of `capacity` and answers how many it wrote.
    init(capacity: Int, fill: (RowSink) -> Int) {
        var currencies: [CurrencyCode?] = [], idSpans: [ObligationCSV.IDSpan] = []
        obligations = [Obligation](unsafeUninitializedCapacity: capacity) { obligationBuffer, obligationCount in
            currencies = [CurrencyCode?](unsafeUninitializedCapacity: capacity) { currencyBuffer, currencyCount in
                idSpans = [ObligationCSV.IDSpan](unsafeUninitializedCapacity: capacity) { spanBuffer, spanCount in
                    let sink = RowSink(
                        obligations: obligationBuffer.baseAddress!, currencies: currencyBuffer.baseAddress!,
                        idSpans: spanBuffer.baseAddress!, capacity: capacity)
                    let count = fill(sink)
                    precondition(count <= capacity)
                    spanCount = count
                    currencyCount = count
                    obligationCount = count
                }
            }
        }
        self.currencies = currencies
        self.idSpans = idSpans
    }
}

extension ObligationCSV {
    /// The lines of `range` (a last line without a line feed counts): at most this many rows.
    /// Eight bytes a step; a byte is a line feed when it is zero after an exclusive-or with 0x0A
    /// (zero bytes found exactly, without the carries of the shorter test).
    static func lineCount(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        guard !range.isEmpty, let base = bytes.baseAddress else { return 0 }
        var count = 0, index = range.lowerBound
        let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        while index + 8 <= range.upperBound {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
            let nonzero = ((word & lows) &+ lows) | word
            count += (~nonzero & ~lows).nonzeroBitCount
            index += 8
        }
        while index < range.upperBound {
            if bytes[index] == 0x0A { count += 1 }
            index += 1
        }
        return count + (bytes[range.upperBound - 1] == 0x0A ? 0 : 1)
    }
}
