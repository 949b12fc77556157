/// Whether a member or participant may take part.
public enum ReferenceStatus: UInt8, Hashable, Sendable, Codable {
    case active = 0, suspended = 1
}

/// A member: a currency area's central bank, holding a position against the union in the unit.
public struct Member: Hashable, Sendable, Codable {
    /// ISO 3166 alpha-3 code of the central bank's country; the member's id.
    public var id: CountryCode
    public var name: String
    public var currency: CurrencyCode
    /// The most the member's union position may go negative, in unit minor units.
    public var quotaUnitMinor: Int64
    public var status: ReferenceStatus

    public init(
        id: CountryCode, name: String, currency: CurrencyCode, quotaUnitMinor: Int64, status: ReferenceStatus = .active
    ) {
        self.id = id
        self.name = name
        self.currency = currency
        self.quotaUnitMinor = quotaUnitMinor
        self.status = status
    }
}

/// A participant: a bank of a member country, holding a position in its member's currency.
public struct Participant: Hashable, Sendable, Codable {
    public var bic: BIC
    public var lei: LEI?
    public var name: String
    public var memberID: CountryCode
    /// The most the position may go negative, in minor units of the member's currency.
    public var netDebitCapMinor: Int64
    public var status: ReferenceStatus

    public init(
        bic: BIC, lei: LEI? = nil, name: String, memberID: CountryCode, netDebitCapMinor: Int64,
        status: ReferenceStatus = .active
    ) {
        self.bic = bic
        self.lei = lei
        self.name = name
        self.memberID = memberID
        self.netDebitCapMinor = netDebitCapMinor
        self.status = status
    }
}

/// What a payment is for: carried through to statements and ISO 20022 remittance data.
public struct TradeReference: Hashable, Sendable, Codable {
    public var invoiceNumber: String
    /// ISO 20022 ExternalPurpose1Code: four capital letters or digits (e.g. "GDDS", "SUPP").
    public var purposeCode: String
    /// Harmonized System goods code: the chapter (2 digits), heading (4) or 6 to 10 digits.
    public var hsCode: String?
    public var freeText: String?

    public init(invoiceNumber: String, purposeCode: String, hsCode: String? = nil, freeText: String? = nil) {
        self.invoiceNumber = invoiceNumber
        self.purposeCode = purposeCode
        self.hsCode = hsCode
        self.freeText = freeText
    }
}

/// Which side's amount the payer fixed: what leaves the payer, or what reaches the payee.
public enum AmountSide: UInt8, Hashable, Sendable, Codable {
    case payerDebit = 0, payeeCredit = 1
}

public enum PaymentPriority: UInt8, Hashable, Sendable, Codable {
    case urgent = 0, normal = 1
}

/// Who did something: recorded with every status change.
public enum Actor: Hashable, Sendable, Codable {
    case system
    case operatorUser(String)
    case member(CountryCode)
    case participant(BIC)
}

/// A payer's order: pay `amountMinor` (on `amountSide`) from `payer` to `payee`.
public struct PaymentInstruction: Hashable, Sendable, Codable {
    public var id: UInt128
    public var payer: BIC
    public var payee: BIC
    public var amountMinor: Int64
    public var amountSide: AmountSide
    public var endToEndID: String
    /// ISO 20022 UETR (a UUID), as 128 bits.
    public var uetr: UInt128
    public var trade: TradeReference
    public var debtorName: String?
    public var creditorName: String?
    public var priority: PaymentPriority
    /// Reserve on every leg and wait for a commit or reject (payee side or operator).
    public var isTwoPhase: Bool
    /// Two-phase only: seconds until an undecided reservation expires (0: the hub default).
    public var timeoutSeconds: UInt32
    /// Reject instead of queueing when liquidity is short.
    public var immediateOrReject: Bool
    public var quoteID: UInt128?
    /// Trade-conditional: the payment is reserved (two-phase, `timeoutSeconds` its expiry) and
    /// booked only when the payee's bank presents the document whose SHA-256 this is.
    public var condition: PaymentCondition? = nil
    /// The parties' accounts, addresses and identifiers, remittance information and the
    /// rest of the trade reference (nil: none given).
    public var details: PaymentDetails? {
        get { detailsBox?.details }
        set { detailsBox = newValue.map(DetailsBox.init) }
    }
    /// `details`, boxed: inline they were 872 of a command's 1,113 bytes, copied whole at every
    /// step of every payment's way (parsed, queued, applied, logged), with or without details.
    private var detailsBox: DetailsBox? = nil
    /// Set only when the store rewrote this logged instruction after the retention rule
    /// erased its personal data: what replay needs that the erased data decided.
    public var redaction: Redaction? = nil

    /// The synthesized coding, with the box under the key `details` (encoded as the details
    /// themselves): the log's JSON is what it was.
    enum CodingKeys: String, CodingKey {
        case id, payer, payee, amountMinor, amountSide, endToEndID, uetr, trade, debtorName, creditorName, priority
        case isTwoPhase, timeoutSeconds, immediateOrReject, quoteID, condition, redaction
        case detailsBox = "details"
    }

    /// Immutable: a change of the details puts a new box in place.
    final class DetailsBox: Hashable, Sendable, Codable {
        let details: PaymentDetails
        init(_ details: PaymentDetails) { self.details = details }
        static func == (a: DetailsBox, b: DetailsBox) -> Bool { a === b || a.details == b.details }
        func hash(into hasher: inout Hasher) { hasher.combine(details) }
        init(from decoder: any Decoder) throws {
            details = try decoder.singleValueContainer().decode(PaymentDetails.self)
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(details)
        }
    }

    public init(
        id: UInt128, payer: BIC, payee: BIC, amountMinor: Int64, amountSide: AmountSide = .payerDebit,
        endToEndID: String, uetr: UInt128, trade: TradeReference, debtorName: String? = nil,
        creditorName: String? = nil,
        priority: PaymentPriority = .normal, isTwoPhase: Bool = false, timeoutSeconds: UInt32 = 0,
        immediateOrReject: Bool = false, quoteID: UInt128? = nil, condition: PaymentCondition? = nil,
        details: PaymentDetails? = nil
    ) {
        self.condition = condition
        self.detailsBox = details.map(DetailsBox.init)
        self.id = id
        self.payer = payer
        self.payee = payee
        self.amountMinor = amountMinor
        self.amountSide = amountSide
        self.endToEndID = endToEndID
        self.uetr = uetr
        self.trade = trade
        self.debtorName = debtorName
        self.creditorName = creditorName
        self.priority = priority
        self.isTwoPhase = isTwoPhase
        self.timeoutSeconds = timeoutSeconds
        self.immediateOrReject = immediateOrReject
        self.quoteID = quoteID
    }
}

/// Where a payment stands. Raw values are stored: append only.
public enum PaymentStatus: UInt8, Hashable, Sendable, Codable, CaseIterable {
    case received = 0
    /// Stopped by screening: waits for an operator's release or reject.
    case held = 1
    /// Waiting for liquidity (a cap or quota would be breached).
    case queued = 2
    /// Two-phase: reserved on every leg, waiting for commit or reject.
    case reserved = 3
    /// Booked on every leg: final.
    case accepted = 4
    case rejected = 5
    case cancelled = 6
    case expired = 7
}

/// Why a payment ended rejected. Raw values are wire codes: append only, never renumber.
///
/// Cases are listed in check order, like the ledger's results: a payment gets the first
/// check it fails (`PaymentCheckOrderTests`), and a check that fails changes nothing (the
/// quote stays usable). First the admission checks, then conversion and liquidity, then the
/// decisions taken later (by a person, the clock or the cycle end).
public enum PaymentRejection: UInt16, Error, Hashable, Sendable, Codable, CaseIterable {
    // Before the payment is recorded.
    case duplicatePaymentID = 17
    // Admission, on the instruction and the parties.
    case malformedField = 1
    case amountNotPositive = 9
    case unknownPayer = 2
    case unknownPayee = 3
    case payerIsPayee = 8
    case payerSuspended = 4
    case payeeSuspended = 5
    case payerMemberSuspended = 6
    case payeeMemberSuspended = 7
    case quoteNotFound = 13
    case quoteForOtherParties = 16
    case quoteAlreadyUsed = 15
    case quoteExpired = 14
    // (A screening hit holds the payment here, for an operator's decision.)
    // Conversion at the fixing, then liquidity, then booking.
    case noFixingForCurrency = 12
    case amountTooLarge = 11
    case amountZeroAfterConversion = 10
    case insufficientLiquidity = 18
    // Decisions after admission.
    case screeningRejected = 19
    case rejectedByPayee = 20
    case rejectedByOperator = 21
    case reservationExpired = 22
    case cancelledByPayer = 23
    case returnedAtCycleEnd = 24
    /// The union's payment rules make the trade reference (invoice number and purpose code)
    /// mandatory and the instruction has none (`PaymentRules.tradeReferenceRequired`).
    case tradeReferenceMissing = 25
}

/// Why a command other than a payment was refused. Stable codes: append only.
public enum HubCommandRejection: UInt16, Hashable, Sendable, Codable, CaseIterable {
    case malformedField = 1
    case memberExists = 2
    case memberNotFound = 3
    case currencyAlreadyHasMember = 4
    case currencyNotSupported = 5
    case participantExists = 6
    case participantNotFound = 7
    case participantCountryNotMemberCountry = 8
    case negativeLimit = 9
    case fixingVersionNotIncreasing = 10
    case fixingEffectiveTimeGoesBack = 11
    case fixingMissingCurrency = 12
    case fixingRateNotPositive = 13
    case quoteExists = 14
    case paymentNotFound = 15
    /// The payment is not in a state that allows this (commit after reject, reject after
    /// commit, cancel of a released payment, ...).
    case paymentStateForbidsThis = 16
    case notAllowedForActor = 17
    case fundsTransferExists = 18
    case fundsTransferNotFound = 19
    case insufficientFunds = 20
    case participantSuspended = 21
    case amountNotPositive = 22
    case amountTooLarge = 23
    case noFixingInForce = 24
    case invalidSchedule = 25
    case cycleNotOpen = 26
    case cycleNotFound = 27
    case cycleNotSettling = 28
    case instructionNotFound = 29
    case instructionAlreadyConfirmed = 30
    case instructionAmountDiffers = 31
    case invalidImbalanceRules = 32
    case excessSettlementNotFound = 33
    case setOffRunExists = 34
    case obligationsMixCurrencies = 35
    case tooManyObligations = 36
    /// A unit definition that is empty, names an unknown currency or the unit itself, or has
    /// an amount that is not positive.
    case invalidUnitDefinition = 37
    /// This sender already sent a message with this id; nothing in it was applied.
    case duplicateMessage = 38
    /// The returns of a payment would exceed what it credited.
    case returnExceedsPayment = 39
    /// A fixing takes effect further ahead than its checks' horizon.
    case fixingEffectiveTooFar = 40
    /// A fixing gives a rate for the unit of account itself.
    case fixingRateForUnit = 41
    /// A rate or basket amount outside any plausible market (`RateChecks.rateMin...rateMax`).
    case rateImplausible = 42
    /// A rate or basket amount moves further than the checks' factor from the one in force,
    /// and the move was not confirmed.
    case rateMoveNotConfirmed = 43
    /// The hub already holds a union (members, or a recorded union definition): a union file
    /// defines a new database only.
    case unionAlreadyDefined = 44
    /// Under governance rules this change is the members' to make: propose it.
    case proposalRequired = 45
    case proposalNotFound = 46
    /// The proposal is decided, or its deadline has passed.
    case votingClosed = 47
    /// The member already voted this way.
    case voteUnchanged = 48
    /// Not a member who may vote on this proposal (suspended, the proposal's subject, not
    /// the voting member itself) or not allowed to propose under the rules.
    case voterNotEligible = 49
    /// Governance rules that could never pass a proposal or never decide one.
    case invalidGovernanceRules = 50
    /// A deadline outside the voting period the rules allow, or an effective time before now.
    case invalidProposalTimes = 51
    case approvalNotFound = 52
    case approvalAlreadyDecided = 53
    /// The operator who made a change cannot approve it.
    case approvalBySameOperator = 54
    /// A member may set its banks' caps only up to the cap the union last set.
    case capAboveCeiling = 55
    case apiKeyExists = 56
    case apiKeyNotFound = 57
    case apiKeyRevoked = 58
    /// The union has no governance rules: nothing is decided by proposals.
    case noGovernanceRules = 59
    /// Too many open proposals by this proposer, or actions waiting for approval (`Limits`).
    case tooManyPending = 60
    /// A trade-conditional payment is booked only by its payee bank presenting the document
    /// whose hash is its condition; this was not that document, or not a fulfilment.
    case conditionNotMet = 61
    /// The payment has an open recall already (one at a time), or the recall id is taken.
    case recallExists = 62
    case recallNotFound = 63
    /// The recall was answered already, or expired.
    case recallNotOpen = 64
    /// The answer came after the recall's deadline (it expired unanswered).
    case recallExpired = 65
    /// Archiving payments needs a store that keeps an archive (this process's does not).
    case archiveUnavailable = 66
}

/// The result of one hub command.
public enum HubResult: Hashable, Sendable, Codable {
    case ok
    /// A payment command: where the payment now stands.
    case payment(PaymentState)
    case quote(QuoteState)
    case gridlock(GridlockOutcome)
    case setOff(SetOffRunOutcome)
    case refused(HubCommandRejection)
    /// A message's commands: one result each, in order.
    case message([HubResult])
    /// A proposal was recorded under this number.
    case proposal(UInt32)
    /// A recall was answered: accepted with the return it booked (its payment state), or
    /// rejected (nil).
    case recallAnswered(PaymentState?)
    /// The operator's action waits for a second operator's approval, under this number.
    case approvalPending(UInt32)
    /// The retention rule erased the personal data of this many payments.
    case personalDataErased(Int)
}

/// What a set-off run cancelled.
public struct SetOffRunOutcome: Hashable, Sendable, Codable {
    public var runID: UInt128
    public var grossMinor: Int64
    public var totalSetOffMinor: Int64
    /// Per obligation, in submission order.
    public var setOffMinor: [Int64]
    public var certificate: SetOffCertificate
}

/// What a gridlock resolution released.
public struct GridlockOutcome: Hashable, Sendable, Codable {
    public var queuedBefore: Int
    public var released: Int
    /// Σ of released payments' unit value (payer amount for same-member payments).
    public var releasedValue: Int64
}

/// A payment as its submitter and the API see it.
public struct PaymentState: Hashable, Sendable, Codable {
    public var id: UInt128
    public var status: PaymentStatus
    public var rejection: PaymentRejection?
    /// Filled once converted (accepted or reserved); zero before.
    public var payerAmountMinor: Int64
    public var payeeAmountMinor: Int64
    public var unitAmountMinor: Int64
    public var fixingVersion: UInt32
    /// The cycle it was accepted in (0 until accepted).
    public var cycle: UInt32 = 0
}

public struct QuoteState: Hashable, Sendable, Codable {
    public var id: UInt128
    public var fixingVersion: UInt32
    public var expiresAt: UInt64
    public var payerRatePerUnit: DecimalNumber
    public var payeeRatePerUnit: DecimalNumber
}

/// The condition of a trade-conditional payment: the SHA-256 of a shipping document (e.g. the
/// bill of lading) or of a secret the parties agreed, as 64 lowercase hexadecimal digits. The
/// hub's edge hashes what the payee's bank presents; Core compares digests, so replay needs no
/// document.
public struct PaymentCondition: Hashable, Sendable, Codable {
    public var sha256Hex: String

    public init(sha256Hex: String) { self.sha256Hex = sha256Hex }

    var isWellFormed: Bool {
        sha256Hex.utf8.count == 64 && sha256Hex.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
