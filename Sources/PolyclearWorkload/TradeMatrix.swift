public import PolyclearCore

/// Annual bilateral trade flows: `year,exporter_iso3,importer_iso3,value_usd[,source]`.
/// The exporter is paid; the importer pays.
public struct TradeMatrix: Sendable {
    public struct Flow: Hashable, Sendable {
        public let year: Int
        public let exporter: CountryCode
        public let importer: CountryCode
        public let valueUSD: Int64
        /// The goods' HS chapter (1–99), 0 when the file does not say.
        public let hsChapter: UInt8

        public init(year: Int, exporter: CountryCode, importer: CountryCode, valueUSD: Int64, hsChapter: UInt8 = 0) {
            self.year = year
            self.exporter = exporter
            self.importer = importer
            self.valueUSD = valueUSD
            self.hsChapter = hsChapter
        }
    }

    public let flows: [Flow]

    public var countries: [CountryCode] {
        Array(Set(flows.flatMap { [$0.exporter, $0.importer] })).sorted { $0.alpha3 < $1.alpha3 }
    }

    public init(flows: [Flow]) { self.flows = flows }

    /// Parses the CSV; the optional quoted `source` column is ignored.
    public static func parse(_ text: String) throws(TradeMatrixError) -> TradeMatrix {
        var flows: [Flow] = []
        for (offset, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let cells = line.split(separator: ",", maxSplits: 4, omittingEmptySubsequences: false)
            if offset == 0 {
                guard cells.count >= 4, cells[0] == "year", cells[1] == "exporter_iso3", cells[2] == "importer_iso3",
                    cells[3] == "value_usd"
                else { throw .malformedHeader }
                continue
            }
            guard cells.count >= 4, let year = Int(cells[0]), let exporter = CountryCode(alpha3: String(cells[1])),
                let importer = CountryCode(alpha3: String(cells[2])), let value = Int64(cells[3]), value >= 0,
                exporter != importer
            else { throw .malformedLine(offset + 1) }
            flows.append(Flow(year: year, exporter: exporter, importer: importer, valueUSD: value))
        }
        guard !flows.isEmpty else { throw .empty }
        return TradeMatrix(flows: flows)
    }
}

public enum TradeMatrixError: Error, Hashable, Sendable {
    case empty, malformedHeader, malformedLine(Int)
}
