/// What every TOML file is checked for before TOMLKit (toml++) reads it. toml++ asserts —
/// aborting the process — where a table header's `[` is followed by anything but a key (a
/// form feed, `#`, `=`, …) and where a `}` stands in an array (`x = [ }`), all found by
/// fuzzing: such input, and the control characters TOML 1.0 forbids anyway, is refused here,
/// with the line, as the error it is. (A line inside a multi-line array that starts with `[{`
/// is refused too: this check cannot tell it from a header, and our files never need one.)
public enum TOMLText {
    /// The first problem of that kind: its line and what it is; nil when there is none.
    public static func problem(in text: String) -> (line: Int, reason: String)? {
        // toml++ skips a byte-order mark, and so must the check.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line.utf8)
            if bytes.contains(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0D) || $0 == 0x7F }) {
                return (index + 1, "a control character TOML does not allow")
            }
            if !isWellOpenedTableHeader(bytes[...]) {
                return (index + 1, "a table header must name a key after its '['")
            }
        }
        if let line = lineOfMismatchedBracket(in: Array(text.utf8)) {
            return (line, "a bracket closes what it did not open")
        }
        return nil
    }

    /// The line of the first `]` closing a `{`, or `}` closing a `[`, outside strings and
    /// comments; nil when there is none.
    static func lineOfMismatchedBracket(in bytes: [UInt8]) -> Int? {
        var open: [UInt8] = [], line = 1, index = 0
        func at(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }
        /// Skips past `terminator` (honouring backslash escapes in basic strings); counts lines.
        func skipString(_ terminator: [UInt8], escapes: Bool) {
            while index < bytes.count {
                if escapes && bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
                if bytes[index...].starts(with: terminator) { index += terminator.count; return }
                if bytes[index] == 0x0A { line += 1 }
                index += 1
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x0A: line += 1; index += 1
            case UInt8(ascii: "#"): while index < bytes.count && bytes[index] != 0x0A { index += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let triple = at(1) == byte && at(2) == byte
                index += triple ? 3 : 1
                skipString(triple ? [byte, byte, byte] : [byte], escapes: byte == UInt8(ascii: "\""))
            case UInt8(ascii: "["), UInt8(ascii: "{"): open.append(byte); index += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if let innermost = open.popLast(), (innermost == UInt8(ascii: "[")) != (byte == UInt8(ascii: "]")) {
                    return line
                }
                index += 1
            default: index += 1
            }
        }
        return nil
    }

    /// A line that starts (after blanks) with `[` or `[[` continues, after blanks, with a key
    /// (bare or quoted) or a `]` (not with a third `[`); other lines pass.
    static func isWellOpenedTableHeader(_ line: ArraySlice<UInt8>) -> Bool {
        var rest = line.drop { $0 == 0x20 || $0 == 0x09 }
        guard rest.first == UInt8(ascii: "[") else { return true }
        rest = rest.dropFirst()
        if rest.first == UInt8(ascii: "[") { rest = rest.dropFirst() }
        rest = rest.drop { $0 == 0x20 || $0 == 0x09 }
        guard let next = rest.first else { return false }
        switch next {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }
}
