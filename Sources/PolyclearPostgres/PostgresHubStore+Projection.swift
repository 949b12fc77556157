import PolyclearCore
import PolyclearStorage

/// The ledger's projection as the hub store shows it (`PostgresProjector`): for tests, drills
/// and tools that must see a store whose tables trail its log, or wait until they do not.
extension PostgresHubStore {
    func prepareRedo(_ outcome: LedgerOutcome) async throws -> (sequence: Int64, bytes: [UInt8]) {
        try await projector.prepare(outcome)
    }

    /// Holds the projection back, or lets it go on (the state a kill leaves when it lands
    /// before the projection of the last commits).
    public func holdProjection(_ held: Bool) { projector.hold(held) }

    /// Returns once the tables hold every commit this store made before the call.
    public func waitForProjection() async throws { try await projector.waitForCommitted() }

    /// Commits in the redo log not yet in the tables: 0 once the projection has caught up.
    public func unprojectedCommitCount() async throws -> Int {
        let logger = self.logger
        return try await database.onReadConnection(deadlineSeconds: database.limits.commitDeadlineSeconds) {
            connection in
            try await PostgresLedgerTables.unprojectedCommitCount(connection, logger: logger)
        }
    }
}

extension PostgresLedgerStore {
    /// As `PostgresHubStore.holdProjection`.
    public func holdProjection(_ held: Bool) { projector.hold(held) }

    /// As `PostgresHubStore.unprojectedCommitCount`.
    public func unprojectedCommitCount() async throws -> Int {
        let logger = database.logger
        return try await database.onReadConnection(deadlineSeconds: database.limits.commitDeadlineSeconds) {
            connection in
            try await PostgresLedgerTables.unprojectedCommitCount(connection, logger: logger)
        }
    }
}
