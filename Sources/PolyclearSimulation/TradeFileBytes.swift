import PolyclearCore
import PolyclearWorkload

/// The trade file read on bytes, for files of ASCII without vertical tab or form feed (which
/// Swift counts as line breaks): lines end at LF, CR LF or CR; a line of spaces and tabs is
/// blank; cells split at the first four commas. Same checks, order and messages as
/// `TradeFile.parseCharacters`, which the tests hold it to; no `String` per line, countries
/// looked up once per distinct code, duplicate pairs found by a packed key.
enum TradeFileBytes {
    /// Nil when the text is not plain ASCII (then it is read by characters).
    static func parseIfASCII(
        _ bytes: UnsafeBufferPointer<UInt8>, file: String
    ) throws(SimulationInputError) -> TradeMatrix? {
        for byte in bytes where byte >= 0x80 || byte == 0x0B || byte == 0x0C { return nil }
        var reader = Reader(bytes: bytes, file: file)
        return try reader.read()
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let file: String
        var flows: [TradeMatrix.Flow] = []
        var firstLineOfPair = PackedKeyTable(expectedCount: 1 << 12)
        var countries: [UInt32: CountryCode] = [:]
        var sawHeader = false
        var hasChapters = false
        /// Cell bounds of the current line (at most five: the fifth runs to the line's end).
        var cellStart = [Int](repeating: 0, count: 5)
        var cellEnd = [Int](repeating: 0, count: 5)
        var cellCount = 0

        init(bytes: UnsafeBufferPointer<UInt8>, file: String) {
            self.bytes = bytes
            self.file = file
            flows.reserveCapacity(bytes.count / 24)
        }

        mutating func read() throws(SimulationInputError) -> TradeMatrix {
            var start = 0, number = 0
            while start < bytes.count || number == 0 {
                number += 1
                var end = start
                while end < bytes.count && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
                try line(start, end, number: number)
                if end >= bytes.count { break }
                start = end + (bytes[end] == 0x0D && end + 1 < bytes.count && bytes[end + 1] == 0x0A ? 2 : 1)
                if start >= bytes.count { break }
            }
            guard flows.contains(where: { $0.valueUSD > 0 }) else {
                throw SimulationInputError(
                    file: file, field: "matrix", reason: "the matrix is empty: no trade to simulate")
            }
            return TradeMatrix(flows: flows)
        }

        func text(_ index: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[cellStart[index]..<cellEnd[index]]), as: UTF8.self)
        }

        func fail(_ number: Int, _ field: String, _ reason: String) -> SimulationInputError {
            SimulationInputError(file: file, line: number, field: field, reason: reason)
        }

        mutating func line(_ start: Int, _ end: Int, number: Int) throws(SimulationInputError) {
            var blank = true
            for index in start..<end where bytes[index] != 0x20 && bytes[index] != 0x09 {
                blank = false
                break
            }
            if blank { return }
            cellCount = 0
            cellStart[0] = start
            var index = start
            while index < end && cellCount < 4 {
                if bytes[index] == 0x2C {
                    cellEnd[cellCount] = index
                    cellCount += 1
                    cellStart[cellCount] = index + 1
                }
                index += 1
            }
            cellEnd[cellCount] = end
            cellCount += 1
            if flows.isEmpty && !sawHeader && number == 1 { return try header(number) }
            guard cellCount >= 4 else { throw fail(number, "line", "needs at least 4 columns") }
            guard let year = ASCIINumber.int64(bytes, cellStart[0], cellEnd[0]), (1900...2200).contains(year) else {
                throw fail(number, "year", "'\(text(0).prefix(12))' is not a year")
            }
            if let first = flows.first?.year, first != Int(year) {
                throw fail(number, "year", "\(year) differs from \(first): one year per file")
            }
            guard let exporterEntry = country(1) else {
                throw fail(number, "exporter_iso3", "unknown country code '\(text(1).prefix(8))'")
            }
            guard let importerEntry = country(2) else {
                throw fail(number, "importer_iso3", "unknown country code '\(text(2).prefix(8))'")
            }
            let (exporter, exporterKey) = exporterEntry, (importer, importerKey) = importerEntry
            guard exporterKey != importerKey else {
                throw fail(number, "importer_iso3", "a country does not trade with itself here")
            }
            guard let value = ASCIINumber.int64(bytes, cellStart[3], cellEnd[3]) else {
                throw fail(number, "value_usd", "'\(text(3).prefix(20))' is not a whole number of US dollars")
            }
            guard value >= 0 else { throw fail(number, "value_usd", "must not be negative") }
            guard value <= 100_000_000_000_000 else { throw fail(number, "value_usd", "larger than 10^14 dollars") }
            let chapter = hasChapters ? try self.chapter(number) : 0
            let key = UInt64(exporterKey) << 40 | UInt64(importerKey) << 16 | UInt64(chapter)
            let (first, isNew) = firstLineOfPair.insert(key, next: Int32(truncatingIfNeeded: number))
            if !isNew {
                let pair = "\(exporter)>\(importer)" + (hasChapters ? " chapter \(chapter)" : "")
                throw fail(number, "exporter_iso3,importer_iso3", "duplicate pair \(pair) (first on line \(first))")
            }
            flows.append(
                TradeMatrix.Flow(
                    year: Int(year), exporter: exporter, importer: importer, valueUSD: value, hsChapter: chapter))
        }

        mutating func header(_ number: Int) throws(SimulationInputError) {
            guard cellCount >= 4, text(0) == "year", text(1) == "exporter_iso3", text(2) == "importer_iso3",
                text(3) == "value_usd"
            else {
                throw SimulationInputError(
                    file: file, line: 1, field: "header",
                    reason: "expected year,exporter_iso3,importer_iso3,value_usd[,source]")
            }
            sawHeader = true
            hasChapters = cellCount >= 5 && text(4).hasPrefix("hs_chapter")
        }

        /// A country's code and its three letters packed (the lookup is made once per code).
        mutating func country(_ index: Int) -> (CountryCode, UInt32)? {
            let start = cellStart[index]
            guard cellEnd[index] - start == 3 else { return nil }
            let key = UInt32(bytes[start]) << 16 | UInt32(bytes[start + 1]) << 8 | UInt32(bytes[start + 2])
            if let known = countries[key] { return (known, key) }
            guard let code = CountryCode(alpha3: text(index)) else { return nil }
            countries[key] = code
            return (code, key)
        }

        /// The fifth cell up to its first comma: two digits, 01–99.
        func chapter(_ number: Int) throws(SimulationInputError) -> UInt8 {
            var value = ""
            if cellCount > 4 {
                var end = cellStart[4]
                while end < cellEnd[4] && bytes[end] != 0x2C { end += 1 }
                value = String(decoding: UnsafeBufferPointer(rebasing: bytes[cellStart[4]..<end]), as: UTF8.self)
            }
            guard value.utf8.count == 2, let chapter = UInt8(value), (1...99).contains(chapter) else {
                throw fail(number, "hs_chapter", "'\(value.prefix(8))' is not a two-digit HS chapter (01–99)")
            }
            return chapter
        }
    }
}
