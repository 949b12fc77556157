/// The clearing hub: members, participants, fixings, payments and the queue, on top of the
/// ledger. Deterministic like the ledger: the same commands at the same times give the same
/// results and state, which is how the hub is rebuilt from its durable log.
///
/// A cross-member payment is one linked chain of ledger transfers (see `+Payments`), so it is
/// booked on all its legs or on none. Limits (net debit caps, quotas) are checked here,
/// before booking; a payment that would breach one waits in its payer's queue.
public struct HubStateMachine {
    public let configuration: HubConfiguration
    var ledger: LedgerStateMachine

    var members: ContiguousArray<MemberRecord> = []
    var memberIndexByID: [String: MemberIndex] = [:]
    var memberIndexByCurrency: [CurrencyCode: MemberIndex] = [:]
    var participants: ContiguousArray<ParticipantRecord> = []
    var participantIndexByBIC: IDTable<ParticipantIndex>
    var fixings: [FixingRecord] = []
    /// The unit's basket as last defined (empty until the union defines it).
    var unitAmountsPerUnit: [CurrencyCode: DecimalNumber] = [:]
    var quotes: IDTable<QuoteIndex>
    var quoteRecords: ContiguousArray<QuoteRecord> = []
    var paymentIndexByID: IDTable<PaymentIndex>
    /// The latest payment carrying each UETR that is not its own id (JSON payments name their
    /// UETR apart; pacs.008 ones use it as id): investigations name payments by UETR, and a
    /// message may name thousands, so no lookup scans.
    var paymentIndexByUETR: IDTable<PaymentIndex>
    var payments = PaymentTable()
    /// Archiving settled payments out of memory (`+Archive`).
    var archive = PaymentArchiveState()
    var reservationExpiries = ExpiryHeap()
    var fundsIndexByID: IDTable<FundsIndex>
    var funds: ContiguousArray<FundsRecord> = []
    var screening = NormalisedScreeningList(.empty)
    var alarmThresholdsPercent: [Int]

    var nextAccountID: UInt128 = 1
    let unitLedger: UInt32
    let unionRoundingUnitAccountID: UInt128
    let unionChargesAccountID: UInt128
    let unionReserveAccountID: UInt128
    /// Settlement assets the union received for members' debts beyond quota (unit ledger).
    let unionSettlementAssetsAccountID: UInt128

    var cycle = CycleAccumulator(number: 1, openedAt: 0)
    /// Closed cycles in memory, oldest first: the first `cycleArchive.base` were archived
    /// (`HubStateMachine+CycleArchive`).
    var closedCycles: [CycleReport] = []
    var cycleArchive = CycleArchiveState()
    /// Cycles archived since the last commit (the store keeps them with it).
    var archivedCycles = ContiguousArray<ArchivedCycle>()
    var cycleTriggers = CycleTriggers()
    var imbalanceRules = ImbalanceRules.none
    var gridlockPolicy = GridlockPolicy()
    /// Payments in status `.queued` now.
    var queuedCount = 0
    var isResolvingGridlock = false
    /// Inbound message ids already applied, as "SENDERBIC messageID".
    var messageKeys = Set<String>()
    /// Returns: reverse payment id → original id, and per original what returns took back
    /// (in the currency it credited) and by which payments.
    var returnOf: [UInt128: UInt128] = [:]
    var returns: [UInt128: (returnedMinor: Int64, ids: [UInt128])] = [:]
    /// Every set-off run's outcome by run id (ids are never reused).
    var setOffRuns: [UInt128: SetOffRunOutcome] = [:]
    /// The currency of each run (its events do not carry it; replay rebuilds this).
    var setOffRunCurrencies: [UInt128: CurrencyCode] = [:]
    /// Per member: consecutive closes with the position beyond the alarm threshold.
    var imbalanceStreaks: [Int] = []
    /// Excess pay-ins not yet past their deadline, in close order (members may pay before).
    var excessPayInsDue: [(cycle: UInt32, member: MemberIndex)] = []
    /// Excess pay-ins past their deadline and still unpaid: their members are in default.
    var overdueExcessSettlements: Set<OverdueExcess> = []
    /// Year ends applied so far (numbers the year-end bookings).
    var yearsEnded: UInt32 = 0
    /// What becomes of queued payments at cycle end (the configuration's until set).
    var queuePolicy: CycleEndQueuePolicy
    var paymentRules = PaymentRules()
    /// The details of the payments that carried any (parties, remittance, trade details).
    var paymentDetails: [PaymentIndex: PaymentDetails] = [:]
    /// How the members govern the union (nil: no governance, the operator decides alone).
    var governance: GovernanceRules? = nil
    /// Every proposal, by number − 1; the earliest time one is due (deadline or effect).
    var proposals: [Proposal] = []
    var governanceDueAt = UInt64.max
    /// Recalls by id, and the earliest deadline of an open one.
    var recalls: [UInt128: Recall] = [:]
    var recallsDueAt = UInt64.max
    /// Every maker–checker request, by number − 1.
    var approvals: [Approval] = []
    var pendingApprovalCount = 0
    /// API keys the hub manages, in issue order, indexed by id and by digest.
    var apiKeys: [APIKeyRecord] = []
    var apiKeyIndexByID: [UInt128: Int] = [:]
    var apiKeyIndexByDigest: [String: Int] = [:]
    /// Booked cross-member payments by cycle, members, purpose and HS heading (`TradeFlows`):
    /// keys and totals in flat arrays, found through an `IDTable` by the packed key.
    var tradeFlowSlots = IDTable<Int>(emptyValue: -1)
    var tradeFlowKeys = ContiguousArray<PackedTradeFlowKey>()
    var tradeFlowTotals = ContiguousArray<TradeFlowTotals>()
    /// Trade-conditional payments' conditions by payment id, and when each was fulfilled.
    var conditions: [UInt128: (sha256Hex: String, fulfilledAt: UInt64?)] = [:]
    /// The union file's definition this database was started from (canonical text), if any.
    public internal(set) var unionDefinitionText: String?
    var events: ContiguousArray<HubEvent> = []
    /// Payments archived since the last commit (the store keeps them with it).
    var archived = ContiguousArray<ArchivedPayment>()
    /// Attributed (operator and central-bank) actions, oldest first; rebuilt by replay. Those
    /// in memory: the first `auditBase` were archived (`HubStateMachine+AuditArchive`).
    var auditTrail: ContiguousArray<AuditRecord> = []
    var auditBase = 0
    var isArchivingAuditRecords = false
    /// Audit records archived since the last commit (the store keeps them with it).
    var archivedAudit = ContiguousArray<ArchivedAuditRecord>()
    var log: ContiguousArray<HubLogEntry> = []
    /// Whether every entry of `log` is a command that keeps reference data (`HubOutcome`'s
    /// flag, tracked as entries are added: working it out from the log copied every command).
    var logKeepsReferenceData = true
    var now: UInt64 = 0
    /// Reused buffers: the payment path allocates nothing per payment once warm.
    var ledgerEvents: [LedgerEvent] = []
    var ledgerResults = ContiguousArray<EventResult>()
    var releaseWorklist = ContiguousArray<ParticipantIndex>()

    public init(configuration: HubConfiguration) {
        self.configuration = configuration
        let expectedPayments = configuration.expectedPaymentCount
        ledger = LedgerStateMachine(
            expectedAccountCount: 1_024, expectedTransferCount: max(1 << 16, expectedPayments * 4))
        participantIndexByBIC = IDTable(emptyValue: .unknown)
        quotes = IDTable(emptyValue: QuoteIndex(raw: 0))
        paymentIndexByID = IDTable(emptyValue: PaymentIndex(raw: 0), minimumCapacity: expectedPayments)
        paymentIndexByUETR = IDTable(emptyValue: PaymentIndex(raw: 0), minimumCapacity: expectedPayments)
        payments.reserveCapacity(expectedPayments)
        fundsIndexByID = IDTable(emptyValue: FundsIndex(raw: 0))
        alarmThresholdsPercent = configuration.alarmThresholdsPercent
        queuePolicy = configuration.queuedPaymentsAtCycleEnd
        unitLedger = configuration.unit.code.packedASCII
        ledgerEvents.reserveCapacity(8)
        ledgerResults.reserveCapacity(Limits.batchEventCountMax)
        // The union's own accounts on the unit ledger, created at genesis (time 0).
        unionRoundingUnitAccountID = nextAccountID
        unionChargesAccountID = nextAccountID + 1
        unionReserveAccountID = nextAccountID + 2
        unionSettlementAssetsAccountID = nextAccountID + 3
        nextAccountID += 4
        let genesis: [LedgerEvent] = [
            .createAccount(
                Account(
                    id: unionRoundingUnitAccountID, ledger: unitLedger, code: HubAccountCode.unionRounding.rawValue,
                    flags: .linked)),
            .createAccount(
                Account(
                    id: unionChargesAccountID, ledger: unitLedger, code: HubAccountCode.unionCharges.rawValue,
                    flags: .linked)),
            .createAccount(
                Account(
                    id: unionReserveAccountID, ledger: unitLedger, code: HubAccountCode.unionReserve.rawValue,
                    flags: .linked)),
            .createAccount(
                Account(
                    id: unionSettlementAssetsAccountID, ledger: unitLedger,
                    code: HubAccountCode.unionSettlementAssets.rawValue)),
        ]
        try! ledger.apply(genesis, now: 0, results: &ledgerResults)
        precondition(ledgerResults.allSatisfy { $0.isOK }, "hub genesis failed")
    }

    /// The underlying ledger (balances, transfers), read-only.
    public var ledgerState: LedgerStateMachine { ledger }

    /// Applies one command at time `now` (nanoseconds). Reserved payments whose deadline has
    /// passed expire first, so expiry depends on time alone.
    public mutating func apply(_ command: HubCommand, now: UInt64) -> HubResult {
        log.append(HubLogEntry(command: command, time: now))
        if logKeepsReferenceData { logKeepsReferenceData = command.keepsReferenceData }
        self.now = max(now, self.now)
        if cycle.openedAt == 0 { cycle.openedAt = self.now }  // the first cycle opens with the first command
        expireReservations()
        closeDueCycle()
        decideDueProposals()
        expireDueRecalls()
        return perform(command)
    }

    mutating func perform(_ command: HubCommand) -> HubResult {
        switch command {
        case .attributed(let actor, let inner):
            if case .attributed = inner { return .refused(.malformedField) }
            let result = performAttributed(actor: actor, inner)
            recordAudit(actor: actor, command: inner, result: result)
            return result
        case .message(let sender, let messageID, let commands):
            return applyMessage(sender: sender, messageID: messageID, commands: commands)
        case .returnPayment(let instruction):
            return returnPayment(instruction)
        case .closeCycle(let number): return closeCycle(number: number)
        case .confirmExcessSettlement(let number, let member, let amount, let actor):
            return confirmExcessSettlement(cycle: number, member: member, amountUnitMinor: amount, actor: actor)
        case .setOffObligations(let runID, let obligations):
            return setOffObligations(runID: runID, obligations: obligations)
        case .resolveGridlock:
            return .gridlock(resolveGridlock())
        case .confirmSettlement(let number, let member, let index, let amount, let actor):
            return confirmSettlement(cycle: number, member: member, index: index, amountMinor: amount, actor: actor)
        case .registerMember(let member): return registerMember(member)
        case .updateMember(let id, let quota, let status):
            return updateMember(id: id, quotaUnitMinor: quota, status: status)
        case .registerParticipant(let participant): return registerParticipant(participant)
        case .updateParticipant(let bic, let cap, let status):
            return updateParticipant(bic: bic, netDebitCapMinor: cap, status: status)
        case .publishFixing(let fixing): return publishFixing(fixing)
        case .defineUnit(let amounts, let checks): return defineUnit(amountsPerUnit: amounts.byCurrency, checks: checks)
        case .issueQuote(let id, let payer, let payee, let validity):
            return issueQuote(id: id, payer: payer, payee: payee, validitySeconds: validity)
        case .submitPayment(let instruction): return submitPayment(instruction)
        case .commitPayment(let id, let actor): return decideReserved(id: id, commit: true, actor: actor)
        case .fulfilCondition(let id, let digest, let actor):
            return fulfilCondition(id: id, presentedSHA256Hex: digest, actor: actor)
        case .rejectPayment(let id, let actor): return decideReserved(id: id, commit: false, actor: actor)
        case .cancelPayment(let id, let actor): return cancelPayment(id: id, actor: actor)
        case .decideHeldPayment(let id, let release, let actor, let reason):
            return decideHeld(id: id, release: release, actor: actor, reason: reason)
        case .requestFunds(let id, let bic, let amount, let direction):
            return requestFunds(id: id, bic: bic, amountMinor: amount, direction: direction)
        case .confirmFunds(let id): return resolveFunds(id: id, confirm: true)
        case .cancelFunds(let id): return resolveFunds(id: id, confirm: false)
        case .setCycleTriggers, .setGridlockPolicy, .setImbalanceRules, .setScreeningList, .applyCycleEndQueuePolicy,
            .setQueuePolicy, .recordUnionDefinition, .endYear, .setAlarmThresholds, .setPaymentRules,
            .erasePersonalData:
            return performSettingsCommand(command)
        case .requestRecall(let request): return requestRecall(request)
        case .answerRecall(let id, let accept, let reason, let actor):
            return answerRecall(id: id, accept: accept, reasonCode: reason, actor: actor)
        case .acknowledgeDeliveries(let bic, let through, let actor):
            return acknowledgeDeliveries(bic: bic, through: through, actor: actor)
        case .setDeliveryEndpoint(let bic, let endpoint, let actor):
            return setDeliveryEndpoint(bic: bic, endpoint: endpoint, actor: actor)
        case .setGovernanceRules, .propose, .vote, .decideApproval, .issueAPIKey, .rotateAPIKey, .revokeAPIKey:
            return performUnionCommand(command)
        case .startPaymentArchive: return startPaymentArchive()
        case .startAuditArchive: return startAuditArchive()
        case .startCycleArchive: return startCycleArchive()
        case .restoreArchivedPayments(let records): return restoreArchivedPayments(records)
        }
    }

    /// Only advances time: expires what is due.
    public mutating func tick(now: UInt64) {
        log.append(HubLogEntry(command: nil, time: now))
        logKeepsReferenceData = false
        self.now = max(now, self.now)
        expireReservations()
        closeDueCycle()
        decideDueProposals()
        expireDueRecalls()
        archiveSettledPayments()
        archiveOldAuditRecords()
        archiveOldCycles()
    }

    public mutating func sealOutcome() -> HubOutcome {
        HubOutcome(
            log: log, ledger: ledger.sealOutcome(), events: events, archived: archived, archivedAudit: archivedAudit,
            archivedCycles: archivedCycles, keepsReferenceData: logKeepsReferenceData)
    }

    public mutating func outcomeCommitted() {
        ledger.outcomeCommitted()
        events.removeAll(keepingCapacity: true)
        archived.removeAll(keepingCapacity: true)
        archivedAudit.removeAll(keepingCapacity: true)
        archivedCycles.removeAll(keepingCapacity: true)
        log.removeAll(keepingCapacity: true)
        logKeepsReferenceData = true
    }

    mutating func record(_ kind: HubEvent.Kind) { events.append(HubEvent(timestamp: now, kind: kind)) }

    mutating func allocateAccountIDs(_ count: Int) -> UInt128 {
        defer { nextAccountID += UInt128(count) }
        return nextAccountID
    }

    /// Applies a ledger chain the hub built; true if every event succeeded.
    mutating func applyLedgerChain() -> Bool {
        // Move the buffers out and back: passing them as properties of `self` while the ledger
        // (another property) is mutated made Swift retain and release them on every call.
        var events: [LedgerEvent] = []
        var results = ContiguousArray<EventResult>()
        swap(&events, &ledgerEvents)
        swap(&results, &ledgerResults)
        defer {
            swap(&events, &ledgerEvents)
            swap(&results, &ledgerResults)
        }
        try! ledger.apply(events, now: now, results: &results)  // never more than a few events
        for index in results.indices where !results[index].isOK { return false }
        return true
    }
}

extension HubStateMachine: Sendable {}

/// Hub settings that are not commands (they shape every command).
public struct HubConfiguration: Sendable {
    public var currencies: CurrencyTable
    public var unit: Currency { currencies.unit }
    /// How long an undecided two-phase payment stays reserved unless it says otherwise.
    public var defaultReservationTimeoutSeconds: UInt32 = 3_600
    public var alarmThresholdsPercent: [Int] = [75, 90]
    /// Payments the hub expects to hold: sizes its tables up front so that growing them does
    /// not stall a batch (a capacity hint, not a limit).
    public var expectedPaymentCount = 0
    public var queuedPaymentsAtCycleEnd = CycleEndQueuePolicy.carryOver
    /// The store keeps an archive of payments (`+Archive`): `startPaymentArchive` may turn
    /// archiving on. A process property, like the store itself.
    public var paymentArchiveAvailable = false

    public init(currencies: CurrencyTable) { self.currencies = currencies }
}
