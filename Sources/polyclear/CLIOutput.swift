import Foundation

/// Writes a line to standard output immediately (a parent process may be reading it live).
func printFlushed(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Prints a clear error with its stable code and exits non-zero.
func exitWithError(_ code: String, _ message: String) -> Never {
    FileHandle.standardError.write(Data("polyclear: error [\(code)]: \(message)\n".utf8))
    exit(2)
}
