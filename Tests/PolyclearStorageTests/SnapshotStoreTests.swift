import Crypto
import Foundation
import GRDB
import PolyclearCore
import PolyclearPostgres
@testable import PolyclearSQLite
@testable import PolyclearStorage
import PolyclearTestSupport
import Synchronization
import Testing

/// Hub snapshots beside the log: the writer takes them as it goes, a restore starts from the
/// newest one that passes every check and replays the log after it, and the hub it gives is
/// the one a full replay gives — byte for byte. Damaged and foreign snapshots are passed over,
/// loudly, down to the whole log.
@Suite struct SnapshotStoreTests {
    typealias H = HubStoreTests

    /// Writes the sample batches through a writer that snapshots every `every` commands.
    static func writeWithSnapshots(
        _ store: SQLiteHubStore, every: Int, keep: Int = 2, warnings: WarningLog = WarningLog(),
        clockOffsetSeconds: UInt64 = 0
    ) async throws -> [[HubResult]] {
        let snapshotter = HubSnapshotter(
            store: store, policy: SnapshotPolicy(everyCommands: every, keep: keep, atShutdown: false),
            warn: { warnings.add($0) })
        let clock = ManualClock()
        clock.advance(seconds: clockOffsetSeconds)
        let writer = Writer(store: store, clock: { clock.now() }, followUp: snapshotter.followUp)
        return try await writer.whileRunning {
            var replies: [[HubResult]] = []
            for batch in try H.batches(try H.union()) {
                clock.advance(seconds: 1)
                replies.append(try await writer.submit(batch))
            }
            return replies
        }
    }

    final class WarningLog: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func aRestoreFromTheNewestSnapshotIsTheHubAFullReplayGives() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        let warnings = WarningLog()
        let store = try SQLiteHubStore(path: path, configuration: H.configuration)
        _ = try await Self.writeWithSnapshots(store, every: 300, keep: 2, warnings: warnings)
        #expect(warnings.all.isEmpty, "\(warnings.all)")
        let sequences = try await store.snapshotSequences()
        let lastRow = try await store.lastLogRow()
        #expect(sequences.count == 2, "kept: \(sequences)")
        try store.close()

        let reopened = try SQLiteHubStore(path: path, configuration: H.configuration)
        defer { try? reopened.close() }
        let (fromSnapshot, report) = try await reopened.restore(snapshots: .newestValid)
        let (replayed, full) = try await reopened.restore(snapshots: .none)
        #expect(report.snapshotSequence == sequences.first && report.refused.isEmpty)
        #expect(UInt64(report.replayedRows) + sequences[0] == lastRow?.sequence)
        #expect(full.snapshotSequence == nil && UInt64(full.replayedRows) == lastRow?.sequence)
        #expect(try fromSnapshot.snapshotState() == replayed.snapshotState())
        #expect(fromSnapshot.paymentCount == 8 * 150 && fromSnapshot.cycles.count == 8)
    }

    /// Damage to the newest snapshot (one byte) sends the restore to the older one; damage
    /// to both, to the whole log. Each refusal is reported with its reason; the hub is the same.
    @Test func aDamagedSnapshotIsPassedOverLoudly() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        let store = try SQLiteHubStore(path: path, configuration: H.configuration)
        _ = try await Self.writeWithSnapshots(store, every: 300)
        let sequences = try await store.snapshotSequences()
        let expected = try await store.restore(snapshots: .none).hub.snapshotState()
        try store.close()

        for (damagedCount, startsFrom) in [(1, sequences[1] as UInt64?), (2, nil)] {
            try Self.damage(path: path, sequence: sequences[damagedCount - 1])
            let warnings = WarningLog()
            let reopened = try SQLiteHubStore(path: path, configuration: H.configuration, warn: { warnings.add($0) })
            let (hub, report) = try await reopened.restore(snapshots: .newestValid)
            #expect(report.snapshotSequence == startsFrom)
            #expect(report.refused.map(\.sequence) == Array(sequences.prefix(damagedCount)))
            #expect(report.refused.allSatisfy { $0.reason.contains("checksum") }, "\(report.refused)")
            #expect(try hub.snapshotState() == expected)
            _ = try await reopened.restore()  // the plain restore says what it passed over
            #expect(warnings.all.count == 1 && warnings.all[0].contains("[snapshot_refused]"), "\(warnings.all)")
            try reopened.close()
        }
    }

    /// Flips one byte in the middle of a stored snapshot (in the database's snapshot file).
    static func damage(path: String, sequence: UInt64) throws {
        let queue = try DatabaseQueue(path: SQLiteSnapshotFile.path(ofDatabase: path))
        try queue.write { db in
            let data = try Data.fetchOne(
                db, sql: "SELECT data FROM hub_snapshot_parts WHERE sequence = ? AND part = 0",
                arguments: [Int64(sequence)])!
            var bytes = [UInt8](data)
            bytes[bytes.count / 2] ^= 0x5A
            try db.execute(
                sql: "UPDATE hub_snapshot_parts SET data = ? WHERE sequence = ? AND part = 0",
                arguments: [Data(bytes), Int64(sequence)])
        }
    }

    /// A snapshot from another database (another history at the same log row) is not this
    /// hub's: refused, and the log replayed.
    /// The frame written around the state in one buffer is byte for byte the documented
    /// layout (header, then the state `snapshotState()` gives), whatever the reservation —
    /// too small (the buffer grows) or ample — and it reads back.
    @Test func theFrameIsTheDocumentedLayoutWhateverTheReservation() async throws {
        var hub = HubStateMachine(configuration: H.configuration)
        var results = ContiguousArray<HubResult>()
        var now: UInt64 = 1_000_000_000_000
        for batch in try H.batches(try H.union()) {
            now += 1_000_000_000
            try hub.apply(batch, now: now, results: &results)
            _ = hub.sealOutcome()
            hub.outcomeCommitted()
        }
        let digest = [UInt8](repeating: 7, count: 32)
        let state = try hub.snapshotState()
        var expected = HubSnapshot.magic
        for word in [HubSnapshot.frameVersion, HubStateMachine.snapshotFormatVersion] {
            withUnsafeBytes(of: word.littleEndian) { expected += $0 }
        }
        expected.append(1)
        withUnsafeBytes(of: UInt64(41).littleEndian) { expected += $0 }
        expected += digest
        withUnsafeBytes(of: UInt64(state.count).littleEndian) { expected += $0 }
        expected += Array(SHA256.hash(data: state))
        expected += state
        for reserving in [0, 100, state.count / 2, state.count + 200, 1 << 22] {
            let snapshot = try HubSnapshot(of: hub, sequence: 41, logRowDigest: digest, reserving: reserving)
            #expect(snapshot.framed == expected, "reserving \(reserving)")
            #expect(try HubSnapshot(framed: snapshot.framed).sequence == 41)
        }
    }

    @Test func aForeignSnapshotIsRefused() async throws {
        let directory = TemporaryDirectory()
        let (ours, theirs) = (directory.path("ours.sqlite"), directory.path("theirs.sqlite"))
        let store = try SQLiteHubStore(path: ours, configuration: H.configuration)
        _ = try await H.write(try H.batches(try H.union()), to: store, clock: ManualClock())
        let expected = try await store.restore(snapshots: .none).hub.snapshotState()
        try store.close()
        let other = try SQLiteHubStore(path: theirs, configuration: H.configuration)
        _ = try await Self.writeWithSnapshots(other, every: 300, keep: 1, clockOffsetSeconds: 5)
        let sequence = try await other.snapshotSequences()[0]
        try other.close()
        // The other database's snapshot, copied in as if it were ours.
        let queue = try DatabaseQueue(path: SQLiteSnapshotFile.path(ofDatabase: ours))
        try await queue.write { db in
            try db.execute(
                sql: "ATTACH DATABASE ? AS theirs", arguments: [SQLiteSnapshotFile.path(ofDatabase: theirs)])
            try db.execute(sql: "INSERT INTO hub_snapshot_parts SELECT * FROM theirs.hub_snapshot_parts")
            try db.execute(sql: "INSERT INTO hub_snapshots SELECT * FROM theirs.hub_snapshots")
        }
        try queue.close()
        let reopened = try SQLiteHubStore(path: ours, configuration: H.configuration)
        defer { try? reopened.close() }
        let (hub, report) = try await reopened.restore(snapshots: .newestValid)
        #expect(report.snapshotSequence == nil && report.refused.map(\.sequence) == [sequence])
        #expect(report.refused.first?.reason.contains("log row this log does not hold") == true)
        #expect(try hub.snapshotState() == expected)
    }
}

/// The same on PostgreSQL (`POLYCLEAR_TEST_POSTGRES_URL`): snapshots are taken on a connection
/// of their own beside the writer's, a restore and a cluster follower's cold load start from
/// the newest, and a damaged one is passed over.
@Suite(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)"))
struct PostgresSnapshotTests {
    typealias H = HubStoreTests

    @Test func aRestoreFromTheNewestSnapshotIsTheHubAFullReplayGives() async throws {
        let url = try await PostgresTestServer.newDatabase()
        let store = try PostgresHubStore(url: url, configuration: H.configuration)
        let warnings = SnapshotStoreTests.WarningLog()
        let snapshotter = HubSnapshotter(
            store: store, policy: SnapshotPolicy(everyCommands: 300, keep: 2, atShutdown: true),
            warn: { warnings.add($0) })
        let clock = ManualClock()
        let writer = Writer(store: store, clock: { clock.now() }, followUp: snapshotter.followUp)
        try await writer.whileRunning {
            for batch in try H.batches(try H.union()) {
                clock.advance(seconds: 1)
                _ = try await writer.submit(batch)
            }
        }
        let sequences = try await store.snapshotSequences()
        let last = try await store.lastLogRow()
        store.close()
        #expect(warnings.all.isEmpty, "\(warnings.all)")
        // The shutdown snapshot follows the last commit: nothing is left to replay after it.
        #expect(sequences.count == 2 && sequences.first == last?.sequence, "\(sequences)")

        let reopened = try PostgresHubStore(url: url, configuration: H.configuration)
        defer { reopened.close() }
        let (fromSnapshot, report) = try await reopened.restore(snapshots: .newestValid)
        let (replayed, full) = try await reopened.restore(snapshots: .none)
        #expect(report.snapshotSequence == sequences.first && report.replayedRows == 0 && report.refused.isEmpty)
        #expect(full.snapshotSequence == nil && UInt64(full.replayedRows) == last?.sequence)
        #expect(try fromSnapshot.snapshotState() == replayed.snapshotState())

        // One byte changed in the newest: the older one and the log after it, the same hub.
        try await PostgresAdmin.execute(
            "UPDATE hub_snapshot_parts SET data = set_byte(data, 199, get_byte(data, 199) # 90) "
                + "WHERE sequence = \(sequences[0]) AND part = 0", url: url)
        let (afterDamage, damagedReport) = try await reopened.restore(snapshots: .newestValid)
        #expect(damagedReport.snapshotSequence == sequences[1])
        #expect(damagedReport.refused.map(\.sequence) == [sequences[0]])
        #expect(try afterDamage.snapshotState() == replayed.snapshotState())
    }
}
