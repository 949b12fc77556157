public import PolyclearCore

/// A reproducible stream of ledger batches, for `polyclear bench ledger`, the load
/// generator behind the crash test, and tests.
///
/// Accounts have ids 1...accountCount on one ledger. Transfer ids encode their batch:
/// `batchNumber << 20 | position`, so a checker can tell which batch a stored transfer came
/// from, and a batch without two-phase transfers depends only on the seed and its number.
/// With `twoPhasePercent`, that share of transfers is created pending and resolved
/// (nine in ten posted, one voided) in a later batch; resolutions count as transfers.
public struct LedgerWorkload: Sendable {
    public static let ledger: UInt32 = CurrencyCode("EUR")!.packedASCII
    public static let accountCode: UInt16 = 1
    public static let transferCode: UInt16 = 1

    public let accountCount: Int
    /// Zero: both sides uniform over all accounts. Otherwise both sides among the first N.
    public let hotAccountCount: Int
    public let twoPhasePercent: Int
    private let seed: UInt64
    private var random: SeededRandom
    private var unresolvedPendingIDs: [UInt128] = []

    public init(accountCount: Int, hotAccountCount: Int = 0, twoPhasePercent: Int = 0, seed: UInt64) {
        precondition(accountCount >= 2 && hotAccountCount != 1 && hotAccountCount <= accountCount)
        self.accountCount = accountCount
        self.hotAccountCount = hotAccountCount
        self.twoPhasePercent = twoPhasePercent
        self.seed = seed
        self.random = SeededRandom(seed: seed)
    }

    /// Batches creating every account.
    public func accountBatches(batchSize: Int = Limits.batchEventCountMax) -> [[LedgerEvent]] {
        stride(from: 1, through: accountCount, by: batchSize).map { first in
            (first..<min(first + batchSize, accountCount + 1)).map { id in
                .createAccount(Account(id: UInt128(id), ledger: Self.ledger, code: Self.accountCode))
            }
        }
    }

    public static func transferID(batchNumber: Int, position: Int) -> UInt128 {
        UInt128(batchNumber) << 20 | UInt128(position + 1)
    }

    public static func batchNumber(ofTransferID id: UInt128) -> Int { Int(id >> 20) }

    /// Fills `events` (cleared first, capacity kept) with batch `batchNumber`.
    public mutating func fillTransferBatch(_ events: inout [LedgerEvent], batchNumber: Int, count: Int) {
        precondition(count < 1 << 20)
        events.removeAll(keepingCapacity: true)
        // Reseeded per batch: without two-phase, a batch is a function of (seed, batchNumber),
        // so a restarted load generator resubmits exactly what it sent before.
        random = SeededRandom(seed: seed ^ UInt64(batchNumber) &* 0x9E37_79B9_7F4A_7C15)
        for position in 0..<count {
            let id = Self.transferID(batchNumber: batchNumber, position: position)
            if twoPhasePercent > 0, !unresolvedPendingIDs.isEmpty, random.next() % 100 < UInt64(twoPhasePercent) {
                let pendingID = unresolvedPendingIDs.removeLast()
                let flags: TransferFlags = random.next() % 10 == 0 ? .voidPendingTransfer : .postPendingTransfer
                events.append(
                    .createTransfer(
                        Transfer(
                            id: id, debitAccountID: 0, creditAccountID: 0, amount: 0, ledger: 0, code: 0,
                            flags: flags, pendingID: pendingID)))
                continue
            }
            let isPending = twoPhasePercent > 0 && random.next() % 100 < UInt64(twoPhasePercent)
            let (debit, credit) = nextAccountPair()
            events.append(
                .createTransfer(
                    Transfer(
                        id: id, debitAccountID: debit, creditAccountID: credit,
                        amount: UInt128(1 + random.next() % 1_000_000), ledger: Self.ledger, code: Self.transferCode,
                        flags: isPending ? .pending : [], timeoutSeconds: isPending ? 3_600 : 0)))
            if isPending { unresolvedPendingIDs.append(id) }
        }
    }

    private mutating func nextAccountPair() -> (UInt128, UInt128) {
        let range = UInt64(hotAccountCount > 0 ? hotAccountCount : accountCount)
        let debit = random.next() % range
        var credit = random.next() % (range - 1)
        if credit >= debit { credit += 1 }
        return (UInt128(debit + 1), UInt128(credit + 1))
    }
}
