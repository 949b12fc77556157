import PolyclearCore
import PolyclearWorkload
import Testing

@testable import PolyclearSimulation

/// The trade file read on bytes against the reading by characters (the specification): the
/// same matrix or the same error, on random files made to trip every rule.
@Suite struct TradeFileBytesTests {
    static func randomFile(_ random: inout SeededRandom) -> String {
        func pick(_ pool: [String]) -> String { pool[Int(random.next() % UInt64(pool.count))] }
        var lines: [String] = []
        if random.next() % 4 != 0 {
            lines.append(
                pick([
                    "year,exporter_iso3,importer_iso3,value_usd", "year,exporter_iso3,importer_iso3,value_usd,source",
                    "year,exporter_iso3,importer_iso3,value_usd,hs_chapter,source", "year,exporter,importer,value",
                    "year,exporter_iso3,importer_iso3", "  ",
                ]))
        }
        for _ in 0..<Int(random.next() % 10) {
            if random.next() % 8 == 0 {
                lines.append(pick(["", " ", "\t", "2022,BRA", ",,,", "2022,BRA,CHN,5,07,x,y"]))
                continue
            }
            var cells = [
                pick(["2022", "2022", "2023", "+2022", "1899", "x", "", " 2022"]),
                pick(["BRA", "CHN", "IND", "bra", "ZZZ", "BR", "BRAZ"]),
                pick(["CHN", "IND", "BRA", "USA", ""]),
                pick(["5", "0", "120000", "-3", "+7", "1e3", "100000000000001", "99999999999999999999", ""]),
            ]
            if random.next() % 2 == 0 { cells.append(pick(["07", "7", "00", "99", "+1", "x", "", "07,source"])) }
            if random.next() % 3 == 0 { cells.append(pick(["UN Comtrade", "a,b", ""])) }
            lines.append(cells.joined(separator: ","))
        }
        let separator = pick(["\n", "\r\n", "\r", "\n\r"])
        return lines.joined(separator: separator) + (random.next() % 2 == 0 ? separator : "")
    }

    @Test(arguments: 1...300 as ClosedRange<UInt64>)
    func bytesReadAsCharactersDo(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let text = Self.randomFile(&random)
        let expected = Result { () throws(SimulationInputError) in try TradeFile.parseCharacters(text, file: "t.csv") }
        let actual = Result { () throws(SimulationInputError) in try TradeFile.parse(text, file: "t.csv") }
        switch (expected, actual) {
        case (.success(let want), .success(let got)): #expect(want.flows == got.flows, "seed \(seed)")
        case (.failure(let want), .failure(let got)): #expect(want == got, "seed \(seed): \(text.debugDescription)")
        default: Issue.record("seed \(seed): \(expected) vs \(actual) for \(text.debugDescription)")
        }
    }

    @Test func otherTextIsReadByCharacters() throws {
        // A non-ASCII source column and a Unicode line separator take the character path.
        let text = "year,exporter_iso3,importer_iso3,value_usd,source\n2022,BRA,CHN,5,Comércio\u{2028}2022,CHN,BRA,3\n"
        let matrix = try TradeFile.parse(text, file: "t.csv")
        #expect(matrix.flows.map(\.valueUSD) == [5, 3])
        let reference = try TradeFile.parseCharacters(text, file: "t.csv")
        #expect(matrix.flows == reference.flows)
    }
}
