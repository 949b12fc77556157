/// Why an input file cannot be used: the file, line and field at fault, and the reason.
public struct FileInputError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var field: String
    public var reason: String

    public init(file: String, line: Int? = nil, field: String, reason: String) {
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(field): \(reason)" }
}
