import Foundation
import PolyclearCore
import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// Backups of a hub that is writing, by real processes: `polyclear backup` beside a running
/// `hub load` takes whole batches only (every batch acknowledged before it started, none in
/// part), passes `ledger check`, and `polyclear restore` puts it where a hub carries on.
/// Damaged and foreign backups, existing targets and a database in use are refused with their
/// codes, and nothing is replaced.
@Suite(.serialized) struct BackupTests {
    static let batchSize = 300

    static func load(_ db: String, _ extra: [String]) -> [String] {
        ["hub", "load", "--db", db, "--batch-size", "\(batchSize)", "--close-every", "2"] + extra
            + HubCrashTests.dataArguments
    }

    static func batches(in db: String) async throws -> (acknowledged: Set<Int>, whole: Bool) {
        let store = try SQLiteHubStore(
            readingOnly: db, configuration: HubConfiguration(currencies: try CurrencyTable()))
        defer { try? store.close() }
        let states = try await store.restore().allPaymentStates
        var counts: [Int: Int] = [:]
        for state in states { counts[Int(state.id / 1_000_000), default: 0] += 1 }
        return (Set(counts.keys), counts.values.allSatisfy { $0 == batchSize })
    }

    @Test func anOnlineBackupIsConsistentChecksAndRestoresToAHubThatCarriesOn() async throws {
        let directory = TemporaryDirectory()
        let db = directory.path("hub.sqlite"), copy = directory.path("copy.sqlite")
        let restored = directory.path("restored.sqlite")
        let writer = try ChildProcess(Self.load(db, []))
        #expect(await writer.waitUntil(seconds: 120) { $0.lines.filter { $0.hasPrefix("ack ") }.count >= 3 })
        let acknowledgedBefore = Set(writer.lines.compactMap { $0.hasPrefix("ack ") ? Int($0.dropFirst(4)) : nil })

        let backup = try await ChildProcess.run(["backup", "--db", db, "--out", copy])
        #expect(backup.status == 0, "\(backup.error)")
        #expect(backup.output.hasPrefix("ok: backup"), "\(backup.output)")
        // Written while the hub kept writing: the hub was not held up.
        #expect(await writer.waitUntil(seconds: 60) { $0.lines.count > acknowledgedBefore.count + 3 })
        // The live database cannot be replaced under the running hub.
        let underTheHub = try await ChildProcess.run(["restore", "--from", copy, "--db", db, "--replace"])
        #expect(underTheHub.status != 0 && underTheHub.error.contains("[database_in_use]"), "\(underTheHub.error)")
        writer.kill()
        _ = await writer.waitForExit()

        let (present, whole) = try await Self.batches(in: copy)
        #expect(whole, "a batch is in the backup in part")
        #expect(acknowledgedBefore.isSubset(of: present), "an acknowledged batch is missing from the backup")
        let check = try await ChildProcess.run(["ledger", "check", "--db", copy])
        #expect(check.status == 0 && check.output.hasPrefix("ok:"), "\(check.output) \(check.error)")

        let restore = try await ChildProcess.run(["restore", "--from", copy, "--db", restored])
        #expect(restore.status == 0, "\(restore.error)")
        let again = try await ChildProcess.run(["restore", "--from", copy, "--db", restored])
        #expect(again.status != 0 && again.error.contains("[destination_exists]"), "\(again.error)")
        // A hub started on the restored file carries on from the backup's last batch.
        let next = (present.max() ?? 0) + 1
        let carryOn = try await ChildProcess.run(Self.load(restored, ["--first-batch", "\(next)", "--batches", "2"]))
        #expect(carryOn.status == 0, "\(carryOn.error)")
        #expect(carryOn.output.split(separator: "\n").filter { $0.hasPrefix("ack ") }.count == 2)
        let after = try await Self.batches(in: restored)
        #expect(after.whole && after.acknowledged == present.union([next, next + 1]))
    }

    @Test func badBackupsAndTargetsAreRefusedAndNothingIsReplaced() async throws {
        let directory = TemporaryDirectory()
        let db = directory.path("hub.sqlite"), copy = directory.path("copy.sqlite")
        let load = try await ChildProcess.run(Self.load(db, ["--batches", "2"]))
        #expect(load.status == 0, "\(load.error)")
        #expect(try await ChildProcess.run(["backup", "--db", db, "--out", copy]).status == 0)
        let original = try Data(contentsOf: URL(fileURLWithPath: db))

        // Damaged backups: the schema page overwritten (after the file header), and the third
        // quarter of the file (table, index and overflow pages whatever the layout: the
        // integrity check or the log's replay finds it; two pages alone may be a snapshot's,
        // which a restore passes over, loudly).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
        let damaged = directory.path("damaged.sqlite"), damagedInside = directory.path("damaged-inside.sqlite")
        var schemaGone = bytes, insideGone = bytes
        schemaGone.replaceSubrange(100..<4_096, with: Data(repeating: 0xA5, count: 3_996))
        let quarter = bytes.count / 2..<bytes.count * 3 / 4
        insideGone.replaceSubrange(quarter, with: Data(repeating: 0xA5, count: quarter.count))
        try schemaGone.write(to: URL(fileURLWithPath: damaged))
        try insideGone.write(to: URL(fileURLWithPath: damagedInside))
        let inside = try await ChildProcess.run(["restore", "--from", damagedInside, "--db", db, "--replace"])
        #expect(
            inside.status != 0
                && (inside.error.contains("[corrupt_database]") || inside.error.contains("[invariant_violated]")),
            "\(inside.error)")
        let foreign = directory.path("foreign.txt")
        try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: foreign))

        for (arguments, code) in [
            (["restore", "--from", damaged, "--db", db, "--replace"], "corrupt_database"),
            (["restore", "--from", foreign, "--db", db, "--replace"], "not_a_polyclear_database"),
            (["restore", "--from", directory.path("missing"), "--db", db, "--replace"], "not_found"),
            (["restore", "--from", copy, "--db", db], "destination_exists"),
            (["backup", "--db", db, "--out", copy], "destination_exists"),
            (["backup", "--db", db, "--out", db], "destination_exists"),
            (["backup", "--db", foreign, "--out", directory.path("x")], "not_a_polyclear_database"),
            (["backup", "--db", directory.path("missing"), "--out", directory.path("y")], "not_found"),
        ] {
            let run = try await ChildProcess.run(arguments)
            #expect(run.status != 0 && run.error.contains("[\(code)]"), "\(arguments): \(run.error)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == original, "a refused restore changed the database")
        #expect(!FileManager.default.fileExists(atPath: directory.path("x")))
        #expect(!FileManager.default.fileExists(atPath: db + ".partial"))
        // With --replace the backup takes the stopped hub's place; the old WAL goes with it.
        let replaced = try await ChildProcess.run(["restore", "--from", copy, "--db", db, "--replace"])
        #expect(replaced.status == 0, "\(replaced.error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == (try Data(contentsOf: URL(fileURLWithPath: copy))))
        #expect(
            !["-wal", "-wal.replaced", "-shm.replaced"].contains { FileManager.default.fileExists(atPath: db + $0) })
        let check = try await ChildProcess.run(["ledger", "check", "--db", db])
        #expect(check.status == 0, "\(check.error)")
    }
}
