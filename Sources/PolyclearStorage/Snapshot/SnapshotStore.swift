public import PolyclearCore

/// The newest row of a hub log: its sequence and the digest of its stored bytes (what a
/// snapshot taken after it names it by).
public struct LogRowMark: Sendable, Equatable {
    public var sequence: UInt64
    public var digest: [UInt8]

    public init(sequence: UInt64, digest: [UInt8]) {
        self.sequence = sequence
        self.digest = digest
    }
}

/// How a restore starts: from the newest snapshot that passes every check (and the log after
/// it), or from the first log row (`ledger check`, backup verification: they check the whole
/// log, and the snapshots against it).
public enum SnapshotUse: Sendable {
    case newestValid
    case none
}

/// What a restore did, for the operator: where it started and what it passed over.
public struct RestoreReport: Sendable, Equatable {
    /// The snapshot it started from (its log row), or nil for a full replay.
    public var snapshotSequence: UInt64?
    /// Log rows replayed after the snapshot (all of them for a full replay).
    public var replayedRows: Int
    /// Snapshots refused, newest first, each with its log row and why (`snapshot_refused`).
    public var refused: [(sequence: UInt64, reason: String)]

    public init(snapshotSequence: UInt64?, replayedRows: Int, refused: [(sequence: UInt64, reason: String)]) {
        self.snapshotSequence = snapshotSequence
        self.replayedRows = replayedRows
        self.refused = refused
    }

    public static func == (lhs: RestoreReport, rhs: RestoreReport) -> Bool {
        lhs.snapshotSequence == rhs.snapshotSequence && lhs.replayedRows == rhs.replayedRows
            && lhs.refused.map(\.sequence) == rhs.refused.map(\.sequence)
            && lhs.refused.map(\.reason) == rhs.refused.map(\.reason)
    }

    /// One line for the log: "restored from the snapshot at log row 120 and 4 rows after it".
    public var summary: String {
        var text =
            snapshotSequence.map { "restored from the snapshot at log row \($0) and \(replayedRows) log rows after it" }
            ?? "restored by replaying all \(replayedRows) log rows"
        for (sequence, reason) in refused {
            text += "; snapshot at log row \(sequence) refused [snapshot_refused]: \(reason)"
        }
        return text
    }
}

/// A hub store that keeps snapshots beside its log.
public protocol HubSnapshotStore: Sendable {
    /// The newest log row (nil: nothing committed yet).
    func lastLogRow() async throws -> LogRowMark?
    /// Stores `snapshot` (the log row it names is committed) and keeps only the newest `keep`.
    func storeSnapshot(_ snapshot: HubSnapshot, keep: Int) async throws
    /// The stored snapshots' log rows, newest first.
    func snapshotSequences() async throws -> [UInt64]
    /// Restores as `use` says, and reports how.
    func restore(snapshots use: SnapshotUse) async throws -> (hub: HubStateMachine, report: RestoreReport)
}

extension HubStateMachine {
    /// What every store checks after starting from a snapshot, cheaply (the whole ledger is
    /// compared by a full replay, `ledger check`): every account and its balances, every
    /// pending transfer, the last timestamp, and the store's newest transfer.
    public func verifySnapshotRestore(against stored: LedgerStoreSummary, in place: String) throws(StoreError) {
        let ledger = ledgerState
        let snapshot = ledger.makePendingAndAccountsSummary()
        guard stored.accounts == snapshot.accounts, stored.pending == snapshot.pending,
            stored.lastTimestamp == ledger.lastTimestamp
        else {
            throw StoreError(
                .invariantViolated, "the snapshot and the log after it do not give the stored ledger of \(place)")
        }
        if let newest = stored.newestTransfer, ledger.transferEntry(id: newest.id) != newest,
            !ledgerForgot(transferID: newest.id)
        {
            throw StoreError(.invariantViolated, "the stored ledger of \(place) holds a transfer the hub does not")
        }
        if let violation = checkInvariants() { throw StoreError(.invariantViolated, violation.description) }
    }
}
