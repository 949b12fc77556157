import Foundation

/// A shell script run to completion from a test, without holding a thread while it runs.
///
/// Spawned directly (posix_spawn) and waited for on a thread of its own (`onOwnThread`):
/// blocking in `waitpid`, `system` or `Process.waitUntilExit` on the cooperative pool starved
/// every other test's database commits past their deadlines. Output goes to a file, not a pipe: the
/// servers a script starts outlive it and would hold a pipe open. (A Foundation `Process`
/// whose child starts daemons was seen never to notice its exit.)
public enum Script {
    /// Runs `/bin/bash path arguments…`; its exit status and everything it printed (stdout and
    /// stderr interleaved). A script still running after `seconds` is killed (status 137).
    public static func run(
        _ path: String, _ arguments: [String], seconds: Double = 600
    ) async throws -> (status: Int32, output: String) {
        try await onOwnThread { Result { try blockingRun(path, arguments, seconds: seconds) } }.get()
    }

    static func blockingRun(
        _ path: String, _ arguments: [String], seconds: Double
    ) throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "polyclear-script-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let command = ([path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        let argv = ["/bin/bash", "-c", "exec /bin/bash \(command) >'\(outputPath)' 2>&1 </dev/null"]
        var cStrings = argv.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        cStrings.append(nil)
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, cStrings, environ)
        guard spawned == 0 else { throw ScriptError(message: "cannot run \(path): errno \(spawned)") }
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped == -1 && errno != EINTR { throw ScriptError(message: "waitpid: errno \(errno)") }
            if Date() > deadline { kill(pid, SIGKILL) }
            usleep(20_000)
        }
        let printed = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, WTERMSIG as the shell reports it (128 + signal).
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, printed)
    }

    /// For `defer` only (it cannot wait asynchronously), with a short script such as a
    /// server's `stop`: runs it and blocks until it ends.
    public static func runBlocking(_ path: String, _ arguments: [String]) {
        let command = ([path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        _ = system("/bin/bash \(command) >/dev/null 2>&1 </dev/null")
    }
}

public struct ScriptError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
