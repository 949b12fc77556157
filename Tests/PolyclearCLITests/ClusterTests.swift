import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import PolyclearPostgres
import PolyclearTestSupport
import Synchronization
import Testing

/// Several `polyclear serve` processes on one PostgreSQL database (`POLYCLEAR_TEST_POSTGRES_URL`;
/// `.ci/run` starts a server): one writer, followers that forward writes, failover by lease,
/// the fence against a paused writer. Real processes, real signals.
@Suite(.serialized, .enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)"))
struct ClusterTests {
    static let operatorSecret = "cluster-test-operator-secret"
    static let bankSecret = "cluster-test-bank-secret-1"

    typealias Cluster = ClusterNodes

    static func call(
        _ method: String, port: Int, path: String, secret: String, body: String? = nil, timeout: Double = 30
    ) async throws -> (Int, String) {
        try await ServeTests.call(method, port: port, path: path, secret: secret, body: body, timeout: timeout)
    }

    static func payment(_ id: String, sequence: Int) -> String {
        """
        {"id":"\(id)","payer":"BKAABR22","payee":"BKAACN22","amount":"10.00","endToEndId":"E\(sequence)",
         "uetr":"\(UUID().uuidString.lowercased())","invoiceNumber":"INV-\(sequence)","purposeCode":"GDDS"}
        """
    }

    /// Every payment id the hub holds, through the API (paged), with duplicates kept.
    static func storedPaymentIDs(port: Int) async throws -> [String] {
        var ids: [String] = []
        var cursor = "0"
        while true {
            let (code, body) = try await call(
                "GET", port: port, path: "/v1/payments?limit=1000&cursor=\(cursor)", secret: operatorSecret)
            #expect(code == 200, "\(body)")
            let page = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            for item in page?["items"] as? [[String: Any]] ?? [] {
                if let id = item["id"] as? String { ids.append(id) }
            }
            guard let next = page?["nextCursor"] as? String else { return ids }
            cursor = next
        }
    }

    /// What a client saw: acknowledged ids (with when they were sent: one sent after a kill can
    /// only have been accepted by the new writer), and the statuses of everything else.
    final class Outcomes: Sendable {
        let acknowledged = Mutex<[String: ContinuousClock.Instant]>([:])
        let others = Mutex<[Int: Int]>([:])
        let sent = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
    }

    /// Clients submitting payments to `port` one after another until `stop` is set.
    static func load(port: Int, clients: Int, outcomes: Outcomes) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while !outcomes.stop.load(ordering: .relaxed) {
                        let sequence = outcomes.sent.add(1, ordering: .relaxed).newValue
                        let id = UUID().uuidString.lowercased()
                        let sent = ContinuousClock.now
                        let code =
                            (try? await call(
                                "POST", port: port, path: "/v1/payments", secret: bankSecret,
                                body: payment(id, sequence: sequence), timeout: 10))?.0 ?? -1
                        if code == 201 {
                            outcomes.acknowledged.withLock { $0[id] = sent }
                        } else {
                            outcomes.others.withLock { $0[code, default: 0] += 1 }
                            try? await Task.sleep(for: .milliseconds(20))
                        }
                    }
                }
            }
        }
    }

    /// Kill -9 the writer under load (clients talk to the follower, which forwards): the
    /// follower takes over within a few seconds, every acknowledged payment is stored exactly
    /// once, and the database passes `ledger check`.
    @Test func killingTheWriterUnderLoadHandsTheRoleOverAndLosesNothing() async throws {
        let cluster = try await Cluster.create(name: "failover")
        let first = try await cluster.start(0, sampleUnion: true)
        let second = try await cluster.start(1)
        defer { first.kill(); second.kill() }
        #expect(await cluster.waitForRole(0, "writer"))
        #expect(await cluster.waitForRole(1, "follower", writer: 0))

        // A write through the follower is forwarded; the follower's own replica shows it a
        // poll later (reads are local).
        let viaFollower = UUID().uuidString.lowercased()
        let (code, body) = try await Self.call(
            "POST", port: cluster.ports[1], path: "/v1/payments", secret: Self.bankSecret,
            body: Self.payment(viaFollower, sequence: 0))
        #expect(code == 201, "\(body)")
        var seenOnFollower = false
        for _ in 0..<100 where !seenOnFollower {
            seenOnFollower =
                (try? await Self.call(
                    "GET", port: cluster.ports[1], path: "/v1/payments/\(viaFollower)", secret: Self.operatorSecret))?.0
                == 200
            if !seenOnFollower { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(seenOnFollower, "the follower's replica never showed a committed payment")

        let outcomes = Outcomes()
        let clients = Task { await Self.load(port: cluster.ports[1], clients: 4, outcomes: outcomes) }
        // Load until payments go through the forwarding follower (not a fixed time: a loaded
        // machine running other suites can take seconds for the first ones).
        let loadStarted = ContinuousClock.now
        while outcomes.acknowledged.withLock({ $0.count }) < 20, ContinuousClock.now - loadStarted < .seconds(30) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let beforeKill = outcomes.acknowledged.withLock { $0.count }
        first.kill(signal: SIGKILL)
        let killedAt = ContinuousClock.now
        #expect(await first.waitForExit() != 0)
        // The lease is 3 s; beside the whole suite on two cores the takeover has been seen to
        // need longer than 15 s to show (CI).
        #expect(await cluster.waitForRole(1, "writer", seconds: 30), "\(second.standardError)")
        // Until the new writer has acknowledged payments (at most 30 s), then a little more.
        let tookOver = ContinuousClock.now
        while outcomes.acknowledged.withLock({ $0.values.filter { $0 > killedAt }.count }) < 10,
            ContinuousClock.now - tookOver < .seconds(30)
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        outcomes.stop.store(true, ordering: .relaxed)
        await clients.value

        let acknowledged = outcomes.acknowledged.withLock { $0 }
        let firstAfterKill = acknowledged.values.filter { $0 > killedAt }.min()
        #expect(beforeKill > 0, "nothing was acknowledged through the forwarding follower")
        #expect(firstAfterKill != nil, "nothing was acknowledged by the new writer")
        if let firstAfterKill {
            print(
                "cluster failover: kill to first accepted payment on the new writer \(firstAfterKill - killedAt) (lease \(cluster.leaseSeconds) s); "
                    + "\(acknowledged.count) acknowledged, others by status \(outcomes.others.withLock { $0 })")
        }
        let stored = try await Self.storedPaymentIDs(port: cluster.ports[1])
        #expect(Set(stored).count == stored.count, "a payment is stored twice")
        let missing = Set(acknowledged.keys).subtracting(stored)
        #expect(missing.isEmpty, "acknowledged but not stored: \(missing.prefix(5))")

        // The killed node comes back as a follower of the new writer.
        let again = try await cluster.start(0)
        defer { again.kill() }
        #expect(await cluster.waitForRole(0, "follower", writer: 1), "\(again.standardError)")
        second.kill(signal: SIGTERM)
        #expect(await second.waitForExit() == 0, "\(second.standardError)")
        let check = try await ChildProcess.run(["ledger", "check", "--postgres-url", cluster.url])
        #expect(
            check.status == 0 && check.output.hasPrefix("ok: ") && check.output.contains("hub log"),
            "\(check.output)\(check.error)")
        // The writer gave its lease up on SIGTERM: the restarted node takes over at once.
        #expect(await cluster.waitForRole(0, "writer", seconds: 5), "\(again.standardError)")
        // ...and projects what the killed and the stopped writers left in the redo log: then the
        // tables alone (no redo row read) are exactly what the log replays to.
        var tablesAlone: (status: Int32, output: String, error: String)?
        for _ in 0..<100 {
            let check = try await ChildProcess.run(["ledger", "check", "--postgres-url", cluster.url])
            if check.status != 0 || !check.output.contains("redo log") {
                tablesAlone = check
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(
            tablesAlone?.status == 0 && tablesAlone?.output.hasPrefix("ok: ") == true,
            "\(tablesAlone?.output ?? "the projection never caught up")\(tablesAlone?.error ?? "")")
    }

    /// SIGSTOP the writer past its lease, let the follower take over, resume the old one:
    /// what it still tries to write is refused (by the fence, or because it stepped down and
    /// forwards), it becomes a follower, and only payments acknowledged to a client are stored.
    /// A key the hub issues (through a follower, forwarded) works on every node once its log
    /// entry is replayed there, and its revocation reaches the follower within one lease.
    @Test func aRevokedKeyIsRefusedOnEveryNodeWithinALease() async throws {
        // A lease of 3 s: with 1 s, the whole suite's load once cost the writer its role between
        // the revocation and the check that the writer refuses the key at once.
        let cluster = try await Cluster.create(name: "keys", leaseSeconds: 3)
        let first = try await cluster.start(0, sampleUnion: true)
        let second = try await cluster.start(1)
        defer { first.kill(); second.kill() }
        #expect(await cluster.waitForRole(1, "follower", writer: 0))
        let (code, body) = try await Self.call(
            "POST", port: cluster.ports[1], path: "/v1/api-keys", secret: Self.operatorSecret,
            body: #"{"holder":"participant:BKAACN22"}"#)
        #expect(code == 201, "\(body)")
        let issued = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let secret = try #require(issued?["secret"] as? String), id = try #require(issued?["id"] as? String)
        // Polled four times a second: under the failed-authentication limit (5/s per address).
        func status(_ port: Int) async -> Int {
            (try? await Self.call("GET", port: port, path: "/v1/payments?limit=1", secret: secret))?.0 ?? -1
        }
        func within(_ seconds: Double, _ port: Int, answers expected: Int) async -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if await status(port) == expected { return true }
                try? await Task.sleep(for: .milliseconds(250))
            }
            return false
        }
        let lease = Double(cluster.leaseSeconds)
        #expect(await within(lease, cluster.ports[0], answers: 200))
        #expect(await within(lease, cluster.ports[1], answers: 200))
        let (revoked, answer) = try await Self.call(
            "DELETE", port: cluster.ports[0], path: "/v1/api-keys/\(id)", secret: Self.operatorSecret)
        #expect(revoked == 200, "\(answer)")
        let atOnce = await status(cluster.ports[0])  // the writer: at once
        if atOnce != 401 {
            let role = await Cluster.status(port: cluster.ports[0])
            Issue.record(
                "the writer answered \(atOnce) to a key it revoked (its role now: \(String(describing: role)))")
        }
        #expect(await within(lease, cluster.ports[1], answers: 401), "the follower still takes a revoked key")
    }

    @Test func aPausedWriterCannotCommitAfterLosingItsLease() async throws {
        let cluster = try await Cluster.create(name: "paused")
        let first = try await cluster.start(0, sampleUnion: true)
        let second = try await cluster.start(1)
        defer { first.kill(signal: SIGCONT); first.kill(); second.kill() }
        #expect(await cluster.waitForRole(1, "follower", writer: 0))

        first.kill(signal: SIGSTOP)
        // Requests that reach the paused writer wait in its socket until it resumes.
        let stale = (0..<4).map { index in
            Task { () -> (id: String, code: Int) in
                let id = UUID().uuidString.lowercased()
                let code =
                    (try? await Self.call(
                        "POST", port: cluster.ports[0], path: "/v1/payments", secret: Self.bankSecret,
                        body: Self.payment(id, sequence: 900 + index), timeout: 40))?.0 ?? -1
                return (id, code)
            }
        }
        // The lease is 3 s; beside the whole suite on two cores the takeover has been seen to
        // need longer than 15 s to show (CI).
        #expect(await cluster.waitForRole(1, "writer", seconds: 30), "\(second.standardError)")
        let fresh = UUID().uuidString.lowercased()
        let (freshCode, freshBody) = try await Self.call(
            "POST", port: cluster.ports[1], path: "/v1/payments", secret: Self.bankSecret,
            body: Self.payment(fresh, sequence: 1))
        #expect(freshCode == 201, "\(freshBody)")
        first.kill(signal: SIGCONT)

        var answers: [(id: String, code: Int)] = []
        for task in stale { answers.append(await task.value) }
        #expect(await cluster.waitForRole(0, "follower", writer: 1), "\(first.standardError)")
        let stored = Set(try await Self.storedPaymentIDs(port: cluster.ports[1]))
        #expect(stored.contains(fresh))
        for answer in answers {
            // Acknowledged only if stored; refused (503) only if not.
            if answer.code == 201 {
                #expect(stored.contains(answer.id), "acknowledged by the old writer but not stored")
            } else {
                #expect(answer.code == 503 && !stored.contains(answer.id), "\(answer)")
            }
        }
        let log = first.standardError
        #expect(
            log.contains("writer")
                && (log.contains("fence") || log.contains("another writer") || log.contains("stepping down")), "\(log)")
        print(
            "paused writer: stale requests answered \(answers.map(\.code)); old writer's log: "
                + "\(log.split(separator: "\n").filter { $0.contains("notice") }.suffix(2).joined(separator: " | "))")
        let check = try await ChildProcess.run(["ledger", "check", "--postgres-url", cluster.url])
        #expect(check.status == 0 && check.output.hasPrefix("ok: "), "\(check.output)\(check.error)")
    }
}

/// `serve --store postgres` processes on one database, on ports no other test uses.
struct ClusterNodes {
    let url: String
    let ports: [Int]
    let leaseSeconds: Int

    init(url: String, nodes: Int = 2, leaseSeconds: Int = 1) {
        self.url = url
        var ports: [Int] = []
        while ports.count < nodes {
            let port = freeLocalPort()
            if !ports.contains(port) { ports.append(port) }
        }
        self.ports = ports
        self.leaseSeconds = leaseSeconds
    }

    /// On a new database of the test server.
    static func create(name: String, nodes: Int = 2, leaseSeconds: Int = 1) async throws -> ClusterNodes {
        let admin = ProcessInfo.processInfo.environment["POLYCLEAR_TEST_POSTGRES_URL"]!
        let url = try await PostgresAdmin.createDatabase(
            "polyclear_\(name)_\(getpid())_\(Int.random(in: 0..<1_000_000))", adminURL: admin)
        return ClusterNodes(url: url, nodes: nodes, leaseSeconds: leaseSeconds)
    }

    func start(
        _ index: Int, sampleUnion: Bool = false, environment: [String: String] = [:]
    ) async throws -> ChildProcess {
        let node = try ChildProcess(
            [
                "serve", "--store", "postgres", "--postgres-url", url, "--port", "\(ports[index])",
                "--lease-seconds", "\(leaseSeconds)",
                "--api-key", "operator:ops:\(ClusterTests.operatorSecret)",
                "--api-key", "participant:BKAABR22:\(ClusterTests.bankSecret)",
            ] + (sampleUnion ? ["--sample-union"] : []), environment: environment)
        #expect(
            await node.waitUntil(seconds: 30) { $0.standardOutput.contains("serving http://") }, "\(node.standardError)"
        )
        if sampleUnion {
            #expect(
                await node.waitUntil(seconds: 30) { $0.standardOutput.contains("sample union ready") },
                "\(node.standardError)")
        }
        return node
    }

    /// The node's role ("writer", "follower", ...) and the writer it knows of.
    static func status(port: Int) async -> (role: String, writer: String?)? {
        guard
            let (code, body) = try? await ClusterTests.call(
                "GET", port: port, path: "/v1/node", secret: ClusterTests.operatorSecret),
            code == 200, let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let role = object["role"] as? String
        else { return nil }
        return (role, object["writer"] as? String)
    }

    static func waitForRole(port: Int, _ role: String, writerPort: Int? = nil, seconds: Double = 20) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let status = await status(port: port), status.role == role,
                writerPort.map({ status.writer == "127.0.0.1:\($0)" }) ?? true
            {
                return true
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func waitForRole(_ index: Int, _ role: String, writer: Int? = nil, seconds: Double = 20) async -> Bool {
        await Self.waitForRole(port: ports[index], role, writerPort: writer.map { ports[$0] }, seconds: seconds)
    }
}
