public import PolyclearCore
public import PolyclearStorage
import Foundation
public import Logging
import PolyclearPostgres
import PostgresNIO
import Synchronization

/// One of several API processes on one PostgreSQL database. Exactly one holds the writer
/// role, by a lease row (`writer_fence`: holder, endpoint, expiry by the database's clock):
///
/// - A **follower** keeps a replica of the hub by replaying the log as it grows (every
///   `pollMilliseconds`), serves reads from it (committed state, a poll behind at most), and
///   reports the writer's endpoint so that writes can be forwarded there. Each poll it tries
///   to take the lease, which succeeds once the holder has not renewed it for `leaseSeconds`.
/// - The **writer** continues from its replica (only the log's tail is replayed, so taking
///   over is quick), takes the next fencing epoch — only while its lease is valid — and runs
///   the single `Writer`. It renews the lease every third of `leaseSeconds`; when it learns it
///   lost the lease, or cannot renew it in time, it stops taking writes and becomes a
///   follower again. A writer paused past its lease cannot do harm: its next commit meets
///   the fence (another epoch) and is refused.
/// - On graceful shutdown the writer drains its queue and gives the lease up at once, so a
///   rolling restart does not wait for the lease to run out.
public final class PostgresClusterNode: Sendable {
    public enum Role: String, Sendable {
        case starting, follower, writer
    }

    /// Where writes go now, as this node knows it from the lease.
    public enum WriterLocation: Sendable, Equatable {
        /// This node holds the writer role.
        case here
        /// Another node holds it; its API answers at this endpoint (advertised in the lease).
        case node(host: String, port: Int)
        /// No node is known to hold it (a failover is under way), or the lease is our own stale one.
        case unknown
    }

    struct Replica { var hub: HubStateMachine; var lastSequence: Int64 }

    struct State {
        var role = Role.starting
        var replica: Replica?
        var writer: Writer<PostgresHubStore>?
        var writerEndpoint: (host: String, port: Int)?
        var ownEndpoint: (host: String, port: Int)?
        var isShuttingDown = false
    }

    public let nodeID: String
    let url: String
    let configuration: HubConfiguration
    let servers: PostgresServers
    let limits: StoreLimits
    var leaseSeconds: Double { limits.leaseSeconds }
    var pollMilliseconds: Int { limits.leasePollMilliseconds }
    let onCommit: @Sendable ([HubEvent]) -> Void
    let logger: Logger
    let pgLogger: Logger
    let state = Mutex(State())
    let connectionCounter = Atomic<Int>(0)
    /// Statement reads (the ledger's rows), on a pool of `readPoolSize` connections.
    let reads: PostgresHubStore
    let snapshots: SnapshotPolicy?

    /// - Parameters:
    ///   - limits: the lease (how long it lasts without renewal: the longest a dead writer
    ///     blocks writes; failover takes this plus one poll), the poll, the catch-up batch,
    ///     the store's deadlines and read connections.
    ///   - onCommit: the audit events of each commit (as the writer, or replayed as a follower).
    ///   - snapshots: when the writer takes hub snapshots (nil: never); every node starts
    ///     from the newest valid one.
    public init(
        url: String, configuration: HubConfiguration, limits: StoreLimits = .default, logger: Logger,
        snapshots: SnapshotPolicy? = nil, onCommit: @escaping @Sendable ([HubEvent]) -> Void = { _ in }
    ) throws(StoreError) {
        guard let servers = PostgresURL.servers(url) else {
            throw StoreError(
                .ioFailure, "not a usable PostgreSQL URL (\(PostgresURL.hint)); a sslrootcert file must be readable")
        }
        guard limits.leaseSeconds >= 0.5, limits.leasePollMilliseconds >= 10, limits.catchUpBatchEntryCountMax > 0
        else {
            throw StoreError(.ioFailure, "lease of at least 0.5 s and poll of at least 10 ms")
        }
        self.nodeID = UUIDText.format(UInt128.random(in: 1...UInt128.max))
        self.url = url
        self.configuration = configuration
        self.servers = servers
        self.limits = limits
        self.onCommit = onCommit
        self.snapshots = snapshots
        self.logger = logger
        self.pgLogger = PolyclearPostgres.PostgresDatabase.quietLogger()
        self.reads = try PostgresHubStore(url: url, configuration: configuration, limits: limits)
    }

    // MARK: Reads and writes (what the API needs; the app declares the conformance)

    public func read<T: Sendable>(_ body: @escaping @Sendable (HubStateMachine) -> T) async throws(WriterError) -> T {
        try await read(isReference: false, body)
    }

    /// A read of reference data: the writer's own (`Writer.readReference`) while this node
    /// writes; a follower's replica is committed state anyway.
    public func readReference<T: Sendable>(
        _ body: @escaping @Sendable (HubStateMachine) -> T
    ) async throws(WriterError) -> T {
        try await read(isReference: true, body)
    }

    private func read<T: Sendable>(
        isReference: Bool, _ body: @escaping @Sendable (HubStateMachine) -> T
    ) async throws(WriterError) -> T {
        let (writer, value): (Writer<PostgresHubStore>?, T?) = state.withLock { state in
            if let writer = state.writer { return (writer, nil) }
            if let replica = state.replica { return (nil, body(replica.hub)) }
            return (nil, nil)
        }
        if let value { return value }
        guard let writer else { throw .stopped }
        return isReference ? try await writer.readReference(body) : try await writer.read(body)
    }

    public func submit<T: Sendable>(
        _ commands: [HubCommand], idempotency mark: IdempotencyMark<HubResult>? = nil,
        answering body: @escaping @Sendable ([HubResult], HubStateMachine) -> T
    ) async throws(WriterError) -> T {
        guard let writer = state.withLock({ $0.writer }) else { throw .notWriter }
        return try await writer.submit(commands, idempotency: mark, answering: body)
    }

    /// Applies commands and waits until they are durably committed.
    public func submit(_ commands: [HubCommand]) async throws(WriterError) -> [HubResult] {
        try await submit(commands) { results, _ in results }
    }

    /// Idempotency records live in the shared database: any node reads them, so a node that
    /// took the writer role over answers a retry as its predecessor did.
    public func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord? {
        try await reads.idempotencyRecord(caller: caller, key: key)
    }

    public func storeIdempotencyAnswer(
        caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64
    ) async throws {
        try await reads.storeIdempotencyAnswer(caller: caller, key: key, answer: answer, expiringBefore: expiringBefore)
    }

    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        try await reads.transfers(accountID: accountID, timestamps: timestamps, limit: limit)
    }

    /// The payment archive in the shared database (a replica archives only what the writer
    /// committed to it).
    public func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment] {
        try await reads.archivedPayments(lookups)
    }

    public func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord] {
        try await reads.archivedAuditRecords(positions)
    }

    public func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle] {
        try await reads.archivedCycles(numbers)
    }

    public var writerLocation: WriterLocation {
        state.withLock { state in
            if state.writer != nil { return .here }
            guard let endpoint = state.writerEndpoint else { return .unknown }
            if let own = state.ownEndpoint, own == endpoint { return .unknown }  // our own stale lease
            return .node(host: endpoint.host, port: endpoint.port)
        }
    }

    /// This node's role, the writer's endpoint as `host:port` if known, and the last log
    /// sequence its replica includes (nil while it is the writer or before its first replay).
    public var progress: (role: Role, writerEndpoint: String?, appliedSequence: Int64?) {
        state.withLock { state in
            (state.role, state.writerEndpoint.map { "\($0.host):\($0.port)" }, state.replica?.lastSequence)
        }
    }

    // MARK: Running

    /// Where this node's API answers (sent to the followers in the lease). The node waits for
    /// it before it competes for the writer role.
    public func serving(host: String, port: Int) {
        state.withLock { $0.ownEndpoint = (host, port) }
    }

    /// Stops: a writer drains what is queued and gives its lease up.
    public func shutdown() {
        let writer = state.withLock { state in
            state.isShuttingDown = true
            return state.writer
        }
        writer?.shutdown()
    }

    var isShuttingDown: Bool { state.withLock { $0.isShuttingDown } }

    /// Follows, takes the writer role when it is free, writes while it holds it, and starts
    /// over after losing it — until `shutdown()` or cancellation.
    public func run() async throws {
        var endpoint: (host: String, port: Int)?
        while endpoint == nil {
            if isShuttingDown { return }
            endpoint = state.withLock { $0.ownEndpoint }
            if endpoint == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let advertised = "\(endpoint!.host):\(endpoint!.port)"
        while !isShuttingDown && !Task.isCancelled {
            do {
                guard try await follow(advertising: advertised) else { break }
                try await write()
            } catch is CancellationError {
                break
            } catch {
                logger.warning("cluster node: \(describe(error)); starting over as a follower")
                state.withLock { state in
                    state.role = .starting
                    state.replica = nil
                }
                try? await Task.sleep(for: .milliseconds(pollMilliseconds * 5))
            }
        }
    }

    /// A connection for following and for the lease. Its lease updates commit without waiting
    /// for a synchronous standby (`synchronous_commit = local`): a renewal that waited behind a
    /// loaded standby could let the lease run out under a healthy writer. Safety does not rest
    /// on the lease being replicated — after a promotion a stale lease only lets another node
    /// take over sooner, and the fencing epoch (taken with full synchronous commit) refuses the
    /// old writer's commits.
    func connect() async throws -> PostgresConnection {
        try await PolyclearPostgres.PostgresDatabase.connect(
            servers, id: connectionCounter.add(1, ordering: .relaxed).newValue,
            deadlineSeconds: limits.connectDeadlineSeconds, logger: pgLogger
        )
        .configured("SET synchronous_commit = local", logger: pgLogger)
    }

    /// As a follower: loads the replica and keeps it current; true once this node holds the
    /// lease (false on shutdown).
    func follow(advertising endpoint: String) async throws -> Bool {
        let connection = try await connect()
        defer { Task { try? await connection.close() } }
        let store = try PostgresHubStore(url: url, configuration: configuration, limits: limits)
        defer { store.close() }
        try await store.migrate()
        // A cold load starts as every restore does: from the newest valid snapshot and the
        // log after it, checked against the ledger tables.
        // Every step under a deadline that closes the connection: a query sent on a connection
        // the server has ended may never be answered, and a follower waiting on it would never
        // take over (a CI run's benchmark waited for ever on one).
        let closeConnection: @Sendable () -> Void = { Task { try? await connection.close() } }
        let (hub, report) = try await PostgresDeadline.withDeadline(
            seconds: limits.restoreDeadlineSeconds, givesUpWhenCancelled: true, onTimeout: closeConnection,
            watching: connection
        ) { try await store.restore(connection, snapshots: .newestValid) }
        let loaded = Int64(report.snapshotSequence ?? 0) + Int64(report.replayedRows)
        if !report.refused.isEmpty { logger.warning("cluster node \(nodeID): \(report.summary)") }
        state.withLock { state in
            state.replica = Replica(hub: hub, lastSequence: loaded)
            state.role = .follower
        }
        logger.info("cluster node \(nodeID): follower at log sequence \(loaded)")
        while !isShuttingDown {
            try await catchUp(on: connection)
            let acquired = try await PostgresDeadline.withDeadline(
                seconds: limits.commitDeadlineSeconds, givesUpWhenCancelled: true, onTimeout: closeConnection,
                watching: connection
            ) { try await self.tryAcquireLease(endpoint: endpoint, on: connection) }
            if acquired {
                try await catchUp(on: connection)
                return true
            }
            try await Task.sleep(for: .milliseconds(pollMilliseconds))
        }
        return false
    }

    /// Replays what the writer committed since the replica's last sequence.
    func catchUp(on connection: PostgresConnection) async throws {
        while let before = state.withLock({ $0.replica?.lastSequence }) {
            // Fetched first, applied under the lock: reads keep going meanwhile.
            let batch = limits.catchUpBatchEntryCountMax
            let pgLogger = self.pgLogger
            let rows = try await PostgresDeadline.withDeadline(
                seconds: limits.commitDeadlineSeconds, givesUpWhenCancelled: true,
                onTimeout: { Task { try? await connection.close() } }, watching: connection
            ) { try await PostgresHubLog.rows(after: before, limit: batch, on: connection, logger: pgLogger) }
            guard !rows.isEmpty else { return }
            state.withLock { state in
                guard state.replica?.lastSequence == before else { return }
                for row in rows { state.replica!.hub.replay(row.entries) }
                state.replica!.hub.outcomeCommitted()
                state.replica!.lastSequence = rows.last!.sequence
            }
            let events = rows.flatMap(\.events)
            if !events.isEmpty { onCommit(events) }
            if rows.count < batch { return }
        }
    }

    /// Takes (or renews) the lease if it is free, expired or ours; otherwise notes who holds it.
    func tryAcquireLease(endpoint: String, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE writer_fence SET holder = \(nodeID), endpoint = \(endpoint),
                lease_expires_at = clock_timestamp() + make_interval(secs => \(leaseSeconds))
            WHERE id = 1 AND (holder IS NULL OR holder = \(nodeID) OR lease_expires_at IS NULL OR lease_expires_at < clock_timestamp())
            RETURNING epoch
            """, logger: pgLogger)
        for try await _ in rows.decode(Int64.self) { return true }
        for try await (holder, endpoint) in try await connection.query(
            "SELECT holder, endpoint FROM writer_fence WHERE id = 1 AND lease_expires_at >= clock_timestamp()",
            logger: pgLogger
        ).decode((String?, String?).self) {
            let parsed = endpoint.flatMap(Self.parseEndpoint)
            state.withLock { $0.writerEndpoint = holder == nil ? nil : parsed }
            return false
        }
        state.withLock { $0.writerEndpoint = nil }
        return false
    }

    static func parseEndpoint(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        return (String(text[..<colon]), port)
    }

    /// As the writer, continuing from the replica, until the lease is lost or the node shuts
    /// down.
    func write() async throws {
        // The default commit deadline (10 s): a shorter one would recover sooner after a
        // primary crash, but abandons slow, legitimate commits under load (debug builds in CI
        // take seconds per batch beside a synchronous standby).
        let store = try PostgresHubStore(
            url: url, configuration: configuration, limits: limits, writerRole: .whileLeaseHeld(by: nodeID),
            operations: logger)
        defer { store.close() }
        let onCommit = self.onCommit
        let (logger, nodeID) = (self.logger, self.nodeID)
        let snapshotter = snapshots.map {
            HubSnapshotter(store: store, policy: $0, warn: { logger.warning("cluster node \(nodeID): \($0)") })
        }
        let writer = Writer(
            store: store, onCommit: { outcome in onCommit(Array(outcome.events)) }, followUp: snapshotter?.followUp)
        defer {
            state.withLock { state in
                state.writer = nil
                state.role = .starting
                state.writerEndpoint = nil
            }
        }
        let (own, sequence) = try handOver(to: store, writer: writer)
        logger.notice(
            "cluster node \(nodeID): took the writer role at log sequence \(sequence), serving writes at \(own.map { "\($0.host):\($0.port)" } ?? "?")"
        )
        if isShuttingDown { writer.shutdown() }
        // On a thread of its own: the writer's work on the shared pool must not delay renewals.
        let renewal = Task(executorPreference: ThreadTaskExecutor.lease) { await self.keepLease(writer: writer) }
        defer { renewal.cancel() }
        do {
            try await writer.run()
        } catch let error as StoreError where error.code == .fenced {
            logger.warning("cluster node \(nodeID): \(error.description)")
            throw error
        }
        if isShuttingDown { await releaseLease() }
    }

    /// In one step: reads go to the writer (they wait for its restore) from now on, and the
    /// replica moves into the store. A function of its own so that no reference to the replica
    /// outlives it: the store's must be the only one, or the writer's first change would copy
    /// the whole hub (and keep two of it in memory).
    func handOver(
        to store: PostgresHubStore, writer: Writer<PostgresHubStore>
    ) throws -> (own: (host: String, port: Int)?, sequence: Int64) {
        let (own, replica) = state.withLock { state -> ((host: String, port: Int)?, Replica?) in
            guard let replica = state.replica else { return (nil, nil) }
            state.replica = nil
            state.writer = writer
            state.role = .writer
            state.writerEndpoint = state.ownEndpoint
            return (state.ownEndpoint, replica)
        }
        guard let replica else { throw StoreError(.ioFailure, "no replica to continue from") }
        store.continueFrom(replica.hub, lastSequence: replica.lastSequence)
        return (own, replica.lastSequence)
    }

    /// Renews the lease every third of its length; stops the writer when the lease is lost,
    /// or could not be renewed for most of its length (it may have run out).
    func keepLease(writer: Writer<PostgresHubStore>) async {
        var lastRenewed = ContinuousClock.now
        var connection: PostgresConnection?
        defer { if let connection { Task { try? await connection.close() } } }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(leaseSeconds / 3))
            if Task.isCancelled || isShuttingDown { return }
            do {
                if connection == nil || connection!.isClosed { connection = try await connect() }
                // Bounded by the lease: a renewal sent on a connection the server ended may never
                // be answered, and this loop must go on to step down (a slow answer within the
                // lease is still an answer: giving up sooner would abandon commits under load).
                // Watched: a connection seen closed is given up at once, and the next renewal
                // reconnects well within the lease.
                let (renewing, leaseSeconds, nodeID, pgLogger) = (connection!, leaseSeconds, nodeID, pgLogger)
                let held = try await PostgresDeadline.withDeadline(
                    seconds: leaseSeconds, onTimeout: { Task { try? await renewing.close() } }, watching: renewing
                ) {
                    for try await _ in try await renewing.query(
                        """
                        UPDATE writer_fence SET lease_expires_at = clock_timestamp() + make_interval(secs => \(leaseSeconds))
                        WHERE id = 1 AND holder = \(nodeID) RETURNING epoch
                        """, logger: pgLogger
                    ).decode(Int64.self) { return true }
                    return false
                }
                if !held {
                    logger.warning("cluster node \(nodeID): another node took the writer lease; stepping down")
                    writer.shutdown()
                    return
                }
                lastRenewed = .now
            } catch {
                if let open = connection { connection = nil; Task { try? await open.close() } }
                // The server did not answer the renewal: a commit in progress is likely stuck on
                // a connection to the same (crashed) server. Its retries read back and go on.
                writer.store.abandonCommitAttempt()
                if ContinuousClock.now - lastRenewed > .seconds(leaseSeconds * 0.8) {
                    logger.warning(
                        "cluster node \(nodeID): cannot renew the writer lease (\(describe(error))); stepping down")
                    writer.shutdown()
                    return
                }
            }
        }
    }

    /// Gives the lease up (graceful shutdown), so another node need not wait for it to expire.
    /// Bounded like a renewal: a shutdown never waits on a server that does not answer.
    func releaseLease() async {
        guard let connection = try? await connect() else { return }
        let (nodeID, pgLogger) = (nodeID, pgLogger)
        _ = try? await PostgresDeadline.withDeadline(
            seconds: leaseSeconds, onTimeout: { Task { try? await connection.close() } }, watching: connection
        ) {
            try await connection.query(
                "UPDATE writer_fence SET holder = NULL, lease_expires_at = NULL WHERE id = 1 AND holder = \(nodeID)",
                logger: pgLogger)
        }
        try? await connection.close()
    }

    func describe(_ error: any Error) -> String {
        if let store = error as? StoreError { return store.description }
        return PostgresErrors.describe(error)
    }
}

extension ThreadTaskExecutor {
    /// Where a writer node renews its lease.
    static let lease = ThreadTaskExecutor(name: "polyclear-lease")
}
