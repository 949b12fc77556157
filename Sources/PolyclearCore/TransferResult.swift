/// The result of creating a transfer (including posts and voids of pending transfers).
///
/// Raw values are wire and storage codes: append only, never renumber. Cases are in check
/// order: an event gets the first check it fails, and nothing it would have changed changes.
public enum TransferResult: UInt16, Sendable, Hashable, CaseIterable {
    case ok = 0
    case linkedEventFailed = 1
    case linkedEventChainOpen = 2
    case timestampMustBeZero = 3
    case flagsUnknown = 4
    case idMustNotBeZero = 5
    case idMustNotBeIntMax = 6
    case flagsAreMutuallyExclusive = 7
    case debitAccountIDMustNotBeZero = 8
    case debitAccountIDMustNotBeIntMax = 9
    case creditAccountIDMustNotBeZero = 10
    case creditAccountIDMustNotBeIntMax = 11
    case accountsMustBeDifferent = 12
    case pendingIDMustBeZero = 13
    case pendingIDMustNotBeZero = 14
    case pendingIDMustNotBeIntMax = 15
    case pendingIDMustBeDifferent = 16
    case timeoutReservedForPendingTransfer = 17
    case timeoutTooLong = 18
    case amountMustNotBeZero = 19
    case ledgerMustNotBeZero = 20
    case codeMustNotBeZero = 21
    case existsWithDifferentFields = 22
    case exists = 23
    case debitAccountNotFound = 24
    case creditAccountNotFound = 25
    case accountsMustHaveTheSameLedger = 26
    case transferMustHaveTheSameLedgerAsAccounts = 27
    case debitAccountClosed = 28
    case creditAccountClosed = 29
    case pendingTransferNotFound = 30
    case pendingTransferNotPending = 31
    case pendingTransferAlreadyPosted = 32
    case pendingTransferAlreadyVoided = 33
    case pendingTransferExpired = 34
    case pendingTransferHasDifferentDebitAccountID = 35
    case pendingTransferHasDifferentCreditAccountID = 36
    case pendingTransferHasDifferentLedger = 37
    case pendingTransferHasDifferentCode = 38
    case exceedsPendingTransferAmount = 39
    case pendingTransferHasDifferentAmount = 40
    case overflowsDebitsPending = 41
    case overflowsCreditsPending = 42
    case overflowsDebitsPosted = 43
    case overflowsCreditsPosted = 44
    case overflowsDebits = 45
    case overflowsCredits = 46
    case overflowsTimeout = 47
    case exceedsCredits = 48
    case exceedsDebits = 49

    /// Worth retrying later unchanged: liquidity may arrive. Everything else is final.
    public var isTransient: Bool { self == .exceedsCredits || self == .exceedsDebits }
}
