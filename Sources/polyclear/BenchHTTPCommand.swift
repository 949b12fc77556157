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
    /// The bundled ECB reference rates the benchmarks' union is fixed with.
    static var bundledRates: URL {
        guard let url = Bundle.module.url(forResource: "eurofxref-latest", withExtension: "csv") else {
            exitWithError("not_found", "the bundled ECB rates are missing")
        }
        return url
    }

    static func benchUnion(_ currencies: CurrencyTable) throws -> (SampleUnion, APIKeyStore, [BenchBank]) {
        let fxURL = bundledRates
        let union = try SampleUnion(
            ecbDay: ECBReferenceRates.parse(String(contentsOf: fxURL, encoding: .utf8))[0], participantsPerMember: 3,
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
        let currencies = try CurrencyTable()
        let (union, keys, banks) = try Self.benchUnion(currencies)
        let name = "polyclear_bench_http_\(getpid())"
        let url: String
        do { url = try await PostgresAdmin.createDatabase(name, adminURL: adminURL) } catch {
            exitWithError("io_failure", "cannot create a database with \(adminURL): \(error)")
        }
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
        do {
            let store = try PostgresHubStore(url: url, configuration: HubConfiguration(currencies: currencies))
            let (_, hub, _) = try await store.check()
            store.close()
            let stored = hub.paymentCount
            printFlushed(
                "verify: stopped cleanly; checked the database: \(stored) payments stored, \(acknowledged) acknowledged; invariants hold"
            )
            try? await PostgresAdmin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", url: adminURL)
            if stored != acknowledged {
                exitWithError("verify_failed", "\(acknowledged) payments acknowledged but \(stored) stored")
            }
        } catch {
            exitWithError("verify_failed", "checking the database: \(error)")
        }
    }
}

struct BenchBank: Sendable {
    let bic: BIC
    let authorization: String
    let exponent: Int
}

/// Closed-loop load: each connection sends its next request when the previous answer is in.
struct HTTPLoad: Sendable {
    /// Connection i goes to ports[i % ports.count].
    let ports: [Int]
    let banks: [BenchBank]
    let seconds: Int

    struct Result {
        var requests = 0, acknowledgedPayments = 0
        var latenciesNanoseconds: [UInt64] = []
        var statuses: [String: Int] = [:]
        /// Errors by HTTP status and the answer's stable code, e.g. "503 no_writer".
        var errorsByStatusAndCode: [String: Int] = [:]
        var elapsedSeconds = 0.0

        mutating func merge(_ other: Result) {
            requests += other.requests; acknowledgedPayments += other.acknowledgedPayments
            latenciesNanoseconds += other.latenciesNanoseconds
            statuses.merge(other.statuses, uniquingKeysWith: +)
            errorsByStatusAndCode.merge(other.errorsByStatusAndCode, uniquingKeysWith: +)
        }

        func summary(_ title: String) -> String {
            let sorted = latenciesNanoseconds.sorted()
            func milliseconds(_ p: Double) -> String {
                guard !sorted.isEmpty else { return "-" }
                return String(
                    format: "%.2f", Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6)
            }
            let errors = errorsByStatusAndCode.values.reduce(0, +)
            let errorText = errorsByStatusAndCode.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(
                separator: ", ")
            let statusText = statuses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "\(title), \(String(format: "%.1f", elapsedSeconds)) s: "
                + "\(Int(Double(requests) / elapsedSeconds)) requests/s, \(Int(Double(acknowledgedPayments) / elapsedSeconds)) payments/s committed; "
                + "latency p50 \(milliseconds(0.5)) ms, p99 \(milliseconds(0.99)) ms, max \(milliseconds(1.0)) ms; "
                + "errors \(errors)\(errors > 0 ? " [\(errorText)]" : ""); statuses: \(statusText)"
        }
    }

    func run(connections: Int, paymentsPerRequest: Int, phase: UInt64) async throws -> Result {
        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        var total = try await withThrowingTaskGroup(of: Result.self) { group in
            for connection in 0..<connections {
                group.addTask {
                    try await HTTPLoadConnection.with(host: "127.0.0.1", port: ports[connection % ports.count]) {
                        http in

                        try await drive(
                            &http, connection: connection, paymentsPerRequest: paymentsPerRequest, phase: phase,
                            until: deadline)
                    }
                }
            }
            var total = Result()
            for try await result in group { total.merge(result) }
            return total
        }
        let elapsed = (ContinuousClock.now - start).components
        total.elapsedSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return total
    }

    /// The stable `code` of an error answer (`{"code": …, "message": …}`), or "-".
    static func errorCode(_ answer: ByteBuffer) -> String {
        struct ErrorBody: Decodable { let code: String }
        return (try? JSONDecoder().decode(ErrorBody.self, from: Data(answer.readableBytesView)))?.code ?? "-"
    }

    private func drive(
        _ http: inout HTTPLoadConnection, connection: Int, paymentsPerRequest: Int, phase: UInt64,
        until deadline: ContinuousClock.Instant
    ) async throws -> Result {
        var result = Result()
        var bodies = PaymentBodies(banks: banks, phase: phase, connection: UInt64(connection))
        var request = 0
        let path = paymentsPerRequest == 1 ? "/v1/payments" : "/v1/payments/batch"
        while ContinuousClock.now < deadline {
            // Rotate payer banks over connections and requests: no caller nears its rate limit.
            let payer = (connection + request * 7) % banks.count
            request += 1
            let body = bodies.next(payer: payer, count: paymentsPerRequest, asArray: paymentsPerRequest > 1)
            let sent = ContinuousClock.now
            let (status, answer) = try await http.send(
                .POST, path, authorization: banks[payer].authorization, body: body)
            let latency = ContinuousClock.now - sent
            result.latenciesNanoseconds.append(
                UInt64(latency.components.seconds) * 1_000_000_000
                    + UInt64(latency.components.attoseconds / 1_000_000_000))
            result.requests += 1
            guard status == 200 || status == 201 else {
                result.errorsByStatusAndCode["\(status) \(Self.errorCode(answer))", default: 0] += 1
                continue
            }
            let counted = PaymentBodies.countStatuses(answer, into: &result.statuses)
            result.acknowledgedPayments += counted
        }
        return result
    }
}

/// Payment JSON for the load, written straight into bytes (the client must not be what limits
/// the measurement). Ids are unique per run, phase, connection and sequence.
struct PaymentBodies {
    let banks: [BenchBank]
    /// Version-4 UUID bits; the UETR differs from the id in one bit that is neither.
    let idPrefix: UInt128
    var sequence: UInt64 = 0
    var random: SeededRandom

    init(banks: [BenchBank], phase: UInt64, connection: UInt64) {
        self.banks = banks
        let runNonce = UInt64(UInt32(truncatingIfNeeded: UInt64(Date().timeIntervalSince1970 * 1_000)))
        // run (32 bits) | phase (4) | connection (12) | UUID version 4 | ... | variant 10 | sequence
        let run = UInt128(runNonce) << 96, phaseBits = UInt128(phase & 0xF) << 92,
            connectionBits = UInt128(connection & 0xFFF) << 80
        let version: UInt128 = 0x4 << 76, variant: UInt128 = 0x2 << 62
        idPrefix = run | phaseBits | connectionBits | version | variant
        random = SeededRandom(seed: phase << 32 | connection)
    }

    mutating func next(payer: Int, count: Int, asArray: Bool) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count * 300)
        if asArray { buffer.writeStaticString("[") }
        for index in 0..<count {
            if index > 0 { buffer.writeStaticString(",") }
            sequence += 1
            var payee = Int(random.next() % UInt64(banks.count - 1))
            if payee >= payer { payee += 1 }
            let id = idPrefix | UInt128(sequence)
            let units = 100 + random.next() % 4_901  // 100 to 5,000: never zero after conversion, even from IDR
            let amount =
                banks[payer].exponent == 0
                ? "\(units)" : "\(units)." + String(repeating: "0", count: banks[payer].exponent)
            buffer.writeString(
                """
                {"id":"\(UUIDText.format(id))","payer":"\(banks[payer].bic)","payee":"\(banks[payee].bic)","amount":"\(amount)",\
                "endToEndId":"E2E-\(sequence)","uetr":"\(UUIDText.format(id ^ 1 << 61))","invoiceNumber":"INV-\(sequence)","purposeCode":"GDDS"}
                """)
        }
        if asArray { buffer.writeStaticString("]") }
        return buffer
    }

    /// Counts the `"status":"…"` values of a payment answer (one object or an array of them),
    /// and the reasons of rejections as `rejected: reason`; returns how many payments it holds.
    static func countStatuses(_ answer: ByteBuffer, into statuses: inout [String: Int]) -> Int {
        let found = count(key: #""status":""#, in: answer, prefix: "", into: &statuses)
        _ = count(key: #""rejection":""#, in: answer, prefix: "rejected: ", into: &statuses)
        return found
    }

    private static func count(
        key text: String, in answer: ByteBuffer, prefix: String, into tally: inout [String: Int]
    ) -> Int {
        let key = Array(text.utf8)
        var found = 0
        answer.withUnsafeReadableBytes { bytes in
            var index = 0
            while index + key.count < bytes.count {
                guard bytes[index] == key[0], bytes[index..<index + key.count].elementsEqual(key) else {
                    index += 1; continue
                }
                let start = index + key.count
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\"") { end += 1 }
                tally[prefix + String(decoding: bytes[start..<end], as: UTF8.self), default: 0] += 1
                found += 1
                index = end
            }
        }
        return found
    }
}
