/// Reads obligations from CSV: `id,debtor,creditor,amount[,currency][,due]` with an optional
/// header line. Amounts are integers of minor units, or (with `decimal`) plain decimals
/// parsed exactly. Every problem names its line; nothing is returned unless all lines are good.
///
/// Read on bytes (`ObligationCSVReader`): a line makes no `String` but its id, party names are
/// numbered by their bytes, so a million obligations read at disk speed.
public struct ObligationCSV: Sendable {
    public struct Row: Hashable, Sendable {
        public var id: String
        /// Indices into `parties`.
        public var debtor: Int32
        public var creditor: Int32
        public var amountMinor: Int64
        public var currency: CurrencyCode?
        public var dueDay: Int32?
    }

    public let rows: [Row]
    /// Party names in first-seen order (debtor before creditor); rows point into this.
    public let parties: [String]
    /// The distinct currencies (nil: rows without one).
    public let currencies: Set<CurrencyCode?>

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
        let read: Result<(rows: [Row], parties: [String], currencies: Set<CurrencyCode?>), ParseError> =
            bytes.withUnsafeBufferPointer { buffer in
                var reader = ObligationCSVReader(
                    buffer, decimal: decimal, currencies: currencies, defaultExponent: defaultExponent)
                return Result { () throws(ParseError) in try reader.read() }
            }
        (rows, parties, self.currencies) = try read.get()
    }

    init(rows: [Row], parties: [String], currencies: Set<CurrencyCode?>) {
        self.rows = rows
        self.parties = parties
        self.currencies = currencies
    }

    public init(
        _ text: String, decimal: Bool = false, currencies: CurrencyTable? = nil, defaultExponent: Int = 2
    ) throws(ParseError) {
        try self.init(
            bytes: Array(text.utf8), decimal: decimal, currencies: currencies, defaultExponent: defaultExponent)
    }

    /// Every row as an engine obligation, in row order.
    public var allObligations: [Obligation] {
        [Obligation](unsafeUninitializedCapacity: rows.count) { buffer, count in
            for (index, row) in rows.enumerated() {
                (buffer.baseAddress! + index).initialize(
                    to: Obligation(
                        debtor: row.debtor, creditor: row.creditor, amountMinor: row.amountMinor, dueDay: row.dueDay))
            }
            count = rows.count
        }
    }

    /// The rows as engine obligations (all of them, or those of one currency), with their row indices.
    public func obligations(currency: CurrencyCode?? = .none) -> (obligations: [Obligation], rowIndices: [Int]) {
        var obligations: [Obligation] = [], indices: [Int] = []
        obligations.reserveCapacity(rows.count)
        indices.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            if case .some(let wanted) = currency, row.currency != wanted { continue }
            obligations.append(
                Obligation(debtor: row.debtor, creditor: row.creditor, amountMinor: row.amountMinor, dueDay: row.dueDay)
            )
            indices.append(index)
        }
        return (obligations, indices)
    }

    /// `id,set_off,remainder` for every row, as `polyclear net --out` writes it.
    public func splitCSV(setOffMinor: [Int64]) -> [UInt8] {
        splitCSV(setOffMinor: setOffMinor, rows: 0..<rows.count, header: true)
    }

    /// The same bytes in `partCount` consecutive pieces, written at once by `perform` (each
    /// piece's rows on their own): the file is the pieces in order.
    public func splitCSV(setOffMinor: [Int64], partCount: Int, perform: PerformParts) -> [[UInt8]] {
        let count = max(1, min(partCount, rows.count / 4096))
        let pieces = PartResults<[UInt8]>(count: count)
        perform(count) { part in
            let range = rows.count * part / count..<rows.count * (part + 1) / count
            pieces.store(part, splitCSV(setOffMinor: setOffMinor, rows: range, header: part == 0))
        }
        return pieces.take().map { $0 ?? [] }
    }

    /// The lines of `rows` (after the header line when `header`): into one buffer sized for the
    /// longest lines (a 20-character number each), no growth, no copies.
    private func splitCSV(setOffMinor: [Int64], rows range: Range<Int>, header: Bool) -> [UInt8] {
        let headerLine = header ? "id,set_off,remainder\n" : ""
        var capacity = headerLine.utf8.count
        for index in range { capacity += rows[index].id.utf8.count + 2 * 20 + 3 }
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            var at = buffer.baseAddress!
            for byte in headerLine.utf8 {
                at.pointee = byte
                at += 1
            }
            for index in range {
                let row = rows[index], setOff = setOffMinor[index]
                var id = row.id
                id.withUTF8 { utf8 in
                    at.update(from: utf8.baseAddress!, count: utf8.count)
                    at += utf8.count
                }
                at.pointee = 0x2C
                at = Self.writeDecimal(setOff, at + 1)
                at.pointee = 0x2C
                at = Self.writeDecimal(row.amountMinor - setOff, at + 1)
                at.pointee = 0x0A
                at += 1
            }
            count = at - buffer.baseAddress!
        }
    }

    /// Writes the decimal digits of `value` (at most 20 bytes) at `at`; answers the byte after.
    @inline(__always)
    static func writeDecimal(_ value: Int64, _ at: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var at = at
        if value < 0 {
            at.pointee = 0x2D
            at += 1
        }
        var magnitude = value.magnitude
        var digitCount = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digitCount += 1
        }
        var index = digitCount - 1
        repeat {
            at[index] = 0x30 + UInt8(magnitude % 10)
            magnitude /= 10
            index -= 1
        } while magnitude > 0
        return at + digitCount
    }

    /// The decimal digits of `value` (with a minus sign when negative), no `String` made.
    public static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            let end = writeDecimal(value, scratch.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress, count: end - scratch.baseAddress!))
        }
    }
}
