package import PolyclearCore

// What both durable stores share about their ledger projection (`SQLiteProjector`,
// `PostgresProjector`): the redo log's rows written into the tables, a few commits at a time,
// and the readers and commits that wait for it.

/// Where a projection of the redo log stands and who waits for it, kept under the projector's
/// lock. Commits number their redo rows from `written`; a commit waits while more than
/// `lagCommitsMax` are unprojected; a reader waits until everything committed before it is
/// projected. A failure is final: every waiter and every later commit gets it.
package struct ProjectionProgress {
    package typealias Waiter = CheckedContinuation<Void, any Error>

    package private(set) var written: Int64
    package private(set) var projected: Int64
    package private(set) var failure: StoreError?
    package private(set) var isStopping = false
    private var waiters: [(target: Int64, continuation: Waiter)] = []
    private let lagCommitsMax: Int64

    package init(projected: Int64, written: Int64, lagCommitsMax: Int) {
        self.projected = projected
        self.written = max(projected, written)
        self.lagCommitsMax = Int64(max(1, lagCommitsMax))
    }

    /// Whether there is work for the projection.
    package var isBehind: Bool { projected < written && failure == nil && !isStopping }

    /// The sequence of the next redo row (only the single writer commits).
    package func nextSequence() throws(StoreError) -> Int64 {
        if let failure { throw failure }
        return written + 1
    }

    package mutating func didCommit(_ sequence: Int64) { written = max(written, sequence) }

    /// The share of the lag bound unprojected (0 caught up, 1 full: a commit waits for room).
    package var lagShare: Double { Double(written - projected) / Double(lagCommitsMax) }

    /// The sequence a reader that must see every commit made so far waits for.
    package var committedGoal: Int64 { written }
    /// The sequence a commit waits for before it adds one more unprojected row.
    package var roomGoal: Int64 { written - lagCommitsMax + 1 }

    /// Queues `waiter` until `goal` is projected, or answers it at once: the answer to give
    /// (outside the lock), or nil when it waits.
    package mutating func wait(until goal: Int64, _ waiter: Waiter) -> Result<Void, StoreError>? {
        if let failure { return .failure(failure) }
        if projected >= goal { return .success(()) }
        if isStopping { return .failure(Self.closed) }
        waiters.append((goal, waiter))
        return nil
    }

    /// The projection reached `sequence`: the waiters it satisfies (to resume outside the lock).
    package mutating func advance(to sequence: Int64) -> [Waiter] {
        projected = max(projected, sequence)
        written = max(written, projected)
        let ready = waiters.filter { $0.target <= projected }.map(\.continuation)
        waiters.removeAll { $0.target <= projected }
        return ready
    }

    /// The projection failed for good: every waiter (to resume with `error` outside the lock).
    package mutating func fail(_ error: StoreError) -> [Waiter] {
        failure = failure ?? error
        defer { waiters.removeAll() }
        return waiters.map(\.continuation)
    }

    /// The store closes: what is left stays in the redo log; every waiter is answered `closed`.
    package mutating func stop() -> [Waiter] {
        isStopping = true
        defer { waiters.removeAll() }
        return waiters.map(\.continuation)
    }

    package static let closed = StoreError(.ioFailure, "the store is closed")
}

/// A committed outcome kept in memory for the projection, so that it need not be read back.
package struct CommittedRedo: Sendable {
    package var sequence: Int64
    package var outcome: LedgerOutcome

    package init(sequence: Int64, outcome: LedgerOutcome) {
        self.sequence = sequence
        self.outcome = outcome
    }
}

extension LedgerRedoCodec {
    /// The redo row a commit writes. Debug builds (the tests) hold every commit to reading back
    /// as itself: the tables are written from the outcome in memory, after a crash from these
    /// bytes, and the two must agree.
    package static func encodeForCommit(_ outcome: LedgerOutcome) throws -> [UInt8] {
        let bytes = encode(outcome)
        #if DEBUG
            let decoded = try bytes.withUnsafeBytes { try decode($0) }
            precondition(
                decoded.createdTransfers == outcome.createdTransfers && decoded.statusChanges == outcome.statusChanges
                    && decoded.createdAccounts == outcome.createdAccounts
                    && decoded.updatedAccounts == outcome.updatedAccounts
                    && decoded.lastTimestamp == outcome.lastTimestamp,
                "ledger redo: a commit does not read back as itself")
        #endif
        return bytes
    }
}

/// Consecutive outcomes as one: their creations and status changes in order, and each touched
/// account once, in its latest state — a projection of several commits updates a busy
/// account's row once instead of once per commit.
package struct LedgerOutcomeMerge {
    package init() {}
    private var createdAccounts = ContiguousArray<Account>()
    private var createdTransfers = ContiguousArray<StoredTransfer>()
    private var statusChanges = ContiguousArray<TransferStatusChange>()
    private var updatedAccounts = ContiguousArray<Account>()
    private var updatedIndexByTimestamp: [UInt64: Int] = [:]
    private var lastTimestamp: UInt64 = 0

    /// Room for the transfers of `outcomes` (to be added next): one allocation instead of a
    /// growth by copying per few commits.
    package mutating func reserve<Outcomes: Sequence<LedgerOutcome>>(for outcomes: Outcomes) {
        createdTransfers.reserveCapacity(createdTransfers.count + outcomes.reduce(0) { $0 + $1.createdTransfers.count })
    }

    package mutating func add(_ outcome: LedgerOutcome) {
        createdAccounts.append(contentsOf: outcome.createdAccounts)
        createdTransfers.append(contentsOf: outcome.createdTransfers)
        statusChanges.append(contentsOf: outcome.statusChanges)
        for account in outcome.updatedAccounts {
            if let index = updatedIndexByTimestamp[account.timestamp] {
                updatedAccounts[index] = account
            } else {
                updatedIndexByTimestamp[account.timestamp] = updatedAccounts.count
                updatedAccounts.append(account)
            }
        }
        lastTimestamp = outcome.lastTimestamp
    }

    package var outcome: LedgerOutcome {
        LedgerOutcome(
            createdAccounts: createdAccounts, createdTransfers: createdTransfers, statusChanges: statusChanges,
            updatedAccounts: updatedAccounts, lastTimestamp: lastTimestamp)
    }
}

/// Committed outcomes not yet in the tables, merged: the latest state of every account they
/// touch, the transfers they created, and the final status of every transfer they resolved.
package struct LedgerRedoOverlay {
    package init() {}
    package var accountsByTimestamp: [UInt64: Account] = [:]
    package var createdAccounts: [Account] = []
    package var createdTransfers: [StoredTransfer] = []
    package var statusByID: [UInt128: TransferStatus] = [:]
    package var lastTimestamp: UInt64?

    package var isEmpty: Bool { lastTimestamp == nil }

    package mutating func add(_ outcome: LedgerOutcome) {
        createdAccounts.append(contentsOf: outcome.createdAccounts)
        createdTransfers.append(contentsOf: outcome.createdTransfers)
        for change in outcome.statusChanges { statusByID[change.transferID] = change.status }
        for account in outcome.updatedAccounts { accountsByTimestamp[account.timestamp] = account }
        lastTimestamp = outcome.lastTimestamp
    }

    /// The account as it is after the overlay.
    package func latest(_ account: Account) -> Account { accountsByTimestamp[account.timestamp] ?? account }

    package func status(of id: UInt128, stored: TransferStatus) -> TransferStatus { statusByID[id] ?? stored }

    /// The transfers created in the overlay, each with its final status.
    package var createdTransfersResolved: [StoredTransfer] {
        createdTransfers.map { stored in
            var stored = stored
            stored.status = status(of: stored.transfer.id, stored: stored.status)
            return stored
        }
    }
}
