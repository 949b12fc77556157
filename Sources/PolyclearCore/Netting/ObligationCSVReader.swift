/// The byte-level reading behind `ObligationCSV`: one pass over the buffer, cells as byte
/// ranges, whole-number amounts parsed from their bytes, ids and party names numbered by
/// their bytes (`ByteSliceIndex`), and a row keeps where its id lies in the buffer. A `String`
/// is made only for the rare cells that need one (decimal amounts, due dates, error messages).
///
/// Rules, in the order a line is checked: lines of spaces only are skipped; a first line whose
/// first cell is `id` is the header; cells are split on `,` and trimmed of spaces; 4 to 6
/// cells; id, debtor and creditor not empty; the id new; debtor ≠ creditor; the currency known;
/// the amount positive (whole minor units, an optional sign, or an exact decimal); the due
/// date `YYYY-MM-DD`. Lines end with LF or CR LF; a UTF-8 byte-order mark is skipped; text that
/// is not UTF-8 is refused with its line.
struct ObligationCSVReader {
    typealias ParseError = ObligationCSV.ParseError
    let bytes: UnsafeBufferPointer<UInt8>
    /// The lines read: the whole buffer, or a part of it that starts at a line start.
    let range: Range<Int>
    /// The number of the range's first line (1 for the whole file: only line 1 may be the header).
    let firstLineNumber: Int
    let decimal: Bool
    let currencies: CurrencyTable?
    let defaultExponent: Int
    /// Where the rows go: room for every line of the range.
    private var rows: RowSink
    private var parties: ByteSliceIndex
    private var ids: ByteSliceIndex
    /// Ids that are canonical whole numbers (no sign, no leading zero) below `numericIDsMax`
    /// are marked here instead: row numbers are the usual ids, and a bitmap read in order
    /// costs no cache miss per row. No other id can equal one of these, so the two sets never
    /// hide a duplicate from each other.
    private var numericIDs: [UInt64] = []
    static let numericIDsMax = 1 << 27
    /// This line's cells (trimmed), at most six kept; `cellCount` counts them all.
    private var cellStart = [Int](repeating: 0, count: 6)
    private var cellEnd = [Int](repeating: 0, count: 6)
    private var cellCount = 0
    /// The last currency cell seen and its answer: files repeat one or a few currencies.
    private var lastCurrency: (packed: UInt32, code: CurrencyCode)?

    /// - Parameter rows: room for at least `ObligationCSV.lineCount` of the range.
    init(
        _ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil, firstLineNumber: Int = 1, decimal: Bool,
        currencies: CurrencyTable?, defaultExponent: Int, rows: RowSink
    ) {
        self.bytes = bytes
        self.range = range ?? 0..<bytes.count
        self.firstLineNumber = firstLineNumber
        self.decimal = decimal
        self.currencies = currencies
        self.defaultExponent = defaultExponent
        self.rows = rows
        // Both start small and grow: a table sized for every line would be megabytes that
        // miss the cache on every probe (parties are few) or are never used (row-number ids).
        parties = ByteSliceIndex(expectedCount: 1 << 10)
        ids = ByteSliceIndex(expectedCount: 1 << 10)
    }

    /// Reads the range's lines into the sink: its rows, with party numbers and ids of its own.
    mutating func readPart() throws(ParseError) -> ObligationCSVPart {
        try checkUTF8()
        var start = range.lowerBound == 0 && Self.hasByteOrderMark(bytes) ? 3 : range.lowerBound
        var lineNumber = firstLineNumber - 1
        while start < range.upperBound {
            lineNumber += 1
            let end = splitLine(from: start)
            try readLine(number: lineNumber)
            start = end + 1
        }
        // Files hold long runs of one currency: a set insert only where the currency changes.
        var currencies = Set<CurrencyCode?>()
        var previous: CurrencyCode?? = .none
        for currency in UnsafeBufferPointer(start: rows.currencies, count: rows.count)
        where previous != .some(currency) {
            currencies.insert(currency)
            previous = .some(currency)
        }
        return ObligationCSVPart(
            rowCount: rows.count, parties: parties, ids: ids, numericIDs: numericIDs, currencies: currencies)
    }

    /// Whether the buffer's first line is a header (its first cell `id`), as `readPart` decides.
    static func startsWithHeader(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var reader = ObligationCSVReader(bytes, decimal: false, currencies: nil, defaultExponent: 2, rows: .none)
        let start = hasByteOrderMark(bytes) ? 3 : 0
        guard start < bytes.count else { return false }
        _ = reader.splitLine(from: start)
        return reader.isText(0, "id")
    }

    /// The line whose cells `splitLine` found.
    private mutating func readLine(number: Int) throws(ParseError) {
        // One cell, empty once trimmed: the line held spaces only (or nothing).
        if cellCount == 1 && isEmpty(0) { return }
        if number == 1 && isText(0, "id") { return }
        guard (4...6).contains(cellCount) else {
            throw ParseError(line: number, problem: "expected 4 to 6 columns, found \(cellCount)")
        }
        guard !isEmpty(0), !isEmpty(1), !isEmpty(2) else {
            throw ParseError(line: number, problem: "id, debtor and creditor must not be empty")
        }
        guard isNewID() else {
            throw ParseError(line: number, problem: "duplicate id \(cell(0))")
        }
        // Numbered now (a line that fails below fails the whole reading, numbers and all): the
        // same number is the same bytes, so no second comparison of the two cells.
        let debtor = parties.insert(bytes, cellStart[1], cellEnd[1]).index
        let creditor = parties.insert(bytes, cellStart[2], cellEnd[2]).index
        guard debtor != creditor else {
            throw ParseError(line: number, problem: "debtor and creditor are the same party")
        }
        let currency = cellCount >= 5 && !isEmpty(4) ? try currency(line: number) : nil
        let amount = try amountMinor(currency: currency, line: number)
        var dueDay: Int32? = nil
        if cellCount == 6 && !isEmpty(5) {
            guard let date = CivilDate(cell(5)) else {
                throw ParseError(line: number, problem: "due date \(cell(5)) is not YYYY-MM-DD")
            }
            dueDay = Int32(date.daysSinceEpoch)
        }
        rows.append(
            Obligation(debtor: Int32(debtor), creditor: Int32(creditor), amountMinor: amount, dueDay: dueDay),
            currency: currency, idSpan: ObligationCSV.IDSpan(start: cellStart[0], count: cellEnd[0] - cellStart[0]))
    }

    private mutating func isNewID() -> Bool {
        let start = cellStart[0], end = cellEnd[0]
        if end - start <= 9, bytes[start] != 0x30, let value = wholeNumber(start, end), value > 0,
            bytes[start] != 0x2B, value < Self.numericIDsMax
        {
            let word = Int(value >> 6), bit = UInt64(1) << UInt64(value & 63)
            if word >= numericIDs.count {
                numericIDs.append(
                    contentsOf: repeatElement(0, count: max(word + 1, 2 * numericIDs.count) - numericIDs.count))
            }
            guard numericIDs[word] & bit == 0 else { return false }
            numericIDs[word] |= bit
            return true
        }
        return ids.insert(bytes, start, end).inserted
    }

    /// Splits the line that starts at `start` on commas into trimmed cells, in the same pass
    /// that finds its end (the line feed, or the range's end), which it returns; a carriage
    /// return before the line feed is not part of the last cell. The cell arrays are written
    /// through their buffers: one uniqueness check a line, not one a cell.
    private mutating func splitLine(from start: Int) -> Int {
        let bytes = bytes, limit = range.upperBound
        var count = 0, lineEnd = limit
        cellStart.withUnsafeMutableBufferPointer { starts in
            cellEnd.withUnsafeMutableBufferPointer { ends in
                var cell = start
                var index = start
                while true {
                    let isLineEnd = index == limit || bytes[index] == 0x0A
                    if isLineEnd || bytes[index] == 0x2C {
                        if count < 6 {
                            var low = cell, high = index
                            if isLineEnd && high > low && bytes[high - 1] == 0x0D { high -= 1 }
                            while low < high && bytes[low] == 0x20 { low += 1 }
                            while high > low && bytes[high - 1] == 0x20 { high -= 1 }
                            starts[count] = low
                            ends[count] = high
                        }
                        count += 1
                        if isLineEnd {
                            lineEnd = index
                            return
                        }
                        cell = index + 1
                    }
                    index += 1
                }
            }
        }
        cellCount = count
        return lineEnd
    }

    private mutating func currency(line: Int) throws(ParseError) -> CurrencyCode {
        let start = cellStart[4], end = cellEnd[4]
        var packed: UInt32 = 0
        if end - start == 3 {
            for index in start..<end { packed = packed << 8 | UInt32(bytes[index]) }
        }
        if let last = lastCurrency, last.packed == packed, packed != 0 { return last.code }
        guard let code = CurrencyCode(cell(4)), currencies.map({ $0[code] != nil }) ?? true else {
            throw ParseError(line: line, problem: "unknown currency \(cell(4))")
        }
        // A cache hit needs the same three bytes, which give the same code.
        if end - start == 3 { lastCurrency = (packed, code) }
        return code
    }

    private func amountMinor(currency: CurrencyCode?, line: Int) throws(ParseError) -> Int64 {
        if decimal {
            let exponent = currency.flatMap { currencies?[$0]?.exponent } ?? defaultExponent
            do {
                return try Money(
                    parsing: cell(3),
                    currency: Currency(code: currency ?? CurrencyCode("XXX")!, exponent: exponent), sign: .positive
                ).minorUnits
            } catch {
                throw ParseError(line: line, problem: "amount \(cell(3)): \(error)")
            }
        }
        guard let value = wholeNumber(cellStart[3], cellEnd[3]) else {
            throw ParseError(line: line, problem: "amount \(cell(3)) is not a whole number of minor units")
        }
        guard value > 0 else { throw ParseError(line: line, problem: "amount must be positive") }
        return value
    }
}

extension ObligationCSVReader {
    func wholeNumber(_ start: Int, _ end: Int) -> Int64? { ASCIINumber.int64(bytes, start, end) }

    func string(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    func cell(_ index: Int) -> String { string(cellStart[index], cellEnd[index]) }

    func isEmpty(_ index: Int) -> Bool { cellStart[index] == cellEnd[index] }

    func isText(_ index: Int, _ text: StaticString) -> Bool {
        let start = cellStart[index], count = cellEnd[index] - start
        guard count == text.utf8CodeUnitCount else { return false }
        for offset in 0..<count where bytes[start + offset] != text.utf8Start[offset] { return false }
        return true
    }

    static func hasByteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    /// ASCII is checked eight bytes at a time; anything else is validated as UTF-8, and the
    /// first line that is not is named.
    func checkUTF8() throws(ParseError) {
        let part = UnsafeBufferPointer(rebasing: bytes[range])
        var index = 0
        while index + 8 <= part.count {
            let word = UnsafeRawPointer(part.baseAddress! + index).loadUnaligned(as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < part.count && part[index] < 0x80 { index += 1 }
        guard index < part.count, String(validating: part, as: UTF8.self) == nil else { return }
        var line = firstLineNumber, start = 0
        for position in 0...part.count where position == part.count || part[position] == 0x0A {
            if String(validating: UnsafeBufferPointer(rebasing: part[start..<position]), as: UTF8.self) == nil {
                throw ParseError(line: line, problem: "not UTF-8 text")
            }
            line += 1
            start = position + 1
        }
    }
}

/// What one part of a file read to: the rows it wrote into its sink (party numbers its own;
/// id spans into the whole buffer), and the party names and ids it met, for joining it to the
/// parts before it.
struct ObligationCSVPart {
    var rowCount: Int
    var parties: ByteSliceIndex
    var ids: ByteSliceIndex
    var numericIDs: [UInt64]
    var currencies: Set<CurrencyCode?>

    var partyNames: [String] { (0..<parties.count).map { parties.key($0) } }
}
