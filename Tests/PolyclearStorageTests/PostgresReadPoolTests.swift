import Foundation
@testable import PolyclearPostgres
import PostgresNIO
import Synchronization
import PolyclearTestSupport
import Testing

/// The read pool on a real server: never more than its size open or busy at once, idle
/// connections reused, a failed connection attempt does not use up a place.
@Suite(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)")) struct PostgresReadPoolTests {
    final class Gauge: Sendable {
        let current = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        func enter() {
            let now = current.add(1, ordering: .relaxed).newValue
            var seen = peak.load(ordering: .relaxed)
            while now > seen {
                let (exchanged, original) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
                if exchanged { break }
                seen = original
            }
        }
        func leave() { current.subtract(1, ordering: .relaxed) }
    }

    @Test func readsShareAtMostSizeConnections() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let database = String(url.split(separator: "/").last!)
        let configuration = PostgresURL.configuration(url)!
        let opened = Atomic<Int>(0)
        let pool = PostgresReadPool(size: 3) { id in
            opened.add(1, ordering: .relaxed)
            return try await PostgresDatabase.connect(
                configuration, id: id, deadlineSeconds: 5, logger: PostgresDatabase.quietLogger())
        }
        let gauge = Gauge()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await pool.withConnection { connection in
                        gauge.enter()
                        defer { gauge.leave() }
                        try await connection.query("SELECT pg_sleep(0.05)", logger: PostgresDatabase.quietLogger())
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(gauge.peak.load(ordering: .relaxed) == 3)  // saturated, never beyond
        #expect(ContinuousClock.now - started >= .milliseconds(200))  // 12 sleeps of 50 ms, 3 at a time
        #expect(opened.load(ordering: .relaxed) == 3)  // reused, not reopened
        let open = try await PostgresAdmin.count(
            "SELECT 1 FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()",
            url: PostgresTestServer.url!)
        #expect(open == 3)
        pool.close()
    }

    @Test func aFailedConnectionAttemptFreesItsPlace() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let configuration = PostgresURL.configuration(url)!
        let attempts = Atomic<Int>(0)
        let pool = PostgresReadPool(size: 1) { id in
            // the first attempt fails
            if attempts.add(1, ordering: .relaxed).newValue == 1 { throw PostgresAdminError.badURL }
            return try await PostgresDatabase.connect(
                configuration, id: id, deadlineSeconds: 5, logger: PostgresDatabase.quietLogger())
        }
        await #expect(throws: PostgresAdminError.self) { try await pool.withConnection { _ in 0 } }
        let value = try await pool.withConnection { connection in
            var one = 0
            for try await value in try await connection.query("SELECT 1", logger: PostgresDatabase.quietLogger())
                .decode(Int.self)
            { one = value }
            return one
        }
        #expect(value == 1)
        pool.close()
    }

    /// A read that never ends (as a query on a connection the server killed may not, in
    /// postgres-nio) is abandoned at its deadline: the caller gets an error, the connection
    /// leaves the pool, and the pool's only place is free for the next read.
    @Test(.timeLimit(.minutes(5))) func aStuckReadIsAbandonedAtItsDeadlineAndFreesItsPlace() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let configuration = PostgresURL.configuration(url)!
        let pool = PostgresReadPool(size: 1) { id in
            try await PostgresDatabase.connect(
                configuration, id: id, deadlineSeconds: 5, logger: PostgresDatabase.quietLogger())
        }
        let stuck = Mutex<CheckedContinuation<Void, Never>?>(nil)
        await #expect(throws: DeadlineExceeded.self) {
            try await pool.withConnection(deadlineSeconds: 0.2) { _ in
                // Ignores cancellation: only the deadline can end the caller's wait.
                await withCheckedContinuation { continuation in stuck.withLock { $0 = continuation } }
                return 0
            }
        }
        let value = try await pool.withConnection(deadlineSeconds: 5) { connection in
            var value = 0
            for try await number in try await connection.query("SELECT 7", logger: connection.logger).decode(Int.self) {
                value = number
            }
            return value
        }
        #expect(value == 7)
        stuck.withLock { $0 }?.resume()  // let the abandoned read end; the pool must not take it back
        try await Task.sleep(for: .milliseconds(50))
        let again = try await pool.withConnection(deadlineSeconds: 5) { _ in 1 }
        #expect(again == 1)
        pool.close()
    }

    /// A read waiting for a connection when the pool closes (its store is closing) is refused
    /// at once; before, it waited for ever, and so did whatever awaited it.
    @Test(.timeLimit(.minutes(5))) func aReadWaitingForAConnectionIsRefusedWhenThePoolCloses() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let configuration = PostgresURL.configuration(url)!
        let pool = PostgresReadPool(size: 1) { id in
            try await PostgresDatabase.connect(
                configuration, id: id, deadlineSeconds: 5, logger: PostgresDatabase.quietLogger())
        }
        let holding = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let holder = Task {
            try await pool.withConnection(deadlineSeconds: 60) { _ in
                await withCheckedContinuation { continuation in holding.withLock { $0 = continuation } }
                return 0
            }
        }
        while holding.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(5)) }
        let waiter = Task { try await pool.withConnection(deadlineSeconds: 60) { _ in 1 } }
        try await Task.sleep(for: .milliseconds(100))  // the waiter is now queued for the only place
        pool.close()
        await #expect(throws: PostgresReadPool.Closed.self) { _ = try await waiter.value }
        await #expect(throws: PostgresReadPool.Closed.self) { _ = try await pool.withConnection { _ in 2 } }
        holding.withLock { $0 }?.resume()
        #expect(try await holder.value == 0)
    }
}
