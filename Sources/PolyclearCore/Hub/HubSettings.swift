/// The union's settings in force, each as its command last set it (for reads: the API, the
/// console, a union file's comparison).
public struct HubSettings: Hashable, Sendable {
    public var alarmThresholdsPercent: [Int]
    public var cycleTriggers: CycleTriggers
    public var gridlockPolicy: GridlockPolicy
    public var imbalanceRules: ImbalanceRules
    public var screeningList: ScreeningList
    public var queuePolicy: CycleEndQueuePolicy
    /// nil: the union has no governance rules (the operator decides alone).
    public var governance: GovernanceRules?
    public var paymentRules: PaymentRules
}

/// The union's rules on what a payment must say and how long personal data is kept.
public struct PaymentRules: Hashable, Sendable, Codable {
    /// Every payment must carry an invoice number and a purpose code (the union file's
    /// `payments.trade_reference = "required"`); otherwise they are optional.
    public var tradeReferenceRequired: Bool
    /// Days after its settlement that a payment's personal data (names, accounts, addresses,
    /// identifiers, free remittance lines) is kept; then a retention run erases it. nil: kept.
    public var personalDataRetentionDays: UInt32?

    public init(tradeReferenceRequired: Bool = true, personalDataRetentionDays: UInt32? = nil) {
        self.tradeReferenceRequired = tradeReferenceRequired
        self.personalDataRetentionDays = personalDataRetentionDays
    }

    /// A retention of 1 day to 100 years.
    public var isValid: Bool { personalDataRetentionDays.map { (1...36_525).contains($0) } ?? true }
}

extension HubStateMachine {
    public var settings: HubSettings {
        HubSettings(
            alarmThresholdsPercent: alarmThresholdsPercent, cycleTriggers: cycleTriggers,
            gridlockPolicy: gridlockPolicy,
            imbalanceRules: imbalanceRules, screeningList: screening.list, queuePolicy: queuePolicy,
            governance: governance, paymentRules: paymentRules)
    }

    /// The union's settings and definition, and its year end.
    mutating func performSettingsCommand(_ command: HubCommand) -> HubResult {
        switch command {
        case .setCycleTriggers(let triggers):
            guard triggers.isValid else { return .refused(.invalidSchedule) }
            cycleTriggers = triggers
            return .ok
        case .setGridlockPolicy(let policy):
            guard policy.queueLengthThreshold.map({ $0 > 0 }) ?? true else { return .refused(.malformedField) }
            gridlockPolicy = policy
            return .ok
        case .setImbalanceRules(let rules):
            guard rules.isValid else { return .refused(.invalidImbalanceRules) }
            imbalanceRules = rules
            return .ok
        case .setScreeningList(let list):
            screening = NormalisedScreeningList(list)
            return .ok
        case .applyCycleEndQueuePolicy:
            if queuePolicy == .returnToPayer { returnAllQueued() }
            return .ok
        case .setQueuePolicy(let policy):
            queuePolicy = policy
            return .ok
        case .setPaymentRules(let rules):
            guard rules.isValid else { return .refused(.malformedField) }
            paymentRules = rules
            return .ok
        case .erasePersonalData:
            return .personalDataErased(erasePersonalData())
        case .recordUnionDefinition(let text):
            guard unionDefinitionText == nil, members.isEmpty, participants.isEmpty else {
                return .refused(.unionAlreadyDefined)
            }
            unionDefinitionText = text
            return .ok
        case .endYear:
            endYear()
            return .ok
        case .setAlarmThresholds(let thresholds):
            guard thresholds.allSatisfy({ (1...100).contains($0) }) else { return .refused(.malformedField) }
            alarmThresholdsPercent = thresholds.sorted()
            return .ok
        default:
            preconditionFailure("perform sends only settings commands here")
        }
    }
}
