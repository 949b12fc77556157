/// One double-entry movement on one ledger: debit one account, credit another, same amount.
///
/// Immutable once created and idempotent by `id`. A transfer flagged `.pending` only
/// reserves the amount; a later transfer flagged `.postPendingTransfer` or
/// `.voidPendingTransfer`, naming it in `pendingID`, settles or releases it.
public struct Transfer: Hashable, Sendable {
    public var id: UInt128
    public var debitAccountID: UInt128
    public var creditAccountID: UInt128
    /// Minor units of the ledger's currency. For a post, zero means "the full pending amount".
    public var amount: UInt128
    /// For a post or void: the pending transfer it resolves. Otherwise zero.
    public var pendingID: UInt128
    /// The caller's own reference (payment id, invoice hash, ...), stored and returned as is.
    public var userReference: UInt128
    /// For a pending transfer: seconds until it expires by itself; zero means never.
    public var timeoutSeconds: UInt32
    public var ledger: UInt32
    public var code: UInt16
    public var flags: TransferFlags
    /// Nanoseconds, assigned by the ledger (strictly increasing); must be zero when submitted.
    public var timestamp: UInt64 = 0

    public init(
        id: UInt128, debitAccountID: UInt128, creditAccountID: UInt128, amount: UInt128,
        ledger: UInt32, code: UInt16, flags: TransferFlags = [], pendingID: UInt128 = 0,
        timeoutSeconds: UInt32 = 0, userReference: UInt128 = 0
    ) {
        self.id = id
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amount = amount
        self.pendingID = pendingID
        self.userReference = userReference
        self.timeoutSeconds = timeoutSeconds
        self.ledger = ledger
        self.code = code
        self.flags = flags
    }

    /// Whether this transfer resolves a pending one.
    public var resolvesPending: Bool { !flags.isDisjoint(with: .resolving) }
}

public struct TransferFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// This event and the next succeed or fail together.
    public static let linked = TransferFlags(rawValue: 1 << 0)
    /// Reserve the amount (phase one of two).
    public static let pending = TransferFlags(rawValue: 1 << 1)
    /// Post the pending transfer named in `pendingID`, in full or in part.
    public static let postPendingTransfer = TransferFlags(rawValue: 1 << 2)
    /// Release the pending transfer named in `pendingID`.
    public static let voidPendingTransfer = TransferFlags(rawValue: 1 << 3)

    // Combinations as raw values, not array literals: an OptionSet array literal in the hot
    // path builds a heap array each time (AllocationTests catches it).
    static let known = TransferFlags(rawValue: 0b1111)
    static let resolving = TransferFlags(rawValue: postPendingTransfer.rawValue | voidPendingTransfer.rawValue)
    static let phases = TransferFlags(rawValue: pending.rawValue | resolving.rawValue)
}

/// What became of a transfer, as stored. Raw values are stored: append only.
public enum TransferStatus: UInt8, Sendable, Hashable {
    /// A single-phase transfer, or a post/void: it moved (or released) funds when created.
    case final = 0
    /// A pending transfer still holding its reservation.
    case pending = 1
    case pendingPosted = 2
    case pendingVoided = 3
    case pendingExpired = 4
}

/// A transfer as the store keeps it: the resolved transfer (a post's accounts and ledger are
/// filled in from its pending transfer), its status, and the fingerprint of what was
/// submitted, which idempotency compares against.
public struct StoredTransfer: Hashable, Sendable {
    public var transfer: Transfer
    public var status: TransferStatus
    public var fingerprint: UInt64

    public init(transfer: Transfer, status: TransferStatus, fingerprint: UInt64) {
        self.transfer = transfer
        self.status = status
        self.fingerprint = fingerprint
    }
}
