/// A hub's whole state between two commits, for restarts that read it back instead of
/// replaying the whole log (`HubSnapshot` in the store frames, checks and keeps it).
///
/// Every stored property is written by name, except the outcome buffers (empty between
/// commits) and what the configuration determines (it comes from the process, as it does for
/// a replay). A property added to `HubStateMachine` must be added here and
/// `snapshotFormatVersion` raised: a snapshot of another version is refused and the log
/// replayed instead, so an old snapshot never silently misses state.
extension HubStateMachine {
    /// Raised with every change to what a snapshot holds or how a record is laid out.
    public static let snapshotFormatVersion: UInt32 = 2

    enum SnapshotField: String, CodingKey {
        case unitLedger, ledger, members, memberIndexByID, memberIndexByCurrency, participants
        case participantIndexByBIC, fixings, unitAmountsPerUnit, quotes, quoteRecords, paymentIndexByID
        case paymentIndexByUETR, payments, reservationExpiries, fundsIndexByID, funds, screening
        case alarmThresholdsPercent, nextAccountID, cycle, closedCycles, cycleTriggers, imbalanceRules
        case gridlockPolicy, queuedCount, isResolvingGridlock, messageKeys, returnOf, returns, setOffRuns
        case setOffRunCurrencies, imbalanceStreaks, excessPayInsDue, overdueExcessSettlements, yearsEnded
        case queuePolicy, paymentRules, archive, paymentDetails, governance, proposals, governanceDueAt
        case recalls, recallsDueAt, approvals, pendingApprovalCount, apiKeys, apiKeyIndexByID
        case apiKeyIndexByDigest, tradeFlowSlots, tradeFlowKeys, tradeFlowTotals, conditions
        case unionDefinitionText, auditTrail, auditBase, isArchivingAuditRecords, cycleArchive, now
    }

    struct SnapshotReturn: Codable {
        var original: UInt128
        var returnedMinor: Int64
        var ids: [UInt128]
    }

    struct SnapshotExcessPayIn: Codable {
        var cycle: UInt32
        var member: MemberIndex
    }

    struct SnapshotCondition: Codable {
        var paymentID: UInt128
        var sha256Hex: String
        var fulfilledAt: UInt64?
    }

    /// Writes the state. Only between commits: an outcome not yet stored is not state yet.
    func encodeSnapshot(to encoder: any Encoder) throws {
        guard log.isEmpty, events.isEmpty else { throw HubSnapshotError.outcomeNotCommitted }
        var c = encoder.container(keyedBy: SnapshotField.self)
        try c.encode(unitLedger, forKey: .unitLedger)
        try c.encode(ledger, forKey: .ledger)
        try c.encode(members, forKey: .members)
        try c.encode(memberIndexByID, forKey: .memberIndexByID)
        try c.encode(memberIndexByCurrency, forKey: .memberIndexByCurrency)
        try c.encode(participants, forKey: .participants)
        try c.encode(participantIndexByBIC, forKey: .participantIndexByBIC)
        try c.encode(fixings, forKey: .fixings)
        try c.encode(unitAmountsPerUnit, forKey: .unitAmountsPerUnit)
        try c.encode(quotes, forKey: .quotes)
        try c.encode(quoteRecords, forKey: .quoteRecords)
        try c.encode(paymentIndexByID, forKey: .paymentIndexByID)
        try c.encode(paymentIndexByUETR, forKey: .paymentIndexByUETR)
        try c.encode(payments, forKey: .payments)
        try c.encode(reservationExpiries, forKey: .reservationExpiries)
        try c.encode(fundsIndexByID, forKey: .fundsIndexByID)
        try c.encode(funds, forKey: .funds)
        try c.encode(screening.list, forKey: .screening)
        try c.encode(alarmThresholdsPercent, forKey: .alarmThresholdsPercent)
        try c.encode(nextAccountID, forKey: .nextAccountID)
        try c.encode(cycle, forKey: .cycle)
        try c.encode(closedCycles, forKey: .closedCycles)
        try c.encode(cycleTriggers, forKey: .cycleTriggers)
        try c.encode(imbalanceRules, forKey: .imbalanceRules)
        try c.encode(gridlockPolicy, forKey: .gridlockPolicy)
        try c.encode(queuedCount, forKey: .queuedCount)
        try c.encode(isResolvingGridlock, forKey: .isResolvingGridlock)
        try c.encode(messageKeys.sorted(), forKey: .messageKeys)
        try c.encode(returnOf, forKey: .returnOf)
        let returnList = returns.map {
            SnapshotReturn(original: $0.key, returnedMinor: $0.value.returnedMinor, ids: $0.value.ids)
        }
        try c.encode(returnList.sorted { $0.original < $1.original }, forKey: .returns)
        try c.encode(setOffRuns, forKey: .setOffRuns)
        try c.encode(setOffRunCurrencies, forKey: .setOffRunCurrencies)
        try c.encode(imbalanceStreaks, forKey: .imbalanceStreaks)
        try c.encode(
            excessPayInsDue.map { SnapshotExcessPayIn(cycle: $0.cycle, member: $0.member) }, forKey: .excessPayInsDue)
        try c.encode(overdueExcessSettlements.sorted(), forKey: .overdueExcessSettlements)
        try c.encode(yearsEnded, forKey: .yearsEnded)
        try c.encode(queuePolicy, forKey: .queuePolicy)
        try c.encode(paymentRules, forKey: .paymentRules)
        try c.encode(archive, forKey: .archive)
        try c.encode(paymentDetails, forKey: .paymentDetails)
        try c.encode(governance, forKey: .governance)
        try c.encode(proposals, forKey: .proposals)
        try c.encode(governanceDueAt, forKey: .governanceDueAt)
        try c.encode(recalls, forKey: .recalls)
        try c.encode(recallsDueAt, forKey: .recallsDueAt)
        try c.encode(approvals, forKey: .approvals)
        try c.encode(pendingApprovalCount, forKey: .pendingApprovalCount)
        try c.encode(apiKeys, forKey: .apiKeys)
        try c.encode(apiKeyIndexByID, forKey: .apiKeyIndexByID)
        try c.encode(apiKeyIndexByDigest, forKey: .apiKeyIndexByDigest)
        try c.encode(tradeFlowSlots, forKey: .tradeFlowSlots)
        try c.encode(tradeFlowKeys, forKey: .tradeFlowKeys)
        try c.encode(tradeFlowTotals, forKey: .tradeFlowTotals)
        let conditionList = conditions.map {
            SnapshotCondition(paymentID: $0.key, sha256Hex: $0.value.sha256Hex, fulfilledAt: $0.value.fulfilledAt)
        }
        try c.encode(conditionList.sorted { $0.paymentID < $1.paymentID }, forKey: .conditions)
        try c.encode(unionDefinitionText, forKey: .unionDefinitionText)
        try c.encode(auditTrail, forKey: .auditTrail)
        try c.encode(auditBase, forKey: .auditBase)
        try c.encode(isArchivingAuditRecords, forKey: .isArchivingAuditRecords)
        try c.encode(cycleArchive, forKey: .cycleArchive)
        try c.encode(now, forKey: .now)
    }

    /// The hub a snapshot holds, under this process's configuration (whose unit must be the
    /// one the snapshot was taken under).
    init(configuration: HubConfiguration, snapshot decoder: any Decoder) throws {
        self.init(configuration: configuration)
        let c = try decoder.container(keyedBy: SnapshotField.self)
        guard try c.decode(UInt32.self, forKey: .unitLedger) == unitLedger else {
            throw HubSnapshotError.otherUnit
        }
        ledger = try c.decode(LedgerStateMachine.self, forKey: .ledger)
        members = try c.decode(ContiguousArray<MemberRecord>.self, forKey: .members)
        memberIndexByID = try c.decode([String: MemberIndex].self, forKey: .memberIndexByID)
        memberIndexByCurrency = try c.decode([CurrencyCode: MemberIndex].self, forKey: .memberIndexByCurrency)
        participants = try c.decode(ContiguousArray<ParticipantRecord>.self, forKey: .participants)
        participantIndexByBIC = try c.decode(IDTable<ParticipantIndex>.self, forKey: .participantIndexByBIC)
        fixings = try c.decode([FixingRecord].self, forKey: .fixings)
        unitAmountsPerUnit = try c.decode([CurrencyCode: DecimalNumber].self, forKey: .unitAmountsPerUnit)
        quotes = try c.decode(IDTable<QuoteIndex>.self, forKey: .quotes)
        quoteRecords = try c.decode(ContiguousArray<QuoteRecord>.self, forKey: .quoteRecords)
        paymentIndexByID = try c.decode(IDTable<PaymentIndex>.self, forKey: .paymentIndexByID)
        paymentIndexByUETR = try c.decode(IDTable<PaymentIndex>.self, forKey: .paymentIndexByUETR)
        payments = try c.decode(PaymentTable.self, forKey: .payments)
        reservationExpiries = try c.decode(ExpiryHeap.self, forKey: .reservationExpiries)
        fundsIndexByID = try c.decode(IDTable<FundsIndex>.self, forKey: .fundsIndexByID)
        funds = try c.decode(ContiguousArray<FundsRecord>.self, forKey: .funds)
        screening = NormalisedScreeningList(try c.decode(ScreeningList.self, forKey: .screening))
        alarmThresholdsPercent = try c.decode([Int].self, forKey: .alarmThresholdsPercent)
        nextAccountID = try c.decode(UInt128.self, forKey: .nextAccountID)
        cycle = try c.decode(CycleAccumulator.self, forKey: .cycle)
        closedCycles = try c.decode([CycleReport].self, forKey: .closedCycles)
        cycleTriggers = try c.decode(CycleTriggers.self, forKey: .cycleTriggers)
        imbalanceRules = try c.decode(ImbalanceRules.self, forKey: .imbalanceRules)
        gridlockPolicy = try c.decode(GridlockPolicy.self, forKey: .gridlockPolicy)
        queuedCount = try c.decode(Int.self, forKey: .queuedCount)
        isResolvingGridlock = try c.decode(Bool.self, forKey: .isResolvingGridlock)
        messageKeys = Set(try c.decode([String].self, forKey: .messageKeys))
        returnOf = try c.decode([UInt128: UInt128].self, forKey: .returnOf)
        returns = [:]
        for entry in try c.decode([SnapshotReturn].self, forKey: .returns) {
            returns[entry.original] = (returnedMinor: entry.returnedMinor, ids: entry.ids)
        }
        setOffRuns = try c.decode([UInt128: SetOffRunOutcome].self, forKey: .setOffRuns)
        setOffRunCurrencies = try c.decode([UInt128: CurrencyCode].self, forKey: .setOffRunCurrencies)
        imbalanceStreaks = try c.decode([Int].self, forKey: .imbalanceStreaks)
        excessPayInsDue = try c.decode([SnapshotExcessPayIn].self, forKey: .excessPayInsDue).map {
            (cycle: $0.cycle, member: $0.member)
        }
        overdueExcessSettlements = Set(try c.decode([OverdueExcess].self, forKey: .overdueExcessSettlements))
        yearsEnded = try c.decode(UInt32.self, forKey: .yearsEnded)
        queuePolicy = try c.decode(CycleEndQueuePolicy.self, forKey: .queuePolicy)
        paymentRules = try c.decode(PaymentRules.self, forKey: .paymentRules)
        archive = try c.decode(PaymentArchiveState.self, forKey: .archive)
        paymentDetails = try c.decode([PaymentIndex: PaymentDetails].self, forKey: .paymentDetails)
        governance = try c.decode(GovernanceRules?.self, forKey: .governance)
        proposals = try c.decode([Proposal].self, forKey: .proposals)
        governanceDueAt = try c.decode(UInt64.self, forKey: .governanceDueAt)
        recalls = try c.decode([UInt128: Recall].self, forKey: .recalls)
        recallsDueAt = try c.decode(UInt64.self, forKey: .recallsDueAt)
        approvals = try c.decode([Approval].self, forKey: .approvals)
        pendingApprovalCount = try c.decode(Int.self, forKey: .pendingApprovalCount)
        apiKeys = try c.decode([APIKeyRecord].self, forKey: .apiKeys)
        apiKeyIndexByID = try c.decode([UInt128: Int].self, forKey: .apiKeyIndexByID)
        apiKeyIndexByDigest = try c.decode([String: Int].self, forKey: .apiKeyIndexByDigest)
        tradeFlowSlots = try c.decode(IDTable<Int>.self, forKey: .tradeFlowSlots)
        tradeFlowKeys = try c.decode(ContiguousArray<PackedTradeFlowKey>.self, forKey: .tradeFlowKeys)
        tradeFlowTotals = try c.decode(ContiguousArray<TradeFlowTotals>.self, forKey: .tradeFlowTotals)
        conditions = [:]
        for entry in try c.decode([SnapshotCondition].self, forKey: .conditions) {
            conditions[entry.paymentID] = (sha256Hex: entry.sha256Hex, fulfilledAt: entry.fulfilledAt)
        }
        unionDefinitionText = try c.decode(String?.self, forKey: .unionDefinitionText)
        auditTrail = try c.decode(ContiguousArray<AuditRecord>.self, forKey: .auditTrail)
        // Absent from snapshots written before the audit archive: nothing archived then.
        auditBase = try c.decodeIfPresent(Int.self, forKey: .auditBase) ?? 0
        isArchivingAuditRecords = try c.decodeIfPresent(Bool.self, forKey: .isArchivingAuditRecords) ?? false
        guard auditBase >= 0 else { throw BinaryCodecError.malformed("a negative audit base") }
        // Absent from snapshots written before the cycle archive: nothing archived then.
        cycleArchive = try c.decodeIfPresent(CycleArchiveState.self, forKey: .cycleArchive) ?? CycleArchiveState()
        guard closedCycles.first.map({ Int($0.number) == cycleArchive.base + 1 }) ?? true else {
            throw BinaryCodecError.malformed("closed cycles that do not follow the archived ones")
        }
        now = try c.decode(UInt64.self, forKey: .now)
        ledgerResults.removeAll(keepingCapacity: true)
    }
}

extension HubStateMachine {
    /// The state as bytes (`BinaryCodec`), canonical: the same state always gives the same
    /// bytes (dictionaries and sets in key order), so two hubs can be compared by them.
    public func snapshotState() throws -> [UInt8] { try BinaryCodec.encode(SnapshotState(hub: self)) }

    /// The same state written after `prefix` in one buffer of at least `reserving` bytes.
    public func snapshotState(after prefix: [UInt8], reserving: Int) throws -> [UInt8] {
        try BinaryCodec.encode(SnapshotState(hub: self), after: prefix, reserving: reserving)
    }

    /// The hub `snapshotState()` gave (from `offset` in `bytes` on), under `configuration`.
    public init(configuration: HubConfiguration, snapshotState bytes: [UInt8], startingAt offset: Int = 0) throws {
        self = try BinaryCodec.decode(
            SnapshotState.self, from: bytes, startingAt: offset, userInfo: [.hubConfiguration: configuration]
        ).hub
    }
}

/// The hub's state as the codec sees it: encoding writes the hub's fields, decoding builds a
/// hub under the configuration the decoder carries.
struct SnapshotState: Codable {
    var hub: HubStateMachine

    init(hub: HubStateMachine) { self.hub = hub }

    func encode(to encoder: any Encoder) throws { try hub.encodeSnapshot(to: encoder) }

    init(from decoder: any Decoder) throws {
        guard let configuration = decoder.userInfo[.hubConfiguration] as? HubConfiguration else {
            throw HubSnapshotError.noConfiguration
        }
        hub = try HubStateMachine(configuration: configuration, snapshot: decoder)
    }
}

extension CodingUserInfoKey {
    static let hubConfiguration = CodingUserInfoKey(rawValue: "polyclear.hubConfiguration")!
}

/// Why a snapshot cannot be written or read back (the store then replays the log instead).
public enum HubSnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Asked for between a batch and its commit.
    case outcomeNotCommitted
    /// Taken under a union with another unit (another configuration).
    case otherUnit
    /// Read without a configuration to build the hub under.
    case noConfiguration
    public var description: String {
        switch self {
        case .outcomeNotCommitted: "a snapshot is taken only between commits"
        case .otherUnit: "the snapshot was taken under another unit of account"
        case .noConfiguration: "a snapshot is read under a configuration"
        }
    }
}
