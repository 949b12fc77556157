import Dispatch
import PolyclearWorkload
import Testing

@testable import PolyclearCore

/// Reading a file in parts answers exactly what reading it in one piece answers: the same
/// rows, parties in the same first-seen order, the same currencies, or the same first error.
@Suite struct ObligationCSVPartsTests {
    /// A file of mostly good lines (ids unique, numbers and words; parties from a pool that
    /// grows), with now and then a damage: an id seen before (perhaps in another part), a bad
    /// amount, a header line past the first, a line that is not UTF-8, CR LF, blank lines.
    static func randomFile(_ random: inout SeededRandom) -> [UInt8] {
        var text: [UInt8] = random.next() % 4 == 0 ? [0xEF, 0xBB, 0xBF] : []
        if random.next() % 2 == 0 { text += Array("id,debtor,creditor,amount,currency\n".utf8) }
        let lineCount = Int(1 + random.next() % 300)
        let damage = random.next() % 3 == 0
        var used: [String] = []
        for index in 0..<lineCount {
            var id = random.next() % 3 == 0 ? "r\(index)-\(random.next() % 10)" : "\(index + 1)"
            if damage && random.next() % 97 == 0, let earlier = used.randomElement(using: &random) { id = earlier }
            used.append(id)
            let parties = 2 + index / 3
            let debtor = random.next() % UInt64(parties)
            var creditor = random.next() % UInt64(parties)
            if creditor == debtor { creditor = (creditor + 1) % UInt64(parties) }
            var amount = String(1 + random.next() % 100_000)
            if damage && random.next() % 151 == 0 { amount = ["0", "x", "-3", ""][Int(random.next() % 4)] }
            let currency = ["EUR", "JPY", ""][Int(random.next() % 3)]
            var line = Array("\(id),P\(debtor) ü,P\(creditor),\(amount),\(currency)".utf8)
            if damage && random.next() % 199 == 0 { line = Array("id,debtor,creditor,amount".utf8) }
            if damage && random.next() % 211 == 0 { line += [0xC3, 0x28] }
            text += line + (random.next() % 5 == 0 ? [0x0D, 0x0A] : [0x0A])
            if random.next() % 40 == 0 { text += Array("  \n".utf8) }
        }
        if random.next() % 2 == 0, text.last == 0x0A { text.removeLast() }
        return text
    }

    static func serially(_ count: Int, _ body: @Sendable (Int) -> Void) {
        for index in (0..<count).reversed() { body(index) }  // out of order on purpose
    }

    static func atOnce(_ count: Int, _ body: @Sendable (Int) -> Void) {
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }

    @Test(arguments: 1...300 as ClosedRange<UInt64>)
    func partsReadAsTheWholeFileReads(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let bytes = Self.randomFile(&random)
        let table = try CurrencyTable()
        let whole = Result { () throws(ObligationCSV.ParseError) in
            try ObligationCSV(bytes: bytes, currencies: table)
        }
        let partCount = Int(2 + random.next() % 6)
        for perform in [Self.serially, Self.atOnce] as [PerformParts] {
            let parts = Result { () throws(ObligationCSV.ParseError) in
                try ObligationCSV(
                    bytes: bytes, currencies: table, partCount: partCount, minimumBytesPerPart: 1, perform: perform)
            }
            switch (whole, parts) {
            case (.success(let want), .success(let got)):
                #expect(got.rows == want.rows, "seed \(seed)")
                #expect(got.parties == want.parties, "seed \(seed)")
                #expect(got.currencies == want.currencies, "seed \(seed)")
                #expect(got.obligations == want.obligations, "seed \(seed)")
            case (.failure(let want), .failure(let got)):
                #expect(got == want, "seed \(seed)")
            default:
                Issue.record("seed \(seed): \(whole) vs \(parts)")
            }
        }
    }

    /// The split written in chunks — rows in shares, each share sized first and written into
    /// buffers of random sizes, as `net` writes it — is byte for byte the split written whole,
    /// and each share's size is what its chunks add up to.
    @Test(arguments: [1, 2, 3, 7] as [Int])
    func theSplitWrittenInChunksIsTheSplitWrittenWhole(shareCount: Int) throws {
        var random = SeededRandom(seed: UInt64(shareCount))
        let lines = (0..<20_000).map { index in
            let id = random.next() % 50 == 0 ? String(repeating: "x", count: 200) + "\(index)" : "\(index)"
            return
                "\(random.next() % 2 == 0 ? "r" : "")\(id),P\(index % 31),Q\(index % 17),\(1 + random.next() % 1_000_000_000)"
        }
        let table = try ObligationCSV(lines.joined(separator: "\n"))
        let setOff = table.rows.map { Int64(random.next() % UInt64($0.amountMinor + 1)) }
        let whole = table.splitCSV(setOffMinor: setOff)
        var written = ObligationCSV.splitHeader
        for share in 0..<shareCount {
            var rows = table.rowCount * share / shareCount..<table.rowCount * (share + 1) / shareCount
            let size = table.splitByteCount(setOffMinor: setOff, rows: rows)
            var shareBytes = 0
            while !rows.isEmpty {
                var buffer = [UInt8](repeating: 0, count: size.longestLine + 43 + Int(random.next() % 4_000))
                let (rowCount, byteCount) = buffer.withUnsafeMutableBufferPointer {
                    table.writeSplitLines(setOffMinor: setOff, rows: rows, into: $0)
                }
                #expect(rowCount > 0)
                written += buffer[..<byteCount]
                shareBytes += byteCount
                rows = rows.dropFirst(rowCount)
            }
            #expect(shareBytes == size.byteCount)
        }
        #expect(written == whole)
        let text = String(decoding: whole, as: UTF8.self).split(separator: "\n")
        #expect(
            text.count == 20_001
                && text[1] == "\(table.rows[0].id),\(setOff[0]),\(table.rows[0].amountMinor - setOff[0])")
    }

    /// The parts of a good file join (no second reading): party numbers renumbered to first
    /// sight in the whole file, rows moved down over lines that made none; an id in two parts
    /// makes the join give up.
    @Test func goodPartsJoinAndARepeatedIdGivesUp() throws {
        func joined(_ text: String) -> ObligationCSV? {
            let bytes = Array(text.utf8)
            let read = bytes.withUnsafeBufferPointer { buffer in
                ObligationCSV.readParts(
                    buffer, ranges: ObligationCSV.partRanges(buffer, count: 3), decimal: false, currencies: nil,
                    defaultExponent: 2, perform: Self.serially)
            }
            return read.map { ObligationCSV($0.part, rows: $0.rows, bytes: bytes) }
        }
        let text = "id,debtor,creditor,amount\n1,A,B,5\nx,C,A,6\n\n  \n3,B,D,7\ny,D,C,8\n5,E,A,9\n"
        let parts = Array(text.utf8).withUnsafeBufferPointer { ObligationCSV.partRanges($0, count: 3) }
        #expect(parts.count == 3)
        let whole = try ObligationCSV(text)
        let read = try #require(joined(text))
        #expect(read.rows == whole.rows && read.parties == ["A", "B", "C", "D", "E"] && read.rowCount == 5)
        #expect(joined("1,A,B,5\nx,C,A,6\n3,B,D,7\nx,D,C,8\n1,E,A,9\n") == nil)
    }

    /// Lines are counted eight bytes at a time: against a plain count, on every length and
    /// alignment, with bytes that differ from a line feed by one bit and with high bytes.
    @Test func linesAreCountedAsAPlainCountCountsThem() {
        var random = SeededRandom(seed: 3)
        let alphabet: [UInt8] = [0x0A, 0x0B, 0x08, 0x8A, 0x0E, 0x2C, 0x31, 0xFF, 0x00]
        for _ in 0..<2_000 {
            let bytes = (0..<Int(random.next() % 70)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let low = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
            let range = low..<max(low, bytes.count - Int(random.next() % 3))
            let plain =
                bytes[range].filter { $0 == 0x0A }.count
                + (range.isEmpty || bytes[range.upperBound - 1] == 0x0A ? 0 : 1)
            let counted = bytes.withUnsafeBufferPointer { ObligationCSV.lineCount($0, range) }
            #expect(counted == plain, "\(bytes) \(range)")
        }
    }

    @Test func cutsFallJustAfterLineFeedsAndCoverTheFile() {
        let bytes = Array("1,A,B,5\n22,B,C,6\n333,C,A,7\n4444,A,C,8".utf8)
        for count in 1...12 {
            let ranges = bytes.withUnsafeBufferPointer { ObligationCSV.partRanges($0, count: count) }
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == bytes.count)
            for (a, b) in zip(ranges, ranges.dropFirst()) {
                #expect(a.upperBound == b.lowerBound && bytes[b.lowerBound - 1] == 0x0A)
            }
            #expect(ranges.count <= min(count, 4))
        }
    }
}
