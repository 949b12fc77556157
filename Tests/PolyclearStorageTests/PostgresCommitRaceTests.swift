import Foundation
import PolyclearCore
@testable import PolyclearPostgres
import PolyclearStorage
import PostgresNIO
import PolyclearTestSupport
import Testing

/// A commit attempt the store abandoned (its deadline passed while the server was still
/// committing — waiting for the disk or a synchronous standby) lands after the store's
/// read-back found nothing, and the retry meets its own rows. The retry must recognise them:
/// the commit is a success, stored once — not reported as a failure although it is stored.
@Suite(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)")) struct PostgresCommitRaceTests {
    @Test func aRetryThatMeetsItsOwnLateCommitIsASuccess() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let store = try PostgresHubStore(url: url, configuration: HubStoreTests.configuration)
        defer { store.close() }
        var hub = try await store.restore()
        let batches = try HubStoreTests.batches(try HubStoreTests.union())
        var results = ContiguousArray<HubResult>()
        // The first batch commits normally; the second is the one that races.
        try hub.apply(batches[0], now: 1_000_000_000, results: &results)
        try await store.commit(hub.sealOutcome())
        hub.outcomeCommitted()
        try hub.apply(batches[1], now: 2_000_000_000, results: &results)
        let outcome = hub.sealOutcome()

        // "The abandoned attempt": the same transaction the store would run, on a connection of
        // its own, holding the fence row and committing only after 400 ms.
        let sequence = store.nextSequence.withLock { $0 }
        let redo = try await store.prepareRedo(outcome.ledger)
        let log = try HubLogCodec.encode(outcome.log)
        let events = try HubLogCodec.encode(outcome.events)
        #expect(try HubLogCodec.encode(outcome.log) == log, "the log encoding is not deterministic")
        let logger = PostgresDatabase.quietLogger()
        let configuration = PostgresURL.configuration(url)!
        let (holding, signal) = AsyncStream.makeStream(of: Void.self)
        let late = Task {
            defer { signal.finish() }  // a failure before the signal must not leave the test waiting
            let connection = try await PostgresDatabase.connect(
                configuration, id: 7, deadlineSeconds: 5, logger: logger)
            // Every statement under a deadline (STYLE): on a loaded machine the server may end
            // this connection while it waits, and postgres-nio was seen never to answer then.
            try await PostgresDeadline.withDeadline(
                seconds: 60, onTimeout: { Task { try? await connection.close() } }
            ) {
                try await connection.closing { connection in
                    try await connection.withTransaction(logger: logger) { connection in
                        try await connection.query(
                            "SELECT epoch FROM writer_fence WHERE id = 1 FOR UPDATE", logger: logger)
                        try await PostgresLedgerTables.insertRedo(
                            sequence: redo.sequence, redo.bytes, connection, logger: logger)
                        try await connection.query(
                            "INSERT INTO hub_log (sequence, entries) VALUES (\(sequence), \(ByteBuffer(bytes: log)))",
                            logger: logger)
                        try await connection.query(
                            "INSERT INTO hub_events (sequence, events) VALUES (\(sequence), \(ByteBuffer(bytes: events)))",
                            logger: logger)
                        signal.yield()  // it holds the fence row and its rows are written, not committed
                        try await connection.query("SELECT pg_sleep(0.4)", logger: logger)
                    }
                }
            }
        }
        var signals = holding.makeAsyncIterator()
        _ = await signals.next()
        try await store.commit(outcome)  // its rows wait for the late commit's, then meet them
        try await late.value
        #expect(store.nextSequence.withLock { $0 } == sequence + 1)
        hub.outcomeCommitted()

        // Stored once: a restore replays two log rows to exactly the live hub.
        let verifier = try PostgresHubStore(url: url, configuration: HubStoreTests.configuration)
        defer { verifier.close() }
        let (ledger, restored, logRows, _) = try await verifier.check()
        #expect(logRows == 2)
        #expect(ledger.makeSnapshot() == hub.ledgerState.makeSnapshot() && restored.paymentCount == hub.paymentCount)
    }
}
