import Foundation
import PolyclearTestSupport
import Synchronization

/// The real `polyclear` executable, run as a child process with its output captured live.
final class ChildProcess: Sendable {
    static var executableURL: URL {
        // The test bundle and the executable are built into the same directory.
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("polyclear")
    }

    private let process: Process
    final class Buffer: Sendable {
        let text = Mutex("")
    }

    private let output = Buffer()
    private let errorOutput = Buffer()

    /// - Parameters:
    ///   - environment: added to (or replacing in) this process's environment.
    ///   - executable: `polyclear` unless another program is named (chromedriver).
    init(_ arguments: [String], environment: [String: String] = [:], executable: URL? = nil) throws {
        let process = Process()
        process.executableURL = executable ?? Self.executableURL
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        self.process = process
        try process.run()
        for (pipe, buffer) in [(stdout, output), (stderr, errorOutput)] {
            let handle = pipe.fileHandleForReading
            let thread = Thread { [buffer] in
                while true {
                    let data = handle.availableData
                    if data.isEmpty { return }
                    buffer.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
                }
            }
            thread.start()
        }
    }

    var standardOutput: String { output.text.withLock { $0 } }
    var standardError: String { errorOutput.text.withLock { $0 } }
    var lines: [Substring] { standardOutput.split(separator: "\n") }

    func kill(signal: Int32 = SIGKILL) { Foundation.kill(process.processIdentifier, signal) }

    /// A child outlives no test: one a failing test left running is killed with it.
    deinit {
        if process.isRunning { kill() }
    }

    /// Waits for exit and returns the status; output read so far stays available. A child
    /// still running after `seconds` is killed (SIGKILL, so the status says so): a hung child
    /// fails its test instead of hanging the run.
    func waitForExit(seconds: Double = 600) async -> Int32 {
        await onOwnThread { self.blockingWaitForExit(seconds: seconds) }
    }

    private func blockingWaitForExit(seconds: Double) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { kill() }
        process.waitUntilExit()
        usleep(50_000)  // let the reader threads drain the pipes
        return process.terminationStatus
    }

    /// For `defer` (which cannot wait asynchronously): asks the child to stop, gives it
    /// `seconds` to do so, then kills it. Blocks only that long; a test body uses
    /// `kill(signal:)` and `waitForExit()`.
    func stopNow(signal: Int32 = SIGTERM, seconds: Double = 10) {
        kill(signal: signal)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { kill() }
    }

    /// Polls until `condition` holds on the output, or the deadline passes.
    func waitUntil(seconds: Double, _ condition: @escaping @Sendable (ChildProcess) -> Bool) async -> Bool {
        await onOwnThread {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition(self) { return true }
                if !self.process.isRunning { return condition(self) }
                usleep(2_000)
            }
            return false
        }
    }

    /// Runs to completion.
    static func run(
        _ arguments: [String], environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String, error: String) {
        let child = try ChildProcess(arguments, environment: environment)
        let status = await child.waitForExit()
        return (status, child.standardOutput, child.standardError)
    }
}

/// The ports tests listen on: below the kernel's ephemeral range (`ip_local_port_range`),
/// which outgoing connections and binds to port 0 draw from. A test that frees its port (a
/// server killed) and binds it again moments later must not find it taken meanwhile as the
/// local port of some other test's connection — with kernel-chosen ports that happened under
/// CI's load (a restarted node that never came up).
let testPortRange: ClosedRange<Int> = {
    let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
    let ephemeralLow = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
    return 10_000...max(10_100, ephemeralLow - 1)
}()

/// A TCP port on 127.0.0.1 that nothing listens on now, from `testPortRange`.
func freeLocalPort() -> Int { freeConsecutiveLocalPorts(1) }

/// `count` different ports free now.
func freeLocalPorts(_ count: Int) -> [Int] {
    var ports: [Int] = []
    while ports.count < count {
        let port = freeLocalPort()
        if !ports.contains(port) { ports.append(port) }
    }
    return ports
}

/// The first of `count` consecutive ports that are all free now, for a command that takes a
/// base port and uses the next ones too. Chosen at random in `testPortRange` (so that tests
/// running side by side rarely pick the same one), each checked by binding it.
func freeConsecutiveLocalPorts(_ count: Int) -> Int {
    for _ in 0..<10_000 {
        let base = Int.random(in: testPortRange.lowerBound...(testPortRange.upperBound - count + 1))
        if (0..<count).allSatisfy({ bindLocalPort(base + $0) != nil }) { return base }
    }
    preconditionFailure("no \(count) consecutive free ports in \(testPortRange)")
}

/// Binds 127.0.0.1:`port` (0: any free one) and releases it; the port bound, or nil if taken.
private func bindLocalPort(_ port: Int) -> Int? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(descriptor >= 0, "socket() failed")
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
        }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}
