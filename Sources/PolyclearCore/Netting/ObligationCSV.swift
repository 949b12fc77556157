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

    public init(
        _ text: String, decimal: Bool = false, currencies: CurrencyTable? = nil, defaultExponent: Int = 2
    ) throws(ParseError) {
        try self.init(
            bytes: Array(text.utf8), decimal: decimal, currencies: currencies, defaultExponent: defaultExponent)
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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24 * rows.count + 32)
        bytes.append(contentsOf: "id,set_off,remainder\n".utf8)
        for (row, setOff) in zip(rows, setOffMinor) {
            var id = row.id
            id.withUTF8 { bytes.append(contentsOf: $0) }
            bytes.append(0x2C)
            Self.appendDecimal(setOff, to: &bytes)
            bytes.append(0x2C)
            Self.appendDecimal(row.amountMinor - setOff, to: &bytes)
            bytes.append(0x0A)
        }
        return bytes
    }

    /// The decimal digits of `value` (with a minus sign when negative), no `String` made.
    public static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(0x2D) }
        var magnitude = value.magnitude
        var digitCount = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digitCount += 1
        }
        let start = bytes.count
        for _ in 0..<digitCount { bytes.append(0x30) }
        bytes.withUnsafeMutableBufferPointer { buffer in
            var index = start + digitCount - 1
            repeat {
                buffer[index] = 0x30 + UInt8(magnitude % 10)
                magnitude /= 10
                index -= 1
            } while magnitude > 0
        }
    }
}
