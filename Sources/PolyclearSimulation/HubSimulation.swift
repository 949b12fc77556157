public import PolyclearCore
import Foundation

/// A member of the simulated union: its country, name, currency, and its currency's rate in
/// US dollars (currency units per USD, six significant digits — the simulation's unit of
/// account is worth one US dollar at this fixing, so unit amounts read as dollars).
public struct SimulationMember: Hashable, Sendable {
    public var id: CountryCode
    public var name: String
    public var currency: CurrencyCode
    public var unitsPerUSD: DecimalNumber

    public init(id: CountryCode, name: String, currency: CurrencyCode, unitsPerUSD: DecimalNumber) {
        self.id = id
        self.name = name
        self.currency = currency
        self.unitsPerUSD = unitsPerUSD
    }
}

/// Models 4 and 5: the stream through the real hub state machine — the same code the server
/// runs — with quotas, banks' caps, the queue, gridlock resolution, cycle closes, central
/// banks' settlement confirmations and imbalance charges; model 5 first sets off each
/// cycle's obligations between banks (optimal, certified) and pays only the remainders.
public struct HubSimulation {
    public let members: [SimulationMember]
    public let rules: SimulationRules
    public let currencies: CurrencyTable

    public init(members: [SimulationMember], rules: SimulationRules, currencies: CurrencyTable) {
        self.members = members
        self.rules = rules
        self.currencies = currencies
    }

    /// Bank BICs: BKAA, BKAB, … + the member's ISO alpha-2 + "22".
    static func bic(member: CountryCode, bank: Int) -> BIC {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return BIC("BK" + String(letters[(bank / 26) % 26]) + String(letters[bank % 26]) + member.alpha2 + "22")!
    }

    /// Days since 1970 of each business day (Monday to Friday) of a year.
    static func businessDayEpochs(year: Int) -> [Int] {
        let first = CivilDate(year: year, month: 1, day: 1)!.daysSinceEpoch,
            last = CivilDate(year: year, month: 12, day: 31)!.daysSinceEpoch
        return (first...last).filter { (($0 % 7) + 7 + 3) % 7 < 5 }  // 1970-01-01 was a Thursday
    }

    /// Hub time (nanoseconds since 1970) of a business second: business day *d* is the *d*-th
    /// weekday of the year; business hours start at 09:00 UTC.
    static func hubTime(_ epochs: [Int], businessSecond: Int64) -> UInt64 {
        let day = min(Int(businessSecond / TradeStream.businessSecondsPerDay), epochs.count - 1)
        let second = Int64(epochs[day]) * 86_400 + 9 * 3_600 + businessSecond % TradeStream.businessSecondsPerDay
        return UInt64(second) * 1_000_000_000
    }

    public func run(
        _ stream: TradeStream, year: Int, cycles: [Range<Int>], setOff: Bool, progress: (Int) -> Void = { _ in }
    ) throws -> ModelMetrics {
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
        for (index, member) in members.enumerated() {
            let capUnitMinor = trade[index] / 2 * 100 / 10_000 * Int64(rules.bankCapBasisPointsOfTrade)
            let capMinor = try FXConversion.currencyMinor(
                fromUnitMinor: capUnitMinor, currencyExponent: currencies[member.currency]!.exponent,
                rate: member.unitsPerUSD, unitExponent: currencies.unit.exponent)
            for bank in 0..<stream.banksPerMember {
                setup.append(
                    .registerParticipant(
                        Participant(
                            bic: Self.bic(member: member.id, bank: bank), name: "\(member.id) bank \(bank + 1)",
                            memberID: member.id, netDebitCapMinor: capMinor)))
            }
        }
        let epochs = Self.businessDayEpochs(year: year)
        let start = Self.hubTime(epochs, businessSecond: 0) - 3_600_000_000_000
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

        let bankCount = stream.banksPerMember
        var submittedAt = [UInt64](repeating: 0, count: stream.payments.count + 1)
        var submittedCents = [Int64](repeating: 0, count: stream.payments.count + 1)
        var wasQueued = [Bool](repeating: false, count: stream.payments.count + 1)
        var delays: [Int64] = []
        var needs: [[Int64]] = []
        var creditTotal: Int64 = 0
        for (cycleIndex, range) in cycles.enumerated() {
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
                guard residual[offset] > 0 else { continue }
                let payer = members[Int(payment.payerMember)]
                let id = UInt128(index + 1)
                let amount = try FXConversion.currencyMinor(
                    fromUnitMinor: residual[offset] * 100, currencyExponent: currencies[payer.currency]!.exponent,
                    rate: payer.unitsPerUSD, unitExponent: currencies.unit.exponent)
                let now = Self.hubTime(epochs, businessSecond: payment.businessSecond)
                submittedAt[index + 1] = now
                submittedCents[index + 1] = residual[offset]
                let instruction = PaymentInstruction(
                    id: id, payer: Self.bic(member: payer.id, bank: Int(payment.payerBank)),
                    payee: Self.bic(member: members[Int(payment.payeeMember)].id, bank: Int(payment.payeeBank)),
                    amountMinor: max(amount, 1), amountSide: .payerDebit, endToEndID: "SIM-\(index)",
                    uetr: id | 0x4 << 76 | 0x2 << 62,
                    trade: TradeReference(invoiceNumber: "INV-\(index)", purposeCode: "GDDS"))
                if case .payment(let state) = hub.apply(.submitPayment(instruction), now: now) {
                    metrics.payments += 1
                    if state.status == .queued { wasQueued[index + 1] = true; metrics.paymentsQueued += 1 }
                }
            }
            // The cycle ends at 17:00 of its last business day; central banks confirm at once.
            let closeTime = Self.hubTime(
                epochs,
                businessSecond: Int64((cycleIndex + 1) * rules.cycleDays) * TradeStream.businessSecondsPerDay - 1)
            let number = hub.openCycleNumber
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
            for excess in report.excessSettlements {
                _ = hub.apply(
                    .confirmExcessSettlement(
                        cycle: number, member: excess.member, amountUnitMinor: excess.amountUnitMinor, actor: .system),
                    now: closeTime)
                if let index = members.firstIndex(where: { $0.id == excess.member }) {
                    need[index] += excess.amountUnitMinor / 100
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
                } else {
                    metrics.chargesPaidByDeficitUSDCents += charge.chargeMinor / 100
                }
            }
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
            progress(cycleIndex + 1)
        }
        for state in hub.allPaymentStates {
            let cents = submittedCents[Int(state.id)]
            switch state.status {
            case .accepted: metrics.settledUSDCents += cents
            case .queued, .held, .received, .reserved:
                metrics.unsettledAtYearEnd += 1
                metrics.unsettledAtYearEndUSDCents += cents
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
        metrics.creditAverageUSDCents = creditTotal / Int64(max(cycles.count, 1))
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

public enum SimulationError: Error, Hashable, Sendable, CustomStringConvertible {
    case setupRefused(String)
    case cycleDidNotClose(UInt32)
    case invariantViolated(String)

    public var description: String {
        switch self {
        case .setupRefused(let code): "the hub refused the union's setup: \(code)"
        case .cycleDidNotClose(let number): "cycle \(number) did not close"
        case .invariantViolated(let text): "a hub invariant broke: \(text)"
        }
    }
}
