@testable import PolyclearCore
import Testing

@Suite struct LedgerBehaviourTests {
    @Test func singlePhaseTransferMovesPostedBalances() {
        var h = Harness()
        h.createAccounts(1...2)
        #expect(h.applyOne(transfer(10, 1, 2, 250)) == .transfer(.ok))
        #expect(h.balances(1) == (0, 250, 0, 0))
        #expect(h.balances(2) == (0, 0, 0, 250))
    }

    @Test func timestampsStrictlyIncreaseEvenIfTheClockStalls() {
        var h = Harness()
        h.createAccounts(1...2)
        let first = h.ledger.lastTimestamp
        _ = h.apply([transfer(10, 1, 2, 1), transfer(11, 1, 2, 1)], advancingNanoseconds: 0)
        #expect(h.ledger.lastTimestamp == first + 2)
        h.now -= 1_000_000  // the clock steps backwards
        _ = h.apply([transfer(12, 1, 2, 1)], advancingNanoseconds: 0)
        #expect(h.ledger.lastTimestamp == first + 3)
    }

    @Test func pendingReservesThenPostsInPart() {
        var h = Harness()
        h.createAccounts(1...2)
        #expect(h.applyOne(transfer(10, 1, 2, 100, flags: .pending)) == .transfer(.ok))
        #expect(h.balances(1) == (100, 0, 0, 0))
        #expect(h.applyOne(post(11, pending: 10, amount: 60)) == .transfer(.ok))
        #expect(h.balances(1) == (0, 60, 0, 0))
        #expect(h.balances(2) == (0, 0, 0, 60))
        #expect(h.ledger.transferStatus(id: 10) == .pendingPosted)
        #expect(h.applyOne(void(12, pending: 10)) == .transfer(.pendingTransferAlreadyPosted))
    }

    @Test func postWithZeroAmountPostsInFull() {
        var h = Harness()
        h.createAccounts(1...2)
        _ = h.apply([transfer(10, 1, 2, 100, flags: .pending), post(11, pending: 10)])
        #expect(h.balances(2) == (0, 0, 0, 100))
    }

    @Test func voidReleasesTheReservation() {
        var h = Harness()
        h.createAccounts(1...2)
        _ = h.apply([transfer(10, 1, 2, 100, flags: .pending), void(11, pending: 10)])
        #expect(h.balances(1) == (0, 0, 0, 0))
        #expect(h.ledger.transferStatus(id: 10) == .pendingVoided)
        #expect(h.applyOne(void(12, pending: 10)) == .transfer(.pendingTransferAlreadyVoided))
    }

    @Test func pendingExpiresAtItsTimeoutDrivenByTheClock() {
        var h = Harness()
        h.createAccounts(1...2)
        #expect(h.applyOne(transfer(10, 1, 2, 100, flags: .pending, timeout: 5)) == .transfer(.ok))
        _ = h.apply([], advancingNanoseconds: 4_000_000_000)
        #expect(h.ledger.transferStatus(id: 10) == .pending)
        _ = h.apply([], advancingNanoseconds: 1_000_000_000)
        #expect(h.ledger.transferStatus(id: 10) == .pendingExpired)
        #expect(h.balances(1) == (0, 0, 0, 0))
        #expect(h.applyOne(post(11, pending: 10)) == .transfer(.pendingTransferExpired))
    }

    @Test func pendingCountsAgainstLimitsAndItsReleaseFreesThem() {
        var h = Harness()
        h.createAccounts(1...1)
        h.createAccounts(4...4, flags: .debitsMustNotExceedCredits)
        h.createAccounts(2...2)
        h.fund(4, amount: 100, transferID: 50)
        #expect(h.applyOne(transfer(10, 4, 2, 80, flags: .pending)) == .transfer(.ok))
        #expect(h.applyOne(transfer(11, 4, 2, 30)) == .transfer(.exceedsCredits))
        #expect(h.applyOne(void(12, pending: 10)) == .transfer(.ok))
        #expect(h.applyOne(transfer(11, 4, 2, 30)) == .transfer(.ok))
    }

    @Test func failingChainInTheMiddleLeavesNoTrace() {
        var h = Harness()
        h.createAccounts(1...2)
        let before = h.ledger.makeSnapshot().accounts
        let results = h.apply([
            transfer(10, 1, 2, 5, flags: .linked),
            .createAccount(Account(id: 3, ledger: Harness.eur, code: 1, flags: .linked)),
            transfer(11, 2, 3, 5, flags: .linked),
            transfer(12, 1, 99, 5, flags: .linked),  // fails: no account 99
            transfer(13, 1, 2, 5),
            transfer(14, 1, 2, 7),  // after the chain: independent
        ])
        #expect(
            results == [
                .transfer(.linkedEventFailed), .account(.linkedEventFailed), .transfer(.linkedEventFailed),
                .transfer(.creditAccountNotFound), .transfer(.linkedEventFailed), .transfer(.ok),
            ])
        #expect(h.ledger.account(id: 3) == nil)
        #expect(h.ledger.transferStatus(id: 10) == nil)
        #expect(h.ledger.transferStatus(id: 11) == nil)
        #expect(h.ledger.transferStatus(id: 13) == nil)
        #expect(
            h.ledger.makeSnapshot().accounts.map(\.debitsPosted)
                == before.map(\.debitsPosted).enumerated().map { $0.offset == 0 ? 7 : $0.element })
    }

    @Test func failedChainUndoesPostsAndPendingInserts() {
        var h = Harness()
        h.createAccounts(1...2)
        _ = h.applyOne(transfer(10, 1, 2, 100, flags: .pending))
        let snapshot = h.ledger.makeSnapshot()
        let results = h.apply([
            post(11, pending: 10, amount: 40, flags: .linked),
            transfer(12, 1, 2, 9, flags: [.pending, .linked]),
            .closeAccount(id: 99, linked: false),
        ])
        #expect(results == [.transfer(.linkedEventFailed), .transfer(.linkedEventFailed), .account(.accountNotFound)])
        var expected = snapshot
        expected.lastTimestamp = h.ledger.lastTimestamp
        #expect(h.ledger.makeSnapshot() == expected)
        #expect(h.applyOne(post(11, pending: 10, amount: 40)) == .transfer(.ok))
    }

    @Test func chainOpenAtTheEndOfABatchFailsWhole() {
        var h = Harness()
        h.createAccounts(1...2)
        let results = h.apply([
            transfer(9, 1, 2, 1), transfer(10, 1, 2, 5, flags: .linked), transfer(11, 1, 2, 5, flags: .linked),
        ])
        #expect(results == [.transfer(.ok), .transfer(.linkedEventFailed), .transfer(.linkedEventChainOpen)])
        #expect(h.ledger.transferStatus(id: 10) == nil && h.ledger.transferStatus(id: 11) == nil)
        #expect(h.balances(2).cP == 1)
    }

    @Test func successfulChainAppliesAll() {
        var h = Harness()
        let results = h.apply([
            .createAccount(Account(id: 1, ledger: Harness.eur, code: 1, flags: .linked)),
            .createAccount(Account(id: 2, ledger: Harness.eur, code: 1, flags: .linked)),
            transfer(10, 1, 2, 5),
        ])
        #expect(results.allSatisfy { $0.isOK })
        #expect(h.balances(2).cP == 5)
    }

    @Test func oversizedBatchIsRefusedWhole() {
        var ledger = LedgerStateMachine()
        var results = ContiguousArray<EventResult>()
        let events = (1...UInt128(Limits.batchEventCountMax + 1)).map {
            LedgerEvent.createAccount(Account(id: $0, ledger: 1, code: 1))
        }
        #expect(throws: BatchRejection.batchTooLarge) { try ledger.apply(events, now: 1, results: &results) }
        #expect(ledger.accountCount == 0)
        try! ledger.apply(Array(events.dropLast()), now: 1, results: &results)
        #expect(ledger.accountCount == Limits.batchEventCountMax)
    }

    @Test func outcomeCarriesEveryChangeForTheStore() {
        var ledger = LedgerStateMachine()
        var results = ContiguousArray<EventResult>()
        try! ledger.apply(
            [
                .createAccount(Account(id: 1, ledger: 1, code: 1)), .createAccount(Account(id: 2, ledger: 1, code: 1)),
                transfer(10, 1, 2, 5, ledger: 1, flags: .pending), post(11, pending: 10),
            ], now: 100, results: &results)
        let outcome = ledger.sealOutcome()
        #expect(outcome.createdAccounts.map(\.id) == [1, 2])
        #expect(outcome.createdTransfers.map(\.transfer.id) == [10, 11])
        #expect(outcome.createdTransfers[1].transfer.debitAccountID == 1)  // resolved from the pending
        #expect(outcome.statusChanges == [TransferStatusChange(transferID: 10, status: .pendingPosted)])
        #expect(outcome.updatedAccounts.map(\.creditsPosted) == [0, 5])
        #expect(outcome.lastTimestamp == 103)
        ledger.outcomeCommitted()
        #expect(ledger.sealOutcome().isEmpty)
    }
}
