import Foundation
import Logging
import PolyclearCore
@testable import PolyclearCluster
@testable import PolyclearPostgres
import PolyclearStorage
import PostgresNIO
import Synchronization
import PolyclearTestSupport
import Testing

/// The writer lease of a cluster of nodes, in one process on a fresh database.
@Suite(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)")) struct PostgresLeaseTests {
    static func waitFor(_ what: String, seconds: Double = 20, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw Timeout(what: what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Runs `body` while another session holds the hub log table locked (commits cannot write
    /// their log row until it returns), then releases it — also when `body` throws.
    static func holdingTheLog<T>(url: String, _ body: () async throws -> T) async throws -> T {
        let logger = PostgresDatabase.quietLogger()
        // Connected with a deadline; its transaction has no idle limit (only the stores'
        // commits and projection steps set one), so it holds its lock for as long as it takes.
        return try await PostgresDatabase.connect(
            PostgresURL.configuration(url)!, id: 99, deadlineSeconds: 10, logger: logger
        )
        .closing { blocker in
            try await blocker.query("BEGIN", logger: logger)
            try await blocker.query("LOCK TABLE hub_log IN EXCLUSIVE MODE", logger: logger)
            let value = try await body()
            try await blocker.query("COMMIT", logger: logger)
            return value
        }
    }

    struct Timeout: Error, CustomStringConvertible {
        let what: String
        var description: String { "timed out waiting for \(what)" }
    }

    /// A commit that takes longer than the lease (held up here by a lock on the log table, as
    /// a slow disk or a loaded server would) must not cost a healthy writer its role: lease
    /// renewals do not wait for commits. (They did, when each commit locked the lease's row
    /// from its start: under load in CI the follower took over mid-batch.)
    @Test(.timeLimit(.minutes(5))) func aCommitLongerThanTheLeaseDoesNotCostTheWriterItsRole() async throws {
        let testStarted = ContinuousClock.now
        let url = try await PostgresTestServer.newDatabase()
        let databaseReady = ContinuousClock.now - testStarted
        // The nodes' own account (warnings: a restore or lease attempt that failed and why),
        // for the failure message.
        let nodeLog = CapturedLog()
        var logger = Logger(label: "polyclear.test") { _ in nodeLog }
        logger.logLevel = .info
        // Six seconds: one-, two- and four-second leases were lost to the machine alone when
        // the whole suite ran on two busy cores beside other PostgreSQL servers (a renewal is a
        // commit, and its fsync waited), which is not what this test is about. The commit is
        // held for two leases: longer than the lease, shorter than the commit deadline.
        let leaseSeconds = 6.0
        let nodes = try (0..<2).map { _ in
            try PostgresClusterNode(
                url: url, configuration: HubStoreTests.configuration,
                limits: StoreLimits(commitDeadlineSeconds: 30, leaseSeconds: leaseSeconds, leasePollMilliseconds: 20),
                logger: logger)
        }
        let batches = try HubStoreTests.batches(try HubStoreTests.union())
        try await withThrowingTaskGroup(of: Void.self) { group in
            defer { for node in nodes { node.shutdown() } }
            nodes[0].serving(host: "127.0.0.1", port: 1)
            group.addTask { try await nodes[0].run() }
            // Starting took 28 s once, and more than 60 s once, when the whole suite loaded both
            // cores at its start (the test had then spent 80 s before it began to wait): what
            // this test is about comes after, so starting may take its time.
            let started = Date()
            do {
                try await Self.waitFor("the first node to write", seconds: 150) { nodes[0].progress.role == .writer }
            } catch {
                let waited = Date().timeIntervalSince(started), log = nodeLog.lines.suffix(30)
                Issue.record(
                    "database ready after \(databaseReady); waited \(waited) s: \(nodes[0].progress); the log: \(log)")
                throw error
            }
            nodes[1].serving(host: "127.0.0.1", port: 2)
            group.addTask { try await nodes[1].run() }
            do {
                try await Self.slowCommitKeepsTheRole(nodes, batches, leaseSeconds: leaseSeconds, url: url)
            } catch {
                // What the nodes logged (a failed renewal, a commit attempt given up) says why.
                Issue.record("\(nodes.map(\.progress)); the log: \(nodeLog.lines.suffix(30))")
                throw error
            }
            for node in nodes { node.shutdown() }
            try await group.waitForAll()
        }
    }

    static func slowCommitKeepsTheRole(
        _ nodes: [PostgresClusterNode], _ batches: [[HubCommand]], leaseSeconds: Double, url: String
    ) async throws {
        try await Self.waitFor("the second node to follow", seconds: 150) { nodes[1].progress.role == .follower }
        _ = try await nodes[0].submit(batches[0])

        // Hold the next commit up for two lease lengths: its log row cannot be written.
        let slow = try await Self.holdingTheLog(url: url) {
            let slow = Task { try await nodes[0].submit(batches[1]) }
            try await Task.sleep(for: .seconds(2 * leaseSeconds))
            return slow
        }
        let results = try await slow.value
        #expect(results.count == batches[1].count)
        // Long enough for a follower that had taken the lease to show it.
        try await Task.sleep(for: .seconds(1.5 * leaseSeconds))
        #expect(nodes[0].progress.role == .writer, "\(nodes[0].progress)")
        #expect(nodes[1].progress.role == .follower, "\(nodes[1].progress)")
        try await Self.waitFor("the follower to replay the slow commit") {
            nodes[1].progress.appliedSequence == 2
        }
    }

    /// A commit attempt stuck on its connection (here: waiting for a lock; after a primary's
    /// crash: a connection that never answers) is given up at once when the cluster node asks
    /// (`abandonCommitAttempt`, on a failed lease renewal) instead of at its deadline; the
    /// retry commits, once.
    @Test(.timeLimit(.minutes(5))) func aStuckCommitAttemptIsAbandonedOnRequestAndRetried() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let warnings = CapturedLog()
        let store = try PostgresHubStore(
            url: url, configuration: HubStoreTests.configuration, limits: StoreLimits(commitDeadlineSeconds: 300),
            operations: Logger(label: "polyclear.test") { _ in warnings })
        defer { store.close() }
        var hub = try await store.restore()
        let batches = try HubStoreTests.batches(try HubStoreTests.union())
        var results = ContiguousArray<HubResult>()
        try hub.apply(batches[0], now: 1_000_000_000, results: &results)
        let outcome = hub.sealOutcome()

        let started = ContinuousClock.now
        let commit = try await Self.holdingTheLog(url: url) {
            let commit = Task { try await store.commit(outcome) }
            try await Task.sleep(for: .milliseconds(500))
            store.abandonCommitAttempt()
            try await Self.waitFor("the first attempt to be given up", seconds: 10) {
                warnings.lines.contains { $0.contains("attempt 1: DeadlineExceeded") }
            }
            return commit
        }
        do { try await commit.value } catch {
            // Seen once in a loaded full run (a retry met a duplicate account and found no log
            // row): the store's warnings say what each attempt met.
            Issue.record("the commit failed: \(error); the store's warnings: \(warnings.lines)")
            return
        }
        // Far below the 300 s deadline even when the whole suite shares two cores with it (a
        // full run has taken this test 70 s of wall time, most of it waiting for a thread).
        #expect(ContinuousClock.now - started < .seconds(150), "the commit waited for its deadline")
        hub.outcomeCommitted()
        let (_, _, logRows, _) = try await store.check()
        #expect(logRows == 1, "stored once")
    }
}

/// Log lines kept in memory, for tests that look for a warning.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let stored = Mutex<[String]>([])
    var lines: [String] { stored.withLock { $0 } }
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        stored.withLock { $0.append("\(event.level) \(event.message)") }
    }
}
