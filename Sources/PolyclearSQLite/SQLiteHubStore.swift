public import PolyclearCore
public import PolyclearStorage
import Foundation
import GRDB

/// The hub's embedded store: the hub's log, events and idempotency records plus the ledger's
/// redo row, in one SQLite file and one fsynced transaction per commit; the ledger's tables
/// are a projection of the redo rows, written off the commit path (`SQLiteProjector`).
///
/// The log holds one row per commit: the JSON of the entries applied (commands with their
/// times). On start the log is replayed into a new hub and the result must equal the stored
/// ledger exactly; anything else is refused as an invariant violation.
public final class SQLiteHubStore: HubStore {
    public let ledgerStore: SQLiteLedgerStore
    public let configuration: HubConfiguration
    /// The hub's snapshots (nil: opened to read only, and there is no usable snapshot file).
    let snapshotFile: SQLiteSnapshotFile?
    /// Where a restore reports what it passed over (snapshots refused); standard error unless
    /// the process routes it to its log.
    let warn: @Sendable (String) -> Void

    public init(
        path: String, configuration: HubConfiguration,
        projectionLagCommitsMax: Int = StoreLimits.default.sqliteProjectionLagCommitsMax,
        warn: @escaping @Sendable (String) -> Void = SQLiteHubStore.warnOnStandardError
    ) throws(StoreError) {
        ledgerStore = try SQLiteLedgerStore(path: path, projectionLagCommitsMax: projectionLagCommitsMax)
        do {
            // After the ledger store: its writer lock refuses a second writer before this.
            try Self.dropSnapshotsInMainFile(ledgerStore.pool)
            snapshotFile = try SQLiteSnapshotFile.open(ofDatabase: path)
        } catch {
            throw StoreError(.ioFailure, "cannot open the snapshots of \(path): \(SQLiteLedgerStore.describe(error))")
        }
        var configuration = configuration
        configuration.paymentArchiveAvailable = true  // `hub_payment_archive`
        self.configuration = configuration
        self.warn = warn
    }

    public static let warnOnStandardError: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }

    /// An existing hub database opened to read only (`polyclear stats`): beside a running hub,
    /// it replays the last committed log and writes nothing.
    public init(readingOnly path: String, configuration: HubConfiguration) throws(StoreError) {
        ledgerStore = try SQLiteLedgerStore(readingOnly: path)
        snapshotFile = SQLiteSnapshotFile.openReadingOnly(ofDatabase: path)
        var configuration = configuration
        configuration.paymentArchiveAvailable = true
        self.configuration = configuration
        warn = Self.warnOnStandardError
    }

    public func commit(_ outcome: HubOutcome) async throws { try await commit(outcome, idempotency: []) }

    public func commit(_ outcome: HubOutcome, idempotency records: [IdempotencyRecord]) async throws {
        let log = try HubLogCodec.encode(outcome.log)
        let events = try HubLogCodec.encode(outcome.events)
        let erased = outcome.events.isEmpty ? [:] : HubLogRedaction.erased(in: outcome.events)
        let redo = try await ledgerStore.prepareRedo(outcome.ledger)
        // Snapshots hold the personal data a retention run erases: they go first (a crash
        // before the commit loses only them).
        if !erased.isEmpty { try await snapshotFile?.dropForErasure() }
        let logSequence = try await ledgerStore.pool.write { db in
            // The ledger's part of the commit is its redo row; its tables follow (projection).
            try SQLiteLedgerStore.insertRedo(sequence: redo.sequence, redo.bytes, db)
            // A retention run: the erased payments' logged instructions lose their personal data
            // in the same transaction (secure_delete zeroes the replaced pages).
            if !erased.isEmpty { try Self.redactLog(erased, db) }
            try db.execute(sql: "INSERT INTO hub_log (entries) VALUES (?)", arguments: [log])
            let logSequence = db.lastInsertedRowID
            if !outcome.events.isEmpty {
                try db.execute(sql: "INSERT INTO hub_events (events) VALUES (?)", arguments: [events])
            }
            if !outcome.archived.isEmpty { try Self.insertArchived(outcome.archived, db) }
            if !outcome.archivedAudit.isEmpty { try Self.insertArchived(audit: outcome.archivedAudit, db) }
            if !outcome.archivedCycles.isEmpty { try Self.insertArchived(cycles: outcome.archivedCycles, db) }
            for record in records {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO hub_idempotency (caller, key, digest, created_at, results)
                        VALUES (?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        record.caller, record.key, Data(record.digest), Int64(bitPattern: record.createdAt),
                        record.results,
                    ])
            }
            return logSequence
        }
        ledgerStore.committedRedo(redo.sequence, outcome.ledger)
        if !erased.isEmpty { snapshotFile?.erasureCommitted(atSequence: UInt64(logSequence)) }
        // The WAL still holds the replaced rows until a checkpoint copies the new ones back.
        if !erased.isEmpty {
            try await ledgerStore.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
    }

    static func redactLog(_ erased: [UInt128: Redaction], _ db: Database) throws {
        var rewritten: [(Int64, Data)] = []
        let rows = try Row.fetchCursor(db, sql: "SELECT sequence, entries FROM hub_log ORDER BY sequence")
        while let row = try rows.next() {
            let blob: Data = row[1]
            if let redacted = try HubLogRedaction.rewrite(blob: blob, erased: erased) {
                rewritten.append((row[0], redacted))
            }
        }
        // Freed pages (the old blobs' overflow pages) are zeroed, not left in the file.
        try db.execute(sql: "PRAGMA secure_delete = ON")
        defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
        for (sequence, blob) in rewritten {
            try db.execute(sql: "UPDATE hub_log SET entries = ? WHERE sequence = ?", arguments: [blob, sequence])
        }
    }

    /// From the newest valid snapshot and the log after it (`restore(snapshots:)`).
    public func restore() async throws -> HubStateMachine {
        let (hub, report) = try await restore(snapshots: .newestValid)
        if !report.refused.isEmpty { warn(report.summary) }
        return hub
    }

    /// Starts from the newest snapshot that passes every check (each refused one is passed
    /// over and reported) or from the first log row, replays the log after it, and checks the
    /// result against the stored ledger: all of it after a full replay, its accounts, pending
    /// transfers and newest transfer after a snapshot.
    public func restore(snapshots use: SnapshotUse) async throws -> (hub: HubStateMachine, report: RestoreReport) {
        var refused: [(sequence: UInt64, reason: String)] = []
        var start: (hub: HubStateMachine, sequence: UInt64)?
        if case .newestValid = use {
            for sequence in try await snapshotSequences() {
                do {
                    start = (try await loadSnapshot(at: sequence), sequence)
                    break
                } catch let error as StoreError where error.code == .snapshotRefused {
                    refused.append((sequence, error.description))
                }
            }
        }
        var hub = start?.hub ?? HubStateMachine(configuration: configuration)
        var replayed = 0
        let after = Int64(start?.sequence ?? 0)
        do {
            (hub, replayed) = try await ledgerStore.pool.read { [hub] db in
                var hub = hub
                var replayed = 0
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT entries FROM hub_log WHERE sequence > ? ORDER BY sequence",
                    arguments: [after])
                while let row = try rows.next() {
                    let data: Data = row[0]
                    hub.replay(try HubLogCodec.decodeEntries(data))
                    // Stored already: the replay's outcome (every command, event and ledger
                    // change) is dropped row by row, not held for the whole history.
                    hub.outcomeCommitted()
                    replayed += 1
                }
                return (hub, replayed)
            }
        } catch is HubLogCodecError {
            throw StoreError(.corruptDatabase, "the hub log in \(ledgerStore.path) cannot be read")
        }
        let report = RestoreReport(snapshotSequence: start?.sequence, replayedRows: replayed, refused: refused)
        // A new hub's genesis (the union's own accounts) is not stored yet: keep it in the
        // outcome so that the first commit stores it. After a replay everything is stored.
        if start == nil && replayed == 0 { return (hub, report) }
        hub.outcomeCommitted()
        if start == nil {
            try hub.verifyReplay(against: try await ledgerStore.restore(), in: ledgerStore.path)
        } else {
            try hub.verifySnapshotRestore(against: try await ledgerStore.summary(), in: ledgerStore.path)
        }
        return (hub, report)
    }

    public func events(limit: Int) async throws -> [HubEvent] {
        return try await ledgerStore.pool.read { db in
            var found: [HubEvent] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT events FROM hub_events ORDER BY sequence")
            while found.count < limit, let row = try rows.next() {
                let data: Data = row[0]
                found.append(contentsOf: try HubLogCodec.decodeEvents(data).prefix(limit - found.count))
            }
            return found
        }
    }

    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        try await ledgerStore.transfers(accountID: accountID, timestamps: timestamps, limit: limit)
    }

    public func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord? {
        try await ledgerStore.pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT digest, created_at, results, status, headers, body FROM hub_idempotency
                        WHERE caller = ? AND key = ?
                        """, arguments: [caller, key])
            else { return nil }
            let digest: Data = row[0], createdAt: Int64 = row[1], results: Data = row[2]
            let status: Int? = row[3]
            return IdempotencyRecord(
                caller: caller, key: key, digest: Array(digest), createdAt: UInt64(bitPattern: createdAt),
                results: results,
                answer: status.map {
                    IdempotencyAnswer(status: $0, headersData: row[4] ?? Data(), body: row[5] ?? Data())
                })
        }
    }

    public func storeIdempotencyAnswer(
        caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64
    ) async throws {
        try await ledgerStore.pool.write { db in
            try db.execute(
                sql: "UPDATE hub_idempotency SET status = ?, headers = ?, body = ? WHERE caller = ? AND key = ?",
                arguments: [answer.status, answer.headersData, answer.body, caller, key])
            try db.execute(
                sql: "DELETE FROM hub_idempotency WHERE created_at < ?",
                arguments: [Int64(bitPattern: min(expiringBefore, UInt64(Int64.max)))])
        }
    }

    public func performMaintenance() async throws { try await ledgerStore.performMaintenance() }

    public func close() throws {
        // The ledger store holds the writer lock: it closes even when the snapshot file's close throws.
        let snapshotFileClosed = Result { try snapshotFile?.close() }
        try ledgerStore.close()
        try snapshotFileClosed.get()
    }
}
