@testable import PolyclearCore
import Testing

/// One test per result code: each scenario builds a ledger and submits one event that must
/// fail with exactly that code (or succeed, for `.ok`), leaving balances untouched.
@Suite struct ResultCodeTests {
    typealias Scenario = @Sendable (inout Harness) -> EventResult

    /// Accounts 1, 2 (EUR), 3 (JPY), 4 (EUR, debits must not exceed credits),
    /// 5 (EUR, credits must not exceed debits); account 6 (EUR) is closed.
    static func standardLedger() -> Harness {
        var h = Harness()
        h.createAccounts(1...2)
        h.createAccounts(3...3, ledger: Harness.jpy)
        h.createAccounts(4...4, flags: .debitsMustNotExceedCredits)
        h.createAccounts(5...5, flags: .creditsMustNotExceedDebits)
        h.createAccounts(6...6)
        #expect(h.applyOne(.closeAccount(id: 6, linked: false)) == .account(.ok))
        return h
    }

    static let accountScenarios: [(AccountResult, Scenario)] = [
        (.ok, { h in h.applyOne(.createAccount(Account(id: 100, ledger: Harness.eur, code: 1))) }),
        (
            .timestampMustBeZero,
            { h in
                var a = Account(id: 100, ledger: Harness.eur, code: 1); a.timestamp = 5
                return h.applyOne(.createAccount(a))
            }
        ),
        (
            .flagsUnknown,
            { h in h.applyOne(.createAccount(Account(id: 100, ledger: 1, code: 1, flags: .init(rawValue: 1 << 9)))) }
        ),
        (.idMustNotBeZero, { h in h.applyOne(.createAccount(Account(id: 0, ledger: 1, code: 1))) }),
        (.idMustNotBeIntMax, { h in h.applyOne(.createAccount(Account(id: .max, ledger: 1, code: 1))) }),
        (
            .flagsAreMutuallyExclusive,
            { h in
                h.applyOne(
                    .createAccount(
                        Account(
                            id: 100, ledger: 1, code: 1,
                            flags: [.debitsMustNotExceedCredits, .creditsMustNotExceedDebits])))
            }
        ),
        (
            .closedFlagMustNotBeSet,
            { h in h.applyOne(.createAccount(Account(id: 100, ledger: 1, code: 1, flags: .closed))) }
        ),
        (
            .balancesMustBeZero,
            { h in
                var a = Account(id: 100, ledger: 1, code: 1); a.creditsPosted = 1
                return h.applyOne(.createAccount(a))
            }
        ),
        (.ledgerMustNotBeZero, { h in h.applyOne(.createAccount(Account(id: 100, ledger: 0, code: 1))) }),
        (.codeMustNotBeZero, { h in h.applyOne(.createAccount(Account(id: 100, ledger: 1, code: 0))) }),
        (.existsWithDifferentFields, { h in h.applyOne(.createAccount(Account(id: 1, ledger: Harness.eur, code: 2))) }),
        (.exists, { h in h.applyOne(.createAccount(Account(id: 1, ledger: Harness.eur, code: 1))) }),
        (.accountNotFound, { h in h.applyOne(.closeAccount(id: 99, linked: false)) }),
        (.accountAlreadyClosed, { h in h.applyOne(.closeAccount(id: 6, linked: false)) }),
        (
            .accountHasPendingAmounts,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, 10, flags: .pending))
                return h.applyOne(.closeAccount(id: 2, linked: false))
            }
        ),
        (
            .linkedEventFailed,
            { h in
                h.apply([
                    .createAccount(Account(id: 100, ledger: 1, code: 1, flags: .linked)),
                    .createAccount(Account(id: 0, ledger: 1, code: 1)),
                ])[0]
            }
        ),
        (
            .linkedEventChainOpen,
            { h in h.apply([.createAccount(Account(id: 100, ledger: 1, code: 1, flags: .linked))])[0] }
        ),
    ]

    static let transferScenarios: [(TransferResult, Scenario)] = [
        (.ok, { h in h.applyOne(transfer(10, 1, 2, 5)) }),
        (
            .timestampMustBeZero,
            { h in
                var t = Transfer(
                    id: 10, debitAccountID: 1, creditAccountID: 2, amount: 5, ledger: Harness.eur, code: 1);
                t.timestamp = 9
                return h.applyOne(.createTransfer(t))
            }
        ),
        (.flagsUnknown, { h in h.applyOne(transfer(10, 1, 2, 5, flags: .init(rawValue: 1 << 12))) }),
        (.idMustNotBeZero, { h in h.applyOne(transfer(0, 1, 2, 5)) }),
        (.idMustNotBeIntMax, { h in h.applyOne(transfer(.max, 1, 2, 5)) }),
        (
            .flagsAreMutuallyExclusive,
            { h in h.applyOne(transfer(10, 1, 2, 5, flags: [.pending, .voidPendingTransfer], pendingID: 9)) }
        ),
        (.debitAccountIDMustNotBeZero, { h in h.applyOne(transfer(10, 0, 2, 5)) }),
        (.debitAccountIDMustNotBeIntMax, { h in h.applyOne(transfer(10, .max, 2, 5)) }),
        (.creditAccountIDMustNotBeZero, { h in h.applyOne(transfer(10, 1, 0, 5)) }),
        (.creditAccountIDMustNotBeIntMax, { h in h.applyOne(transfer(10, 1, .max, 5)) }),
        (.accountsMustBeDifferent, { h in h.applyOne(transfer(10, 1, 1, 5)) }),
        (.pendingIDMustBeZero, { h in h.applyOne(transfer(10, 1, 2, 5, pendingID: 3)) }),
        (.pendingIDMustNotBeZero, { h in h.applyOne(post(10, pending: 0)) }),
        (.pendingIDMustNotBeIntMax, { h in h.applyOne(post(10, pending: .max)) }),
        (.pendingIDMustBeDifferent, { h in h.applyOne(post(10, pending: 10)) }),
        (.timeoutReservedForPendingTransfer, { h in h.applyOne(transfer(10, 1, 2, 5, timeout: 60)) }),
        (
            .timeoutTooLong,
            { h in h.applyOne(transfer(10, 1, 2, 5, flags: .pending, timeout: Limits.pendingTimeoutSecondsMax + 1)) }
        ),
        (.amountMustNotBeZero, { h in h.applyOne(transfer(10, 1, 2, 0)) }),
        (.ledgerMustNotBeZero, { h in h.applyOne(transfer(10, 1, 2, 5, ledger: 0)) }),
        (.codeMustNotBeZero, { h in h.applyOne(transfer(10, 1, 2, 5, code: 0)) }),
        (
            .existsWithDifferentFields,
            { h in
                _ = h.applyOne(transfer(10, 1, 2, 5))
                return h.applyOne(transfer(10, 1, 2, 6))
            }
        ),
        (
            .exists,
            { h in
                _ = h.applyOne(transfer(10, 1, 2, 5))
                return h.applyOne(transfer(10, 1, 2, 5))
            }
        ),
        (.debitAccountNotFound, { h in h.applyOne(transfer(10, 77, 2, 5)) }),
        (.creditAccountNotFound, { h in h.applyOne(transfer(10, 1, 77, 5)) }),
        (.accountsMustHaveTheSameLedger, { h in h.applyOne(transfer(10, 1, 3, 5)) }),
        (.transferMustHaveTheSameLedgerAsAccounts, { h in h.applyOne(transfer(10, 1, 2, 5, ledger: Harness.jpy)) }),
        (.debitAccountClosed, { h in h.applyOne(transfer(10, 6, 2, 5)) }),
        (.creditAccountClosed, { h in h.applyOne(transfer(10, 1, 6, 5)) }),
        (.pendingTransferNotFound, { h in h.applyOne(post(10, pending: 99)) }),
        (
            .pendingTransferNotPending,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, 5))
                return h.applyOne(post(10, pending: 50))
            }
        ),
        (
            .pendingTransferAlreadyPosted,
            { h in
                _ = h.apply([transfer(50, 1, 2, 5, flags: .pending), post(51, pending: 50)])
                return h.applyOne(post(10, pending: 50))
            }
        ),
        (
            .pendingTransferAlreadyVoided,
            { h in
                _ = h.apply([transfer(50, 1, 2, 5, flags: .pending), void(51, pending: 50)])
                return h.applyOne(post(10, pending: 50))
            }
        ),
        (
            .pendingTransferExpired,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, 5, flags: .pending, timeout: 1))
                return h.apply([post(10, pending: 50)], advancingNanoseconds: 2_000_000_000)[0]
            }
        ),
        (
            .pendingTransferHasDifferentDebitAccountID,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, 5, flags: .pending))
                return h.applyOne(
                    .createTransfer(
                        .init(
                            id: 10, debitAccountID: 4, creditAccountID: 0, amount: 0, ledger: 0, code: 0,
                            flags: .postPendingTransfer, pendingID: 50)))
            }
        ),
        (
            .pendingTransferHasDifferentCreditAccountID,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, 5, flags: .pending))
                return h.applyOne(
                    .createTransfer(
                        .init(
                            id: 10, debitAccountID: 1, creditAccountID: 4, amount: 0, ledger: 0, code: 0,
                            flags: .postPendingTransfer, pendingID: 50)))
            }
        ),
        (
            .pendingTransferHasDifferentLedger,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, 5, flags: .pending))
                return h.applyOne(
                    .createTransfer(
                        .init(
                            id: 10, debitAccountID: 0, creditAccountID: 0, amount: 0, ledger: Harness.jpy, code: 0,
                            flags: .postPendingTransfer, pendingID: 50)))
            }
        ),
        (
            .pendingTransferHasDifferentCode,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, 5, flags: .pending))
                return h.applyOne(
                    .createTransfer(
                        .init(
                            id: 10, debitAccountID: 0, creditAccountID: 0, amount: 0, ledger: 0, code: 7,
                            flags: .postPendingTransfer, pendingID: 50)))
            }
        ),
        (
            .exceedsPendingTransferAmount,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, 5, flags: .pending))
                return h.applyOne(post(10, pending: 50, amount: 6))
            }
        ),
        (
            .pendingTransferHasDifferentAmount,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, 5, flags: .pending))
                return h.applyOne(void(10, pending: 50, amount: 4))
            }
        ),
        (
            .overflowsDebitsPending,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, .max, flags: .pending))
                return h.applyOne(transfer(10, 1, 100_2, 1, flags: .pending))
            }
        ),
        (
            .overflowsCreditsPending,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, .max, flags: .pending))
                return h.applyOne(transfer(10, 100_1, 2, 1, flags: .pending))
            }
        ),
        (
            .overflowsDebitsPosted,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, .max))
                return h.applyOne(transfer(10, 1, 100_2, 1))
            }
        ),
        (
            .overflowsCreditsPosted,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, .max))
                return h.applyOne(transfer(10, 100_1, 2, 1))
            }
        ),
        (
            .overflowsDebits,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, .max / 2 + 1, flags: .pending))
                return h.applyOne(transfer(10, 1, 100_2, .max / 2 + 1))
            }
        ),
        (
            .overflowsCredits,
            { h in
                _ = h.applyOne(transfer(50, 1, 2, .max / 2 + 1, flags: .pending))
                return h.applyOne(transfer(10, 100_1, 2, .max / 2 + 1))
            }
        ),
        (
            .overflowsTimeout,
            { h in
                h.now = .max - 10_000_000_000  // a clock near the end of UInt64 nanoseconds
                return h.applyOne(transfer(10, 1, 2, 5, flags: .pending, timeout: 3_600))
            }
        ),
        (
            .exceedsCredits,
            { h in
                h.fund(4, amount: 100, transferID: 50)
                return h.applyOne(transfer(10, 4, 2, 101))
            }
        ),
        (
            .exceedsDebits,
            { h in
                _ = h.applyOne(transfer(50, 5, 2, 100))
                return h.applyOne(transfer(10, 1, 5, 101))
            }
        ),
        (.linkedEventFailed, { h in h.apply([transfer(10, 1, 2, 5, flags: .linked), transfer(11, 1, 77, 5)])[0] }),
        (.linkedEventChainOpen, { h in h.apply([transfer(10, 1, 2, 5, flags: .linked)])[0] }),
    ]

    @Test func everyResultCodeHasAScenario() {
        #expect(Set(Self.accountScenarios.map(\.0)) == Set(AccountResult.allCases))
        #expect(Set(Self.transferScenarios.map(\.0)) == Set(TransferResult.allCases))
    }

    @Test(arguments: accountScenarios)
    func accountResult(expected: AccountResult, scenario: Scenario) {
        var h = Self.extendedLedger()
        #expect(scenario(&h) == .account(expected))
    }

    @Test(arguments: transferScenarios)
    func transferResult(expected: TransferResult, scenario: Scenario) {
        var h = Self.extendedLedger()
        let before = h.ledger.allAccounts.filter { $0.id != 1 && $0.id != 2 && $0.id != 4 && $0.id != 5 }
        #expect(scenario(&h) == .transfer(expected))
        // Rejections leave the accounts that only the event under test could touch unchanged.
        if expected != .ok {
            #expect(h.ledger.allAccounts.filter { $0.id != 1 && $0.id != 2 && $0.id != 4 && $0.id != 5 } == before)
        }
    }

    /// The standard ledger plus accounts 1001 and 1002 for overflow scenarios.
    static func extendedLedger() -> Harness {
        var h = standardLedger()
        h.createAccounts(100_1...100_2)
        return h
    }

    @Test func codesAreStable() {
        // Wire codes are append-only: renumbering one breaks every stored result and client.
        #expect(TransferResult.exists.rawValue == 23)
        #expect(TransferResult.exceedsCredits.rawValue == 48)
        #expect(TransferResult.allCases.map(\.rawValue) == Array(0..<UInt16(TransferResult.allCases.count)))
        #expect(AccountResult.allCases.map(\.rawValue) == Array(0..<UInt16(AccountResult.allCases.count)))
    }
}
