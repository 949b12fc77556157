import Foundation
import PolyclearCore
import PolyclearWorkload
@testable import PolyclearPostgres
import PolyclearStorage
import PolyclearTestSupport
import PostgresNIO
import Testing

/// The log is the commit on PostgreSQL: a commit inserts one redo row beside its log row; the
/// tables are written later by the projector. A store whose tables trail its log — as a killed
/// writer leaves it — reads back exactly (redo rows laid over the tables, in one snapshot), and
/// the next writer projects what is left.
extension PostgresLedgerStore: ProjectingLedgerStore {}

@Suite(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)"))
struct PostgresProjectionTests {
    /// Runs SQL of the test's own on a connection of its own (every statement under a deadline).
    @discardableResult static func withConnection<T: Sendable>(
        _ url: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = PostgresDatabase.quietLogger()
        let connection = try await PostgresDatabase.connect(
            PostgresURL.configuration(url)!, id: 9, deadlineSeconds: 5, logger: logger)
        return try await PostgresDeadline.withDeadline(
            seconds: 60, onTimeout: { Task { try? await connection.close() } }
        ) {
            try await connection.closing { connection in try await body(connection) }
        }
    }

    static func rowCount(_ url: String, table: String) async throws -> Int {
        try await withConnection(url) { connection in
            var count = -1
            for try await value in try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table)"), logger: PostgresDatabase.quietLogger()
            ).decode(Int.self) { count = value }
            return count
        }
    }

    static func redoRowCount(_ url: String) async throws -> Int { try await rowCount(url, table: "ledger_redo") }

    @Test(arguments: [UInt64(1), 2])
    func tablesThatTrailTheLogReadBackExactlyAndTheNextWriterProjectsThem(seed: UInt64) async throws {
        let url = try await PostgresTestServer.newDatabase()
        let store = try PostgresLedgerStore(url: url, limits: .storeSuites.with { $0.projectionLagCommitsMax = 1_000 })
        defer { store.close() }
        _ = try await store.restore()
        let reference = InMemoryLedgerStore()
        // Half the history in the tables, half held back in the redo log: the second half
        // updates accounts and resolves pending transfers the tables hold.
        var live = LedgerStateMachine()
        try await SQLiteProjectionTests.drive(store, reference, seed: seed, batches: 12, continuing: &live)
        try await store.waitForProjection()
        #expect(try await Self.redoRowCount(url) == 0)
        store.holdProjection(true)
        try await SQLiteProjectionTests.drive(
            store, reference, seed: seed + 100, batches: 12, continuing: &live, firstBatch: 12)
        // 12: the store writes no redo row for the first, empty, outcome of a `drive`.
        #expect(try await store.unprojectedCommitCount() == 12, "the projection was meant to be held back")

        // The next writer reads the log laid over the tables, then projects the rest.
        let next = try PostgresLedgerStore(url: url, limits: .storeSuites)
        defer { next.close() }
        #expect(try await next.restore().makeSnapshot() == live.makeSnapshot())
        try await next.waitForProjection()
        #expect(try await Self.redoRowCount(url) == 0)
        try await SQLiteProjectionTests.expectQueriesMatch(next, reference, seed: seed)
        // The old writer's projector, let go, finds its rows projected already: it applies
        // nothing twice.
        store.holdProjection(false)
        try await store.waitForProjection()
        #expect(
            try await PostgresLedgerStore(url: url, limits: .storeSuites).restore().makeSnapshot()
                == live.makeSnapshot())
    }

    /// A read waits for the projection of every commit this store made before it.
    @Test func aReadWaitsForTheProjectionOfEarlierCommits() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let store = try PostgresLedgerStore(url: url, limits: .storeSuites.with { $0.projectionLagCommitsMax = 100 })
        defer { store.close() }
        _ = try await store.restore()
        var ledger = try await SQLiteProjectionTests.drive(store, InMemoryLedgerStore(), seed: 7, batches: 3)
        try await store.waitForProjection()
        store.holdProjection(true)
        var results = ContiguousArray<EventResult>()
        try ledger.apply(
            [
                .createTransfer(
                    Transfer(id: 777_777, debitAccountID: 1, creditAccountID: 2, amount: 5, ledger: 1, code: 1))
            ],
            now: ledger.lastTimestamp + 1_000, results: &results)
        #expect(results.allSatisfy { $0.isOK })
        try await store.commit(ledger.sealOutcome())
        let answered = Flag()
        let read = Task {
            defer { answered.set() }
            return try await store.transfer(id: 777_777)
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!answered.isSet, "the read answered before its commit was projected")
        store.holdProjection(false)
        #expect(try await read.value?.transfer.amount == 5)
    }

    /// A projection step that needs longer than its deadline is retried with more time until it
    /// finishes. (It was retried with the same deadline until the retry budget ran out, and the
    /// projection failed the store: in a loaded CI run, steps of 10 s never finished.) Here
    /// every step needs longer than its first deadline, a tenth of a millisecond. The retry
    /// budget is the usual one: it is for lost connections, and a step that ran out of time is
    /// not counted against it (a budget of 1 s failed this test in a loaded CI run, when the
    /// server ended a commit's session for idling in its transaction while the suite starved
    /// the process, and the commit had no time left to retry).
    @Test func aStepSlowerThanItsDeadlineIsRetriedWithMoreTimeAndCatchesUp() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let limits = StoreLimits.storeSuites.with {
            $0.projectionLagCommitsMax = 100
            $0.projectionStepDeadlineSeconds = 0.000_1
            $0.projectionStepDeadlineMaxSeconds = 120
        }
        let store = try PostgresLedgerStore(url: url, limits: limits)
        defer { store.close() }
        _ = try await store.restore()
        let reference = InMemoryLedgerStore()
        let ledger = try await SQLiteProjectionTests.drive(store, reference, seed: 11, batches: 12)
        try await store.waitForProjection()
        #expect(store.projector.stepsPastDeadline > 0, "no step ran out of time: the test tests nothing")
        #expect(try await Self.redoRowCount(url) == 0)
        try await SQLiteProjectionTests.expectQueriesMatch(store, reference, seed: 11)
        #expect(
            try await PostgresLedgerStore(url: url, limits: .storeSuites).restore().makeSnapshot()
                == ledger.makeSnapshot())
    }

    /// A commit waits while the tables trail by the lag bound; the projection lets it go on.
    @Test func aCommitWaitsWhileTheProjectionTrailsByTheBound() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let store = try PostgresLedgerStore(url: url, limits: .storeSuites.with { $0.projectionLagCommitsMax = 2 })
        defer { store.close() }
        _ = try await store.restore()
        // Two held batches: the store writes no redo row for a `drive`'s first, empty, outcome.
        let ledger = try await SQLiteProjectionTests.expectACommitToWaitForRoom(store, heldBatches: 2)
        #expect(
            try await PostgresLedgerStore(url: url, limits: .storeSuites).restore().makeSnapshot()
                == ledger.makeSnapshot())
    }

    /// A database from before the redo log, checked without being migrated (beside a running
    /// older version), reads from its tables alone; a writer then migrates and carries on.
    @Test func aDatabaseFromBeforeTheRedoLogIsCheckedAsItIs() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let configuration = HubStoreTests.configuration
        let store = try PostgresHubStore(url: url, configuration: configuration, limits: .storeSuites)
        var hub = try await store.restore()
        var results = ContiguousArray<HubResult>()
        let batches = try HubStoreTests.batches(try HubStoreTests.union())
        for (index, batch) in batches.prefix(3).enumerated() {
            try hub.apply(batch, now: UInt64(index + 1) * 1_000_000_000, results: &results)
            try await store.commit(hub.sealOutcome())
            hub.outcomeCommitted()
        }
        try await store.waitForProjection()
        store.close()
        try await Self.withConnection(url) { connection in
            let logger = PostgresDatabase.quietLogger()
            try await connection.query("DROP TABLE ledger_redo", logger: logger)
            try await connection.query("DELETE FROM ledger_meta WHERE key = 'projected_sequence'", logger: logger)
            try await connection.query(
                "DELETE FROM polyclear_migrations WHERE name = 'v7-ledger-redo'", logger: logger)
        }
        let (ledger, _, logRows, unprojected) = try await PostgresHubStore(
            url: url, configuration: configuration, limits: .storeSuites
        )
        .check()
        #expect(logRows == 3 && unprojected == 0)
        #expect(ledger.makeSnapshot() == hub.ledgerState.makeSnapshot())
        let next = try PostgresHubStore(url: url, configuration: configuration, limits: .storeSuites)
        defer { next.close() }
        var continued = try await next.restore()
        try continued.apply(batches[3], now: 4_000_000_000, results: &results)
        try await next.commit(continued.sealOutcome())
        continued.outcomeCommitted()
        try await next.waitForProjection()
        let (after, _, _, _) = try await PostgresHubStore(url: url, configuration: configuration, limits: .storeSuites)
            .check()
        #expect(after.makeSnapshot() == continued.ledgerState.makeSnapshot())
    }

    /// A damaged redo row is never skipped: the restore refuses the database.
    @Test func aDamagedRedoRowIsCorruptDatabase() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let store = try PostgresLedgerStore(url: url, limits: .storeSuites)
        defer { store.close() }
        _ = try await store.restore()
        store.holdProjection(true)
        _ = try await SQLiteProjectionTests.drive(store, InMemoryLedgerStore(), seed: 9, batches: 3)
        try await Self.withConnection(url) { connection in
            try await connection.query(
                "UPDATE ledger_redo SET outcome = substring(outcome from 1 for 40) WHERE sequence = 2",
                logger: PostgresDatabase.quietLogger())
        }
        do {
            _ = try await PostgresLedgerStore(url: url, limits: .storeSuites).restore()
            Issue.record("a damaged redo row was read")
        } catch let error as StoreError {
            #expect(error.code == .corruptDatabase, "\(error)")
        }
    }

    /// A hub whose writer died with commits unprojected: `check` (read only, beside a running
    /// cluster) and the next writer's restore see exactly the committed hub; the next writer
    /// projects the rest.
    @Test func aHubWriterThatDiesBeforeItsProjectionLosesNothing() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let configuration = HubStoreTests.configuration
        let store = try PostgresHubStore(url: url, configuration: configuration, limits: .storeSuites)
        defer { store.close() }
        var hub = try await store.restore()
        var results = ContiguousArray<HubResult>()
        for (index, batch) in try HubStoreTests.batches(try HubStoreTests.union()).enumerated() {
            if index == 4 {
                try await store.waitForProjection()
                store.holdProjection(true)
            }
            try hub.apply(batch, now: UInt64(index + 1) * 1_000_000_000, results: &results)
            try await store.commit(hub.sealOutcome())
            hub.outcomeCommitted()
        }
        #expect(try await store.unprojectedCommitCount() == 5)
        let (ledger, checked, logRows, unprojected) = try await PostgresHubStore(
            url: url, configuration: configuration, limits: .storeSuites
        )
        .check()
        #expect(unprojected == 5)
        #expect(logRows == 9)
        #expect(ledger.makeSnapshot() == hub.ledgerState.makeSnapshot())
        #expect(checked.allPaymentStates == hub.allPaymentStates)
        // A store that is not the writer (a cluster node's statement reads) lays the redo rows
        // over the tables; after the takeover the tables alone give the same answers.
        let reader = try PostgresHubStore(url: url, configuration: configuration, limits: .storeSuites)
        defer { reader.close() }
        var seen: [[StoredTransfer]] = []
        for account in UInt128(1)...200 {
            seen.append(try await reader.transfers(accountID: account, timestamps: 0..<UInt64.max, limit: 10_000))
        }
        // Each transfer is seen from both its accounts; the tables alone hold fewer.
        let seenCount = Set(seen.joined().map(\.transfer.id)).count
        let inTables = try await Self.rowCount(url, table: "transfers")
        #expect(seenCount == hub.ledgerState.transferCount && inTables < seenCount)
        let next = try PostgresHubStore(url: url, configuration: configuration, limits: .storeSuites)
        defer { next.close() }
        let restored = try await next.restore()
        #expect(restored.ledgerState.makeSnapshot() == hub.ledgerState.makeSnapshot())
        try await next.waitForProjection()
        #expect(try await next.unprojectedCommitCount() == 0)
        for account in UInt128(1)...200 {
            let projected = try await next.transfers(accountID: account, timestamps: 0..<UInt64.max, limit: 10_000)
            #expect(projected == seen[Int(account - 1)], "account \(account)")
        }
    }
}

/// What the projector takes for a slow step (retried at once with a longer deadline, before
/// the retry budget counts) and what for a lost server (the budget counts). No server needed.
@Suite struct PostgresProjectorStepFailureTests {
    @Test func aSessionTheServerEndedIsASlowStepAndAFailedConnectionIsNot() {
        #expect(PostgresProjector.isSlowStep(DeadlineExceeded()))
        #expect(PostgresProjector.isSlowStep(ConnectionClosed()))
        #expect(!PostgresProjector.isSlowStep(PostgresErrors.NoPrimary(tried: 2)))
        #expect(!PostgresProjector.isSlowStep(CancellationError()))
    }
}
