public import PolyclearCore
public import PolyclearStorage
import Foundation
import Logging
package import PostgresNIO

/// Snapshots beside the log (`hub_snapshots`, `hub_snapshot_parts`), as in SQLite.
extension PostgresHubStore: HubSnapshotStore {
    /// A bytea holds at most 1 GB: a snapshot is stored in parts of this size.
    static let snapshotPartBytes = 32 << 20

    public func lastLogRow() async throws -> LogRowMark? {
        lastCommitted.withLock { $0 }.map {
            LogRowMark(sequence: UInt64($0.sequence), digest: HubSnapshot.digest(ofLogRow: $0.entries))
        }
    }

    /// On a connection of its own (not the writer's: commits go on meanwhile), each part in
    /// its own statement; the snapshot's row and the pruning together, last. Under the restore
    /// deadline (and given up when its task is cancelled): a connection the server ended in
    /// the middle must not leave the snapshot task, and a shutdown awaiting it, waiting for
    /// ever. A snapshot given up leaves parts without a row, removed by the next one.
    public func storeSnapshot(_ snapshot: HubSnapshot, keep: Int) async throws {
        let connection = try await database.connect()
        defer { Task { try? await connection.close() } }
        let logger = self.logger
        try await PostgresDeadline.withDeadline(
            seconds: database.limits.restoreDeadlineSeconds, givesUpWhenCancelled: true,
            onTimeout: { Task { try? await connection.close() } }, watching: connection
        ) {
            try await Self.storeSnapshot(snapshot, keep: keep, on: connection, logger: logger)
        }
    }

    private static func storeSnapshot(
        _ snapshot: HubSnapshot, keep: Int, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let sequence = Int64(snapshot.sequence)
        try await connection.query("DELETE FROM hub_snapshots WHERE sequence = \(sequence)", logger: logger)
        try await connection.query("DELETE FROM hub_snapshot_parts WHERE sequence = \(sequence)", logger: logger)
        let partCount = (snapshot.framed.count + snapshotPartBytes - 1) / snapshotPartBytes
        for part in 0..<partCount {
            let range = (part * snapshotPartBytes)..<min((part + 1) * snapshotPartBytes, snapshot.framed.count)
            try await connection.query(
                """
                INSERT INTO hub_snapshot_parts (sequence, part, data)
                VALUES (\(sequence), \(part), \(ByteBuffer(bytes: snapshot.framed[range])))
                """, logger: logger)
        }
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query(
                """
                INSERT INTO hub_snapshots (sequence, parts, bytes, taken_at)
                VALUES (\(sequence), \(partCount), \(Int64(snapshot.framed.count)), \(Int64(Date().timeIntervalSince1970)))
                """, logger: logger)
            try await connection.query(
                """
                DELETE FROM hub_snapshots WHERE sequence IN
                (SELECT sequence FROM hub_snapshots ORDER BY sequence DESC OFFSET \(keep))
                """, logger: logger)
            try await connection.query(
                "DELETE FROM hub_snapshot_parts WHERE sequence NOT IN (SELECT sequence FROM hub_snapshots)",
                logger: logger)
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    static func dropSnapshots(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM hub_snapshot_parts", logger: logger)
        try await connection.query("DELETE FROM hub_snapshots", logger: logger)
    }

    public func snapshotSequences() async throws -> [UInt64] {
        let logger = self.logger
        return try await database.onReadConnection { connection in
            try await Self.snapshotSequences(connection, logger: logger)
        }
    }

    static func snapshotSequences(_ connection: PostgresConnection, logger: Logger) async throws -> [UInt64] {
        var sequences: [UInt64] = []
        for try await sequence in try await connection.query(
            "SELECT sequence FROM hub_snapshots ORDER BY sequence DESC", logger: logger
        ).decode(Int64.self) { sequences.append(UInt64(sequence)) }
        return sequences
    }

    public func restore(snapshots use: SnapshotUse) async throws -> (hub: HubStateMachine, report: RestoreReport) {
        try await database.restore { connection in try await self.restore(connection, snapshots: use) }
    }

    /// As `SQLiteHubStore.restore(snapshots:)`: the newest snapshot that passes every check
    /// (each refused one reported), the log after it, and the check against the tables.
    /// All of it reads one committed state (`PostgresDatabase.inReadSnapshot`): the log, the
    /// redo rows and the tables they trail agree even while a writer commits and projects.
    package func restore(
        _ connection: PostgresConnection, snapshots use: SnapshotUse
    ) async throws -> (hub: HubStateMachine, report: RestoreReport) {
        try await PostgresDatabase.inReadSnapshot(connection, logger: logger) { connection in
            try await restoreInSnapshot(connection, snapshots: use)
        }
    }

    private func restoreInSnapshot(
        _ connection: PostgresConnection, snapshots use: SnapshotUse
    ) async throws -> (hub: HubStateMachine, report: RestoreReport) {
        var refused: [(sequence: UInt64, reason: String)] = []
        var start: (hub: HubStateMachine, sequence: UInt64)?
        if case .newestValid = use {
            for sequence in try await Self.snapshotSequences(connection, logger: logger) {
                do {
                    start = (try await loadSnapshot(at: sequence, connection), sequence)
                    break
                } catch let error as StoreError where error.code == .snapshotRefused {
                    refused.append((sequence, error.description))
                }
            }
        }
        var hub = start?.hub ?? HubStateMachine(configuration: configuration)
        let after = Int64(start?.sequence ?? 0)
        let lastSequence = try await PostgresHubLog.replay(into: &hub, after: after, on: connection, logger: logger)
        nextSequence.withLock { $0 = lastSequence + 1 }
        let report = RestoreReport(
            snapshotSequence: start?.sequence, replayedRows: Int(lastSequence - after), refused: refused)
        if lastSequence == 0 { return (hub, report) }  // genesis is stored by the first commit
        // What the next snapshot names, if it is taken before the next commit.
        if let row = try await storedLog(sequence: lastSequence, connection) {
            lastCommitted.withLock { $0 = (lastSequence, row) }
        }
        hub.outcomeCommitted()
        let place = PostgresErrors.redacted(url)
        if start == nil {
            try hub.verifyReplay(
                against: try await PostgresLedgerTables.restoreLedger(connection, logger: logger), in: place)
        } else {
            try hub.verifySnapshotRestore(
                against: try await PostgresLedgerTables.summary(connection, logger: logger), in: place)
        }
        return (hub, report)
    }

    /// The snapshot at `sequence`, checked against this log (`snapshot_refused` otherwise).
    func loadSnapshot(at sequence: UInt64, _ connection: PostgresConnection) async throws -> HubStateMachine {
        var framed: [UInt8] = []
        for try await part in try await connection.query(
            "SELECT data FROM hub_snapshot_parts WHERE sequence = \(Int64(sequence)) ORDER BY part", logger: logger
        ).decode(ByteBuffer.self) { framed.append(contentsOf: part.readableBytesView) }
        let snapshot = try HubSnapshot(framed: framed)
        guard snapshot.sequence == sequence, let logRow = try await storedLog(sequence: Int64(sequence), connection),
            HubSnapshot.digest(ofLogRow: logRow) == snapshot.logRowDigest
        else {
            throw StoreError(.snapshotRefused, "the snapshot names a log row this log does not hold")
        }
        return try snapshot.hub(configuration: configuration)
    }

    func storedLog(sequence: Int64, _ connection: PostgresConnection) async throws -> Data? {
        var found: Data?
        for try await entries in try await connection.query(
            "SELECT entries FROM hub_log WHERE sequence = \(sequence)", logger: logger
        ).decode(ByteBuffer.self) { found = Data(entries.readableBytesView) }
        return found
    }
}

extension PostgresLedgerTables {
    /// What a restore from a snapshot checks it against (`LedgerStoreSummary`).
    package static func summary(_ connection: PostgresConnection, logger: Logger) async throws -> LedgerStoreSummary {
        let overlay = try await redoOverlay(connection, logger: logger)
        let lastTimestamp = try await lastTimestamp(connection, logger: logger)
        let accounts =
            try await accounts(where: "TRUE", on: connection, logger: logger).map(overlay.latest)
            + overlay.createdAccounts.map(overlay.latest)
        let pending = try await pendingTransfers(overlay, connection, logger: logger)
        var newest: LedgerSnapshot.TransferEntry?
        for try await (id, fingerprint, status) in try await connection.query(
            "SELECT id, fingerprint, status FROM transfers ORDER BY timestamp DESC LIMIT 1", logger: logger
        ).decode((ByteBuffer, Int64, Int16).self) {
            guard let status = TransferStatus(rawValue: UInt8(status)) else {
                throw StoreError(.corruptDatabase, "a transfer has status \(status)")
            }
            let id = try value(id)
            newest = .init(
                id: id, fingerprint: UInt64(bitPattern: fingerprint), status: overlay.status(of: id, stored: status))
        }
        if let last = overlay.createdTransfersResolved.last {
            newest = .init(id: last.transfer.id, fingerprint: last.fingerprint, status: last.status)
        }
        return LedgerStoreSummary(
            accounts: accounts,
            pending: pending.map { LedgerSnapshot.PendingEntry(pendingTransfer: $0.transfer) }.sorted { $0.id < $1.id },
            lastTimestamp: overlay.lastTimestamp ?? UInt64(bitPattern: lastTimestamp), newestTransfer: newest)
    }
}
