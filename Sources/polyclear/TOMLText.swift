/// What every TOML file is checked for before TOMLKit (toml++) reads it. toml++ asserts —
/// aborting the process — where a table header's `[` is followed by anything but a key (a
/// form feed, `#`, `=`, …; found by fuzzing): such lines, and the control characters TOML 1.0
/// forbids anyway, are refused here, with the line, as the errors they are. (A line inside a
/// multi-line array that starts with `[{` is refused too: this check cannot tell it from a
/// header, and our files never need one.)
enum TOMLText {
    /// The first problem of that kind: its line and what it is; nil when there is none.
    static func problem(in text: String) -> (line: Int, reason: String)? {
        // toml++ skips a byte-order mark, and so must the check.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line.utf8)
            if bytes.contains(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0D) || $0 == 0x7F }) {
                return (index + 1, "a control character TOML does not allow")
            }
            if !isWellOpenedTableHeader(bytes[...]) { return (index + 1, "a table header must name a key after its '['") }
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
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }
}
