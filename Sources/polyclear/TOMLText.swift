/// What every TOML file is checked for before TOMLKit (toml++) reads it. TOML 1.0 allows no
/// control character but tab (and the line breaks): toml++ asserts — aborting the process —
/// on some of them where a key is expected (a form feed in a table header, found by fuzzing),
/// so they are refused here, with the line, as the error they are.
enum TOMLText {
    /// The line of the first control character TOML does not allow, or nil.
    static func lineOfForbiddenCharacter(in text: String) -> Int? {
        var line = 1
        for byte in text.utf8 {
            if byte == 0x0A { line += 1; continue }
            if byte == 0x09 || byte == 0x0D { continue }
            if byte < 0x20 || byte == 0x7F { return line }
        }
        return nil
    }
}
