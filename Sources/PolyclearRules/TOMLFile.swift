import PolyclearTOML
public import TOMLKit

/// One TOML file being read (or one table of it): typed values, and errors that name the
/// file, the line where the key is written, and the key.
public struct TOMLFile {
    public let table: TOMLTable
    public let text: String
    public let file: String
    /// For a table inside an array of tables (`[[members]]`): which one, so errors point at
    /// its own lines.
    let arrayKey: String?
    let arrayIndex: Int
    /// Where this table sits ("unit.", "participants[4]."), for the field of an error.
    let path: String

    /// Checks the text (`TOMLText`) and parses it.
    public init(text: String, file: String) throws(FileInputError) {
        if let problem = TOMLText.problem(in: text) {
            throw FileInputError(file: file, line: problem.line, field: "syntax", reason: problem.reason)
        }
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw FileInputError(file: file, line: error.source.begin.line, field: "syntax", reason: error.description)
        } catch { throw FileInputError(file: file, field: "syntax", reason: "not TOML") }
        self.text = text
        self.file = file
        arrayKey = nil
        arrayIndex = 0
        path = ""
    }

    init(table: TOMLTable, text: String, file: String, arrayKey: String?, arrayIndex: Int, path: String) {
        self.table = table
        self.text = text
        self.file = file
        self.arrayKey = arrayKey
        self.arrayIndex = arrayIndex
        self.path = path
    }

    /// An empty table of the same file (a section that was left out: every key at its default).
    public var empty: TOMLFile {
        TOMLFile(table: TOMLTable(), text: text, file: file, arrayKey: nil, arrayIndex: 0, path: path)
    }

    public func fail(_ key: String, _ reason: String) -> FileInputError {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)[...]
        let line =
            arrayKey.flatMap { Self.line(of: key, inArray: $0, index: arrayIndex, in: text) }
            ?? Self.line(of: key, in: lines, offset: 0, tablePath: path)
        return FileInputError(file: file, line: line, field: path + key, reason: reason)
    }

    public func rejectUnknownKeys(_ known: Set<String>) throws(FileInputError) {
        for key in table.keys.sorted() where !known.contains(key) {
            throw fail(key, "unknown key (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    public func integer(_ key: String) throws(FileInputError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int else { throw fail(key, "must be an integer") }
        return number
    }

    public func double(_ key: String) throws(FileInputError) -> Double? {
        guard let value = table[key] else { return nil }
        guard let number = value.double ?? value.int.map(Double.init) else { throw fail(key, "must be a number") }
        return number
    }

    public func string(_ key: String) throws(FileInputError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw fail(key, "must be a string") }
        return text
    }

    public func bool(_ key: String) throws(FileInputError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw fail(key, "must be true or false") }
        return flag
    }

    /// A key whose value is one of a list of names.
    public func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, _: Choice.Type
    ) throws(FileInputError) -> Choice? where Choice.RawValue == String {
        guard let value = table[key] else { return nil }
        guard let choice = value.string.flatMap(Choice.init(rawValue:)) else {
            throw fail(key, "must be one of: " + Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        return choice
    }

    /// `[key]`: a table.
    public func subtable(_ key: String) throws(FileInputError) -> TOMLFile? {
        guard let value = table[key] else { return nil }
        guard let inner = value.table else { throw fail(key, "must be a table [\(key)]") }
        return TOMLFile(table: inner, text: text, file: file, arrayKey: nil, arrayIndex: 0, path: path + key + ".")
    }

    /// `[[key]]`: an array of tables, each read with its own position for errors.
    public func arrayOfTables(_ key: String) throws(FileInputError) -> [TOMLFile]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw fail(key, "must be an array of tables [[\(key)]]") }
        var tables: [TOMLFile] = []
        for (index, item) in array.enumerated() {
            guard let inner = item.table else { throw fail(key, "item \(index + 1) must be a table") }
            tables.append(
                TOMLFile(
                    table: inner, text: text, file: file, arrayKey: key, arrayIndex: index,
                    path: path + "\(key)[\(index)]."))
        }
        return tables
    }

    /// The first line that assigns `key` (for error messages; nil if it cannot be found).
    public static func line(of key: String, in text: String) -> Int? {
        line(of: key, in: text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)[...], offset: 0)
    }

    /// The line of `key` inside the `index`-th `[[array]]` table.
    static func line(of key: String, inArray array: String, index: Int, in text: String) -> Int? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let headers = lines.indices.filter { lines[$0].drop { $0 == " " || $0 == "\t" }.hasPrefix("[[" + array + "]]") }
        guard index < headers.count else { return nil }
        let end = index + 1 < headers.count ? headers[index + 1] : lines.count
        return line(of: key, in: lines[headers[index]..<end], offset: 0) ?? headers[index] + 1
    }

    /// The first line assigning `key`, or opening it as a table (`[path.key]`, `[[path.key]]`).
    static func line(
        of key: String, in lines: ArraySlice<Substring>, offset: Int, tablePath: String = ""
    ) -> Int? {
        let bare = key.split(separator: "[").first.map(String.init) ?? key
        let headers = Set([bare, tablePath + bare]).flatMap { ["[[" + $0 + "]]", "[" + $0 + "]"] }
        for index in lines.indices {
            let trimmed = lines[index].drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(bare + " ") || trimmed.hasPrefix(bare + "=")
                || headers.contains(where: trimmed.hasPrefix)
            {
                return index + 1 + offset
            }
        }
        return nil
    }
}
