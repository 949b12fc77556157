import ArgumentParser
import PolyclearCore
import PolyclearSQLite
import PolyclearStorage

/// `polyclear backup --db FILE --out FILE`: a consistent online copy of a hub database, taken
/// beside a serving hub, then checked the way `ledger check` checks (SQLite's integrity check,
/// every ledger invariant, the hub log replaying to exactly the stored ledger).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Take a consistent online backup of a hub database (SQLite) and verify it.")

    @Option(help: "The hub database file (it may be serving).") var db: String
    @Option(help: "The backup file to write (must not exist).") var out: String

    func run() async throws {
        do {
            let bytes = try SQLiteBackup.backup(database: db, to: out)
            let summary = try await BackupVerification.verify(out)
            printFlushed("ok: backup \(out) (\(bytes) bytes): \(summary)")
        } catch let error as StoreError {
            exitWithError(error.code.name, error.description)
        }
    }
}

/// `polyclear restore --from BACKUP --db FILE`: puts a verified backup in place of a hub
/// database (a new one, or an existing one with `--replace`); refused while a hub serves it.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a hub database (SQLite) from a backup, after verifying the backup.")

    @Option(help: "The backup file.") var from: String
    @Option(help: "The hub database file to write.") var db: String
    @Flag(help: "Replace the database if it exists (the hub must be stopped).") var replace = false

    func run() async throws {
        do {
            // Verified first: a damaged or foreign backup never replaces anything.
            let summary = try await BackupVerification.verify(from)
            try SQLiteBackup.restore(backup: from, to: db, replace: replace)
            printFlushed("ok: restored \(db) from \(from): \(summary)")
        } catch let error as StoreError {
            exitWithError(error.code.name, error.description)
        }
    }
}

enum BackupVerification {
    /// SQLite's integrity check, the ledger's invariants, and the hub log's replay against
    /// the stored ledger; a one-line summary.
    static func verify(_ path: String) async throws -> String {
        guard FileManagerProbe.fileExists(path) else { throw StoreError(.notFound, "no such file: \(path)") }
        let ledgerStore = try SQLiteLedgerStore(readingOnly: path)
        let problems = try await ledgerStore.integrityCheck()
        try ledgerStore.close()
        guard problems == ["ok"] else {
            throw StoreError(
                .corruptDatabase, "SQLite integrity check failed: \(problems.prefix(3).joined(separator: "; "))")
        }
        let store = try SQLiteHubStore(
            readingOnly: path, configuration: HubConfiguration(currencies: try CurrencyTable()))
        defer { try? store.close() }
        // The whole log, replayed; refuses a log that differs from the ledger.
        let hub = try await store.restore(snapshots: .none).hub
        // The archive holds exactly the payments the replayed hub archived.
        let archived = try await store.archivedPaymentCount()
        guard archived == hub.paymentCount - hub.residentPaymentCount else {
            throw StoreError(
                .invariantViolated,
                "the payment archive holds \(archived) payments; the log archives \(hub.paymentCount - hub.residentPaymentCount)"
            )
        }
        let archivedAudit = try await store.archivedAuditRecordCount()
        guard archivedAudit == hub.archivedAuditRecordCount else {
            throw StoreError(
                .invariantViolated,
                "the audit archive holds \(archivedAudit) records; the log archives \(hub.archivedAuditRecordCount)")
        }
        let archivedCycles = try await store.archivedCycleCount()
        guard archivedCycles == hub.archivedCycleCount else {
            throw StoreError(
                .invariantViolated,
                "the cycle archive holds \(archivedCycles) cycles; the log archives \(hub.archivedCycleCount)")
        }
        // And the snapshot a restart would start from: with the log after it, the same hub.
        let (fromSnapshot, report) = try await store.restore(snapshots: .newestValid)
        if report.snapshotSequence != nil, try fromSnapshot.snapshotState() != hub.snapshotState() {
            throw StoreError(
                .invariantViolated,
                "the snapshot at log row \(report.snapshotSequence!) and the log after it "
                    + "do not give the hub the whole log gives")
        }
        let snapshots =
            report.snapshotSequence.map { "; the snapshot at log row \($0) agrees with it" } ?? ""
        let refused = report.refused.map {
            "; snapshot at log row \($0.sequence) unusable [snapshot_refused]: \($0.reason)"
        }
        return "\(hub.paymentCount) payments (\(archived) archived), \(hub.closedCycleCount) closed cycles; "
            + "the hub log replays to the stored ledger"
            + snapshots + refused.joined()
    }
}
