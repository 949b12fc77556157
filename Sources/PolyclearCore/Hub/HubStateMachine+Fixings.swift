extension HubStateMachine {
    /// Accepts a new fixing only if it is complete and newer; otherwise the previous one stays
    /// in force.
    mutating func publishFixing(_ fixing: Fixing) -> HubResult {
        if let last = fixings.last {
            guard fixing.version > last.fixing.version else { return .refused(.fixingVersionNotIncreasing) }
            guard fixing.effectiveFrom >= last.fixing.effectiveFrom else {
                return .refused(.fixingEffectiveTimeGoesBack)
            }
        }
        for rate in fixing.ratesPerUnit.values where rate.isZero { return .refused(.fixingRateNotPositive) }
        for record in members where fixing.ratesPerUnit[record.member.currency] == nil {
            return .refused(.fixingMissingCurrency)
        }
        if let checks = fixing.checks, let refusal = check(fixing, against: checks) { return .refused(refusal) }
        fixings.append(
            FixingRecord(
                fixing: fixing, ratesByMember: ContiguousArray(members.map { fixing.ratesPerUnit[$0.member.currency] }))
        )
        // New rates change what queued payments need: try them all again.
        releaseQueued(participants: [], members: Array(members.hubIndices))
        return .ok
    }

    /// A checked fixing: effective within the horizon, no rate for the unit, every rate
    /// plausible and, unless confirmed, within the factor of the latest fixing's rate.
    private func check(_ fixing: Fixing, against checks: RateChecks) -> HubCommandRejection? {
        let (horizonNanoseconds, overflow) = checks.horizonSeconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (latestAllowed, later) = now.addingReportingOverflow(horizonNanoseconds)
        guard overflow || later || fixing.effectiveFrom <= latestAllowed else { return .fixingEffectiveTooFar }
        guard fixing.ratesPerUnit[configuration.unit.code] == nil else { return .fixingRateForUnit }
        guard fixing.ratesPerUnit.values.allSatisfy(RateChecks.isPlausible) else { return .rateImplausible }
        guard !checks.largeMoveConfirmed, let latest = fixings.last?.fixing else { return nil }
        for (currency, rate) in fixing.ratesPerUnit {
            if let previous = latest.ratesPerUnit[currency], !checks.isSmallMove(from: previous, to: rate) {
                return .rateMoveNotConfirmed
            }
        }
        return nil
    }

    /// The fixing in force at `time`: the newest whose effective time has come.
    func fixingIndex(at time: UInt64) -> Int? { Self.fixingIndex(in: fixings, at: time) }

    static func fixingIndex(in fixings: [FixingRecord], at time: UInt64) -> Int? {
        var index = fixings.count - 1
        while index >= 0 && fixings[index].fixing.effectiveFrom > time { index -= 1 }
        return index >= 0 ? index : nil
    }

    mutating func defineUnit(amountsPerUnit amounts: [CurrencyCode: DecimalNumber], checks: RateChecks?) -> HubResult {
        if let rejection = unitDefinitionRejection(amounts, checks: checks) { return .refused(rejection) }
        unitAmountsPerUnit = amounts
        return .ok
    }

    /// Why a unit definition could not be taken now (nil: it can).
    func unitDefinitionRejection(_ amounts: [CurrencyCode: DecimalNumber], checks: RateChecks?) -> HubCommandRejection?
    {
        guard !amounts.isEmpty else { return .invalidUnitDefinition }
        for (code, amount) in amounts {
            guard !amount.isZero, code != configuration.unit.code, configuration.currencies[code] != nil else {
                return .invalidUnitDefinition
            }
        }
        guard let checks else { return nil }
        guard amounts.values.allSatisfy(RateChecks.isPlausible) else { return .rateImplausible }
        if !checks.largeMoveConfirmed {
            for (code, amount) in amounts {
                if let previous = unitAmountsPerUnit[code], !checks.isSmallMove(from: previous, to: amount) {
                    return .rateMoveNotConfirmed
                }
            }
        }
        return nil
    }

    /// The unit's definition: currency amounts per one unit (empty if never defined).
    public var unitDefinition: [CurrencyCode: DecimalNumber] { unitAmountsPerUnit }

    public var currentFixing: Fixing? { fixingIndex(at: now).map { fixings[$0].fixing } }

    mutating func issueQuote(id: UInt128, payer: BIC, payee: BIC, validitySeconds: UInt32) -> HubResult {
        guard id != 0, validitySeconds > 0, validitySeconds <= Limits.quoteValiditySecondsMax else {
            return .refused(.malformedField)
        }
        guard quotes.value(for: id) == nil else { return .refused(.quoteExists) }
        guard let payerIndex = participantIndexByBIC.value(for: UInt128(payer.packed)),
            let payeeIndex = participantIndexByBIC.value(for: UInt128(payee.packed))
        else { return .refused(.participantNotFound) }
        guard let fixingIndex = fixingIndex(at: now),
            let payerRate = fixings[fixingIndex].rate(of: participants[payerIndex].memberIndex),
            let payeeRate = fixings[fixingIndex].rate(of: participants[payeeIndex].memberIndex)
        else { return .refused(.noFixingInForce) }
        let expiresAt = now + UInt64(validitySeconds) * 1_000_000_000
        quotes.insertNew(id, quoteRecords.nextIndex)
        quoteRecords.append(
            QuoteRecord(
                id: id, fixingIndex: fixingIndex, payerIndex: payerIndex, payeeIndex: payeeIndex, expiresAt: expiresAt))
        return .quote(
            QuoteState(
                id: id, fixingVersion: fixings[fixingIndex].fixing.version, expiresAt: expiresAt,
                payerRatePerUnit: payerRate, payeeRatePerUnit: payeeRate))
    }
}
