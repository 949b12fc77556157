import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import PolyclearPostgres
import PolyclearTestSupport
import Testing

@Suite struct ServeTests {
    static let operatorKey = "operator:ops:serve-test-operator-secret"
    static let bankKey = "participant:BKAABR22:serve-test-bank-secret"

    static func start(
        db: String, port: Int, extra: [String] = [], environment: [String: String] = [:]
    ) async throws -> ChildProcess {
        let server = try ChildProcess(
            [
                "serve", "--db", db, "--port", "\(port)", "--sample-union",
                "--api-key", operatorKey, "--api-key", bankKey,
            ] + extra, environment: environment)
        #expect(
            await server.waitUntil(seconds: 30) { $0.standardOutput.contains("serving http://") },
            "\(server.standardError)")
        return server
    }

    static func waitUntilReady(port: Int) async -> Bool {
        await onOwnThread {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if ChildProcessReadiness.probe(port: port) { return true }
                usleep(50_000)
            }
            return false
        }
    }

    static func call(
        _ method: String, port: Int, path: String, secret: String, body: String? = nil, timeout: Double = 30
    ) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// A real server process: a payment acknowledged over HTTP is there after SIGTERM (clean
    /// shutdown, exit 0) and a restart, and the database passes `ledger check`.
    @Test func anAcknowledgedPaymentSurvivesShutdownAndRestart() async throws {
        let directory = TemporaryDirectory()
        let db = directory.path("hub.sqlite")
        let port = freeLocalPort()
        let id = "0d9e2b6c-1f00-4a00-8000-00000000a001"
        let payment = """
            {"id":"\(id)","payer":"BKAABR22","payee":"BKAACN22","amount":"1000.00","endToEndId":"E1",
             "uetr":"12345678-9abc-4def-8123-456789abcdef","invoiceNumber":"INV-1","purposeCode":"GDDS"}
            """
        let first = try await Self.start(db: db, port: port)
        let (status, body) = try await Self.call(
            "POST", port: port, path: "/v1/payments", secret: "serve-test-bank-secret", body: payment)
        #expect(status == 201, "\(body)")
        #expect(body.contains("\"status\":\"accepted\""), "\(body)")
        first.kill(signal: SIGTERM)
        #expect(await first.waitForExit() == 0, "\(first.standardError)")

        let second = try await Self.start(db: db, port: port)
        let (getStatus, got) = try await Self.call(
            "GET", port: port, path: "/v1/payments/\(id)", secret: "serve-test-operator-secret")
        #expect(getStatus == 200 && got.contains("\"status\":\"accepted\""), "\(got)")
        second.kill(signal: SIGTERM)
        #expect(await second.waitForExit() == 0, "\(second.standardError)")

        let check = try await ChildProcess.run(["ledger", "check", "--db", db])
        #expect(check.status == 0 && check.output.hasPrefix("ok: "), "\(check.error)")
    }

    /// SIGTERM ends the process within a bounded time whatever its event-stream clients do:
    /// one still reading gets a final `shutdown` event, one half-closed and one gone without
    /// a word (no later event it could see, so the server never noticed) hold nothing up.
    /// Before, the listener closed and the process stayed, holding its database.
    @Test func sigtermEndsTheProcessWithEventStreamsOpen() async throws {
        let directory = TemporaryDirectory()
        let port = freeLocalPort()
        let server = try await Self.start(db: directory.path("hub.sqlite"), port: port)
        #expect(await Self.waitUntilReady(port: port))
        let reading = try RawConnection.eventStream(port: port, secret: "serve-test-operator-secret")
        let halfClosed = try RawConnection.eventStream(port: port, secret: "serve-test-operator-secret")
        let gone = try RawConnection.eventStream(port: port, secret: "serve-test-bank-secret")
        for client in [reading, halfClosed, gone] {
            #expect(
                await client.waitUntil(seconds: 10) { $0.received.contains(": polyclear events") }, "\(client.received)"
            )
        }
        halfClosed.halfClose()
        gone.vanish()
        let stopping = Date()
        server.kill(signal: SIGTERM)
        let status = await server.waitForExit(seconds: 60)
        let seconds = Date().timeIntervalSince(stopping)
        #expect(status == 0, "\(server.standardError)")
        #expect(seconds < 15, "took \(seconds) s to stop")
        #expect(await reading.waitUntil(seconds: 5) { !$0.serverIsConnected })
        #expect(reading.received.contains("event: shutdown"), "\(reading.received)")
    }

    /// A stream whose client vanished frees its slot at the next heartbeat (it used to hold it
    /// until an event the caller could see happened to come), so a caller at its limit of
    /// streams can open a new one.
    @Test func aVanishedStreamClientFreesItsSlot() async throws {
        let directory = TemporaryDirectory()
        let port = freeLocalPort()
        let server = try await Self.start(
            db: directory.path("hub.sqlite"), port: port, extra: [],
            environment: ["POLYCLEAR_EVENT_STREAMS_PER_CALLER": "1", "POLYCLEAR_EVENT_HEARTBEAT_SECONDS": "1"])
        defer { server.stopNow(seconds: 30) }
        let first = try RawConnection.eventStream(port: port, secret: "serve-test-bank-secret")
        #expect(await first.waitUntil(seconds: 10) { $0.received.contains(": polyclear events") })
        let refused = try await Self.call("GET", port: port, path: "/v1/events?max=1", secret: "serve-test-bank-secret")
        #expect(refused.0 == 429 && refused.1.contains("too_many_streams"), "\(refused)")
        first.vanish()
        var statuses: [Int] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let probe = try RawConnection.eventStream(port: port, secret: "serve-test-bank-secret")
            if await probe.waitUntil(
                seconds: 5, { $0.received.contains("HTTP/1.1 ") && $0.received.contains("\r\n\r\n") })
            {
                statuses.append(probe.received.hasPrefix("HTTP/1.1 200") ? 200 : 429)
                if statuses.last == 200 { break }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(statuses.last == 200, "the vanished stream still holds the slot: \(statuses)")
    }

    /// One database has one writer: a second `serve` on the same file exits at once with
    /// `database_in_use` (two used to accept writes, diverge, and leave a file refused at the
    /// next start), while `ledger check` reads beside the running hub. After the first
    /// stops, the file opens again.
    @Test func aSecondServerOnTheSameDatabaseIsRefusedAndACheckRunsBeside() async throws {
        let directory = TemporaryDirectory()
        let db = directory.path("hub.sqlite")
        let port = freeLocalPort()
        let first = try await Self.start(db: db, port: port)
        let second = try ChildProcess([
            "serve", "--db", db, "--port", "\(freeLocalPort())", "--api-key", Self.operatorKey,
        ])
        let status = await second.waitForExit(seconds: 30)
        #expect(status != 0 && second.standardError.contains("database_in_use"), "\(status) \(second.standardError)")
        #expect(!second.standardOutput.contains("serving"))

        let check = try await ChildProcess.run(["ledger", "check", "--db", db])
        #expect(check.status == 0 && check.output.hasPrefix("ok: "), "\(check.error)")
        let (health, _) = try await Self.call(
            "GET", port: port, path: "/v1/members", secret: "serve-test-operator-secret")
        #expect(health == 200)

        first.kill(signal: SIGTERM)
        #expect(await first.waitForExit(seconds: 30) == 0, "\(first.standardError)")
        let third = try await Self.start(db: db, port: port)
        third.kill(signal: SIGTERM)
        #expect(await third.waitForExit(seconds: 30) == 0, "\(third.standardError)")
    }

    /// The same on PostgreSQL (`serve --store postgres`), when a server is given
    /// (`POLYCLEAR_TEST_POSTGRES_URL`; `.ci/run` starts one).
    @Test(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)"))
    func anAcknowledgedPaymentSurvivesARestartOnPostgreSQL() async throws {
        let admin = ProcessInfo.processInfo.environment["POLYCLEAR_TEST_POSTGRES_URL"]!
        let url = try await PostgresAdmin.createDatabase(
            "polyclear_serve_\(getpid())_\(Int.random(in: 0..<1_000_000))", adminURL: admin)
        let directory = TemporaryDirectory()
        let port = freeLocalPort()
        let extra = ["--store", "postgres", "--postgres-url", url]
        let id = "0d9e2b6c-1f00-4a00-8000-00000000b001"
        let payment = """
            {"id":"\(id)","payer":"BKAABR22","payee":"BKAACN22","amount":"1000.00","endToEndId":"E1",
             "uetr":"12345678-9abc-4def-8123-456789abcdef","invoiceNumber":"INV-1","purposeCode":"GDDS"}
            """
        let first = try await Self.start(db: directory.path("unused.sqlite"), port: port, extra: extra)
        #expect(
            await first.waitUntil(seconds: 30) { $0.standardOutput.contains("sample union ready") },
            "\(first.standardError)")
        let (status, body) = try await Self.call(
            "POST", port: port, path: "/v1/payments", secret: "serve-test-bank-secret", body: payment)
        #expect(status == 201 && body.contains("\"status\":\"accepted\""), "\(body)")
        first.kill(signal: SIGTERM)
        #expect(await first.waitForExit() == 0, "\(first.standardError)")
        let second = try await Self.start(db: directory.path("unused.sqlite"), port: port, extra: extra)
        #expect(
            await second.waitUntil(seconds: 30) { $0.standardOutput.contains("sample union ready") },
            "\(second.standardError)")
        let (getStatus, got) = try await Self.call(
            "GET", port: port, path: "/v1/payments/\(id)", secret: "serve-test-operator-secret")
        #expect(getStatus == 200 && got.contains("\"status\":\"accepted\""), "\(got)")
        second.kill(signal: SIGTERM)
        #expect(await second.waitForExit() == 0, "\(second.standardError)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("unused.sqlite")))  // nothing went to SQLite
    }

    @Test(arguments: [
        ["--log-level", "loud"], ["--idle-timeout-seconds", "0"], ["--port", "0"],
        ["--api-key", "participant:BKAABR22:short"],
        ["--lease-seconds", "61"], ["--postgres-pool-size", "0"], ["--store", "postgres"],
    ])
    func badServeOptionsAreRefusedBeforeAnythingStarts(_ extra: [String]) async throws {
        let directory = TemporaryDirectory()
        let keys = extra.first == "--api-key" ? [] : ["--api-key", Self.operatorKey]
        let result = try await ChildProcess.run(["serve", "--db", directory.path("hub.sqlite")] + keys + extra)
        #expect(result.status == 64, "\(result.output) \(result.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("hub.sqlite")))
    }

    /// A port already taken: a clear error and a non-zero exit, not a process waiting forever.
    @Test func aTakenPortStopsTheServerWithTheReason() async throws {
        let directory = TemporaryDirectory()
        let port = freeLocalPort()
        let first = try ChildProcess([
            "serve", "--db", directory.path("a.sqlite"), "--port", "\(port)", "--api-key", Self.operatorKey,
        ])
        #expect(await Self.waitUntilReady(port: port))
        let second = try await ChildProcess.run([
            "serve", "--db", directory.path("b.sqlite"), "--port", "\(port)", "--api-key", Self.operatorKey,
        ])
        #expect(
            second.status != 0 && second.error.contains("Address already in use"), "\(second.status) \(second.error)")
        first.kill(signal: SIGTERM)
        #expect(await first.waitForExit() == 0)
    }

    /// Precedence: flag over environment over file over default; the database and keys come from the file.
    @Test func theConfigurationFileEnvironmentAndFlagsCombine() async throws {
        let directory = TemporaryDirectory()
        let ports = freeLocalPorts(3)  // file, environment, flag
        let config = directory.path("polyclear.toml")
        try """
        # polyclear serve configuration
        db = "\(directory.path("from-file.sqlite"))"
        port = \(ports[0])
        api_keys = ["\(Self.operatorKey)"]
        idle_timeout_seconds = 30
        """.write(toFile: config, atomically: true, encoding: .utf8)
        for (environment, flags, expectedPort) in [
            ([String: String](), [String](), ports[0]), (["POLYCLEAR_PORT": "\(ports[1])"], [], ports[1]),
            (["POLYCLEAR_PORT": "\(ports[1])"], ["--port", "\(ports[2])"], ports[2]),
        ] {
            let server = try ChildProcess(["serve", "--config", config] + flags, environment: environment)
            #expect(
                await server.waitUntil(seconds: 30) { $0.standardOutput.contains("serving http://") },
                "\(server.standardError)")
            #expect(
                server.standardOutput.contains("serving http://127.0.0.1:\(expectedPort)"), "\(server.standardOutput)")
            // "serving" is printed once the server listens; it answers at once.
            #expect(await Self.waitUntilReady(port: expectedPort), "not answering on \(expectedPort)")
            server.kill(signal: SIGTERM)
            #expect(await server.waitForExit() == 0, "\(server.standardError)")
        }
        #expect(FileManager.default.fileExists(atPath: directory.path("from-file.sqlite")))
    }

    /// The API's limits come from the configuration: a rate limit of one request a second with
    /// a burst of two lets at most 2 + (seconds elapsed) of ten simultaneous requests through
    /// and refuses the rest (429), from the file and from the environment alike.
    @Test func configuredLimitsBite() async throws {
        let directory = TemporaryDirectory()
        let config = directory.path("limits.toml")
        try "rate_limit_per_second = 1\nrate_limit_burst = 2\n".write(toFile: config, atomically: true, encoding: .utf8)
        for (flags, environment) in [
            (["--config", config], [String: String]()),
            ([], ["POLYCLEAR_RATE_LIMIT_PER_SECOND": "1", "POLYCLEAR_RATE_LIMIT_BURST": "2"]),
        ] {
            let port = freeLocalPort()
            let server = try ChildProcess(
                [
                    "serve", "--db", directory.path("hub-\(port).sqlite"), "--port", "\(port)", "--api-key",
                    Self.operatorKey,
                ] + flags,
                environment: environment)
            #expect(
                await server.waitUntil(seconds: 30) { $0.standardOutput.contains("serving http://") },
                "\(server.standardError)")
            let started = Date()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await Self.call(
                            "GET", port: port, path: "/v1/members", secret: "serve-test-operator-secret"
                        ).0
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            let seconds = Int(Date().timeIntervalSince(started).rounded(.up))
            #expect(
                statuses.filter { $0 == 200 }.count <= 2 + seconds && statuses.contains(429),
                "\(statuses) in \(seconds) s")
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 429 }, "\(statuses)")
            server.kill(signal: SIGTERM)
            #expect(await server.waitForExit(seconds: 30) == 0, "\(server.standardError)")
        }
    }

    @Test(arguments: [
        ("prot = 1", "unknown key 'prot'"), ("port = \"8080\"", "port must be an integer"), ("port = = 1", "line 2"),
        ("api_keys = \"operator:ops:serve-test-operator-secret\"", "api_keys must be an array"),
        ("sample_union = 1", "sample_union must be true or false"),
        ("log_level = \"loud\"", "log_level must be"), ("port = 70000", "port must be 1...65535"),
        ("store = \"oracle\"", "store must be"), ("store = \"postgres\"", "needs postgres_url"),
        ("store = \"postgres\"\npostgres_url = \"mysql://x\"", "needs postgres_url"),
        ("lease_seconds = 0", "lease_seconds must be 1...60"),
        ("postgres_pool_size = 101", "postgres_pool_size must be 1...100"),
        ("advertise_host = \"\"", "advertise_host must be"),
        ("lease_seconds = \"3\"", "lease_seconds must be an integer"),
        ("rate_limit_per_second = 0", "rate_limit_per_second must be at least 1"),
        ("event_streams_per_caller = -1", "event_streams_per_caller must be at least 0"),
        ("shutdown_grace_seconds = 0", "shutdown_grace_seconds must be 1...600"),
        ("snapshot_every_commands = -1", "snapshot_every_commands must be 0 (no snapshots)"),
        ("snapshots_kept = 0", "snapshots_kept must be 1...100"),
        ("snapshot_every_commands = \"often\"", "snapshot_every_commands must be an integer"),
        (" [\u{0C}lo", "a control character TOML does not allow (line 2)"),
        ("[# a comment where the table's key belongs", "a table header must name a key after its '[' (line 2)"),
        ("[[ =x]]", "must name a key"),
        ("api_keys = [ }", "a bracket closes what it did not open (line 2)"),
        ("log_level = \"a [ } in a string is text\"\nprot = 1", "unknown key 'prot'"),
        ("rate_move_factor_max = \"2\"", "rate_move_factor_max must be an integer"),
    ])
    func aBadConfigurationIsRefusedWithItsReason(_ line: String, _ reason: String) async throws {
        let directory = TemporaryDirectory()
        let config = directory.path("bad.toml")
        try "db = \"\(directory.path("hub.sqlite"))\"\n\(line)\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let result = try await ChildProcess.run(["serve", "--config", config, "--api-key", Self.operatorKey])
        #expect(result.status == 64 && result.error.contains(reason), "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("hub.sqlite")))
        let missing = try await ChildProcess.run([
            "serve", "--config", directory.path("none.toml"), "--api-key", Self.operatorKey,
        ])
        #expect(missing.status == 64 && missing.error.contains("cannot read the configuration file"))
        let environment = try await ChildProcess.run(
            ["serve", "--api-key", Self.operatorKey, "--db", directory.path("hub.sqlite")],
            environment: ["POLYCLEAR_PORT": "eighty"])
        #expect(environment.status == 64 && environment.error.contains("POLYCLEAR_PORT must be an integer"))
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
enum ChildProcessReadiness {
    static func probe(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
