/// One command in a ledger batch. Events of different kinds may be mixed and linked, so that,
/// for example, accounts and their opening transfers are created atomically.
public enum LedgerEvent: Hashable, Sendable {
    case createAccount(Account)
    case createTransfer(Transfer)
    /// Closes an account with no pending amounts; `linked` chains it like the others.
    case closeAccount(id: UInt128, linked: Bool)

    var isLinked: Bool {
        switch self {
        case .createAccount(let account): account.flags.contains(.linked)
        case .createTransfer(let transfer): transfer.flags.contains(.linked)
        case .closeAccount(_, let linked): linked
        }
    }
}

/// The result of one event: `.ok`, or the first check it failed.
public enum EventResult: Hashable, Sendable, CustomStringConvertible {
    case account(AccountResult)
    case transfer(TransferResult)

    public var isOK: Bool { self == .account(.ok) || self == .transfer(.ok) }

    public var description: String {
        switch self {
        case .account(let result): "account.\(result)"
        case .transfer(let result): "transfer.\(result)"
        }
    }
}

/// A whole batch refused before any event is looked at. Stable codes: append only.
public enum BatchRejection: UInt16, Error, Sendable {
    case batchTooLarge = 1
}
