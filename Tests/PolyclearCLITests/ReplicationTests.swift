import Foundation
import PolyclearPostgres
import PolyclearTestSupport
import Testing

/// A primary with a synchronous hot standby (`scripts/postgres-cluster.sh start-replicated`,
/// `synchronous_commit = remote_apply`): what the hub acknowledges is on both servers, and
/// survives losing the primary.
@Suite(.serialized) struct ReplicationTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/postgres-cluster.sh").path

    /// The same database on another server of the pair.
    static func url(_ serverURL: String, database: String) -> String {
        var components = URLComponents(string: serverURL)!
        components.path = "/" + database
        return components.string!
    }

    /// Runs the cluster script to completion (without holding a thread: `Script`).
    static func runScript(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await Script.run(script, arguments)
    }

    /// On the pair `.ci/run` starts (`POLYCLEAR_TEST_POSTGRES_URL` and
    /// `POLYCLEAR_TEST_POSTGRES_STANDBY_URL`): the primary really waits for the standby, and the
    /// moment a payment is acknowledged the standby holds it (same log, same ledger).
    @Test(.enabled(if: ExternalTool.postgresStandby.runs, "\(ExternalTool.postgresStandby.skipReason)"))
    func anAcknowledgedPaymentIsOnTheStandbyTheMomentItIsAcknowledged() async throws {
        let primary = try #require(
            ExternalTool.postgres.location, "CI must start a primary and a standby (POLYCLEAR_TEST_POSTGRES_URL)")
        let standby = try #require(
            ExternalTool.postgresStandby.location,
            "CI must start a primary and a standby (POLYCLEAR_TEST_POSTGRES_STANDBY_URL)")
        #expect(
            try await PostgresAdmin.count("SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'", url: primary)
                == 1)
        #expect(
            try await PostgresAdmin.count(
                "SELECT 1 WHERE current_setting('synchronous_commit') = 'remote_apply'", url: primary) == 1)
        #expect(try await PostgresAdmin.count("SELECT 1 WHERE pg_is_in_recovery()", url: standby) == 1)

        let name = "polyclear_replica_\(getpid())_\(Int.random(in: 0..<1_000_000))"
        let database = try await PostgresAdmin.createDatabase(name, adminURL: primary)
        let cluster = ClusterNodes(url: database)
        let node = try await cluster.start(0, sampleUnion: true)
        defer { node.kill() }
        for sequence in 0..<5 {
            let id = UUID().uuidString.lowercased()
            let (code, body) = try await ClusterTests.call(
                "POST", port: cluster.ports[0], path: "/v1/payments", secret: ClusterTests.bankSecret,
                body: ClusterTests.payment(id, sequence: sequence))
            #expect(code == 201, "\(body)")
            // No waiting: remote_apply means the standby applied the commit before the ack.
            let onStandby = try await PostgresAdmin.count(
                "SELECT 1 FROM hub_log", url: Self.url(standby, database: name))
            let onPrimary = try await PostgresAdmin.count("SELECT 1 FROM hub_log", url: database)
            #expect(onStandby == onPrimary && onPrimary == sequence + 2)
        }
        node.kill(signal: SIGTERM)
        #expect(await node.waitForExit() == 0, "\(node.standardError.suffix(3000))")
        let checkPrimary = try await ChildProcess.run(["ledger", "check", "--postgres-url", database])
        let checkStandby = try await ChildProcess.run([
            "ledger", "check", "--postgres-url", Self.url(standby, database: name),
        ])
        #expect(checkPrimary.status == 0 && checkPrimary.output.hasPrefix("ok: "), "\(checkPrimary.error)")
        #expect(checkStandby.output == checkPrimary.output, "\(checkStandby.output)\(checkStandby.error)")
    }

    /// A pair of its own, and a node given both servers (`host1:port1,host2:port2`): payments
    /// under load, the primary crashes (immediate stop), the standby is promoted — the same
    /// node, not restarted or repointed, finds the new primary and accepts payments again, and
    /// every payment acknowledged before or after is there.
    @Test(.enabled(if: ExternalTool.postgresPrograms.runs, "\(ExternalTool.postgresPrograms.skipReason)"))
    func promotingTheStandbyAfterThePrimaryDiesLosesNoAcknowledgedPayment() async throws {
        let directory = TemporaryDirectory()
        let pair = directory.path("pair")
        let ports = freeLocalPorts(2)
        let (primaryPort, standbyPort) = (ports[0], ports[1])
        let started = try await Self.runScript(["start-replicated", pair, "\(primaryPort)", "\(standbyPort)"])
        defer { Script.runBlocking(Self.script, ["stop", pair, "immediate"]) }
        try #require(started.status == 0, "\(started.output)")
        let urls = started.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("postgres://") }
        try #require(urls.count == 2)

        let name = "polyclear_promote"
        _ = try await PostgresAdmin.createDatabase(name, adminURL: urls[0])
        let both = "postgres://polyclear@127.0.0.1:\(primaryPort),127.0.0.1:\(standbyPort)/\(name)"
        let cluster = ClusterNodes(url: both)
        let node = try await cluster.start(0, sampleUnion: true)
        defer { node.kill() }
        let outcomes = ClusterTests.Outcomes()
        let clients = Task { await ClusterTests.load(port: cluster.ports[0], clients: 4, outcomes: outcomes) }
        try await Task.sleep(for: .seconds(1.5))
        // A crash: no shutdown checkpoint.
        let stopped = try await Self.runScript(["stop", pair + "/primary", "immediate"])
        #expect(stopped.status == 0, "\(stopped.output)")
        let crashedAt = ContinuousClock.now
        try await Task.sleep(for: .seconds(1))
        let promoted = try await Self.runScript(["promote", pair])
        #expect(promoted.status == 0, "\(promoted.output)")
        let promotedAt = ContinuousClock.now
        var recovered: ContinuousClock.Instant?
        while recovered == nil && ContinuousClock.now - promotedAt < .seconds(60) {
            recovered = outcomes.acknowledged.withLock { $0.values.filter { $0 > promotedAt }.min() }
            if recovered == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        try await Task.sleep(for: .seconds(1))
        outcomes.stop.store(true, ordering: .relaxed)
        await clients.value
        #expect(
            recovered != nil,
            "the node never accepted a payment on the promoted standby: \(node.standardError.suffix(2_000))")

        let acknowledged = outcomes.acknowledged.withLock { $0 }
        let beforeCrash = acknowledged.values.filter { $0 < crashedAt }.count
        #expect(beforeCrash > 0)
        let stored = try await ClusterTests.storedPaymentIDs(port: cluster.ports[0])
        #expect(Set(stored).count == stored.count)
        let missing = Set(acknowledged.keys).subtracting(stored)
        #expect(
            missing.isEmpty, "acknowledged but not on the promoted standby: \(missing.count) of \(acknowledged.count)")
        let afterCrash = node.standardError.split(separator: "\n").filter {
            $0.contains("cluster node") || $0.contains("commit ")
        }.suffix(8).joined(separator: " | ")
        print("promotion: node's log \(afterCrash)")
        print(
            "promotion: \(beforeCrash) payments acknowledged before the primary crashed, \(acknowledged.count) in all, every one on the promoted "
                + "standby (\(stored.count) stored); the same node accepted payments again \(recovered.map { $0 - promotedAt }.map { "\($0)" } ?? "never") "
                + "after the promotion; others by status \(outcomes.others.withLock { $0 })")
        node.kill(signal: SIGTERM)
        #expect(await node.waitForExit() == 0, "\(node.standardError.suffix(2_000))")
        let check = try await ChildProcess.run(["ledger", "check", "--postgres-url", Self.url(urls[1], database: name)])
        #expect(check.status == 0 && check.output.hasPrefix("ok: "), "\(check.output)\(check.error)")
    }
}
