/// The hub's per-entity state, addressed by the typed indices of `HubIndices`.
struct MemberRecord: Sendable, Codable {
    var member: Member
    var currencyExponent: Int
    var ledger: UInt32
    var hubAccountID: UInt128
    var fundingAccountID: UInt128
    var roundingAccountID: UInt128
    var unionAccountID: UInt128
    /// The ledger side, copied freely on the payment path (no strings or arrays: no retains).
    var accounts: MemberAccounts {
        MemberAccounts(
            ledger: ledger, hubAccountID: hubAccountID, roundingAccountID: roundingAccountID,
            unionAccountID: unionAccountID)
    }

    /// Participants of this member with a non-empty queue (their heads wait on the quota too).
    var queuedPayers: ContiguousArray<ParticipantIndex> = []
    var alarmLevel = 0
    /// What the member has been asked to pay into the union in the settlement asset in all
    /// (negative: to be paid out), and what of it is confirmed (unit minor units).
    var assetIssuedMinor: Int64 = 0
    var assetConfirmedMinor: Int64 = 0
    /// Pay-ins of the asset past the settlement deadline: while any is, the quota stops the
    /// member's payments even in `settle` mode.
    var overdueExcessCount = 0
}

struct MemberAccounts {
    var ledger: UInt32
    var hubAccountID: UInt128
    var roundingAccountID: UInt128
    var unionAccountID: UInt128
}

struct ParticipantRecord: Sendable, Codable {
    var participant: Participant
    var memberIndex: MemberIndex
    var positionAccountID: UInt128
    /// The cap the union last set: the most the member's central bank may set it to.
    var capCeilingMinor: Int64
    /// FIFO queues of payment indices, urgent before normal; `…Head` is the first live slot.
    var urgentQueue = ContiguousArray<PaymentIndex>()
    var urgentHead = 0
    var normalQueue = ContiguousArray<PaymentIndex>()
    var normalHead = 0
    var isListedAsQueuedPayer = false
    var alarmLevel = 0
    /// What the hub owes this bank (`HubStateMachine+Deliveries`).
    var outbox = Outbox()

    var hasQueue: Bool { urgentHead < urgentQueue.count || normalHead < normalQueue.count }
}

struct FixingRecord: Sendable, Codable {
    var fixing: Fixing
    /// The rate of each member's currency, by member index (nil: not quoted).
    var ratesByMember: ContiguousArray<DecimalNumber?>

    func rate(of member: MemberIndex) -> DecimalNumber? { ratesByMember[member.int] }
}

struct QuoteRecord: Sendable, Codable {
    var id: UInt128
    var fixingIndex: Int
    var payerIndex: ParticipantIndex
    var payeeIndex: ParticipantIndex
    var expiresAt: UInt64
    var isUsed = false
}

/// Which ledger legs a payment booked, so commit/void touch exactly those.
struct PaymentLegs: OptionSet, Sendable, Codable {
    let rawValue: UInt8
    static let payer = PaymentLegs(rawValue: 1 << 0)
    static let unit = PaymentLegs(rawValue: 1 << 1)
    static let payee = PaymentLegs(rawValue: 1 << 2)
    static let residue = PaymentLegs(rawValue: 1 << 3)
}

struct PaymentRecord: Sendable, Codable {
    var id: UInt128
    /// The end-to-end tracking reference (SWIFT gpi UETR) the payer gave; reports carry it.
    var uetr: UInt128
    var fingerprint: UInt64
    var status: PaymentStatus
    var rejection: PaymentRejection?
    var payerIndex: ParticipantIndex
    var payeeIndex: ParticipantIndex
    var priority: PaymentPriority
    /// The trade reference as the statistics need it (`TradeCodes`): purpose code packed,
    /// HS heading as a number.
    var purpose: UInt32 = 0
    var hsHeading = PackedTradeFlowKey.noHeading
    // What later processing needs of the instruction (no strings: records stay small).
    var amountMinor: Int64
    var amountSide: AmountSide
    var isTwoPhase: Bool
    var immediateOrReject: Bool
    var timeoutSeconds: UInt32
    var quoteIndex: QuoteIndex?
    var payerAmountMinor: Int64 = 0
    var payeeAmountMinor: Int64 = 0
    var unitAmountMinor: Int64 = 0
    var fixingVersion: UInt32 = 0
    var legs: PaymentLegs = []
    var expiresAt: UInt64 = 0
    var cycle: UInt32 = 0
    /// When it was booked (accepted), for the messages that report it.
    var bookedAt: UInt64 = 0
    /// When it reached its final status (accepted, rejected, cancelled, expired); 0 before.
    var finalAt: UInt64 = 0
    /// Screening held it (what replay needs once the names it matched are erased).
    var wasHeldByScreening = false

    var state: PaymentState {
        PaymentState(
            id: id, status: status, rejection: rejection, payerAmountMinor: payerAmountMinor,
            payeeAmountMinor: payeeAmountMinor, unitAmountMinor: unitAmountMinor, fixingVersion: fixingVersion,
            cycle: cycle)
    }
}

struct FundsRecord: Sendable, Codable {
    var id: UInt128
    var participantIndex: ParticipantIndex
    var amountMinor: Int64
    var direction: FundsDirection
    var status: FundsStatus
    var transferID: UInt128
}

/// The screening list, upper-cased once so that each payment's check is cheap.
struct NormalisedScreeningList: Sendable {
    /// The list as it was set (for reads).
    var list: ScreeningList
    var names: [String]
    var bics: Set<BIC>
    var countriesAlpha2: Set<String>
    var isEmpty: Bool { names.isEmpty && bics.isEmpty && countriesAlpha2.isEmpty }

    init(_ list: ScreeningList) {
        self.list = list
        names = list.names.map { " " + Self.normalise($0) + " " }.filter { $0.count > 2 }
        bics = Set(list.bics)
        countriesAlpha2 = Set(list.countriesAlpha2)
    }

    /// Upper case, letters and digits only, single spaces: "Acme  Trading, Ltd." -> "ACME TRADING LTD".
    static func normalise(_ name: String) -> String {
        name.uppercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: " ")
    }

    func matchesName(_ name: String?) -> Bool {
        guard let name, !names.isEmpty else { return false }
        let padded = " " + Self.normalise(name) + " "
        return names.contains { padded.contains($0) }
    }
}
