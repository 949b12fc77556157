/// Reads the ECB euro foreign exchange reference rates in their CSV forms: the history file
/// (`Date,USD,JPY,…,` newest first, `N/A` for missing, trailing comma) and the single-day file
/// (`Date, USD, …` with spaces and a `30 October 2026` date). Each value is units of the
/// currency per 1 EUR. Columns that are not currency codes are refused; values are kept as
/// the source wrote them, and judged when a fixing is computed.
public enum ECBReferenceRates {
    public enum Value: Hashable, Sendable {
        case rate(DecimalNumber)
        /// The source's `N/A`: not quoted that day.
        case notAvailable
        /// Anything that is not a plain positive-or-zero decimal (negative, `NaN`, text).
        case invalid(String)
    }

    public struct Day: Hashable, Sendable {
        public let date: CivilDate
        public let values: [CurrencyCode: Value]
    }

    /// Every day in the file, in file order.
    public static func parse(_ text: String) throws(ECBParseError) -> [Day] {
        var lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).makeIterator()
        guard let header = lines.next() else { throw .empty }
        let columns = fields(header)
        guard columns.first == "Date", columns.count > 1 else { throw .malformedHeader }
        var codes: [CurrencyCode] = []
        for name in columns.dropFirst() {
            guard let code = CurrencyCode(name) else { throw .malformedHeader }
            codes.append(code)
        }
        var days: [Day] = []
        var lineNumber = 1
        while let line = lines.next() {
            lineNumber += 1
            let cells = fields(line)
            if cells.allSatisfy(\.isEmpty) { continue }
            guard cells.count == codes.count + 1 else { throw .wrongColumnCount(line: lineNumber) }
            guard let date = CivilDate(cells[0]) else { throw .malformedDate(line: lineNumber) }
            var values: [CurrencyCode: Value] = [:]
            for (code, cell) in zip(codes, cells.dropFirst()) {
                if cell == "N/A" || cell.isEmpty {
                    values[code] = .notAvailable
                } else if let rate = DecimalNumber(cell) {
                    values[code] = .rate(rate)
                } else {
                    values[code] = .invalid(String(cell))
                }
            }
            days.append(Day(date: date, values: values))
        }
        guard !days.isEmpty else { throw .empty }
        return days
    }

    /// The cells of a line, trimmed, without the empty cell after the trailing comma.
    private static func fields(_ line: Substring) -> [Substring] {
        var cells = line.split(separator: ",", omittingEmptySubsequences: false).map { cell in
            cell.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()
        }.map { Substring(String($0)) }
        if cells.last?.isEmpty == true { cells.removeLast() }
        return cells
    }
}

/// Why an ECB file could not be read. Raw values are stable codes: append only.
public enum ECBParseError: Error, Hashable, Sendable {
    case empty
    case malformedHeader
    case wrongColumnCount(line: Int)
    case malformedDate(line: Int)
}
