/// Closing a cycle, as a pure computation: from the cycle's running totals and the banks'
/// positions at close, the netting report and the settlement instructions it implies. The
/// hub then books what the report implies (charges, pay-out reservations); nothing here
/// touches the ledger, so the arithmetic is testable on its own (`CycleCloseTests`).
enum CycleClose {
    /// A bank as the close sees it.
    struct Bank {
        var bic: BIC
        /// Its member's position in `members`.
        var member: Int
        var netDebitCapMinor: Int64
        /// Credits − debits − pending debits of its position now (what it may still spend
        /// below zero is this plus its cap).
        var availableMinor: Int64
        /// Posted credits − posted debits of its position now.
        var postedMinor: Int64
    }

    /// A member as the close sees it.
    struct Member {
        var id: CountryCode
        var currency: CurrencyCode
        var currencyExponent: Int
        /// Its currency's rate in the fixing in force (nil: none, or not quoted).
        var ratePerUnit: DecimalNumber?
    }

    /// The report of the cycle `totals` describes, closed at `closedAt`; instructions are
    /// numbered in bank order. Charges, excess settlements and closing union positions are
    /// left for the hub to fill once it has booked them.
    static func report(
        totals: CycleAccumulator, banks: [Bank], members: [Member], unit: Currency, fixingInForce: Bool,
        closedAt: UInt64, lastLedgerTimestamp: UInt64
    ) -> CycleReport {
        precondition(totals.participantSent.count >= banks.count && totals.memberCount >= members.count)
        var participantNets: [ParticipantNet] = []
        var instructions: [SettlementInstruction] = []
        var grossByMember = [Int128](repeating: 0, count: members.count)
        var neededByMember = [Int128](repeating: 0, count: members.count)
        var netByMember = [Int128](repeating: 0, count: members.count)
        for (index, bank) in banks.enumerated() {
            let sent = totals.participantSent[index], received = totals.participantReceived[index]
            let net = received - sent
            let member = members[bank.member]
            grossByMember[bank.member] += sent
            if net < 0 { neededByMember[bank.member] += -net }
            netByMember[bank.member] += net
            participantNets.append(
                ParticipantNet(
                    bic: bank.bic, currency: member.currency, grossSentMinor: Int64(clamping: sent),
                    grossReceivedMinor: Int64(clamping: received), netMinor: Int64(clamping: net),
                    closingPostedMinor: bank.postedMinor))
            let amount = net < 0 ? -net : payOut(net: net, bank: bank)
            guard amount != 0 else { continue }
            instructions.append(
                SettlementInstruction(
                    cycle: totals.number, index: instructions.count, member: member.id, participant: bank.bic,
                    currency: member.currency, direction: net < 0 ? .payIn : .payOut,
                    amountMinor: Int64(clamping: amount), isConfirmed: false))
        }
        let memberNets = members.indices.map { index in
            let sent = totals.memberUnitSent[index], received = totals.memberUnitReceived[index]
            return MemberNet(
                id: members[index].id, currency: members[index].currency,
                participantsNetMinor: Int64(clamping: netByMember[index]), unitSentMinor: Int64(clamping: sent),
                unitReceivedMinor: Int64(clamping: received), unitNetMinor: Int64(clamping: received - sent))
        }
        let n = totals.memberCount
        return CycleReport(
            number: totals.number, openedAt: totals.openedAt, closedAt: closedAt,
            firstLedgerTimestamp: totals.ledgerTimestampAtOpen + 1, lastLedgerTimestamp: lastLedgerTimestamp,
            state: instructions.isEmpty ? .settled : .settling, paymentCount: totals.paymentCount,
            participants: participantNets, members: memberNets,
            bilateralUnitMinor: (0..<members.count).map { row in
                (0..<members.count).map { column in Int64(clamping: totals.bilateral[row * n + column]) }
            },
            efficiencyByCurrency: members.indices.map {
                NettingEfficiency(currency: members[$0].currency, gross: grossByMember[$0], needed: neededByMember[$0])
            },
            overallEfficiency: fixingInForce
                ? overallEfficiency(gross: grossByMember, needed: neededByMember, members: members, unit: unit)
                : nil,
            instructions: instructions)
    }

    /// A net receiver's pay-out: its net, but never more than keeps its position within its
    /// cap (receipts already committed to reserved payments stay); the rest stays in the hub
    /// as its balance.
    static func payOut(net: Int128, bank: Bank) -> Int128 {
        min(net, max(0, Int128(bank.availableMinor) + Int128(bank.netDebitCapMinor)))
    }

    /// Gross and needed of every currency valued in the unit (nil if a member's currency has
    /// no rate or a value does not convert).
    static func overallEfficiency(
        gross: [Int128], needed: [Int128], members: [Member], unit: Currency
    ) -> NettingEfficiency? {
        var grossUnit: Int128 = 0, neededUnit: Int128 = 0
        for (index, member) in members.enumerated() {
            guard let rate = member.ratePerUnit,
                let g = try? FXConversion.unitMinor(
                    fromCurrencyMinor: Int64(clamping: gross[index]), currencyExponent: member.currencyExponent,
                    rate: rate, unitExponent: unit.exponent),
                let d = try? FXConversion.unitMinor(
                    fromCurrencyMinor: Int64(clamping: needed[index]), currencyExponent: member.currencyExponent,
                    rate: rate, unitExponent: unit.exponent)
            else { return nil }
            grossUnit += Int128(g)
            neededUnit += Int128(d)
        }
        return NettingEfficiency(currency: unit.code, gross: grossUnit, needed: neededUnit)
    }

    /// What each member settles in the asset at this close: what the schedule asks of its
    /// gross position (its union position as if nothing had been settled in the asset; see
    /// `SettlementSchedule`) minus what it was already asked for. With no tranches and a hard
    /// quota this is the debt beyond the quota, as before tranches existed. None when the rules
    /// name no asset.
    static func excessSettlements(
        members: [Member], grossPositionsMinor: [Int64], quotasUnitMinor: [Int64], issuedMinor: [Int64],
        rules: ImbalanceRules
    ) -> [ExcessSettlement] {
        guard !rules.excessSettlementAsset.isEmpty else { return [] }
        return members.indices.compactMap { index in
            let target = SettlementSchedule.targetPaidInMinor(
                grossMinor: grossPositionsMinor[index], quotaMinor: quotasUnitMinor[index], rules: rules)
            let due = Int128(target) - Int128(issuedMinor[index])
            guard due != 0 else { return nil }
            return ExcessSettlement(
                member: members[index].id, amountUnitMinor: Int64(clamping: due.magnitude),
                settlementAsset: rules.excessSettlementAsset, isConfirmed: false,
                direction: due > 0 ? .memberPays : .unionPays)
        }
    }
}
