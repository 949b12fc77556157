import PolyclearWorkload
import Testing

@testable import PolyclearCore

/// The byte-level obligation reader against the character-level reading it replaced (kept
/// here as the specification), and the cases where bytes decide better.
@Suite struct ObligationCSVTests {
    /// The reading before it went to bytes (2026-12-06): lines split on LF, a trailing CR
    /// dropped, cells split on commas and trimmed of spaces, checked in this order.
    static func reference(
        _ text: String, decimal: Bool, currencies: CurrencyTable?
    ) -> Result<
        [(String, String, String, Int64, CurrencyCode?, Int32?)], ObligationCSV.ParseError
    > {
        func trim(_ text: Substring) -> String {
            var result = text
            while result.first == " " { result = result.dropFirst() }
            while result.last == " " { result = result.dropLast() }
            return String(result)
        }
        var rows: [(String, String, String, Int64, CurrencyCode?, Int32?)] = [], seen = Set<String>()
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if trim(line).isEmpty { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(trim)
            if offset == 0 && cells.first == "id" { continue }
            func fail(
                _ problem: String
            ) -> Result<[(String, String, String, Int64, CurrencyCode?, Int32?)], ObligationCSV.ParseError> {
                .failure(ObligationCSV.ParseError(line: number, problem: problem))
            }
            guard (4...6).contains(cells.count) else { return fail("expected 4 to 6 columns, found \(cells.count)") }
            guard !cells[0].isEmpty, !cells[1].isEmpty, !cells[2].isEmpty else {
                return fail("id, debtor and creditor must not be empty")
            }
            guard seen.insert(cells[0]).inserted else { return fail("duplicate id \(cells[0])") }
            guard cells[1] != cells[2] else { return fail("debtor and creditor are the same party") }
            var currency: CurrencyCode? = nil
            if cells.count >= 5 && !cells[4].isEmpty {
                guard let code = CurrencyCode(cells[4]), currencies.map({ $0[code] != nil }) ?? true else {
                    return fail("unknown currency \(cells[4])")
                }
                currency = code
            }
            var amount: Int64
            if decimal {
                let exponent = currency.flatMap { currencies?[$0]?.exponent } ?? 2
                do {
                    amount = try Money(
                        parsing: cells[3],
                        currency: Currency(code: currency ?? CurrencyCode("XXX")!, exponent: exponent),
                        sign: .positive
                    ).minorUnits
                } catch { return fail("amount \(cells[3]): \(error)") }
            } else {
                guard let value = Int64(cells[3]) else {
                    return fail("amount \(cells[3]) is not a whole number of minor units")
                }
                guard value > 0 else { return fail("amount must be positive") }
                amount = value
            }
            var due: Int32? = nil
            if cells.count == 6 && !cells[5].isEmpty {
                guard let date = CivilDate(cells[5]) else { return fail("due date \(cells[5]) is not YYYY-MM-DD") }
                due = Int32(date.daysSinceEpoch)
            }
            rows.append((cells[0], cells[1], cells[2], amount, currency, due))
        }
        return .success(rows)
    }

    /// A random line: cells drawn from pools that make every rule fire now and then.
    static func randomLine(_ random: inout SeededRandom) -> String {
        func pick(_ pool: [String]) -> String { pool[Int(random.next() % UInt64(pool.count))] }
        if random.next() % 25 == 0 { return pick(["", "   ", "id,debtor,creditor,amount", ",,,", "1,A"]) }
        let ids = ["1", "2", "17", "017", "+3", "99999999999", "r1", "r2", "ü7", " 5 ", "0", "-4", "134217729"]
        let parties = ["A", "B", " A", "Bé ", "Ciudad Bolívar", "", "A B"]
        let amounts = [
            "10", "1", "0", "-5", "+7", "12.50", "1.005", "ten", "", "9223372036854775807", "9223372036854775808",
            " 42 ", "1e3", "007",
        ]
        var cells = [
            pick(ids) + (random.next() % 3 == 0 ? String(random.next() % 50) : ""), pick(parties), pick(parties),
            pick(amounts),
        ]
        if random.next() % 2 == 0 { cells.append(pick(["EUR", "JPY", "", "ZZZ", "eur", " EUR"])) }
        if cells.count == 5 && random.next() % 2 == 0 {
            cells.append(pick(["2026-12-01", "", "2026-13-01", "1 May 2026"]))
        }
        if random.next() % 30 == 0 { cells.append("x") }
        return cells.joined(separator: ",")
    }

    @Test(arguments: 1...200 as ClosedRange<UInt64>)
    func bytesReadAsTheCharacterReadingDid(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let lines = (0..<Int(1 + random.next() % 12)).map { _ in Self.randomLine(&random) }
        let text = lines.joined(separator: "\n") + (random.next() % 2 == 0 ? "\n" : "")
        let table = try CurrencyTable()
        for decimal in [false, true] {
            let expected = Self.reference(text, decimal: decimal, currencies: table)
            let actual = Result { () throws(ObligationCSV.ParseError) in
                try ObligationCSV(text, decimal: decimal, currencies: table)
            }
            switch (expected, actual) {
            case (.failure(let want), .failure(let got)):
                #expect(want == got, "seed \(seed) decimal \(decimal)\n\(text)")
            case (.success(let want), .success(let got)):
                let rows = got.rows.map {
                    (
                        $0.id, got.parties[Int($0.debtor)], got.parties[Int($0.creditor)], $0.amountMinor, $0.currency,
                        $0.dueDay
                    )
                }
                #expect(rows.count == want.count, "seed \(seed)")
                for (a, b) in zip(rows, want) {
                    #expect(
                        a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && a.3 == b.3 && a.4 == b.4 && a.5 == b.5, "seed \(seed)"
                    )
                }
                // Parties numbered in first-seen order, debtor before creditor.
                var order: [String] = []
                for row in want { for name in [row.1, row.2] where !order.contains(name) { order.append(name) } }
                #expect(got.parties == order, "seed \(seed)")
            default:
                Issue.record("seed \(seed) decimal \(decimal): \(expected) vs \(actual)\n\(text)")
            }
        }
    }

    @Test func rowNumbersAndOtherIdsNeverHideADuplicate() throws {
        // Canonical numbers go to a bitmap, everything else to the hash table: a number written
        // another way is another id, the same number twice is a duplicate.
        let distinct = try ObligationCSV("1,A,B,5\n01,A,B,5\n+1,A,B,5\n1 0,A,B,5\n10,A,B,5\n134217728,A,B,5\n")
        #expect(distinct.rows.map(\.id) == ["1", "01", "+1", "1 0", "10", "134217728"])
        for (text, line) in [
            ("1,A,B,5\n2,A,B,5\n1,B,A,5\n", 3), ("01,A,B,5\n01,B,A,5\n", 2), ("134217728,A,B,5\n134217728,A,B,5\n", 2),
            ("999999999,A,B,5\n999999999,A,B,5\n", 2), ("r,A,B,5\nr,A,B,5\n", 2),
        ] {
            #expect(throws: ObligationCSV.ParseError(line: line, problem: "duplicate id \(text.prefix { $0 != "," })"))
            {
                try ObligationCSV(text)
            }
        }
        let many = (1...70_000).map { "\($0),A,B,1" }.joined(separator: "\n") + "\n70000,B,A,1\n"
        #expect(throws: ObligationCSV.ParseError(line: 70_001, problem: "duplicate id 70000")) {
            try ObligationCSV(many)
        }
    }

    @Test func crlfLinesAByteOrderMarkAndNonUTF8() throws {
        let crlf = try ObligationCSV("id,debtor,creditor,amount\r\n1,A,B,10\r\n2,B,A,4\r\n")
        #expect(crlf.rows.map(\.amountMinor) == [10, 4] && crlf.parties == ["A", "B"])
        let bom = try ObligationCSV(bytes: [0xEF, 0xBB, 0xBF] + Array("id,debtor,creditor,amount\n1,A,B,10\n".utf8))
        #expect(bom.rows.count == 1)
        let bad: [UInt8] = Array("1,A,B,10\n2,".utf8) + [0xC3, 0x28] + Array(",B,5\n".utf8)
        #expect(throws: ObligationCSV.ParseError(line: 2, problem: "not UTF-8 text")) { try ObligationCSV(bytes: bad) }
        let truncated: [UInt8] = Array("1,A,B,10\n2,A,B,5\n3,A,B,".utf8) + [0xE2, 0x82]
        #expect(throws: ObligationCSV.ParseError(line: 3, problem: "not UTF-8 text")) {
            try ObligationCSV(bytes: truncated)
        }
        let names = try ObligationCSV("1,Zürich AG,Ciudad Bolívar,10\n2,Ciudad Bolívar,Zürich AG,3\n")
        #expect(names.parties == ["Zürich AG", "Ciudad Bolívar"] && names.rows[1].debtor == 1)
    }

    @Test func manyPartiesAreNumberedByFirstSight() throws {
        // More parties than the index's first table: it grows and keeps every number.
        var random = SeededRandom(seed: 7)
        var lines: [String] = [], names: [String] = [], seen = Set<String>()
        for index in 0..<20_000 {
            let debtor = "party-\(random.next() % 5_000)", creditor = "party-\(random.next() % 5_000)"
            guard debtor != creditor else { continue }
            lines.append("\(index),\(debtor),\(creditor),1")
            for name in [debtor, creditor] where seen.insert(name).inserted { names.append(name) }
        }
        let table = try ObligationCSV(lines.joined(separator: "\n"))
        #expect(table.parties == names)
        for (row, line) in zip(table.rows, lines) {
            let cells = line.split(separator: ",")
            #expect(table.parties[Int(row.debtor)] == cells[1] && table.parties[Int(row.creditor)] == cells[2])
        }
    }

    @Test func theSplitFileIsWrittenExactly() throws {
        let table = try ObligationCSV("a,A,B,100\nb,B,A,9223372036854775807\n")
        let bytes = table.splitCSV(setOffMinor: [100, 1])
        #expect(String(decoding: bytes, as: UTF8.self) == "id,set_off,remainder\na,100,0\nb,1,9223372036854775806\n")
        for value in [Int64.min, -1, 0, 7, 10, 999, Int64.max] {
            var digits: [UInt8] = []
            ObligationCSV.appendDecimal(value, to: &digits)
            #expect(String(decoding: digits, as: UTF8.self) == String(value))
        }
    }

    /// Numbers are written two digits a step and sized from their bit length: every power of
    /// ten and its neighbours, and random values of every length, read as `String` writes them.
    @Test func decimalsAreWrittenAndSizedAsStringWritesThem() {
        var values: [Int64] = [0, 1, 9, Int64.max, Int64.min, Int64.min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power, -(power - 1)]
        }
        var random = SeededRandom(seed: 11)
        for _ in 0..<5_000 {
            let bits = random.next() % 64
            values.append(Int64(bitPattern: random.next() >> bits))
        }
        var mismatched: [Int64] = []
        for value in values {
            var digits: [UInt8] = []
            ObligationCSV.appendDecimal(value, to: &digits)
            let text = String(value)
            if String(decoding: digits, as: UTF8.self) != text || ObligationCSV.decimalLength(value) != text.utf8.count
            {
                mismatched.append(value)
            }
        }
        #expect(mismatched.isEmpty, "\(mismatched.prefix(5))")
    }
}
