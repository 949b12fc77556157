/// Something the hub did that must be recorded: the audit trail and the live event feed.
public struct HubEvent: Hashable, Sendable, Codable {
    public var timestamp: UInt64
    public var kind: Kind

    public init(timestamp: UInt64, kind: Kind) {
        self.timestamp = timestamp
        self.kind = kind
    }

    public enum Kind: Hashable, Sendable, Codable {
        case paymentStatus(id: UInt128, status: PaymentStatus, rejection: PaymentRejection?, actor: Actor)
        /// A position crossed a utilisation threshold (percent of cap or quota), upwards.
        case utilisationAlarm(subject: AlarmSubject, thresholdPercent: Int, utilisationPerMille: Int64)
        case fundsStatus(id: UInt128, status: FundsStatus)
        /// The cycle's full netting report, so that it is stored with the audit trail.
        case cycleClosed(CycleReport)
        case cycleSettled(number: UInt32)
        /// Members had not confirmed their settlement instructions by the deadline.
        case settlementDeadlineMissed(cycle: UInt32, members: [CountryCode])
        /// Gridlock resolution ran by itself (policy) and released this much.
        case gridlockResolved(GridlockOutcome)
        case setOffRun(SetOffRunOutcome)
        /// A member's union position stayed beyond the rules' share of quota for `cycles` closes:
        /// the "trapped currency" signal.
        case persistentImbalance(member: CountryCode, cycles: Int, positionMinor: Int64)
        /// A member had not paid its excess settlement by the settlement deadline: until it
        /// does, its quota stops its payments (`hard` for that member only).
        case excessSettlementOverdue(cycle: UInt32, member: CountryCode, amountUnitMinor: Int64)
        /// An operator's or central bank's action (see `HubCommand.attributed`).
        case audited(AuditRecord)
        /// A retention run erased these payments' personal data: the store rewrites their
        /// logged instructions without it (`PaymentInstruction.redacted`).
        case personalDataErased([ErasedPayment])
    }
}

public enum AlarmSubject: Hashable, Sendable, Codable {
    case participant(BIC)
    case member(CountryCode)
}

public enum FundsStatus: UInt8, Hashable, Sendable, Codable {
    case reserved = 0, confirmed = 1, cancelled = 2
}

/// Ledger account kinds (`Account.code`) the hub creates.
public enum HubAccountCode: UInt16, Sendable {
    case participantPosition = 1
    case memberHub = 2
    case memberFunding = 3
    case memberUnion = 4
    case unionRounding = 10
    case unionCharges = 11
    case unionReserve = 12
    case unionSettlementAssets = 13
}

/// Ledger transfer kinds (`Transfer.code`) the hub books.
public enum HubTransferCode: UInt16, Sendable {
    case payerLeg = 1
    case unitLeg = 2
    case payeeLeg = 3
    case roundingResidue = 4
    case fundsIn = 5
    case fundsOut = 6
    case settlement = 7
    case imbalanceCharge = 8
    case excessSettlement = 9
    case obligationSetOff = 10
    case chargeRedistribution = 11
    case yearEndToReserve = 12
}
