/// A three-letter currency code (ISO 4217 alphabetic, or the union's unit code), packed into
/// 24 bits so that it is a plain value in the hot path: no `String`, no allocation.
public struct CurrencyCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The three ASCII capital letters, big-endian: "EUR" is 0x45_55_52.
    public let packedASCII: UInt32

    /// Accepts exactly three ASCII capital letters.
    public init?(_ text: some StringProtocol) {
        var packed: UInt32 = 0
        var letterCount = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z"), letterCount < 3 else { return nil }
            packed = packed << 8 | UInt32(byte)
            letterCount += 1
        }
        guard letterCount == 3 else { return nil }
        self.packedASCII = packed
    }

    /// Rebuilds a code from its packed form; nil unless it is three capital letters.
    public init?(packedASCII: UInt32) {
        let letters = [packedASCII >> 16, packedASCII >> 8 & 0xFF, packedASCII & 0xFF]
        guard packedASCII >> 24 == 0,
            letters.allSatisfy({ $0 >= UInt32(UInt8(ascii: "A")) && $0 <= UInt32(UInt8(ascii: "Z")) })
        else { return nil }
        self.packedASCII = packedASCII
    }

    public var description: String {
        let bytes = [UInt8(packedASCII >> 16), UInt8(packedASCII >> 8 & 0xFF), UInt8(packedASCII & 0xFF)]
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.packedASCII < rhs.packedASCII }
}

extension CurrencyCode: TextCodable {
    public init?(text: String) { self.init(text) }
}
