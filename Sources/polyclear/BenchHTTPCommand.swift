import PolyclearBench
import PolyclearApp
import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PolyclearCore
import PolyclearWorkload
import PolyclearCluster
import PolyclearPostgres
import PolyclearSQLite
import PolyclearServer
import PolyclearStorage
import ServiceLifecycle

/// `polyclear bench http`: the HTTP API under load, measured from the client's side. Starts
/// the real server in this process (SQLite with an fsync before every answer, the sample
/// union's 36 banks each with its own key), drives it over keep-alive HTTP/1.1 connections —
/// single `POST /v1/payments`, then `POST /v1/payments/batch` — then stops it cleanly, reopens
/// the database and checks that every acknowledged payment is there and the invariants hold.
/// Run on a release build; `bench/http/run.sh` is the same measurement with wrk.
struct BenchHTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http", abstract: "Benchmark the HTTP API (single and batch payments).")

    enum Mode: String, ExpressibleByArgument { case single, batch, all }

    @Option(help: "single: one payment per request; batch: --batch-size per request; all: both.") var mode: Mode = .all
    @Option(help: "Seconds per run.") var seconds = 20
    @Option(help: "Connections for single payments.") var singleConnections = 16
    @Option(help: "Connections for batches.") var batchConnections = 4
    @Option(help: "Payments per batch request (at most 1,000).") var batchSize = 1_000
    @Option(help: "Port for the server (0: any free port).") var port = 0
    @Option(help: "Directory for the benchmark database (deleted afterwards).")
    var databaseDirectory = FileManager.default.temporaryDirectory.path
    @Option(
        help:
            "PostgreSQL instead of SQLite: a URL allowed to create databases (a fresh one is made and dropped afterwards)."
    )
    var postgresURL: String?
    @Option(
        help:
            "With --postgres-url: API nodes in this process on one database (one writer, the others forward writes); connections spread over them."
    )
    var nodes = 1
    @Option(
        help: "Live event streams (/v1/events) held open, read and discarded during the load (the cost of subscribers)."
    )
    var eventStreams = 0
    enum StreamCaller: String, ExpressibleByArgument { case bystander, `operator` }
    @Option(help: "Who holds them: bystander (a bank no payment involves: sees nothing) or operator (sees everything).")
    var eventStreamCaller: StreamCaller = .bystander

    func validate() throws {
        guard seconds >= 1, (1...1_024).contains(singleConnections), (1...1_024).contains(batchConnections),
            (1...1_000).contains(batchSize), (0...65_535).contains(port)
        else {
            throw ValidationError(
                "need --seconds >= 1, 1 <= connections <= 1024, 1 <= --batch-size <= 1000, 0 <= --port <= 65535")
        }
        guard (1...16).contains(nodes) else { throw ValidationError("--nodes must be 1...16") }
        guard (0...10_000).contains(eventStreams) else { throw ValidationError("--event-streams must be 0...10000") }
        guard eventStreams == 0 || postgresURL == nil else {
            throw ValidationError("--event-streams runs on SQLite (leave --postgres-url out)")
        }
        if nodes > 1 || postgresURL != nil {
            guard let postgresURL, postgresURL.hasPrefix("postgres://") || postgresURL.hasPrefix("postgresql://") else {
                throw ValidationError("--nodes needs --postgres-url postgres://user@host:port/database")
            }
            guard port == 0 else {
                throw ValidationError("with --postgres-url the nodes bind free ports (leave --port out)")
            }
        }
    }

    func run() async throws {
        #if DEBUG
            printFlushed(
                "warning: debug build; figures are meaningless. Use: swift run -c release polyclear bench http")
        #endif
        if let postgresURL {
            try await runOnPostgres(adminURL: postgresURL)
            return
        }
        let directory = databaseDirectory + "/polyclear-bench-http-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = directory + "/hub.sqlite"
        let currencies = try CurrencyTable()
        var (union, keys, banks) = try Self.benchUnion(currencies)
        // Stream holders: one caller, allowed as many streams as asked for.
        let streamSecret = DemoCommand.secret()
        keys.add(
            secret: streamSecret,
            for: eventStreamCaller == .operator ? .operatorUser("bench-streams") : .participant(BIC("BYSTDEFF")!))
        var limits = ServerLimits()
        limits.eventStreamsPerCaller = max(limits.eventStreamsPerCaller, eventStreams)
        var logger = Logger(label: "polyclear.bench")
        logger.logLevel = .error
        let bound = AsyncStream.makeStream(of: Int.self)
        let server: HubServer<Writer<SQLiteHubStore>>
        do {
            server = try HubServer(
                db: db, host: "127.0.0.1", port: port, keys: keys, currencies: currencies, limits: limits,
                logger: logger,
                onRunning: {
                    bound.continuation.yield($0); bound.continuation.finish()
                })
        } catch {
            exitWithError(error.code.name, error.description)
        }
        let serviceGroup = server.serviceGroup()
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; server and client in this process; SQLite, fsync before every answer; "
                + "\(banks.count) banks, each its own key; \(eventStreams) event streams held by \(eventStreamCaller.rawValue)"
        )
        var acknowledged = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            var ports = bound.stream.makeAsyncIterator()
            guard let boundPort = await ports.next() else { exitWithError("bind_failed", "the server did not start") }
            _ = try await server.hub.submit(union.setupCommands)
            let streams = Task {
                try await Self.holdEventStreams(eventStreams, port: boundPort, authorization: "Bearer " + streamSecret)
            }
            while server.events.streamCount < eventStreams { try await Task.sleep(for: .milliseconds(20)) }
            acknowledged = try await runLoad(HTTPLoad(ports: [boundPort], banks: banks, seconds: seconds))
            streams.cancel()
            let bytes = try await streams.value
            if eventStreams > 0 {
                printFlushed("event streams: \(eventStreams) open through the load, \(bytes) bytes read")
            }
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
        // What the server acknowledged must be in the database, and the ledger must balance.
        // The stopped server's store lets go of the database first (one writer at a time).
        try? server.hub.store.close()
        let restored: HubStateMachine
        do {
            restored = try await SQLiteHubStore(path: db, configuration: HubConfiguration(currencies: currencies))
                .restore()
        } catch {
            exitWithError("verify_failed", "reopening the database: \(error)")
        }
        let stored = restored.paymentCount
        printFlushed(
            "verify: stopped cleanly; reopened the database: \(stored) payments stored, \(acknowledged) acknowledged; invariants hold"
        )
        if stored != acknowledged {
            exitWithError("verify_failed", "\(acknowledged) payments acknowledged but \(stored) stored")
        }
    }
}

extension BenchHTTPCommand {
    /// Holds `count` event streams open and reads them until cancelled; the bytes read.
    static func holdEventStreams(_ count: Int, port: Int, authorization: String) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await HTTPLoadConnection.with(host: "127.0.0.1", port: port) { connection in
                        try await connection.drain("/v1/events", authorization: authorization)
                    }
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// The sample union with caps and quotas too large to bind (every payment is booked on
    /// the ledger: a queued payment costs the hub far less, and would flatter the figure), and
    /// a key for each of its banks.
    static func benchUnion(_ currencies: CurrencyTable) throws -> (SampleUnion, APIKeyStore, [BenchBank]) {
        let union = try SampleUnion(
            ecbDay: ECBReferenceRates.parse(BundledData.text(.ecbReferenceRates))[0], participantsPerMember: 3,
            capUnitMinor: 100_000_000_000_000, quotaUnitMinor: 10_000_000_000_000_000, effectiveFrom: 0,
            currencies: currencies)
        var keys = APIKeyStore()
        var banks: [BenchBank] = []
        for participant in union.participants {
            let secret = DemoCommand.secret()
            keys.add(secret: secret, for: .participant(participant.bic))
            let currency = union.memberDefinitions.first { $0.id == participant.memberID }!.currency
            banks.append(
                BenchBank(
                    bic: participant.bic, authorization: "Bearer " + secret, exponent: currencies[currency]!.exponent))
        }
        return (union, keys, banks)
    }

    /// The runs `--mode` asks for; returns the payments acknowledged.
    func runLoad(_ load: HTTPLoad) async throws -> Int {
        var acknowledged = 0
        if mode != .batch {
            let result = try await load.run(connections: singleConnections, paymentsPerRequest: 1, phase: 1)
            printFlushed(result.summary("single POST /v1/payments, \(singleConnections) connections"))
            acknowledged += result.acknowledgedPayments
        }
        if mode != .single {
            let result = try await load.run(connections: batchConnections, paymentsPerRequest: batchSize, phase: 2)
            printFlushed(result.summary("POST /v1/payments/batch of \(batchSize), \(batchConnections) connections"))
            acknowledged += result.acknowledgedPayments
        }
        return acknowledged
    }

    /// `--nodes` cluster nodes in this process on a fresh PostgreSQL database: node 0 takes the
    /// writer role, the others follow and forward; the clients' connections are spread over
    /// all nodes. Afterwards the database is checked (read only) and dropped.
    func runOnPostgres(adminURL: String) async throws {
        let (stored, acknowledged) = try await ScratchPostgres.withDatabase(
            prefix: "polyclear_bench_http", adminURL: adminURL
        ) { url in try await runNodes(on: url) }
        if stored != acknowledged {
            exitWithError("verify_failed", "\(acknowledged) payments acknowledged but \(stored) stored")
        }
    }

    /// The nodes and the load on database `url`; returns the payments stored and acknowledged.
    private func runNodes(on url: String) async throws -> (stored: Int, acknowledged: Int) {
        let currencies = try CurrencyTable()
        let (union, keys, banks) = try Self.benchUnion(currencies)
        var logger = Logger(label: "polyclear.bench")
        logger.logLevel = .warning  // a node stepping down or a failed commit is worth seeing
        var servers: [HubServer<PostgresClusterNode>] = []
        let bound = AsyncStream.makeStream(of: (Int, Int).self)
        for index in 0..<nodes {
            do {
                servers.append(
                    try HubServer(
                        postgresURL: url, advertiseHost: "127.0.0.1", host: "127.0.0.1", port: 0,
                        keys: keys,
                        currencies: currencies, logger: logger, onRunning: { bound.continuation.yield((index, $0)) }))
            } catch {
                exitWithError(error.code.name, error.description)
            }
        }
        let serviceGroup = ServiceGroup(services: servers.map(\.application), logger: logger)
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; \(nodes) API node(s), PostgreSQL, server and client in this process; "
                + "\(banks.count) banks, each its own key; connections spread over the nodes")
        var acknowledged = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            var ports = [Int](repeating: 0, count: nodes)
            var boundPorts = bound.stream.makeAsyncIterator()
            for _ in 0..<nodes {
                guard let (index, port) = await boundPorts.next() else {
                    exitWithError("bind_failed", "a node did not start")
                }
                ports[index] = port
            }
            // The first node to take the lease sets the union up; the others must follow it.
            while !servers.contains(where: { $0.hub.nodeStatus.role == .writer }) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let writer = servers.first { $0.hub.nodeStatus.role == .writer }!
            _ = try await writer.hub.submit(union.setupCommands)
            while !servers.allSatisfy({
                $0.hub.nodeStatus.role == .writer || ($0.hub.nodeStatus.appliedSequence ?? 0) >= 1
            }) {
                try await Task.sleep(for: .milliseconds(20))
            }
            acknowledged = try await runLoad(HTTPLoad(ports: ports, banks: banks, seconds: seconds))
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
        let stored: Int
        do {
            let store = try PostgresHubStore(url: url, configuration: HubConfiguration(currencies: currencies))
            defer { store.close() }
            stored = try await store.check().hub.paymentCount
        } catch {
            exitWithError("verify_failed", "checking the database: \(error)")
        }
        printFlushed(
            "verify: stopped cleanly; checked the database: \(stored) payments stored, \(acknowledged) acknowledged; invariants hold"
        )
        return (stored, acknowledged)
    }
}
