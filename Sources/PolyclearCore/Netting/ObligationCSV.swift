/// Reads obligations from CSV: `id,debtor,creditor,amount[,currency][,due]` with an optional
/// header line. Amounts are integers of minor units, or (with `decimal`) plain decimals
/// parsed exactly. Every problem names its line; nothing is returned unless all lines are good.
///
/// Read on bytes (`ObligationCSVReader`): a line makes no `String` but its id, party names are
/// numbered by their bytes, so a million obligations read at disk speed.
public struct ObligationCSV: Sendable {
    /// One row with its id as text: for callers that want rows whole (tests, small files).
    public struct Row: Hashable, Sendable {
        public var id: String
        /// Indices into `parties`.
        public var debtor: Int32
        public var creditor: Int32
        public var amountMinor: Int64
        public var currency: CurrencyCode?
        public var dueDay: Int32?
    }

    /// Where a row's id lies in the file's bytes (trimmed).
    struct IDSpan: Hashable, BitwiseCopyable {
        var start: Int
        var count: Int
    }

    /// Row k's obligation, in file order (party numbers index `parties`). The rows are kept as
    /// plain arrays (obligation, id span, currency) rather than one value with a `String` id:
    /// joining the parts of a large file is then a copy of bytes, and a one-currency file's
    /// obligations go to the solver as they are.
    public let obligations: [Obligation]
    /// Row k's currency (nil: the row gave none).
    public let rowCurrencies: [CurrencyCode?]
    let idSpans: [IDSpan]
    /// The file's bytes, which the ids are read from.
    let bytes: [UInt8]
    /// Party names in first-seen order (debtor before creditor); rows point into this.
    public let parties: [String]
    /// The distinct currencies (nil: rows without one).
    public let currencies: Set<CurrencyCode?>

    public var rowCount: Int { obligations.count }

    /// Row k's id.
    public func id(ofRow row: Int) -> String {
        let span = idSpans[row]
        return bytes.withUnsafeBufferPointer { bytes in
            String(decoding: UnsafeBufferPointer(rebasing: bytes[span.start..<span.start + span.count]), as: UTF8.self)
        }
    }

    /// Every row whole, ids as text (a `String` per row: not for the million-row path).
    public var rows: [Row] {
        obligations.indices.map { row in
            let obligation = obligations[row]
            return Row(
                id: id(ofRow: row), debtor: obligation.debtor, creditor: obligation.creditor,
                amountMinor: obligation.amountMinor, currency: rowCurrencies[row], dueDay: obligation.dueDay)
        }
    }

    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var problem: String
        public var description: String { "line \(line): \(problem)" }
    }

    /// - Parameters:
    ///   - decimal: amounts are decimals in the row's currency (its exponent from `currencies`,
    ///     `defaultExponent` without one) instead of whole minor units.
    ///   - currencies: when given, a row's currency must be in it.
    public init(
        bytes: [UInt8], decimal: Bool = false, currencies: CurrencyTable? = nil, defaultExponent: Int = 2
    ) throws(ParseError) {
        var read: Result<ObligationCSVPart, ParseError> = .failure(ParseError(line: 0, problem: ""))
        let rows = bytes.withUnsafeBufferPointer { buffer in
            RowArrays(capacity: Self.lineCount(buffer, 0..<buffer.count)) { sink in
                var reader = ObligationCSVReader(
                    buffer, decimal: decimal, currencies: currencies, defaultExponent: defaultExponent, rows: sink)
                read = Result { () throws(ParseError) in try reader.readPart() }
                return (try? read.get())?.rowCount ?? 0
            }
        }
        self.init(try read.get(), rows: rows, bytes: bytes)
    }

    /// The table a whole file's reading (or its joined parts) made.
    init(_ read: ObligationCSVPart, rows: RowArrays, bytes: [UInt8]) {
        obligations = rows.obligations
        rowCurrencies = rows.currencies
        idSpans = rows.idSpans
        self.bytes = bytes
        parties = read.partyNames
        currencies = read.currencies
    }

    public init(
        _ text: String, decimal: Bool = false, currencies: CurrencyTable? = nil, defaultExponent: Int = 2
    ) throws(ParseError) {
        try self.init(
            bytes: Array(text.utf8), decimal: decimal, currencies: currencies, defaultExponent: defaultExponent)
    }

    /// The obligations of one currency's rows, with their row indices.
    public func obligations(currency: CurrencyCode?) -> (obligations: [Obligation], rowIndices: [Int]) {
        var chosen: [Obligation] = [], indices: [Int] = []
        for row in obligations.indices where rowCurrencies[row] == currency {
            chosen.append(obligations[row])
            indices.append(row)
        }
        return (chosen, indices)
    }

    /// Writes the decimal digits of `value` (at most 20 bytes) at `at`; answers the byte after.
    /// Two digits a step from a table: a million-row split writes two million numbers.
    @inline(__always)
    static func writeDecimal(_ value: Int64, _ at: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var at = at
        if value < 0 {
            at.pointee = 0x2D
            at += 1
        }
        var magnitude = value.magnitude
        let end = at + digitCount(magnitude)
        var index = end
        DecimalDigits.pairs.withUnsafeBufferPointer { pairs in
            while magnitude >= 100 {
                let pair = Int(magnitude % 100) &* 2
                magnitude /= 100
                index -= 2
                index[0] = pairs[pair]
                index[1] = pairs[pair + 1]
            }
            if magnitude >= 10 {
                index -= 2
                index[0] = pairs[Int(magnitude) &* 2]
                index[1] = pairs[Int(magnitude) &* 2 + 1]
            } else {
                index -= 1
                index[0] = 0x30 + UInt8(magnitude)
            }
        }
        return end
    }

    /// The number of decimal digits of `magnitude` (1 for 0): log10 estimated from the bit
    /// length (1233/4096 ≈ log10 2), corrected by one comparison with a power of ten. With the
    /// low bit set, 0 counts as 1 digit, and nothing else changes (the powers compared are even).
    @inline(__always)
    static func digitCount(_ magnitude: UInt64) -> Int {
        let odd = magnitude | 1
        let estimate = ((64 - odd.leadingZeroBitCount) &* 1233) >> 12
        return DecimalDigits.powersOfTen.withUnsafeBufferPointer { powers in
            estimate + (odd < powers[estimate] ? 0 : 1)
        }
    }

    /// The decimal digits of `value` (with a minus sign when negative), no `String` made.
    public static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            let end = writeDecimal(value, scratch.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress, count: end - scratch.baseAddress!))
        }
    }
}

/// Tables for writing decimals.
enum DecimalDigits {
    /// "00", "01", … "99": the two ASCII digits of n at 2n.
    static let pairs: [UInt8] = (0..<100).flatMap { (pair: Int) -> [UInt8] in
        [UInt8(0x30 + pair / 10), UInt8(0x30 + pair % 10)]
    }
    /// 10^0 … 10^19 (the largest that fits in 64 bits).
    static let powersOfTen: [UInt64] = (0...19).map { (power: Int) -> UInt64 in
        var value: UInt64 = 1
        for _ in 0..<power { value *= 10 }
        return value
    }
}
