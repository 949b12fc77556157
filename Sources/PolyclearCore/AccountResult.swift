/// The result of creating or closing an account.
///
/// Raw values are wire and storage codes: append only, never renumber. Cases are in check
/// order: an event gets the first check it fails.
public enum AccountResult: UInt16, Sendable, Hashable, CaseIterable {
    case ok = 0
    case linkedEventFailed = 1
    case linkedEventChainOpen = 2
    case timestampMustBeZero = 3
    case flagsUnknown = 4
    case idMustNotBeZero = 5
    case idMustNotBeIntMax = 6
    case flagsAreMutuallyExclusive = 7
    case closedFlagMustNotBeSet = 8
    case balancesMustBeZero = 9
    case ledgerMustNotBeZero = 10
    case codeMustNotBeZero = 11
    case existsWithDifferentFields = 12
    case exists = 13
    case accountNotFound = 14
    case accountAlreadyClosed = 15
    case accountHasPendingAmounts = 16
}
