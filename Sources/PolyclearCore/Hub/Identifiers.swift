/// An ISO 3166-1 country, by its alpha-3 code ("BRA"); knows its alpha-2 code ("BR").
public struct CountryCode: Hashable, Sendable, TextCodable {
    public let alpha3: String
    public let alpha2: String

    static let byAlpha3: [String: String] = Dictionary(
        uniqueKeysWithValues: ISO3166.countries.map { ($0.alpha3, $0.alpha2) })
    static let alpha2Codes: Set<String> = Set(ISO3166.countries.map(\.alpha2))

    public init?(alpha3: String) {
        guard let alpha2 = Self.byAlpha3[alpha3] else { return nil }
        self.alpha3 = alpha3
        self.alpha2 = alpha2
    }

    public var description: String { alpha3 }

    public init?(text: String) { self.init(alpha3: text) }

    /// Whether `code` is an ISO 3166-1 alpha-2 code ("BR").
    public static func isAlpha2(_ code: String) -> Bool {
        let utf8 = code.utf8
        guard utf8.count == 2 else { return false }
        return isAlpha2(utf8[utf8.startIndex], utf8[utf8.index(after: utf8.startIndex)])
    }

    /// Whether two bytes are an alpha-2 code (one bit per pair of capitals: no String, no hash).
    public static func isAlpha2(_ first: UInt8, _ second: UInt8) -> Bool {
        guard (65...90).contains(first), (65...90).contains(second) else { return false }
        let bit = Int(first - 65) * 26 + Int(second - 65)
        return alpha2Bits[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    static let alpha2Bits: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: (26 * 26 + 63) / 64)
        for code in alpha2Codes {
            let bytes = Array(code.utf8)
            let bit = Int(bytes[0] - 65) * 26 + Int(bytes[1] - 65)
            bits[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        return bits
    }()
}

/// A Business Identifier Code (ISO 9362): 4-character party prefix, 2-letter ISO 3166
/// country, 2-character location, optional 3-character branch. Held packed in 64 bits
/// (base 37, eleven characters) so that the hub can key on it without strings.
public struct BIC: Hashable, Sendable, TextCodable {
    public let packed: UInt64

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    /// Accepts 8 or 11 characters; an 11-character BIC ending in "XXX" is the same party as
    /// its 8-character form and is normalised to it. Read on the text's bytes (two BICs per
    /// payment of every batch: no array, no string made).
    public init?(_ text: String) {
        var text = text
        guard let packed = text.withUTF8({ Self.pack($0) }) else { return nil }
        self.packed = packed
    }

    private static func pack(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard bytes.count == 8 || bytes.count == 11 else { return nil }
        let count = bytes.count == 11 && bytes[8] == 88 && bytes[9] == 88 && bytes[10] == 88 ? 8 : bytes.count
        guard CountryCode.isAlpha2(bytes[4], bytes[5]) else { return nil }
        var packed: UInt64 = 0
        for index in 0..<11 {
            var digit: UInt64 = 0
            if index < count {
                let byte = bytes[index]
                switch byte {
                case 65...90: digit = UInt64(byte - 65) + 11
                case 48...57 where index < 4 || index >= 6: digit = UInt64(byte - 48) + 1
                default: return nil
                }
            }
            packed = packed * 37 + digit
        }
        return packed
    }

    /// Eleven base-37 digits, most significant first, 0 for no character (an 8-character
    /// BIC's last three). Any packed value reads: a decoder validates through `BIC(description)`.
    public var description: String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 11) { digits in
            var value = packed, length = 0
            for index in (0..<11).reversed() {
                digits[index] = UInt8(value % 37)
                value /= 37
                if digits[index] > 0 { length += 1 }
            }
            return String(unsafeUninitializedCapacity: length) { buffer in
                var at = 0
                for index in 0..<11 where digits[index] > 0 {
                    buffer[at] = Self.alphabet[Int(digits[index]) - 1]
                    at += 1
                }
                return at
            }
        }
    }

    /// The ISO 3166 alpha-2 country of the party.
    public var countryAlpha2: String { String(description.dropFirst(4).prefix(2)) }

    public init?(text: String) { self.init(text) }
}

/// A Legal Entity Identifier (ISO 17442): 18 alphanumeric characters and two check digits
/// (ISO 7064 MOD 97-10: the 20 characters, letters as 10...35, form a number ≡ 1 mod 97).
public struct LEI: Hashable, Sendable, TextCodable {
    public let description: String

    public init?(text: String) { self.init(text) }

    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 20 else { return nil }
        var remainder = 0
        for (index, byte) in bytes.enumerated() {
            let value: Int
            switch byte {
            case 48...57: value = Int(byte) - 48
            case 65...90 where index < 18: value = Int(byte) - 55
            default: return nil
            }
            remainder = (value >= 10 ? remainder * 100 + value : remainder * 10 + value) % 97
        }
        guard remainder == 1 else { return nil }
        description = text
    }
}

extension BIC {
    /// For decoders: the packed form as stored. Validate the result (`BIC(description)`).
    public init(packedUnchecked packed: UInt64) { self.packed = packed }
}

/// 128-bit ids as UUID text (8-4-4-4-12 lowercase hex, most significant byte first), the
/// form the API and ISO 20022 (UETR) use.
public enum UUIDText {
    public static func format(_ value: UInt128) -> String {
        String(unsafeUninitializedCapacity: byteCount) { write(value, into: $0) }
    }

    /// The text's length in bytes.
    public static let byteCount = 36

    /// Writes the text into the first `byteCount` bytes of `text` (answers write it straight
    /// into their JSON): the two 64-bit halves' nibbles, high first, with the four dashes
    /// between. Answers `byteCount`.
    @discardableResult
    public static func write(_ value: UInt128, into text: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(text.count >= byteCount, "a UUID's text takes 36 bytes")
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { digits in
            var position = 0
            func write(_ word: UInt64, firstNibble: Int) {
                for nibble in 0..<16 {
                    let index = firstNibble + nibble
                    if index == 8 || index == 12 || index == 16 || index == 20 {
                        text[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    text[position] = digits[Int(truncatingIfNeeded: word >> (60 - 4 * nibble)) & 0xF]
                    position += 1
                }
            }
            write(UInt64(truncatingIfNeeded: value >> 64), firstNibble: 0)
            write(UInt64(truncatingIfNeeded: value), firstNibble: 16)
        }
        return byteCount
    }

    /// Accepts upper or lower case; nil unless exactly 8-4-4-4-12 hex digits, and nil for the
    /// nil UUID (all zeros): no record has id 0 (the id tables use it to mark an empty slot),
    /// so it is a malformed id wherever an id is read.
    public static func parse(_ text: some StringProtocol) -> UInt128? {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return nil }
        var value: UInt128 = 0
        for (index, byte) in bytes.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt128(digit)
        }
        return value == 0 ? nil : value
    }
}
