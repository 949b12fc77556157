import Foundation
import Logging
import PolyclearCore
@testable import PolyclearPostgres
import PolyclearStorage
import PostgresNIO
import Testing

/// The writer lease of a cluster of nodes, in one process on a fresh database.
@Suite(.enabled(if: PostgresTestServer.isConfigured)) struct PostgresLeaseTests {
    static func waitFor(_ what: String, seconds: Double = 20, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw Timeout(what: what) }
            try await Task.sleep(for: .milliseconds(20))
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
    @Test(.timeLimit(.minutes(2))) func aCommitLongerThanTheLeaseDoesNotCostTheWriterItsRole() async throws {
        let url = try await PostgresTestServer.newDatabase()
        var logger = Logger(label: "polyclear.test")
        logger.logLevel = .critical
        let nodes = try (0..<2).map { _ in
            try PostgresClusterNode(url: url, configuration: HubStoreTests.configuration, leaseSeconds: 1, pollMilliseconds: 20, logger: logger)
        }
        let batches = try HubStoreTests.batches(try HubStoreTests.union())
        try await withThrowingTaskGroup(of: Void.self) { group in
            defer { for node in nodes { node.shutdown() } }
            nodes[0].serving(host: "127.0.0.1", port: 1)
            group.addTask { try await nodes[0].run() }
            try await Self.waitFor("the first node to write") { nodes[0].nodeStatus.role == "writer" }
            nodes[1].serving(host: "127.0.0.1", port: 2)
            group.addTask { try await nodes[1].run() }
            try await Self.waitFor("the second node to follow") { nodes[1].nodeStatus.role == "follower" }
            _ = try await nodes[0].submit(batches[0])

            // Hold the next commit up for three lease lengths: its log row cannot be written.
            // A plain connection: the store's end a session idle in a transaction after 5 s.
            let blocker = try await PostgresConnection.connect(configuration: PostgresURL.configuration(url)!, id: 99, logger: logger)
            try await blocker.query("BEGIN", logger: logger)
            try await blocker.query("LOCK TABLE hub_log IN EXCLUSIVE MODE", logger: logger)
            let slow = Task { try await nodes[0].submit(batches[1]) }
            try await Task.sleep(for: .seconds(3))
            try await blocker.query("COMMIT", logger: logger)
            try await blocker.close()
            let results = try await slow.value
            #expect(results.count == batches[1].count)
            // Long enough for a follower that had taken the lease to show it.
            try await Task.sleep(for: .seconds(1.5))
            #expect(nodes[0].nodeStatus.role == "writer", "\(nodes[0].nodeStatus)")
            #expect(nodes[1].nodeStatus.role == "follower", "\(nodes[1].nodeStatus)")
            try await Self.waitFor("the follower to replay the slow commit") { nodes[1].nodeStatus.appliedSequence == 2 }
            for node in nodes { node.shutdown() }
            try await group.waitForAll()
        }
    }
}
