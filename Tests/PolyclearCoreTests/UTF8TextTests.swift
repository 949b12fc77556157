import Foundation
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

@Suite struct UUIDTextTests {
    /// Against Foundation's UUID text (lower-cased) for random values and the extremes, and
    /// back through `parse`.
    @Test func formatsAsFoundationDoesAndParsesBack() {
        var random = SeededRandom(seed: 36)
        var values: [UInt128] = [1, 0xF, UInt128(UInt64.max), UInt128(UInt64.max) << 64, .max]
        for _ in 0..<2_000 { values.append(UInt128(random.next()) << 64 | UInt128(random.next())) }
        for value in values {
            let bytes = (0..<16).map { UInt8(truncatingIfNeeded: value >> (120 - 8 * $0)) }
            let foundation = UUID(
                uuid: (
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                    bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
                )
            ).uuidString.lowercased()
            #expect(UUIDText.format(value) == foundation)
            #expect(UUIDText.parse(UUIDText.format(value)) == value)
        }
    }
}
