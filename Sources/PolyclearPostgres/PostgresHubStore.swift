public import PolyclearCore
public import PolyclearStorage
import Foundation
public import Logging
import PostgresNIO
import Synchronization

/// The hub's replicated store: the same contract as `SQLiteHubStore` — the ledger's tables,
/// the hub's command log and its audit events, one transaction per commit — on PostgreSQL.
///
/// - Connections, migrations, deadlines and the commit loop are `PostgresDatabase`'s; the
///   ledger's rows are `PostgresLedgerTables`'. This type adds the log and the writer role.
/// - Commit: the log row's sequence number is the commit's identity: after an error whose
///   outcome is unknown, the store reads that row back — the same bytes mean it committed, no
///   row means it did not and it is retried, other bytes mean another writer.
/// - The writer role: each restore takes the next fencing epoch (on the terms of its
///   `WriterRoleClaim`: in a cluster, only while the node's lease is held), and each commit
///   requires it, so a paused old writer cannot commit after a new one took over. The store
///   knows nothing else of the cluster (`PolyclearCluster` holds the lease and the replica).
/// - Restore: the log is replayed into a new hub and must give exactly the stored ledger.
public final class PostgresHubStore: HubStore {
    /// The hook a cluster uses: on what terms a restoring store takes the writer role (the
    /// fencing epoch). The check is in the same statement as the epoch's increment, so the
    /// lease cannot lapse between the check and the take.
    public enum WriterRoleClaim: Sendable, Equatable {
        /// A single writer (`serve` on one node, tools): takes the role at once.
        case unconditional
        /// A cluster node: takes it only while this node holds the lease (`writer_fence`).
        case whileLeaseHeld(by: String)
    }

    public let configuration: HubConfiguration
    let database: PostgresDatabase
    /// Where it stores (for administration and drills).
    public var url: String { database.url }
    var logger: Logger { database.logger }
    /// The fencing epoch this store took when it restored (0: it has not restored, and does
    /// not fence — tools).
    let fenceEpoch = Atomic<Int64>(0)
    /// The next hub_log sequence (known after `restore`).
    let nextSequence = Mutex<Int64>(1)
    /// On what terms `restore` takes the writer role.
    let writerRole: WriterRoleClaim
    /// The newest log row this store committed or restored through, and its stored bytes
    /// (what a snapshot taken now names): kept here, because a read might reach a standby not
    /// yet at it.
    let lastCommitted = Mutex<(sequence: Int64, entries: Data)?>(nil)
    /// A replica of the log up to a sequence, which `restore` continues from instead of
    /// replaying the log from the start (a follower taking over).
    let continuation = Mutex<(hub: HubStateMachine, lastSequence: Int64)?>(nil)
    /// Whether `restore()` starts from a snapshot (tools that check the whole log say no).
    let snapshotUse = Mutex(SnapshotUse.newestValid)
    let lastRestoreReport = Mutex<RestoreReport?>(nil)
    /// Writes the ledger's tables from the redo rows the commits leave.
    let projector: PostgresProjector
    /// How the last restore went (which snapshot, what it passed over).
    public var restoreReport: RestoreReport? { lastRestoreReport.withLock { $0 } }

    /// - Parameters:
    ///   - url: see `PostgresURL` (several hosts, TLS by `sslmode`).
    ///   - limits: deadlines, retry budget, read connections (`StoreLimits`).
    public init(
        url: String, configuration: HubConfiguration, limits: StoreLimits = .default,
        writerRole: WriterRoleClaim = .unconditional,
        operations: Logger? = nil
    ) throws(StoreError) {
        database = try PostgresDatabase(url: url, limits: limits, operations: operations)
        projector = PostgresProjector(database: database)
        var configuration = configuration
        configuration.paymentArchiveAvailable = true  // `hub_payment_archive`
        self.configuration = configuration
        self.writerRole = writerRole
    }

    deinit { close() }

    public func close() {
        projector.stop()
        database.close()
    }

    /// Applies the migrations not applied yet, in order, under an advisory lock — on the
    /// writer's connection, under the restore deadline (a connection ended under it must not
    /// leave a starting node waiting for ever), retried within the retry budget.
    public func migrate() async throws {
        let logger = self.logger
        try await database.restore { connection in try await PostgresSchema.migrate(connection, logger: logger) }
    }

    /// Gives up the commit attempt in progress now, as its deadline would (its connection is
    /// closed; the commit reads back and retries). For a caller that learned the server is
    /// gone — a hung connection to a crashed primary need not be waited out. The projection's
    /// step in progress is given up the same way.
    public func abandonCommitAttempt() {
        database.abandonCommitAttempt()
        projector.abandonStep()  // a commit may be waiting for room behind a hung projection step
    }

    /// Continue from `hub`, a replica of the log through `lastSequence`, at the next restore.
    public func continueFrom(_ hub: HubStateMachine, lastSequence: Int64) {
        continuation.withLock { $0 = (hub, lastSequence) }
    }

    // MARK: Commit

    public func commit(_ outcome: HubOutcome) async throws { try await commit(outcome, idempotency: []) }

    public func commit(_ outcome: HubOutcome, idempotency records: [IdempotencyRecord]) async throws {
        let log = try HubLogCodec.encode(outcome.log)
        let events = outcome.events.isEmpty ? nil : try HubLogCodec.encode(outcome.events)
        let erased = outcome.events.isEmpty ? [:] : HubLogRedaction.erased(in: outcome.events)
        let redo = try await prepareRedo(outcome.ledger)
        let archive = outcome.archived.isEmpty ? nil : Self.archiveQuery(outcome.archived)
        let auditArchive = outcome.archivedAudit.isEmpty ? nil : Self.archiveQuery(audit: outcome.archivedAudit)
        let cycleArchive = outcome.archivedCycles.isEmpty ? nil : Self.archiveQuery(cycles: outcome.archivedCycles)
        let sequence = nextSequence.withLock { $0 }
        let logger = self.logger
        try await database.commit(
            "commit \(sequence)",
            landed: {
                guard let stored = try await self.storedLog(sequence: sequence) else { return false }
                guard stored == log else {
                    throw StoreError(
                        .fenced, "hub_log \(sequence) holds another writer's commit: this one lost the role")
                }
                return true
            },
            attempt: { connection in
                // The ledger's part of the commit is its redo row; its tables follow (projection).
                try await PostgresLedgerTables.insertRedo(
                    sequence: redo.sequence, redo.bytes, connection, logger: logger)
                // A retention run: the erased payments' logged instructions lose their personal data.
                if !erased.isEmpty { try await Self.redactLog(erased, connection, logger: logger) }
                try await connection.query(
                    "INSERT INTO hub_log (sequence, entries) VALUES (\(sequence), \(ByteBuffer(bytes: log)))",
                    logger: logger)
                if let events {
                    try await connection.query(
                        "INSERT INTO hub_events (sequence, events) VALUES (\(sequence), \(ByteBuffer(bytes: events)))",
                        logger: logger)
                }
                for record in records { try await Self.insert(record, connection, logger: logger) }
                if let archive { try await connection.query(archive, logger: logger) }
                if let auditArchive { try await connection.query(auditArchive, logger: logger) }
                if let cycleArchive { try await connection.query(cycleArchive, logger: logger) }
                // Last, so that the fence row is locked only while the transaction commits: the
                // lease lives in the same row, and a renewal waiting behind a long commit (seconds,
                // under load) would let the lease run out under a healthy writer.
                try await self.checkFence(connection)
                // Snapshots hold the personal data a retention run erased: they go with it.
                if !erased.isEmpty { try await Self.dropSnapshots(connection, logger: logger) }
            })
        nextSequence.withLock { $0 = sequence + 1 }
        projector.didCommit(redo.sequence, outcome.ledger)
        // The bytes, not their digest: hashed only when a snapshot asks (not on every commit).
        lastCommitted.withLock { $0 = (sequence, log) }
    }

    static func redactLog(
        _ erased: [UInt128: Redaction], _ connection: PostgresConnection, logger: Logger
    ) async throws {
        var rewritten: [(Int64, Data)] = []
        for try await (sequence, entries) in try await connection.query(
            "SELECT sequence, entries FROM hub_log ORDER BY sequence", logger: logger
        ).decode((Int64, ByteBuffer).self) {
            if let redacted = try HubLogRedaction.rewrite(blob: Data(buffer: entries), erased: erased) {
                rewritten.append((sequence, redacted))
            }
        }
        for (sequence, blob) in rewritten {
            try await connection.query(
                "UPDATE hub_log SET entries = \(ByteBuffer(bytes: blob)) WHERE sequence = \(sequence)", logger: logger)
        }
    }

    /// Inside a commit's transaction, after its writes: lock the fence row (shared, until the
    /// commit ends) and require this store's epoch. A new writer's epoch bump then either came
    /// first (this commit is refused) or waits until this commit is durable, and its restore
    /// reads it.
    func checkFence(_ connection: PostgresConnection) async throws {
        let mine = fenceEpoch.load(ordering: .acquiring)
        guard mine != 0 else { return }
        var current: Int64 = -1
        for try await value in try await connection.query(
            "SELECT epoch FROM writer_fence WHERE id = 1 FOR SHARE", logger: logger
        ).decode(Int64.self) {
            current = value
        }
        guard current == mine else {
            throw StoreError(
                .fenced, "another writer took over (epoch \(current), this one \(mine)): this commit is refused")
        }
    }

    func storedLog(sequence: Int64) async throws -> Data? {
        let logger = self.logger
        // Part of a commit (its read-back): it gets the commit's deadline.
        return try await database.onReadConnection(deadlineSeconds: database.limits.commitDeadlineSeconds) {
            connection in
            let rows = try await connection.query(
                "SELECT entries FROM hub_log WHERE sequence = \(sequence)", logger: logger)
            for try await buffer in rows.decode(ByteBuffer.self) { return Data(buffer.readableBytesView) }
            return nil
        }
    }

    /// Every logged entry as stored now (tests look for what a retention run must have erased).
    public func logEntries() async throws -> [HubLogEntry] {
        let logger = self.logger
        return try await database.onReadConnection(deadlineSeconds: database.limits.commitDeadlineSeconds) {
            connection in
            var entries: [HubLogEntry] = []
            let rows = try await connection.query("SELECT entries FROM hub_log ORDER BY sequence", logger: logger)
            for try await buffer in rows.decode(ByteBuffer.self) {
                entries += try HubLogCodec.decodeEntries(Data(buffer.readableBytesView))
            }
            return entries
        }
    }

    // MARK: Restore

    public func restore() async throws -> HubStateMachine {
        try await database.restore { connection in try await self.restore(connection) }
    }

    func restore(_ connection: PostgresConnection) async throws -> HubStateMachine {
        try await PostgresSchema.migrate(connection, logger: logger)
        try await takeWriterRole(connection)
        // Moved out (`if var` binds the returned value itself): the replica must be the only
        // reference to its storage when it changes, or the change would copy all of it.
        if var continued = continuation.withLock({ stored in
            defer { stored = nil }; return stored
        }) {
            // A follower taking over: its replica already holds the log through
            // `continued.lastSequence` (checked against the ledger tables when it loaded).
            let lastSequence = try await PostgresHubLog.replay(
                into: &continued.hub, after: continued.lastSequence, on: connection, logger: logger)
            nextSequence.withLock { $0 = lastSequence + 1 }
            try await projector.load(connection)
            if lastSequence == 0 { return continued.hub }  // genesis is stored by the first commit
            continued.hub.outcomeCommitted()
            if let violation = continued.hub.checkInvariants() {
                throw StoreError(.invariantViolated, violation.description)
            }
            return continued.hub
        }
        let (hub, report) = try await restore(connection, snapshots: snapshotUse.withLock { $0 })
        try await projector.load(connection)
        if !report.refused.isEmpty { logger.warning("\(report.summary)") }
        lastRestoreReport.withLock { $0 = report }
        return hub
    }

    /// Takes the next fencing epoch, before reading anything: a commit of the previous writer
    /// either landed before this (and is read) or is refused by the fence.
    func takeWriterRole(_ connection: PostgresConnection) async throws {
        var epoch: Int64 = 0
        let bump: PostgresQuery =
            switch writerRole {
            case .whileLeaseHeld(let node):
                "UPDATE writer_fence SET epoch = epoch + 1 WHERE id = 1 AND holder = \(node) AND lease_expires_at > clock_timestamp() RETURNING epoch"
            case .unconditional:
                "UPDATE writer_fence SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch"
            }
        for try await value in try await connection.query(bump, logger: logger).decode(Int64.self) { epoch = value }
        guard epoch != 0 else { throw StoreError(.fenced, "this node's writer lease expired before it took the role") }
        fenceEpoch.store(epoch, ordering: .releasing)
    }

    // MARK: Reads

    /// Verifies what is stored without taking the writer role (a running cluster is not
    /// disturbed): the ledger tables hold every invariant and, if there is a hub log,
    /// replaying it gives exactly those tables (with the unprojected redo rows laid over them).
    /// Returns the ledger, the hub the log replays to, the log's length and the commits read
    /// from the redo log (0: the tables alone held everything).
    public func check() async throws -> (
        ledger: LedgerStateMachine, hub: HubStateMachine, logRows: Int64, unprojectedCommits: Int
    ) {
        let (configuration, logger, place) = (self.configuration, self.logger, PostgresErrors.redacted(url))
        do {
            return try await database.onReadConnection { connection in
                try await PostgresDatabase.inReadSnapshot(connection, logger: logger) { connection in
                    let ledger = try await PostgresLedgerTables.restoreLedger(connection, logger: logger)
                    var hub = HubStateMachine(configuration: configuration)
                    let logRows = try await PostgresHubLog.replay(
                        into: &hub, after: 0, on: connection, logger: logger)
                    if logRows > 0 {
                        hub.outcomeCommitted()
                        try hub.verifyReplay(against: ledger, in: place)
                    }
                    let unprojected = try await PostgresLedgerTables.unprojectedCommitCount(connection, logger: logger)
                    return (ledger, hub, logRows, unprojected)
                }
            }
        } catch let violation as LedgerInvariantViolation {
            throw StoreError(.invariantViolated, "the ledger in PostgreSQL breaks an invariant: \(violation)")
        } catch let error as StoreError {
            throw error
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {  // undefined table
            throw StoreError(
                .notAPolyclearDatabase,
                "\(place) has no Polyclear tables (\(PostgresErrors.describe(error))): an empty or a foreign database")
        } catch {
            throw StoreError(.ioFailure, "PostgreSQL at \(place): \(PostgresErrors.describe(error))")
        }
    }

    /// Read your writes: the writer's store waits until the tables hold every commit it made
    /// before the read; any other (a cluster node's reads, tools) lays the unprojected redo rows
    /// over the tables in one snapshot, so it sees every commit made before it as well.
    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        let isWriter = projector.isLoaded
        if isWriter { try await projector.waitForCommitted() }
        let logger = self.logger
        return try await database.onReadConnection { connection in
            if isWriter {
                return try await PostgresLedgerTables.transfers(
                    accountID: accountID, timestamps: timestamps, limit: limit, on: connection, logger: logger)
            }
            return try await PostgresDatabase.inReadSnapshot(connection, logger: logger) { connection in
                let overlay = try await PostgresLedgerTables.redoOverlay(connection, logger: logger)
                let stored = try await PostgresLedgerTables.transfers(
                    accountID: accountID, timestamps: timestamps, limit: limit, on: connection, logger: logger)
                // The overlay's transfers are newer than every row in the tables.
                let newer = overlay.createdTransfersResolved.filter {
                    ($0.transfer.debitAccountID == accountID || $0.transfer.creditAccountID == accountID)
                        && timestamps.contains($0.transfer.timestamp)
                }
                var resolved = stored
                for index in resolved.indices {
                    resolved[index].status = overlay.status(
                        of: resolved[index].transfer.id, stored: resolved[index].status)
                }
                return Array((resolved + newer).prefix(limit))
            }
        }
    }

    public func events(limit: Int) async throws -> [HubEvent] {
        let logger = self.logger
        return try await database.onReadConnection { connection in
            var found: [HubEvent] = []
            for try await buffer in try await connection.query(
                "SELECT events FROM hub_events ORDER BY sequence", logger: logger
            ).decode(ByteBuffer.self) {
                found.append(
                    contentsOf: try HubLogCodec.decodeEvents(Data(buffer.readableBytesView)).prefix(limit - found.count)
                )
                if found.count >= limit { break }
            }
            return found
        }
    }
}

/// Idempotency-Key records (`IdempotencyStore`): inserted in the commit that executed the
/// request; the answer added by a statement of its own (on a pool connection: the writer's
/// connection belongs to the commit loop), durable when it returns (`synchronous_commit`).
extension PostgresHubStore {
    static func insert(_ record: IdempotencyRecord, _ connection: PostgresConnection, logger: Logger) async throws {
        let createdAt = Int64(bitPattern: record.createdAt)
        try await connection.query(
            """
            INSERT INTO hub_idempotency (caller, key, digest, created_at, results)
            VALUES (\(record.caller), \(record.key), \(ByteBuffer(bytes: record.digest)), \(createdAt),
                    \(ByteBuffer(bytes: record.results)))
            ON CONFLICT (caller, key) DO UPDATE SET digest = EXCLUDED.digest, created_at = EXCLUDED.created_at,
                results = EXCLUDED.results, status = NULL, headers = NULL, body = NULL
            """, logger: logger)
    }

    public func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord? {
        let logger = self.logger
        return try await database.onReadConnection(deadlineSeconds: database.limits.commitDeadlineSeconds) {
            connection in
            let rows = try await connection.query(
                """
                SELECT digest, created_at, results, status, headers, body FROM hub_idempotency
                WHERE caller = \(caller) AND key = \(key)
                """, logger: logger)
            for try await (digest, createdAt, results, status, headers, body) in rows.decode(
                (ByteBuffer, Int64, ByteBuffer, Int32?, ByteBuffer?, ByteBuffer?).self)
            {
                return IdempotencyRecord(
                    caller: caller, key: key, digest: Array(digest.readableBytesView),
                    createdAt: UInt64(bitPattern: createdAt), results: Data(buffer: results),
                    answer: status.map {
                        IdempotencyAnswer(
                            status: Int($0), headersData: headers.map { Data(buffer: $0) } ?? Data(),
                            body: body.map { Data(buffer: $0) } ?? Data())
                    })
            }
            return nil
        }
    }

    public func storeIdempotencyAnswer(
        caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64
    ) async throws {
        let logger = self.logger
        let status = Int32(clamping: answer.status)
        let cutoff = Int64(bitPattern: min(expiringBefore, UInt64(Int64.max)))
        try await database.onReadConnection(deadlineSeconds: database.limits.commitDeadlineSeconds) { connection in
            try await connection.query(
                """
                UPDATE hub_idempotency SET status = \(status), headers = \(ByteBuffer(bytes: answer.headersData)),
                    body = \(ByteBuffer(bytes: answer.body))
                WHERE caller = \(caller) AND key = \(key)
                """, logger: logger)
            try await connection.query("DELETE FROM hub_idempotency WHERE created_at < \(cutoff)", logger: logger)
        }
    }
}
