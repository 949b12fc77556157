import PolyclearWorkload
import Testing

@testable import PolyclearCore

/// BICs are read and written on bytes; the string-based reading and writing they replaced
/// (2026-12-07, below) is the specification: the same texts accepted, the same packed value,
/// the same text back — also for packed values no valid BIC has (a damaged log).
@Suite struct BICTests {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    static func referencePacked(_ text: String) -> UInt64? {
        var bytes = Array(text.utf8)
        guard bytes.count == 8 || bytes.count == 11 else { return nil }
        if bytes.count == 11 && bytes[8...] == [88, 88, 88] { bytes.removeLast(3) }
        func isLetter(_ b: UInt8) -> Bool { b >= 65 && b <= 90 }
        func isAlphanumeric(_ b: UInt8) -> Bool { isLetter(b) || (b >= 48 && b <= 57) }
        guard bytes[0..<4].allSatisfy(isAlphanumeric), bytes[4..<6].allSatisfy(isLetter),
            bytes[6..<8].allSatisfy(isAlphanumeric), bytes[8...].allSatisfy(isAlphanumeric),
            CountryCode.alpha2Codes.contains(String(decoding: bytes[4..<6], as: UTF8.self))
        else { return nil }
        var packed: UInt64 = 0
        for index in 0..<11 {
            let digit = index < bytes.count ? UInt64(alphabet.firstIndex(of: bytes[index])! + 1) : 0
            packed = packed * 37 + digit
        }
        return packed
    }

    static func referenceDescription(_ packed: UInt64) -> String {
        var value = packed, characters: [UInt8] = []
        for _ in 0..<11 {
            let digit = Int(value % 37)
            value /= 37
            if digit > 0 { characters.append(alphabet[digit - 1]) }
        }
        return String(decoding: characters.reversed(), as: UTF8.self)
    }

    @Test func bicsReadAndWriteAsTheStringReadingDid() {
        var random = SeededRandom(seed: 9)
        let pool = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789XXXXaz -é".unicodeScalars)
        var texts = ["BANKBRSP", "BANKBRSPXXX", "BANKBRSP001", "BANKZZSP", "bankbrsp", "BANK1RSP", "BAN", ""]
        for _ in 0..<20_000 {
            let length = [7, 8, 8, 8, 9, 10, 11, 11, 11, 12][Int(random.next() % 10)]
            var text = String.UnicodeScalarView()
            for index in 0..<length {
                if (4...5).contains(index) && random.next() % 4 != 0 {
                    text.append(["B", "R", "C", "N", "D", "E"][Int(random.next() % 6)])
                } else {
                    text.append(pool[Int(random.next() % UInt64(pool.count))])
                }
            }
            texts.append(String(text))
        }
        var mismatched: [String] = []
        for text in texts {
            let packed = BIC(text)?.packed
            if packed != Self.referencePacked(text)
                || BIC(text).map({ $0.description != Self.referenceDescription($0.packed) }) == true
            {
                mismatched.append(text)
            }
        }
        #expect(mismatched.isEmpty, "\(mismatched.prefix(5))")
        #expect(texts.filter { BIC($0) != nil }.count > 1_000, "too few valid BICs: the test tests little")
        for _ in 0..<5_000 {
            let packed = random.next() >> (random.next() % 64)
            #expect(BIC(packedUnchecked: packed).description == Self.referenceDescription(packed))
        }
    }
}
