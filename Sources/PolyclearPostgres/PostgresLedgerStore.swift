public import PolyclearCore
public import PolyclearStorage
import PostgresNIO

/// The ledger alone on PostgreSQL (the `LedgerStore` contract, as `SQLiteLedgerStore`): the
/// same tables, connections, migrations, commit loop, deadlines and projection as
/// `PostgresHubStore`, without the hub's log. A commit is one redo row; one that may or may
/// not have landed is recognised by its sequence (its row, or a projection past it).
public final class PostgresLedgerStore: LedgerStore {
    let database: PostgresDatabase
    let projector: PostgresProjector

    public init(url: String, limits: StoreLimits = .default) throws(StoreError) {
        database = try PostgresDatabase(url: url, limits: limits, operations: nil)
        projector = PostgresProjector(database: database)
    }

    deinit { close() }

    public func close() {
        projector.stop()
        database.close()
    }

    public func commit(_ outcome: LedgerOutcome) async throws {
        guard !outcome.isEmpty else { return }
        let (database, logger) = (self.database, database.logger)
        let redo = try await projector.prepare(outcome)
        try await database.commit(
            "commit \(redo.sequence)",
            landed: {
                try await database.onReadConnection(deadlineSeconds: database.limits.commitDeadlineSeconds) {
                    connection in
                    try await PostgresLedgerTables.redoLanded(sequence: redo.sequence, connection, logger: logger)
                }
            },
            attempt: { connection in
                try await PostgresLedgerTables.insertRedo(
                    sequence: redo.sequence, redo.bytes, connection, logger: logger)
            })
        projector.didCommit(redo.sequence, outcome)
    }

    public func restore() async throws -> LedgerStateMachine {
        let (logger, projector) = (database.logger, self.projector)
        return try await database.restore { connection in
            try await PostgresSchema.migrate(connection, logger: logger)
            let ledger = try await PostgresDatabase.inReadSnapshot(connection, logger: logger) { connection in
                try await PostgresLedgerTables.restoreLedger(connection, logger: logger)
            }
            try await projector.load(connection)
            return ledger
        }
    }

    /// Returns once the tables hold every commit this store made before the call.
    public func waitForProjection() async throws { try await projector.waitForCommitted() }

    public func account(id: UInt128) async throws -> Account? {
        try await projector.waitForCommitted()
        var binds = PostgresBindings()
        binds.append(PostgresLedgerTables.bytes(id))
        let (logger, frozen) = (database.logger, binds)
        return try await database.onReadConnection { connection in
            try await PostgresLedgerTables.accounts(where: "id = $1", binds: frozen, on: connection, logger: logger)
                .first
        }
    }

    public func transfer(id: UInt128) async throws -> StoredTransfer? {
        var binds = PostgresBindings()
        binds.append(PostgresLedgerTables.bytes(id))
        return try await transfers(where: "id = $1", binds: binds, limit: 1).first
    }

    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        try await projector.waitForCommitted()
        let logger = database.logger
        return try await database.onReadConnection { connection in
            try await PostgresLedgerTables.transfers(
                accountID: accountID, timestamps: timestamps, limit: limit, on: connection, logger: logger)
        }
    }

    public func transfers(timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        var binds = PostgresBindings()
        binds.append(Int64(clamping: timestamps.lowerBound))
        binds.append(Int64(clamping: timestamps.upperBound))
        return try await transfers(where: "timestamp >= $1 AND timestamp < $2", binds: binds, limit: limit)
    }

    func transfers(where condition: String, binds: PostgresBindings, limit: Int) async throws -> [StoredTransfer] {
        // Read your writes: the tables hold every commit made before this read.
        try await projector.waitForCommitted()
        let logger = database.logger
        return try await database.onReadConnection { connection in
            try await PostgresLedgerTables.transfers(
                where: condition, binds: binds, limit: limit, on: connection, logger: logger)
        }
    }
}
