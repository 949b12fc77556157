@testable import PolyclearCore
import Testing

/// Wraps the state machine for tests: a manual clock, and the invariants checked after
/// every batch, so that no test can pass on a ledger that stopped balancing.
struct Harness {
    var ledger = LedgerStateMachine()
    var now: UInt64 = 1_000_000_000_000
    static let eur: UInt32 = CurrencyCode("EUR")!.packedASCII
    static let jpy: UInt32 = CurrencyCode("JPY")!.packedASCII

    @discardableResult
    mutating func apply(_ events: [LedgerEvent], advancingNanoseconds: UInt64 = 1_000) -> [EventResult] {
        now += advancingNanoseconds
        var results = ContiguousArray<EventResult>()
        try! ledger.apply(events, now: now, results: &results)
        if let violation = ledger.checkInvariants() { Issue.record("invariant broken: \(violation)") }
        _ = ledger.sealOutcome()
        ledger.outcomeCommitted()
        return Array(results)
    }

    mutating func applyOne(_ event: LedgerEvent) -> EventResult { apply([event])[0] }

    /// Accounts 1...count on EUR, plus `flags` for all of them.
    mutating func createAccounts(_ ids: ClosedRange<UInt128>, ledger: UInt32 = Harness.eur, flags: AccountFlags = []) {
        let results = apply(ids.map { .createAccount(Account(id: $0, ledger: ledger, code: 1, flags: flags)) })
        #expect(results.allSatisfy { $0 == .account(.ok) })
    }

    /// A funding transfer from account 1 (an unconstrained source) so limited accounts have credit.
    mutating func fund(_ id: UInt128, amount: UInt128, from source: UInt128 = 1, transferID: UInt128) {
        #expect(
            applyOne(
                .createTransfer(
                    .init(
                        id: transferID, debitAccountID: source, creditAccountID: id, amount: amount,
                        ledger: Harness.eur, code: 1)))
                == .transfer(.ok))
    }

    func balances(_ id: UInt128) -> (dp: UInt128, dP: UInt128, cp: UInt128, cP: UInt128) {
        let a = ledger.account(id: id)!
        return (a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted)
    }
}

func transfer(
    _ id: UInt128, _ debit: UInt128, _ credit: UInt128, _ amount: UInt128, ledger: UInt32 = Harness.eur,
    flags: TransferFlags = [], pendingID: UInt128 = 0, timeout: UInt32 = 0, code: UInt16 = 1
) -> LedgerEvent {
    .createTransfer(
        Transfer(
            id: id, debitAccountID: debit, creditAccountID: credit, amount: amount, ledger: ledger, code: code,
            flags: flags, pendingID: pendingID, timeoutSeconds: timeout))
}

func post(_ id: UInt128, pending: UInt128, amount: UInt128 = 0, flags: TransferFlags = []) -> LedgerEvent {
    .createTransfer(
        Transfer(
            id: id, debitAccountID: 0, creditAccountID: 0, amount: amount, ledger: 0, code: 0,
            flags: flags.union(.postPendingTransfer), pendingID: pending))
}

func void(_ id: UInt128, pending: UInt128, amount: UInt128 = 0) -> LedgerEvent {
    .createTransfer(
        Transfer(
            id: id, debitAccountID: 0, creditAccountID: 0, amount: amount, ledger: 0, code: 0,
            flags: .voidPendingTransfer, pendingID: pending))
}
