@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// Seeded random batches over a small world of accounts, so that collisions, limits,
/// chains, two-phase transfers and expiries all happen often. A failure names its seed.
enum RandomBatches {
    static func accounts() -> [LedgerEvent] {
        (1...12).map { id in
            let flags: AccountFlags =
                id % 4 == 0 ? .debitsMustNotExceedCredits : id % 5 == 0 ? .creditsMustNotExceedDebits : []
            return .createAccount(Account(id: UInt128(id), ledger: id <= 10 ? 1 : 2, code: 1, flags: flags))
        }
    }

    static func batch(_ random: inout SeededRandom, size: Int) -> [LedgerEvent] {
        (0..<size).map { _ in
            let linked = random.next() % 4 == 0
            let id = UInt128(1 + random.next() % 400)
            let debit = UInt128(random.next() % 13), credit = UInt128(random.next() % 13)
            switch random.next() % 10 {
            case 0:
                return post(
                    id, pending: UInt128(1 + random.next() % 400), amount: UInt128(random.next() % 3) * 50,
                    flags: linked ? .linked : [])
            case 1:
                return .createTransfer(
                    Transfer(
                        id: id, debitAccountID: 0, creditAccountID: 0, amount: 0, ledger: 0, code: 0,
                        flags: linked ? [.voidPendingTransfer, .linked] : .voidPendingTransfer,
                        pendingID: UInt128(1 + random.next() % 400)))
            case 2, 3:
                return transfer(
                    id, debit, credit, UInt128(1 + random.next() % 200), ledger: 1,
                    flags: linked ? [.pending, .linked] : .pending, timeout: UInt32(random.next() % 3))
            case 4: return .closeAccount(id: UInt128(random.next() % 14), linked: linked)
            default:
                return transfer(
                    id, debit, credit, UInt128(1 + random.next() % 300), ledger: debit > 10 ? 2 : 1,
                    flags: linked ? .linked : [])
            }
        }
    }
}

@Suite struct LedgerPropertyTests {
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func randomBatchesKeepTheInvariantsAndAreDeterministic(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var a = Harness(), b = Harness()
        _ = a.apply(RandomBatches.accounts()); _ = b.apply(RandomBatches.accounts())
        for _ in 0..<30 {
            let batch = RandomBatches.batch(&random, size: Int(1 + random.next() % 40))
            let step = random.next() % 1_500_000_000
            let resultsA = a.apply(batch, advancingNanoseconds: step)  // the harness checks invariants
            let resultsB = b.apply(batch, advancingNanoseconds: step)
            #expect(resultsA == resultsB, "seed \(seed)")
        }
        #expect(a.ledger.makeSnapshot() == b.ledger.makeSnapshot(), "seed \(seed)")
    }

    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func resubmittingABatchChangesNothing(seed: UInt64) {
        var random = SeededRandom(seed: seed &* 31)
        var h = Harness()
        _ = h.apply(RandomBatches.accounts())
        for _ in 0..<10 { _ = h.apply(RandomBatches.batch(&random, size: 20)) }
        // A batch of fresh, unlinked single-phase transfers, applied twice.
        var batch: [LedgerEvent] = []
        for i in 0..<50 {
            let debit = UInt128(1 + i % 3), credit = UInt128(6 + i % 3)
            batch.append(transfer(UInt128(10_000 + i), debit, credit, UInt128(1 + i), ledger: 1))
        }
        let first = h.apply(batch)
        let before = h.ledger.makeSnapshot()
        let second = h.apply(batch)
        var after = h.ledger.makeSnapshot()
        after.lastTimestamp = before.lastTimestamp
        #expect(after == before, "seed \(seed)")
        for (r1, r2) in zip(first, second) {
            let expected: EventResult = r1 == EventResult.transfer(.ok) ? .transfer(.exists) : r1
            #expect(r2 == expected, "seed \(seed)")
        }
    }

    /// Key 0 marks empty slots: a lookup of it found slot 0 of an empty table (an index past
    /// the records: a crash) or the first record of a full one. It finds nothing, ever.
    @Test func idTableNeverAnswersForKeyZero() {
        var table = IDTable<UInt32>(emptyValue: 0)
        #expect(table.value(for: 0) == nil && table.slot(of: 0) == nil)
        for key in 1...40 as ClosedRange<UInt128> { table.insertNew(key << 64 | key, UInt32(key)) }
        #expect(table.value(for: 0) == nil && table.slot(of: 0) == nil)
        #expect(table.remove(0) == nil && table.count == 40)
        #expect(UUIDText.parse("00000000-0000-0000-0000-000000000000") == nil)
        #expect(UUIDText.parse("00000000-0000-0000-0000-000000000001") == 1)
    }

    @Test func idTableMatchesDictionaryUnderRandomInsertsAndRemovals() {
        var random = SeededRandom(seed: 99)
        var table = IDTable<UInt64>(emptyValue: 0)
        var model: [UInt128: UInt64] = [:]
        for step in 0..<50_000 {
            let key = UInt128(1 + random.next() % 3_000) << (random.next() % 2 == 0 ? 64 : 0)
            if random.next() % 3 == 0 {
                #expect(table.remove(key) == model.removeValue(forKey: key))
            } else if model[key] == nil {
                table.insertNew(key, UInt64(step))
                model[key] = UInt64(step)
            }
        }
        #expect(table.count == model.count)
        for (key, value) in model { #expect(table.value(for: key) == value) }
        var seen = 0
        table.forEach { key, value in
            seen += 1; #expect(model[key] == value)
        }
        #expect(seen == model.count)
    }
}
