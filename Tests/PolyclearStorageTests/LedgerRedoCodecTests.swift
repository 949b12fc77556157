import PolyclearCore
import PolyclearStorage
import PolyclearTestSupport
import PolyclearWorkload
import Testing

/// The redo record is the durable commit: every outcome reads back exactly, and a damaged
/// record is refused (never trapped on, never read as another outcome's length).
@Suite struct LedgerRedoCodecTests {
    static func outcomes(seed: UInt64, batches: Int) throws -> [LedgerOutcome] {
        var ledger = LedgerStateMachine()
        var results = ContiguousArray<EventResult>()
        var random = SeededRandom(seed: seed)
        var now: UInt64 = 1_000_000_000_000
        try ledger.apply(Traffic.accounts(), now: now, results: &results)
        var sealed: [LedgerOutcome] = []
        for batch in 0..<batches {
            sealed.append(ledger.sealOutcome())
            ledger.outcomeCommitted()
            now += random.next() % 1_500_000_000
            try ledger.apply(
                Traffic.batch(&random, size: Int(1 + random.next() % 60), idBase: UInt128(1_000 + batch * 100)),
                now: now, results: &results)
        }
        return sealed
    }

    static func expectEqual(_ a: LedgerOutcome, _ b: LedgerOutcome) {
        #expect(a.createdAccounts == b.createdAccounts)
        #expect(a.createdTransfers == b.createdTransfers)
        #expect(a.statusChanges == b.statusChanges)
        #expect(a.updatedAccounts == b.updatedAccounts)
        #expect(a.lastTimestamp == b.lastTimestamp)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func everyOutcomeReadsBackExactly(seed: UInt64) throws {
        let outcomes = try Self.outcomes(seed: seed, batches: 40)
        #expect(outcomes.contains { !$0.statusChanges.isEmpty }, "the traffic was meant to resolve pending transfers")
        for outcome in outcomes {
            let bytes = LedgerRedoCodec.encode(outcome)
            Self.expectEqual(try bytes.withUnsafeBytes { try LedgerRedoCodec.decode($0) }, outcome)
        }
        // Extreme values survive too: 128-bit amounts and balances, every flag bit.
        var account = Account(
            id: .max, ledger: .max, code: .max, flags: AccountFlags(rawValue: .max), userReference: .max)
        account.creditsPosted = .max
        account.timestamp = .max
        var transfer = Transfer(
            id: .max, debitAccountID: 1, creditAccountID: .max, amount: .max, ledger: .max, code: .max,
            flags: TransferFlags(rawValue: .max), pendingID: .max, timeoutSeconds: .max, userReference: .max)
        transfer.timestamp = .max
        let extreme = LedgerOutcome(
            createdAccounts: [account],
            createdTransfers: [StoredTransfer(transfer: transfer, status: .pendingExpired, fingerprint: .max)],
            statusChanges: [TransferStatusChange(transferID: .max, status: .pendingVoided)], updatedAccounts: [account],
            lastTimestamp: .max)
        Self.expectEqual(
            try LedgerRedoCodec.encode(extreme).withUnsafeBytes { try LedgerRedoCodec.decode($0) }, extreme)
    }

    @Test func aDamagedRecordIsRefusedNeverTrappedOn() throws {
        let outcome = try Self.outcomes(seed: 5, batches: 6).last!
        let bytes = LedgerRedoCodec.encode(outcome)
        for length in 0..<bytes.count {
            #expect(throws: LedgerRedoDecodingError.self) {
                _ = try Array(bytes.prefix(length)).withUnsafeBytes { try LedgerRedoCodec.decode($0) }
            }
        }
        #expect(throws: LedgerRedoDecodingError.self) {
            _ = try (bytes + [0]).withUnsafeBytes { try LedgerRedoCodec.decode($0) }
        }
        // Any byte changed: refused, or read as some outcome of the same shape — never a trap.
        var random = SeededRandom(seed: 9)
        for _ in 0..<2_000 {
            var damaged = bytes
            damaged[Int(random.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: 1 + random.next() % 255)
            _ = try? damaged.withUnsafeBytes { try LedgerRedoCodec.decode($0) }
        }
        var wrongCount = bytes
        wrongCount[20] &+= 1  // the created-transfers count
        #expect(throws: LedgerRedoDecodingError.wrongLength) {
            _ = try wrongCount.withUnsafeBytes { try LedgerRedoCodec.decode($0) }
        }
    }
}
