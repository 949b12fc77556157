public import PolyclearCore
public import PolyclearStorage
import PostgresNIO

/// The ledger alone on PostgreSQL (the `LedgerStore` contract, as `SQLiteLedgerStore`): the
/// same tables, connections, migrations, retries and deadlines as `PostgresHubStore`, without
/// the hub's log. A commit that may or may not have landed is recognised by the ledger clock
/// it leaves behind (`ledger_meta.last_timestamp`, which every non-empty batch advances).
public final class PostgresLedgerStore: LedgerStore {
    let tables: PostgresHubStore

    public init(url: String, commitDeadlineSeconds: Double = 10, restoreDeadlineSeconds: Double = 300,
                retryBudgetSeconds: Double = 30) throws(StoreError) {
        tables = try PostgresHubStore(url: url, configuration: HubConfiguration(currencies: try! CurrencyTable()),
                                      commitDeadlineSeconds: commitDeadlineSeconds, restoreDeadlineSeconds: restoreDeadlineSeconds,
                                      retryBudgetSeconds: retryBudgetSeconds)
    }

    public func close() { tables.close() }

    public func commit(_ outcome: LedgerOutcome) async throws {
        guard !outcome.isEmpty else { return }
        var retries = RetryBudget(seconds: tables.retryBudgetSeconds)
        while true {
            if retries.attempts > 0 {
                if let clock = try? await lastTimestamp(), clock == Int64(bitPattern: outcome.lastTimestamp) { return }  // it landed
            }
            do {
                try await PostgresHubStore.withDeadline(seconds: tables.commitDeadlineSeconds, onTimeout: { self.tables.dropWriterConnection() }) {
                    try await self.tables.onWriterConnection { connection in
                        try await connection.withTransaction(logger: self.tables.logger) { connection in
                            try await PostgresHubStore.write(outcome, connection, logger: self.tables.logger)
                        }
                    }
                }
                return
            } catch {
                // A retry meeting the rows of an abandoned attempt that committed after all.
                if retries.attempts > 0 || PostgresHubStore.isUniqueViolation(error),
                   let clock = try? await lastTimestamp(), clock == Int64(bitPattern: outcome.lastTimestamp) { return }
                guard PostgresHubStore.isRetryable(error) else { throw StoreError(.ioFailure, "commit failed: \(PostgresHubStore.describe(error))") }
                guard try await retries.pauseBeforeNextAttempt() else {
                    throw StoreError(.ioFailure, "commit failed after \(retries.attempts) attempts in \(Int(tables.retryBudgetSeconds)) s: \(PostgresHubStore.describe(error))")
                }
            }
        }
    }

    func lastTimestamp() async throws -> Int64 {
        try await tables.onReadConnection { connection in
            var value: Int64 = 0
            for try await stored in try await connection.query("SELECT value FROM ledger_meta WHERE key = 'last_timestamp'", logger: tables.logger).decode(Int64.self) {
                value = stored
            }
            return value
        }
    }

    public func restore() async throws -> LedgerStateMachine {
        var retries = RetryBudget(seconds: tables.retryBudgetSeconds)
        while true {
            do {
                return try await PostgresHubStore.withDeadline(seconds: tables.restoreDeadlineSeconds, onTimeout: { self.tables.dropWriterConnection() }) {
                    try await self.tables.onWriterConnection { connection in
                        try await self.tables.migrate(connection)
                        return try await self.tables.restoreLedger(connection)
                    }
                }
            } catch let violation as LedgerInvariantViolation {
                throw StoreError(.invariantViolated, "the ledger in PostgreSQL breaks an invariant: \(violation)")
            } catch {
                guard PostgresHubStore.isRetryable(error), try await retries.pauseBeforeNextAttempt() else {
                    throw error as? StoreError ?? StoreError(.ioFailure, "PostgreSQL: \(PostgresHubStore.describe(error))")
                }
            }
        }
    }

    public func account(id: UInt128) async throws -> Account? {
        var binds = PostgresBindings()
        binds.append(PostgresHubStore.bytes(id))
        return try await tables.onReadConnection { connection in try await tables.accounts(where: "id = $1", binds: binds, on: connection).first }
    }

    public func transfer(id: UInt128) async throws -> StoredTransfer? {
        var binds = PostgresBindings()
        binds.append(PostgresHubStore.bytes(id))
        return try await tables.onReadConnection { connection in try await tables.transfers(where: "id = $1", binds: binds, limit: 1, on: connection).first }
    }

    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        try await tables.transfers(accountID: accountID, timestamps: timestamps, limit: limit)
    }

    public func transfers(timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        var binds = PostgresBindings()
        binds.append(Int64(clamping: timestamps.lowerBound))
        binds.append(Int64(clamping: timestamps.upperBound))
        return try await tables.onReadConnection { connection in
            try await tables.transfers(where: "timestamp >= $1 AND timestamp < $2", binds: binds, limit: limit, on: connection)
        }
    }
}
