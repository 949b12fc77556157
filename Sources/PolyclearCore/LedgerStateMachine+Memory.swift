/// Bytes the ledger's in-memory structures hold (their allocated capacity, not just use):
/// what `polyclear bench ledger` reports per account and per transfer.
public struct LedgerMemoryUsage: Sendable {
    public var accountBytes: Int
    public var transferIndexBytes: Int
    public var pendingBytes: Int

    public init(accountBytes: Int = 0, transferIndexBytes: Int = 0, pendingBytes: Int = 0) {
        self.accountBytes = accountBytes
        self.transferIndexBytes = transferIndexBytes
        self.pendingBytes = pendingBytes
    }
}

extension LedgerStateMachine {
    public var memoryUsage: LedgerMemoryUsage {
        LedgerMemoryUsage(
            accountBytes: accounts.capacity * MemoryLayout<Account>.stride
                + accountIndexByID.allocatedByteCount + touchedGeneration.capacity * MemoryLayout<UInt32>.stride,
            transferIndexBytes: transferIndex.allocatedByteCount,
            pendingBytes: pendingByID.allocatedByteCount
                + expiries.entries.capacity * MemoryLayout<ExpiryHeap.Entry>.stride)
    }
}
