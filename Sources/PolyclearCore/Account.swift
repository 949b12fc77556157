/// A ledger account: double-entry balances on one ledger (one currency, or the unit).
///
/// Balances are `UInt128` running sums (see `Money` for why), split into *pending*
/// (reserved by two-phase transfers) and *posted*. A balance is never stored as one signed
/// number: debits and credits are kept apart so that every movement is auditable.
public struct Account: Hashable, Sendable, Codable {
    public var id: UInt128
    public var ledger: UInt32
    /// The account's kind, chosen by the layer above (participant position, hub, union, ...).
    public var code: UInt16
    public var flags: AccountFlags
    public var userReference: UInt128
    public var debitsPending: UInt128 = 0
    public var debitsPosted: UInt128 = 0
    public var creditsPending: UInt128 = 0
    public var creditsPosted: UInt128 = 0
    /// Nanoseconds, assigned by the ledger; must be zero when submitted.
    public var timestamp: UInt64 = 0

    public init(id: UInt128, ledger: UInt32, code: UInt16, flags: AccountFlags = [], userReference: UInt128 = 0) {
        self.id = id
        self.ledger = ledger
        self.code = code
        self.flags = flags
        self.userReference = userReference
    }

    /// Posted credits minus posted debits, as a signed value (negative: the account owes).
    public var postedCreditBalance: (magnitude: UInt128, isNegative: Bool) {
        creditsPosted >= debitsPosted
            ? (creditsPosted - debitsPosted, false) : (debitsPosted - creditsPosted, true)
    }
}

public struct AccountFlags: OptionSet, Hashable, Sendable, Codable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// This event and the next succeed or fail together.
    public static let linked = AccountFlags(rawValue: 1 << 0)
    /// Debits (pending + posted) may never exceed posted credits: a prefunded position.
    public static let debitsMustNotExceedCredits = AccountFlags(rawValue: 1 << 1)
    /// Credits (pending + posted) may never exceed posted debits.
    public static let creditsMustNotExceedDebits = AccountFlags(rawValue: 1 << 2)
    /// Set by a `closeAccount` event; a closed account takes no new transfers.
    public static let closed = AccountFlags(rawValue: 1 << 3)

    static let known = AccountFlags(rawValue: 0b1111)
    static let balanceLimits = AccountFlags(
        rawValue: debitsMustNotExceedCredits.rawValue | creditsMustNotExceedDebits.rawValue)
}
