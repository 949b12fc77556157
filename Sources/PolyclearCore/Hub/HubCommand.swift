/// One command to the hub. Commands are the hub's durable log: replaying the same commands
/// with the same times rebuilds exactly the same state.
public enum HubCommand: Hashable, Sendable, Codable {
    case registerMember(Member)
    case updateMember(id: CountryCode, quotaUnitMinor: Int64?, status: ReferenceStatus?)
    case registerParticipant(Participant)
    case updateParticipant(bic: BIC, netDebitCapMinor: Int64?, status: ReferenceStatus?)
    case publishFixing(Fixing)
    /// The union's decision on what one unit of account is: a fixed amount of each basket
    /// currency (like the SDR). Fixings are computed from it; it changes only by decision.
    /// `checks` as for fixings (nil: unchecked — older logs, direct use of Core).
    case defineUnit(amountsPerUnit: CurrencyAmounts, checks: RateChecks? = nil)
    /// Locks the fixing in force for `validitySeconds`, for one payment between these parties.
    case issueQuote(id: UInt128, payer: BIC, payee: BIC, validitySeconds: UInt32)
    case submitPayment(PaymentInstruction)
    /// Two-phase: the payee side (or the operator) commits a reserved payment (not a
    /// trade-conditional one: `fulfilCondition`).
    case commitPayment(id: UInt128, actor: Actor)
    /// The payee bank presents the SHA-256 of the document a trade-conditional payment waits
    /// for (the edge hashes the document): it is booked if it matches, refused otherwise.
    case fulfilCondition(id: UInt128, presentedSHA256Hex: String, actor: Actor)
    /// Two-phase: the payee side (or the operator) rejects a reserved payment.
    case rejectPayment(id: UInt128, actor: Actor)
    /// The payer withdraws a queued (or held) payment.
    case cancelPayment(id: UInt128, actor: Actor)
    /// The operator releases or rejects a payment held by screening, with a reason for the
    /// audit trail (nil in older logs).
    case decideHeldPayment(id: UInt128, release: Bool, actor: Actor, reason: String? = nil)
    /// Prefunding from (in) or withdrawal to (out) the member central bank: reserve, then
    /// `confirmFunds` once the central bank has moved the money, or `cancelFunds`.
    case requestFunds(id: UInt128, participant: BIC, amountMinor: Int64, direction: FundsDirection)
    case confirmFunds(id: UInt128)
    case cancelFunds(id: UInt128)
    case setScreeningList(ScreeningList)
    /// Utilisation alarm thresholds, in percent of cap or quota (e.g. [75, 90]).
    case setAlarmThresholds([Int])
    /// A settlement cycle ends: queued payments are carried over to the next cycle or
    /// returned to their payers, as the queue policy in force says (`setQueuePolicy`).
    case applyCycleEndQueuePolicy
    /// Closes the open cycle (it must be the one with this number): nets it, issues its
    /// settlement instructions, opens the next.
    case closeCycle(number: UInt32)
    /// What closes cycles besides the operator: schedule, thresholds, settlement deadline.
    case setCycleTriggers(CycleTriggers)
    /// A member's central bank confirms settlement instructions of a closed cycle: one (by
    /// index, with its amount as a check) or all of its open ones (index nil).
    case confirmSettlement(
        cycle: UInt32, member: CountryCode, instructionIndex: Int?, amountMinor: Int64?, actor: Actor)
    /// Imbalance charges and alarms applied from the next cycle close on.
    case setImbalanceRules(ImbalanceRules)
    /// Settles, simultaneously, the largest set of queued payments the gridlock algorithm
    /// finds within every cap and quota (operator request).
    case resolveGridlock
    /// When gridlock resolution also runs by itself.
    case setGridlockPolicy(GridlockPolicy)
    /// Banks' obligations (invoices due between their customers, in one currency): the
    /// optimal certified set-off is booked as one linked chain of transfers, so every bank's
    /// position is unchanged and the cancelled amounts are on the ledger.
    case setOffObligations(runID: UInt128, obligations: [SetOffObligation])
    /// The union's definition as its union file declared it (canonical text), recorded once,
    /// before anything else, when a database is started from the file: a later start with a
    /// different file is refused by comparing with it.
    case recordUnionDefinition(String)
    /// The union's year ends: the year-end rules apply (`ImbalanceRules.creditorExcessAtYearEnd`).
    case endYear
    /// The union received a member's excess settlement (the amount must match).
    case confirmExcessSettlement(cycle: UInt32, member: CountryCode, amountUnitMinor: Int64, actor: Actor)
    /// A command given by someone (the operator, a central bank) whose action must be in the
    /// audit trail with who did it. Applies `command`, then records an `AuditRecord`.
    /// Attributions do not nest.
    indirect case attributed(actor: Actor, command: HubCommand)
    /// The commands of one inbound message (e.g. an ISO 20022 pacs.008), applied only if
    /// this sender has not sent a message with this id before: a re-sent message is refused
    /// as a whole (`duplicateMessage`), nothing in it applied. Answers `.message` with one
    /// result per command. Message commands do not nest.
    indirect case message(sender: BIC, messageID: String, commands: [HubCommand])
    /// What becomes of payments still queued when a cycle ends (the configuration's policy
    /// until this is given).
    case setQueuePolicy(CycleEndQueuePolicy)
    /// Whether trade references are mandatory, and how long personal data is kept.
    case setPaymentRules(PaymentRules)
    /// A retention run: erases the personal data of every payment settled longer ago than
    /// the payment rules keep it (and whose deliveries its banks acknowledged).
    case erasePersonalData
    /// A bank acknowledges its deliveries up to `through` (its cursor); the hub's pusher does
    /// it as `.system` once the bank's endpoint answered 2xx.
    case acknowledgeDeliveries(participant: BIC, through: UInt64, actor: Actor)
    /// The payer's bank asks for a booked payment back (ISO 20022 camt.056): the payee's bank
    /// answers within `RecallRequest.answerSeconds`, or the recall expires.
    case requestRecall(RecallRequest)
    /// The payee's bank answers a recall (camt.029): accepting books the return (as
    /// `returnPayment` does, reason FOCR), rejecting records its reason.
    case answerRecall(id: UInt128, accept: Bool, reasonCode: String, actor: Actor)
    /// A bank registers (or, nil, removes) the endpoint its deliveries are pushed to.
    case setDeliveryEndpoint(participant: BIC, endpoint: DeliveryEndpoint?, actor: Actor)
    /// How the members govern the union. Once set, admitting or changing members, quotas,
    /// imbalance rules, the basket and these rules are refused to the operator alone
    /// (`proposalRequired`): they change by a proposal that passes.
    case setGovernanceRules(GovernanceRules)
    /// A member or the operator proposes a change; votes are open for `votingSeconds` from
    /// the command's time, and a proposal that passes is applied `effectiveAfterSeconds` after
    /// it was proposed (or when it passes, if later) — in the log, with the first command or
    /// tick at or after that time. The voting period must lie within the rules' bounds, the
    /// effective time at most `votingSecondsMax` after the deadline. Relative times, so the
    /// hub's clock (not the caller's) fixes them. Answers `.proposal(number)`.
    case propose(change: ProposalChange, votingSeconds: UInt32, effectiveAfterSeconds: UInt32, actor: Actor)
    /// A member's vote (it may change it until the proposal is decided).
    case vote(proposal: UInt32, member: CountryCode, choice: VoteChoice, actor: Actor)
    /// A second operator approves (applies) or declines an action waiting for approval.
    case decideApproval(number: UInt32, approve: Bool, actor: Actor)
    /// API keys the hub manages (configuration keys aside): only the secret's SHA-256 digest
    /// is ever given to the hub.
    case issueAPIKey(APIKeyGrant, actor: Actor)
    /// Issues `new` for the same holder and lets the old key work `overlapSeconds` longer.
    case rotateAPIKey(oldID: UInt128, new: APIKeyGrant, overlapSeconds: UInt32, actor: Actor)
    case revokeAPIKey(id: UInt128, actor: Actor)
    /// The payee side sends (part of) an accepted payment back: books a reverse payment from
    /// the original payee to the original payer and links the two.
    case returnPayment(PaymentReturnInstruction)
    /// Payments of settled cycles leave memory for the store's archive from now on
    /// (`+Archive`); refused (`archiveUnavailable`) if the process's store keeps none.
    case startPaymentArchive
    /// The writer brings archived payments back before a batch that names them (what it found
    /// in the store for `archivedReferences`). Never from a caller.
    case restoreArchivedPayments([ArchivedPayment])
    /// Old audit records leave memory for the store's archive from now on (`+AuditArchive`); a
    /// command of its own, so that logs from before it replay as they were written. Refused
    /// (`archiveUnavailable`) if the process's store keeps no archive.
    case startAuditArchive
    /// Finished closed cycles leave memory for the store's archive from now on
    /// (`+CycleArchive`); like `startAuditArchive`, a command of its own.
    case startCycleArchive
}

/// A return of an accepted payment (ISO 20022 pacs.004).
public struct PaymentReturnInstruction: Hashable, Sendable, Codable {
    /// The reverse payment's id.
    public var id: UInt128
    public var originalID: UInt128
    /// In the currency the original payment credited (the returning bank's); the returns of
    /// one payment together may not exceed what it credited.
    public var amountMinor: Int64
    /// The reverse payment's UETR (a version-4 UUID).
    public var uetr: UInt128
    /// ISO 20022 ExternalReturnReason1Code, e.g. AC04 or CUST.
    public var reasonCode: String
    public var actor: Actor

    public init(id: UInt128, originalID: UInt128, amountMinor: Int64, uetr: UInt128, reasonCode: String, actor: Actor) {
        self.id = id
        self.originalID = originalID
        self.amountMinor = amountMinor
        self.uetr = uetr
        self.reasonCode = reasonCode
        self.actor = actor
    }
}

/// What happens to payments still queued when a cycle ends.
public enum CycleEndQueuePolicy: UInt8, Hashable, Sendable, Codable {
    case carryOver = 0, returnToPayer = 1
}

public enum FundsDirection: UInt8, Hashable, Sendable, Codable {
    case into = 0, outOf = 1
}

/// Names, BICs and countries that stop a payment for an operator's decision.
public struct ScreeningList: Hashable, Sendable, Codable {
    /// Matched case-insensitively as whole words inside debtor, creditor and participant names.
    public var names: [String]
    public var bics: [BIC]
    /// ISO 3166 alpha-2 codes, matched against both parties' BIC countries.
    public var countriesAlpha2: [String]

    public init(names: [String] = [], bics: [BIC] = [], countriesAlpha2: [String] = []) {
        self.names = names
        self.bics = bics
        self.countriesAlpha2 = countriesAlpha2
    }

    public static let empty = ScreeningList()
}

/// When the hub runs gridlock resolution by itself (besides the operator's `resolveGridlock`).
public struct GridlockPolicy: Hashable, Sendable, Codable {
    /// Just before every cycle close.
    public var beforeCycleClose = false
    /// Whenever the queue holds this many payments or more (nil: off).
    public var queueLengthThreshold: Int? = nil

    public init(beforeCycleClose: Bool = false, queueLengthThreshold: Int? = nil) {
        self.beforeCycleClose = beforeCycleClose
        self.queueLengthThreshold = queueLengthThreshold
    }
}

extension HubCommand {
    /// Whether the command surely leaves the hub's reference data as it was: the banks, their
    /// members and the members' currencies (what `Writer.readReference` reads). Payments and
    /// their decisions only move money; every other command — and any new one, until it is
    /// listed here — counts as a change.
    public var keepsReferenceData: Bool {
        switch self {
        case .submitPayment, .commitPayment, .fulfilCondition, .rejectPayment, .cancelPayment, .issueQuote:
            true
        case .attributed(_, let command): command.keepsReferenceData
        default: false
        }
    }
}

/// An obligation submitted for set-off in the hub.
public struct SetOffObligation: Hashable, Sendable, Codable {
    public var id: UInt128
    public var debtor: BIC
    public var creditor: BIC
    public var amountMinor: Int64
    /// Days since 1970-01-01; the earliest due are set off first within a pair.
    public var dueDay: Int32?

    public init(id: UInt128, debtor: BIC, creditor: BIC, amountMinor: Int64, dueDay: Int32? = nil) {
        self.id = id
        self.debtor = debtor
        self.creditor = creditor
        self.amountMinor = amountMinor
        self.dueDay = dueDay
    }
}
