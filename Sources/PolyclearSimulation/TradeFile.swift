import PolyclearCore
public import PolyclearWorkload

/// The trade file of a simulation: `year,exporter_iso3,importer_iso3,value_usd[,source]`, or
/// with the goods' HS chapter `year,exporter_iso3,importer_iso3,value_usd,hs_chapter[,source]`
/// (a pair then appears once per chapter; the simulated payments carry it, so the hub's trade
/// statistics and the report show flows by goods), read strictly — every refusal names the
/// file, the line and the field.
public enum TradeFile {
    /// ASCII files (nearly all) are read on their bytes (`TradeFileBytes`, the same rules);
    /// anything else — other scripts, Unicode line breaks or spaces — by characters.
    public static func parse(_ text: String, file: String) throws(SimulationInputError) -> TradeMatrix {
        var text = text
        let fast: Result<TradeMatrix?, SimulationInputError> = text.withUTF8 { bytes in
            Result { () throws(SimulationInputError) in try TradeFileBytes.parseIfASCII(bytes, file: file) }
        }
        if let matrix = try fast.get() { return matrix }
        return try parseCharacters(text, file: file)
    }

    /// The reading by characters: lines split at any Unicode line break, blank lines of any
    /// white space skipped.
    static func parseCharacters(_ text: String, file: String) throws(SimulationInputError) -> TradeMatrix {
        var flows: [TradeMatrix.Flow] = []
        var firstLineOfPair: [String: Int] = [:]
        var year: Int?
        var hasChapters = false
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = offset + 1
            if line.allSatisfy(\.isWhitespace) { continue }
            let cells = line.split(separator: ",", maxSplits: 4, omittingEmptySubsequences: false).map { String($0) }
            if flows.isEmpty && year == nil && number == 1 {
                guard cells.count >= 4, cells[0] == "year", cells[1] == "exporter_iso3", cells[2] == "importer_iso3",
                    cells[3] == "value_usd"
                else {
                    throw SimulationInputError(
                        file: file, line: 1, field: "header",
                        reason: "expected year,exporter_iso3,importer_iso3,value_usd[,source]")
                }
                year = 0
                hasChapters = cells.count >= 5 && cells[4].hasPrefix("hs_chapter")
                continue
            }
            guard cells.count >= 4 else {
                throw SimulationInputError(file: file, line: number, field: "line", reason: "needs at least 4 columns")
            }
            guard let lineYear = Int(cells[0]), (1900...2200).contains(lineYear) else {
                throw SimulationInputError(
                    file: file, line: number, field: "year", reason: "'\(cells[0].prefix(12))' is not a year")
            }
            if let first = flows.first?.year, first != lineYear {
                throw SimulationInputError(
                    file: file, line: number, field: "year",
                    reason: "\(lineYear) differs from \(first): one year per file")
            }
            guard let exporter = CountryCode(alpha3: cells[1]) else {
                throw SimulationInputError(
                    file: file, line: number, field: "exporter_iso3",
                    reason: "unknown country code '\(cells[1].prefix(8))'")
            }
            guard let importer = CountryCode(alpha3: cells[2]) else {
                throw SimulationInputError(
                    file: file, line: number, field: "importer_iso3",
                    reason: "unknown country code '\(cells[2].prefix(8))'")
            }
            guard exporter != importer else {
                throw SimulationInputError(
                    file: file, line: number, field: "importer_iso3",
                    reason: "a country does not trade with itself here")
            }
            guard let value = Int64(cells[3]) else {
                throw SimulationInputError(
                    file: file, line: number, field: "value_usd",
                    reason: "'\(cells[3].prefix(20))' is not a whole number of US dollars")
            }
            guard value >= 0 else {
                throw SimulationInputError(file: file, line: number, field: "value_usd", reason: "must not be negative")
            }
            guard value <= 100_000_000_000_000 else {
                throw SimulationInputError(
                    file: file, line: number, field: "value_usd", reason: "larger than 10^14 dollars")
            }
            var chapter: UInt8 = 0
            if hasChapters {
                let text = cells.count > 4 ? String(cells[4].prefix { $0 != "," }) : ""
                guard text.utf8.count == 2, let number = UInt8(text), (1...99).contains(number) else {
                    throw SimulationInputError(
                        file: file, line: number, field: "hs_chapter",
                        reason: "'\(text.prefix(8))' is not a two-digit HS chapter (01–99)")
                }
                chapter = number
            }
            let pair = "\(exporter)>\(importer)" + (hasChapters ? " chapter \(chapter)" : "")
            if let first = firstLineOfPair[pair] {
                throw SimulationInputError(
                    file: file, line: number, field: "exporter_iso3,importer_iso3",
                    reason: "duplicate pair \(pair) (first on line \(first))")
            }
            firstLineOfPair[pair] = number
            flows.append(
                TradeMatrix.Flow(
                    year: lineYear, exporter: exporter, importer: importer, valueUSD: value, hsChapter: chapter))
        }
        guard flows.contains(where: { $0.valueUSD > 0 }) else {
            throw SimulationInputError(file: file, field: "matrix", reason: "the matrix is empty: no trade to simulate")
        }
        return TradeMatrix(flows: flows)
    }
}
