/// The complete logical state of a ledger, in a canonical order, for comparing two ledgers
/// (a live one and one rebuilt from the store, say). Built on demand; not for the hot path.
public struct LedgerSnapshot: Equatable, Sendable {
    public struct TransferEntry: Equatable, Sendable {
        public var id: UInt128
        public var fingerprint: UInt64
        public var status: TransferStatus

        public init(id: UInt128, fingerprint: UInt64, status: TransferStatus) {
            self.id = id
            self.fingerprint = fingerprint
            self.status = status
        }
    }

    public struct PendingEntry: Equatable, Sendable {
        public var id: UInt128
        public var debitAccountID: UInt128
        public var creditAccountID: UInt128
        public var amount: UInt128
        public var ledger: UInt32
        public var code: UInt16
        public var timestamp: UInt64
        public var expiresAt: UInt64

        public init(
            id: UInt128, debitAccountID: UInt128, creditAccountID: UInt128, amount: UInt128, ledger: UInt32,
            code: UInt16, timestamp: UInt64, expiresAt: UInt64
        ) {
            self.id = id
            self.debitAccountID = debitAccountID
            self.creditAccountID = creditAccountID
            self.amount = amount
            self.ledger = ledger
            self.code = code
            self.timestamp = timestamp
            self.expiresAt = expiresAt
        }
    }

    public var accounts: [Account]
    public var transfers: [TransferEntry]
    public var pending: [PendingEntry]
    public var lastTimestamp: UInt64
}

extension LedgerStateMachine {
    public func makeSnapshot() -> LedgerSnapshot {
        var transfers: [LedgerSnapshot.TransferEntry] = []
        transferIndex.forEach { id, packed in
            transfers.append(
                .init(
                    id: id, fingerprint: TransferIndexEntry.fingerprint(packed),
                    status: TransferIndexEntry.status(packed)))
        }
        let (accounts, pending) = makePendingAndAccountsSummary()
        return LedgerSnapshot(
            accounts: accounts, transfers: transfers.sorted { $0.id < $1.id }, pending: pending,
            lastTimestamp: lastTimestamp)
    }
}

extension LedgerStateMachine {
    /// Accounts in creation order and pending transfers by id: what a restore from a
    /// snapshot compares with the store (the transfers are too many to compare on every start).
    public func makePendingAndAccountsSummary() -> (accounts: [Account], pending: [LedgerSnapshot.PendingEntry]) {
        var pending: [LedgerSnapshot.PendingEntry] = []
        pendingByID.forEach { id, p in
            pending.append(
                .init(
                    id: id, debitAccountID: accounts[Int(p.debitAccountIndex)].id,
                    creditAccountID: accounts[Int(p.creditAccountIndex)].id, amount: p.amount, ledger: p.ledger,
                    code: p.code, timestamp: p.timestamp, expiresAt: p.expiresAt))
        }
        return (Array(accounts), pending.sorted { $0.id < $1.id })
    }

    /// A transfer's entry in the index (fingerprint and status), if the ledger holds it.
    public func transferEntry(id: UInt128) -> LedgerSnapshot.TransferEntry? {
        transferIndex.value(for: id).map {
            .init(id: id, fingerprint: TransferIndexEntry.fingerprint($0), status: TransferIndexEntry.status($0))
        }
    }
}

/// Rebuilds a state machine from what a store holds. Feed accounts in creation (timestamp)
/// order, then every transfer's index entry, then the bodies of still-pending transfers.
public struct LedgerRestorer {
    var machine: LedgerStateMachine

    public init(expectedAccountCount: Int, expectedTransferCount: Int, lastTimestamp: UInt64) {
        machine = LedgerStateMachine(
            expectedAccountCount: expectedAccountCount, expectedTransferCount: expectedTransferCount)
        machine.lastTimestamp = lastTimestamp
    }

    public mutating func restoreAccount(_ account: Account) throws(LedgerInvariantViolation) {
        guard account.id != 0, machine.accountIndexByID.value(for: account.id) == nil else {
            throw .init(description: "stored account ids must be non-zero and unique")
        }
        machine.accountIndexByID.insertNew(account.id, UInt32(machine.accounts.count))
        machine.accounts.append(account)
        machine.touchedGeneration.append(0)
    }

    public mutating func restoreTransfer(
        id: UInt128, fingerprint: UInt64, status: TransferStatus
    )
        throws(LedgerInvariantViolation)
    {
        guard id != 0, machine.transferIndex.value(for: id) == nil else {
            throw .init(description: "stored transfer ids must be non-zero and unique")
        }
        machine.transferIndex.insertNew(id, TransferIndexEntry.pack(fingerprint: fingerprint, status: status))
    }

    /// A transfer whose stored status is `.pending`; its accounts must be restored already.
    public mutating func restorePending(_ transfer: Transfer) throws(LedgerInvariantViolation) {
        guard let debitIndex = machine.accountIndexByID.value(for: transfer.debitAccountID),
            let creditIndex = machine.accountIndexByID.value(for: transfer.creditAccountID)
        else { throw .init(description: "a pending transfer names an unknown account") }
        let expiresAt =
            transfer.timeoutSeconds == 0
            ? 0 : transfer.timestamp + UInt64(transfer.timeoutSeconds) * LedgerStateMachine.nanosecondsPerSecond
        machine.pendingByID.insertNew(
            transfer.id,
            .init(
                debitAccountIndex: debitIndex, creditAccountIndex: creditIndex, amount: transfer.amount,
                ledger: transfer.ledger, code: transfer.code, timestamp: transfer.timestamp, expiresAt: expiresAt))
        if expiresAt != 0 { machine.expiries.insert(.init(expiresAt: expiresAt, pendingID: transfer.id)) }
    }

    /// The rebuilt machine, after checking every invariant on it.
    public consuming func finish() throws(LedgerInvariantViolation) -> LedgerStateMachine {
        if let violation = machine.checkInvariants() { throw violation }
        return machine
    }
}

extension LedgerSnapshot.PendingEntry {
    /// The entry of a stored pending transfer, its deadline computed as the ledger does.
    public init(pendingTransfer transfer: Transfer) {
        self.init(
            id: transfer.id, debitAccountID: transfer.debitAccountID, creditAccountID: transfer.creditAccountID,
            amount: transfer.amount, ledger: transfer.ledger, code: transfer.code, timestamp: transfer.timestamp,
            expiresAt: transfer.timeoutSeconds == 0
                ? 0 : transfer.timestamp + UInt64(transfer.timeoutSeconds) * LedgerStateMachine.nanosecondsPerSecond)
    }
}
