public import PolyclearCore

/// A store that keeps committed state in memory: for tests and in-process simulation.
/// It follows the same contract as the durable stores, minus durability.
public actor InMemoryLedgerStore: LedgerStore {
    private var accountsByID: [UInt128: Account] = [:]
    private var accountOrder: [UInt128] = []
    /// In timestamp order, which is commit order.
    private var transfers: [StoredTransfer] = []
    private var transferPositionByID: [UInt128: Int] = [:]
    private var lastTimestamp: UInt64 = 0
    public private(set) var commitCount = 0

    public init() {}

    public func commit(_ outcome: LedgerOutcome) async throws {
        for account in outcome.createdAccounts {
            precondition(accountsByID[account.id] == nil, "store: account created twice")
            accountsByID[account.id] = account
            accountOrder.append(account.id)
        }
        for stored in outcome.createdTransfers {
            precondition(transferPositionByID[stored.transfer.id] == nil, "store: transfer created twice")
            precondition(
                stored.transfer.timestamp > (transfers.last?.transfer.timestamp ?? 0), "store: timestamps must increase"
            )
            transferPositionByID[stored.transfer.id] = transfers.count
            transfers.append(stored)
        }
        for change in outcome.statusChanges {
            transfers[transferPositionByID[change.transferID]!].status = change.status
        }
        for account in outcome.updatedAccounts { accountsByID[account.id] = account }
        lastTimestamp = outcome.lastTimestamp
        commitCount += 1
    }

    public func restore() async throws -> LedgerStateMachine {
        var restorer = LedgerRestorer(
            expectedAccountCount: accountOrder.count, expectedTransferCount: transfers.count,
            lastTimestamp: lastTimestamp)
        do {
            for id in accountOrder { try restorer.restoreAccount(accountsByID[id]!) }
            for stored in transfers {
                try restorer.restoreTransfer(
                    id: stored.transfer.id, fingerprint: stored.fingerprint, status: stored.status)
            }
            for stored in transfers where stored.status == .pending { try restorer.restorePending(stored.transfer) }
            return try restorer.finish()
        } catch {
            throw StoreError(.invariantViolated, "in-memory store: \(error)")
        }
    }

    public func account(id: UInt128) async throws -> Account? { accountsByID[id] }

    public func transfer(id: UInt128) async throws -> StoredTransfer? {
        transferPositionByID[id].map { transfers[$0] }
    }

    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        Array(
            transfers.lazy.filter {
                timestamps.contains($0.transfer.timestamp)
                    && ($0.transfer.debitAccountID == accountID || $0.transfer.creditAccountID == accountID)
            }.prefix(limit))
    }

    public func transfers(timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        Array(transfers.lazy.filter { timestamps.contains($0.transfer.timestamp) }.prefix(limit))
    }
}
