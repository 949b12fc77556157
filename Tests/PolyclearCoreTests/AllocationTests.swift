import MallocCounter
@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// The apply loop must not touch the heap once its buffers are warm: measured by counting
/// malloc calls on this thread (the MallocCounter target interposes malloc in tests).
@Suite struct AllocationTests {
    @Test(arguments: [(0, 0), (10, 0), (0, 30), (10, 30)])
    func applyingABatchOfTransfersAllocatesNothing(hotAccounts: Int, twoPhasePercent: Int) throws {
        var workload = LedgerWorkload(
            accountCount: 1_000, hotAccountCount: hotAccounts, twoPhasePercent: twoPhasePercent, seed: 3)
        var ledger = LedgerStateMachine(
            expectedAccountCount: 1_000, expectedTransferCount: 200_000, expectedPendingCount: 50_000)
        var results = ContiguousArray<EventResult>()
        results.reserveCapacity(Limits.batchEventCountMax)
        var now: UInt64 = 1_000_000_000
        for batch in workload.accountBatches() { try ledger.apply(batch, now: now, results: &results) }
        ledger.outcomeCommitted()
        var events: [LedgerEvent] = []
        events.reserveCapacity(Limits.batchEventCountMax)
        for batchNumber in 1...6 {
            workload.fillTransferBatch(&events, batchNumber: batchNumber, count: Limits.batchEventCountMax)
            now += 1_000_000
            let before = polyclear_thread_allocation_count()
            try ledger.apply(events, now: now, results: &results)
            let allocations = polyclear_thread_allocation_count() - before
            ledger.outcomeCommitted()
            // The first batches size the reusable outcome buffers; after that, nothing.
            if batchNumber > 2 {
                #expect(allocations == 0, "batch \(batchNumber) allocated \(allocations) times")
            }
            #expect(results.allSatisfy { $0 == .transfer(.ok) })
        }
        #expect(ledger.checkInvariants() == nil)
    }

    @Test func theCounterSeesAllocations() {
        let before = polyclear_thread_allocation_count()
        let array = ContiguousArray<Int>(repeating: 7, count: 1_000)
        #expect(polyclear_thread_allocation_count() > before)
        #expect(array.count == 1_000)
    }
}
