/// What the parser checks of every byte before it reads a name: the characters XML 1.0 allows,
/// in well-formed UTF-8.
extension XMLParser {
    /// The whole document, once, before anything is built: UTF-8 (so that every name and text
    /// read later can become a String without checking again) and XML 1.0's Char production
    /// (no C0 control but tab, LF and CR, no surrogate, no U+FFFE or U+FFFF).
    static func checkCharacters(_ bytes: [UInt8]) throws(XMLParseError) {
        let problem: (Int, XMLParseError.Code)? = bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            let count = buffer.count
            while index < count {
                // Eight bytes at a time while they are all printable ASCII (no high bit, and
                // each at least 0x20: adding 0x60 sets its high bit, without carrying).
                if index + 8 <= count {
                    let word = UnsafeRawPointer(buffer.baseAddress! + index).loadUnaligned(as: UInt64.self)
                    let high: UInt64 = 0x8080_8080_8080_8080
                    if word & high == 0 && (word &+ 0x6060_6060_6060_6060) & high == high {
                        index += 8
                        continue
                    }
                }
                let byte = buffer[index]
                // Most bytes are printable ASCII: one comparison clears them.
                if byte >= 0x20 && byte < 0x80 {
                    index += 1
                    continue
                }
                if byte < 0x20 {
                    guard byte == 0x09 || byte == 0x0A || byte == 0x0D else { return (index, .forbiddenCharacter) }
                    index += 1
                    continue
                }
                guard let (scalar, length) = decodeUTF8(buffer, at: index) else { return (index, .notUTF8) }
                guard isXMLCharacter(scalar) else { return (index, .forbiddenCharacter) }
                index += length
            }
            return nil
        }
        guard let (offset, code) = problem else { return }
        throw XMLParseError(
            code: code, line: line(of: offset, in: bytes),
            reason: code == .notUTF8 ? "not UTF-8 (byte \(offset))" : "a character XML 1.0 forbids (byte \(offset))")
    }

    /// The scalar of the multi-byte UTF-8 sequence at `index` and its length; nil when the
    /// bytes are not well-formed UTF-8 (overlong forms and surrogates included).
    static func decodeUTF8(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int)? {
        let lead = buffer[index]
        let (length, initial, minimum): (Int, UInt32, UInt32) =
            switch lead {
            case 0xC2...0xDF: (2, UInt32(lead & 0x1F), 0x80)
            case 0xE0...0xEF: (3, UInt32(lead & 0x0F), 0x800)
            case 0xF0...0xF4: (4, UInt32(lead & 0x07), 0x10000)
            default: (0, 0, 0)
            }
        guard length > 0, index + length <= buffer.count else { return nil }
        var scalar = initial
        for offset in 1..<length {
            let next = buffer[index + offset]
            guard next & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(next & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return nil }
        return (scalar, length)
    }

    /// XML 1.0's Char production.
    static func isXMLCharacter(_ value: UInt32) -> Bool {
        value == 0x09 || value == 0x0A || value == 0x0D || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }

    /// The line of a byte offset (1-based), counted only when there is an error to report.
    static func line(of offset: Int, in bytes: [UInt8]) -> Int {
        bytes[..<min(offset, bytes.count)].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
    }
}
