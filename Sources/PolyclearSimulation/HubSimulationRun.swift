import PolyclearCore

/// One run of `HubSimulation`: the hub set up as the rules say, then each cycle's payments
/// submitted (after set-off, for model 5) and the cycle closed and settled, and at the end the
/// year's metrics. Its state is what the metrics are built from as the year goes.
struct HubSimulationRun {
    let simulation: HubSimulation
    let stream: TradeStream
    let setOff: Bool
    let epochs: [Int]
    var hub: HubStateMachine
    var metrics: ModelMetrics
    /// Per payment id: when it was submitted, for how much (USD cents), whether it queued.
    var submittedAt: [UInt64]
    var submittedCents: [Int64]
    var wasQueued: [Bool]
    /// Seconds queued payments waited; per cycle, what each member settled beyond its quota.
    var delays: [Int64] = []
    var needs: [[Int64]] = []
    var creditTotal: Int64 = 0
    /// Each member's banks' net debit cap, in its currency's minor units.
    var capMinorByMember: [Int64] = []
    /// When the last cycle closed (the year end follows it).
    var lastCloseTime: UInt64 = 0
    var nextFundsID: UInt128 = UInt128(1) << 100

    var members: [SimulationMember] { simulation.members }
    var currencies: CurrencyTable { simulation.currencies }
    var rules: SimulationRules { simulation.rules }

    init(_ simulation: HubSimulation, stream: TradeStream, year: Int, setOff: Bool) throws {
        self.simulation = simulation
        self.stream = stream
        self.setOff = setOff
        let (members, currencies, rules) = (simulation.members, simulation.currencies, simulation.rules)
        var metrics =
            setOff
            ? ModelMetrics(model: "polyclear_setoff", title: "Polyclear with obligation set-off")
            : ModelMetrics(model: "polyclear", title: "Polyclear: multilateral net in the unit, with quotas")
        var configuration = HubConfiguration(currencies: currencies)
        configuration.queuedPaymentsAtCycleEnd = rules.queuePolicy
        configuration.expectedPaymentCount = stream.payments.count + 16
        var hub = HubStateMachine(configuration: configuration)
        // Annual trade per member (exports + imports) / 2, for quotas and caps.
        var trade = [Int64](repeating: 0, count: members.count)
        for payment in stream.payments {
            trade[Int(payment.payerMember)] += payment.amountUSDCents
            trade[Int(payment.payeeMember)] += payment.amountUSDCents
        }
        var setup: [HubCommand] = []
        var rates: [CurrencyCode: DecimalNumber] = [:]
        for (index, member) in members.enumerated() {
            let averageTradeUnitMinor = trade[index] / 2 * 100  // cents → unit minor (4 decimals)
            let quota =
                rules.quotaUnitMinor[member.id.alpha3] ?? averageTradeUnitMinor / 100 * Int64(rules.quotaPercentOfTrade)
            metrics.memberQuotaUSDCents[member.id.alpha3] = quota / 100
            setup.append(
                .registerMember(
                    Member(id: member.id, name: member.name, currency: member.currency, quotaUnitMinor: quota)))
            rates[member.currency] = member.unitsPerUSD
        }
        var capMinorByMember: [Int64] = []
        for (index, member) in members.enumerated() {
            let capUnitMinor = trade[index] / 2 * 100 / 10_000 * Int64(rules.bankCapBasisPointsOfTrade)
            let capMinor = try FXConversion.currencyMinor(
                fromUnitMinor: capUnitMinor, currencyExponent: currencies[member.currency]!.exponent,
                rate: member.unitsPerUSD, unitExponent: currencies.unit.exponent)
            for bank in 0..<stream.banksPerMember {
                setup.append(
                    .registerParticipant(
                        Participant(
                            bic: HubSimulation.bic(member: member.id, bank: bank),
                            name: "\(member.id) bank \(bank + 1)",
                            memberID: member.id, netDebitCapMinor: capMinor)))
            }
            capMinorByMember.append(capMinor)
        }
        let epochs = HubSimulation.businessDayEpochs(year: year)
        let start = HubSimulation.hubTime(epochs, businessSecond: 0) - 3_600_000_000_000
        setup += [
            .publishFixing(
                Fixing(
                    version: 1, effectiveFrom: 0, sourceDate: CivilDate(year: year, month: 1, day: 1)!,
                    ratesPerUnit: rates)),
            .setImbalanceRules(rules.imbalanceRules), .setGridlockPolicy(GridlockPolicy(beforeCycleClose: true)),
            .setAlarmThresholds([75, 90]),
        ]
        for command in setup {
            if case .refused(let rejection) = hub.apply(command, now: start) {
                throw SimulationError.setupRefused(rejection.code)
            }
        }
        _ = hub.sealOutcome(); hub.outcomeCommitted()

        self.epochs = epochs
        self.capMinorByMember = capMinorByMember
        self.hub = hub
        self.metrics = metrics
        submittedAt = [UInt64](repeating: 0, count: stream.payments.count + 1)
        submittedCents = [Int64](repeating: 0, count: stream.payments.count + 1)
        wasQueued = [Bool](repeating: false, count: stream.payments.count + 1)
    }

    /// One cycle's payments: set off first (model 5), then each remainder submitted.
    mutating func submit(_ range: Range<Int>) throws {
        let bankCount = stream.banksPerMember
        var residual = stream.payments[range].map(\.amountUSDCents)
        if setOff && !range.isEmpty {
            let obligations = stream.payments[range].map { payment in
                Obligation(
                    debtor: payment.payerMember * Int32(bankCount) + payment.payerBank,
                    creditor: payment.payeeMember * Int32(bankCount) + payment.payeeBank,
                    amountMinor: payment.amountUSDCents)
            }
            // A bank paying a bank of its own member pays itself nothing across borders; the
            // engine needs distinct parties, so such payments (same bank) never occur here.
            let result = try ObligationSetOff.solve(
                partyCount: members.count * bankCount, obligations: obligations.filter { $0.debtor != $0.creditor })
            var setIndex = 0
            for (offset, obligation) in obligations.enumerated() where obligation.debtor != obligation.creditor {
                residual[offset] -= result.setOffMinor[setIndex]
                setIndex += 1
            }
            metrics.setOffUSDCents += result.totalSetOffMinor
        }
        for (offset, index) in range.enumerated() {
            let payment = stream.payments[index]
            metrics.grossUSDCents += payment.amountUSDCents
            if payment.hsChapter != 0 {
                let chapter = (payment.hsChapter < 10 ? "0" : "") + String(payment.hsChapter)
                metrics.goodsUSDCents[chapter, default: 0] += payment.amountUSDCents
            }
            guard residual[offset] > 0 else { continue }
            let payer = members[Int(payment.payerMember)]
            let id = UInt128(index + 1)
            let amount = try FXConversion.currencyMinor(
                fromUnitMinor: residual[offset] * 100, currencyExponent: currencies[payer.currency]!.exponent,
                rate: payer.unitsPerUSD, unitExponent: currencies.unit.exponent)
            let now = HubSimulation.hubTime(epochs, businessSecond: payment.businessSecond)
            submittedAt[index + 1] = now
            submittedCents[index + 1] = residual[offset]
            let instruction = PaymentInstruction(
                id: id, payer: HubSimulation.bic(member: payer.id, bank: Int(payment.payerBank)),
                payee: HubSimulation.bic(member: members[Int(payment.payeeMember)].id, bank: Int(payment.payeeBank)),
                amountMinor: max(amount, 1), amountSide: .payerDebit, endToEndID: "SIM-\(index)",
                uetr: id | 0x4 << 76 | 0x2 << 62,
                trade: TradeReference(
                    invoiceNumber: "INV-\(index)", purposeCode: "GDDS",
                    hsCode: payment.hsChapter == 0
                        ? nil : (payment.hsChapter < 10 ? "0" : "") + String(payment.hsChapter)))
            if case .payment(let state) = hub.apply(.submitPayment(instruction), now: now) {
                metrics.payments += 1
                if state.status == .queued {
                    wasQueued[index + 1] = true
                    metrics.paymentsQueued += 1
                    prefundIfCapBinds(instruction, member: Int(payment.payerMember), now: now)
                }
            }
        }
    }

    /// Banks manage their liquidity: a payment held by its bank's net debit cap (not by the
    /// member's quota) is funded at once by the bank's central bank, in its own currency, for
    /// the shortfall (funds in, confirmed), which releases the bank's queue. Without this one
    /// payment larger than a cap would block its bank's queue for the year, and the simulator
    /// would report bank liquidity as union rules. What was funded is reported.
    mutating func prefundIfCapBinds(_ payment: PaymentInstruction, member: Int, now: UInt64) {
        let bic = payment.payer
        guard let position = hub.position(of: bic) else { return }
        // The payer's amount (the simulator's payments name the payer's side).
        let shortfall = Int128(payment.amountMinor) - (Int128(position) + Int128(capMinorByMember[member]))
        guard shortfall > 0, let amount = Int64(exactly: shortfall) else { return }
        nextFundsID += 1
        _ = hub.apply(.requestFunds(id: nextFundsID, participant: bic, amountMinor: amount, direction: .into), now: now)
        _ = hub.apply(.confirmFunds(id: nextFundsID), now: now)
        let cents = Int128(submittedCents[Int(payment.id)]) * shortfall / Int128(max(payment.amountMinor, 1))
        metrics.bankPrefundingUSDCents += Int64(clamping: cents)
    }

    /// Closes the cycle, confirms its settlement and excess settlements, and records its
    /// positions, credit, charges, delays and alarms.
    mutating func closeCycle(_ cycleIndex: Int) throws {
        // The cycle ends at 17:00 of its last business day; central banks confirm at once.
        let closeTime = HubSimulation.hubTime(
            epochs,
            businessSecond: Int64((cycleIndex + 1) * rules.cycleDays) * TradeStream.businessSecondsPerDay - 1)
        let number = hub.openCycleNumber
        lastCloseTime = closeTime
        _ = hub.apply(.closeCycle(number: number), now: closeTime)
        guard let report = hub.cycles.last, report.number == number else {
            throw SimulationError.cycleDidNotClose(number)
        }
        for member in Set(report.instructions.map(\.member)) {
            _ = hub.apply(
                .confirmSettlement(
                    cycle: number, member: member, instructionIndex: nil, amountMinor: nil, actor: .member(member)),
                now: closeTime)
        }
        var need = [Int64](repeating: 0, count: members.count)
        // The union confirms every excess settlement at once; what members pay in is the hard
        // currency they need (what the union pays out is not a need).
        for excess in report.excessSettlements {
            let confirmed = hub.apply(
                .confirmExcessSettlement(
                    cycle: number, member: excess.member, amountUnitMinor: excess.amountUnitMinor,
                    actor: .operatorUser("simulator")),
                now: closeTime)
            guard confirmed == .ok else { throw SimulationError.setupRefused("excess settlement: \(confirmed)") }
            if excess.direction == .memberPays, let index = members.firstIndex(where: { $0.id == excess.member }) {
                need[index] += excess.amountUnitMinor / 100
            } else {
                metrics.memberAssetReceivedUSDCents[excess.member.alpha3, default: 0] += excess.amountUnitMinor / 100
            }
        }
        needs.append(need)
        var credit: Int64 = 0
        for memberNet in report.members {
            metrics.memberPositionsUSDCents[memberNet.id.alpha3, default: []].append(
                memberNet.closingUnionPositionMinor / 100)
            credit += max(0, -memberNet.closingUnionPositionMinor) / 100
        }
        metrics.creditPeakUSDCents = max(metrics.creditPeakUSDCents, credit)
        creditTotal += credit
        for charge in report.charges {
            if charge.averagePositionMinor >= 0 {
                metrics.chargesPaidBySurplusUSDCents += charge.chargeMinor / 100
                metrics.chargesReceivedBySurplusUSDCents += charge.receivedMinor / 100
            } else {
                metrics.chargesPaidByDeficitUSDCents += charge.chargeMinor / 100
                metrics.chargesReceivedByDeficitUSDCents += charge.receivedMinor / 100
            }
        }
        // Union positions, reserve and settlement assets sum to zero; every ledger balances.
        if let violation = hub.checkInvariants() { throw SimulationError.invariantViolated(violation.description) }
        // Events of the cycle: delays of payments that waited, alarms.
        for event in hub.sealOutcome().events {
            switch event.kind {
            case .paymentStatus(let id, .accepted, _, _)
            where id <= UInt128(stream.payments.count) && wasQueued[Int(id)]:
                delays.append(Int64((event.timestamp - submittedAt[Int(id)]) / 1_000_000_000))
            case .utilisationAlarm(.member, _, _): metrics.quotaAlarms += 1
            case .persistentImbalance: metrics.persistentImbalanceAlarms += 1
            default: break
            }
        }
        hub.outcomeCommitted()
    }

    /// The year's metrics: what settled, what is still queued, delays, credit, efficiency.
    mutating func finish(cycleCount: Int) throws -> ModelMetrics {
        // The union's year ends after its last close (Keynes' rule moves creditor excess then).
        _ = hub.apply(.endYear, now: lastCloseTime)
        _ = hub.sealOutcome()
        hub.outcomeCommitted()
        for member in members {
            metrics.memberYearEndPositionUSDCents[member.id.alpha3] = (hub.unionPosition(of: member.id) ?? 0) / 100
        }
        for state in hub.allPaymentStates {
            let cents = submittedCents[Int(state.id)]
            switch state.status {
            case .accepted: metrics.settledUSDCents += cents
            case .queued, .held, .received, .reserved:
                metrics.unsettledAtYearEnd += 1
                metrics.unsettledAtYearEndUSDCents += cents
                let payer = members[Int(stream.payments[Int(state.id) - 1].payerMember)].id.alpha3
                metrics.memberUnsettledUSDCents[payer, default: 0] += cents
            case .rejected, .cancelled, .expired: metrics.rejectedUSDCents += cents
            }
        }
        if let violation = hub.checkInvariants() { throw SimulationError.invariantViolated(violation.description) }
        delays.sort()
        if !delays.isEmpty {
            metrics.queueDelayP50Seconds = delays[delays.count / 2]
            metrics.queueDelayP99Seconds = delays[min(delays.count - 1, delays.count * 99 / 100)]
            metrics.queueDelayMaxSeconds = delays.last!
        }
        metrics.creditAverageUSDCents = creditTotal / Int64(max(cycleCount, 1))
        metrics.summarise(needs: needs, members: stream.members)
        // What is still queued at year end was not netted: it counts against efficiency.
        if metrics.grossUSDCents > 0 {
            let notNetted = Double(metrics.liquidityTotalUSDCents + metrics.unsettledAtYearEndUSDCents)
            metrics.nettingEfficiencyPPM =
                1_000_000 - Int64((notNetted * 1e6 / Double(metrics.grossUSDCents)).rounded())
        }
        return metrics
    }
}
