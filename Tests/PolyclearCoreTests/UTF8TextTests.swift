import PolyclearCore
import PolyclearWorkload
import Testing

@Suite struct UTF8TextTests {
    /// Against the standard library's validation on random bytes: ASCII, valid multi-byte
    /// sequences, and broken ones (lone continuation bytes, truncated sequences, overlong
    /// forms, surrogates, bytes never in UTF-8), at every length from empty to 70.
    @Test func acceptsExactlyWhatTheStandardLibraryAcceptsAndGivesTheSameString() {
        var random = SeededRandom(seed: 8)
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("Z9 -/".utf8), [0x00], [0x7F], Array("é".utf8), Array("€".utf8),
            Array("𝄞".utf8), [0x80], [0xBF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82],
            [0xF0, 0x9D], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xC3],
        ]
        for round in 0..<3_000 {
            var bytes: [UInt8] = []
            let count = Int(random.next() % 24)
            for _ in 0..<count { bytes += pieces[Int(random.next() % UInt64(pieces.count))] }
            if round % 3 == 0 { bytes = bytes.filter { $0 < 0x80 } }  // many all-ASCII cases
            let expected = String(validating: bytes, as: UTF8.self)
            let got = bytes.withUnsafeBytes { UTF8Text.string($0) }
            #expect(got == expected, "\(bytes)")
            #expect(got.map { Array($0.utf8) } == expected.map { Array($0.utf8) })
            #expect(UTF8Text.string(bytes[...]) == expected)
        }
    }
}
