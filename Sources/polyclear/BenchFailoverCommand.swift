import PolyclearWorkload
import PolyclearBench
import PolyclearApp
import ArgumentParser
import Foundation
import NIOCore
import PolyclearCore
import PolyclearPostgres
import PolyclearStorage
import Synchronization

/// `polyclear bench failover`: how long payments stop when the writer dies. Two real
/// `polyclear serve` processes on a fresh PostgreSQL database; clients send payments to the
/// follower (which forwards them); the writer is killed with SIGKILL; the time from the kill
/// to the first payment the new writer accepts is measured. The killed node is restarted
/// (it follows), and the next round kills the new writer. Afterwards every acknowledged
/// payment must be in the database, and the database must pass the ledger check.
struct BenchFailoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover", abstract: "Measure writer failover between two API nodes on PostgreSQL.")

    @Option(help: "A PostgreSQL URL allowed to create databases (a fresh one is made and dropped afterwards).")
    var postgresURL: String
    @Option(help: "Kills of the writer.") var rounds = 3
    @Option(help: "The nodes' writer lease in seconds.") var leaseSeconds = 3
    @Option(help: "Client connections sending payments to the follower.") var connections = 4
    @Option(help: "First of the two ports the nodes bind.") var port = 28_081

    func validate() throws {
        guard (1...20).contains(rounds), (1...60).contains(leaseSeconds), (1...64).contains(connections),
            (1...65_534).contains(port)
        else {
            throw ValidationError(
                "need 1 <= --rounds <= 20, 1 <= --lease-seconds <= 60, 1 <= --connections <= 64, a free --port and the next"
            )
        }
        guard postgresURL.hasPrefix("postgres://") || postgresURL.hasPrefix("postgresql://") else {
            throw ValidationError("--postgres-url postgres://…")
        }
    }

    /// One `serve` process.
    final class Node: Sendable {
        let port: Int
        let process: Process
        /// The node's standard error (a file: a pipe nobody reads would fill and stall it),
        /// shown when the node does not do what the drill waits for.
        let errorLog: String
        init(arguments: [String], port: Int) throws {
            self.port = port
            errorLog = FileManager.default.temporaryDirectory.path + "/polyclear-failover-\(getpid())-\(port).log"
            _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: errorLog)
            try process.run()
        }
        func kill(_ signal: Int32) { Foundation.kill(process.processIdentifier, signal) }

        /// Whether it still runs (or how it ended), and the end of what it wrote to stderr.
        var diagnosis: String {
            let state = process.isRunning ? "running" : "exited with status \(process.terminationStatus)"
            let text = (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
            return "\(state); its standard error ends: \(text.suffix(2_000))"
        }

        deinit { try? FileManager.default.removeItem(atPath: errorLog) }
    }

    func run() async throws {
        #if DEBUG
            printFlushed(
                "warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench failover")
        #endif
        let currencies = try CurrencyTable()
        let (_, _, banks) = try BenchHTTPCommand.benchUnion(currencies)
        let missing = try await ScratchPostgres.withDatabase(
            prefix: "polyclear_bench_failover", adminURL: postgresURL
        ) { url in
            try await run(on: url, currencies: currencies, banks: banks)
        }
        if missing > 0 { exitWithError("verify_failed", "\(missing) acknowledged payments are not in the database") }
    }

    /// The two serve processes of a drill: how to start one and ask its role.
    struct Drill {
        let url: String, port: Int, leaseSeconds: Int, operatorSecret: String, keyArguments: [String]

        func start(_ index: Int, sampleUnion: Bool) throws -> Node {
            try Node(
                arguments: [
                    "serve", "--store", "postgres", "--postgres-url", url, "--port", "\(port + index)",
                    "--lease-seconds", "\(leaseSeconds)", "--log-level", "notice",
                ] + keyArguments + (sampleUnion ? ["--sample-union"] : []), port: port + index)
        }

        func role(_ node: Node) async -> String? {
            guard
                let (status, body) = try? await HTTPLoadConnection.with(
                    host: "127.0.0.1", port: node.port,
                    {
                        try await $0.send(.GET, "/v1/node", authorization: "Bearer \(operatorSecret)", body: nil)
                    }), status == 200
            else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["role"]
                as? String
        }

        func waitForRole(_ node: Node, _ wanted: String) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            var seen: String?
            while true {
                seen = await role(node)
                if seen == wanted { return }
                guard ContinuousClock.now < deadline else {
                    exitWithError(
                        "failover_failed",
                        "node on port \(node.port) did not become \(wanted) within 60 s (its role: \(seen ?? "no answer")); "
                            + "it is \(node.diagnosis)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// The drill on database `url`; returns how many acknowledged payments are missing.
    private func run(on url: String, currencies: CurrencyTable, banks: [BenchBank]) async throws -> Int {
        let operatorSecret = DemoCommand.secret()
        let drill = Drill(
            url: url, port: port, leaseSeconds: leaseSeconds, operatorSecret: operatorSecret,
            keyArguments: banks.flatMap {
                ["--api-key", "participant:\($0.bic):\($0.authorization.dropFirst("Bearer ".count))"]
            } + ["--api-key", "operator:bench:\(operatorSecret)"])
        var nodes = [try drill.start(0, sampleUnion: true)]
        try await drill.waitForRole(nodes[0], "writer")
        nodes.append(try drill.start(1, sampleUnion: false))
        try await drill.waitForRole(nodes[1], "follower")
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; 2 serve processes on PostgreSQL, lease \(leaseSeconds) s; "
                + "\(connections) client connections to the follower")
        var acknowledged: [UInt128] = []
        var failoverSeconds: [Double] = []
        for round in 1...rounds {
            let (seconds, ids) = try await killRound(round, nodes: &nodes, drill: drill, banks: banks)
            failoverSeconds.append(seconds)
            acknowledged += ids
        }
        for node in nodes { node.kill(SIGTERM); node.process.waitUntilExit() }

        let store = try PostgresHubStore(url: url, configuration: HubConfiguration(currencies: currencies))
        let (_, hub, _, _) = try await store.check()
        store.close()
        let missing = acknowledged.filter { hub.payment($0) == nil }.count
        let sorted = failoverSeconds.sorted()
        printFlushed(
            "failover (kill to first accepted payment): min " + String(format: "%.3f", sorted.first!) + " s, median "
                + String(format: "%.3f", sorted[sorted.count / 2]) + " s, max " + String(format: "%.3f", sorted.last!)
                + " s over \(rounds) kills")
        printFlushed(
            "verify: \(acknowledged.count) payments acknowledged, \(missing) missing; \(hub.paymentCount) stored; ledger check passed"
        )
        return missing
    }

    /// One round: load on the follower, SIGKILL the writer, time until the new writer accepts a
    /// payment, restart the killed node as a follower. Returns the seconds and the ids acknowledged.
    private func killRound(
        _ round: Int, nodes: inout [Node], drill: Drill, banks: [BenchBank]
    ) async throws -> (seconds: Double, acknowledged: [UInt128]) {
        let (writer, follower) = await drill.role(nodes[0]) == "writer" ? (0, 1) : (1, 0)
        let load = FailoverLoad(port: nodes[follower].port, banks: banks, round: UInt64(round))
        let clients = Task { await load.run(connections: connections) }
        try await Task.sleep(for: .seconds(1))
        nodes[writer].kill(SIGKILL)
        let killedAt = ContinuousClock.now
        load.killedAt.withLock { $0 = killedAt }
        nodes[writer].process.waitUntilExit()
        while load.firstAfterKill.withLock({ $0 }) == nil {
            guard ContinuousClock.now - killedAt < .seconds(60) else {
                exitWithError("failover_failed", "no payment accepted within 60 s of the kill")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(500))
        load.stop.store(true, ordering: .relaxed)
        await clients.value
        let elapsed = (load.firstAfterKill.withLock { $0! } - killedAt).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let counts = load.counts.withLock { $0 }
        printFlushed(
            "round \(round): killed the writer (port \(nodes[writer].port)); first payment accepted by the new writer after "
                + String(format: "%.3f s", seconds) + "; answers: "
                + counts.sorted { $0.key < $1.key }.map {
                    "\($0.key == -1 ? "connection failed" : "HTTP \($0.key)") × \($0.value)"
                }.joined(separator: ", "))
        nodes[writer] = try drill.start(writer, sampleUnion: false)
        try await drill.waitForRole(nodes[writer], "follower")
        return (seconds, load.acknowledged.withLock { $0 })
    }
}
