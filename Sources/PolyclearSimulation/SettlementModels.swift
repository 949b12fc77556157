import PolyclearCore

/// What one settlement model needed over the year, in US-dollar cents (the stream's unit).
///
/// "Liquidity needed" is the value members must deliver in money at settlement: USD bought in
/// the market (gross, multilateral), their own currency paid to a partner (bilateral), or
/// reserve assets for debts beyond quota (Polyclear). Per member per cycle; `peak` is the
/// largest cycle, `average` the mean over cycles; the union figures sum the members per cycle.
public struct ModelMetrics: Hashable, Sendable, Codable {
    public var model: String
    public var title: String
    public var grossUSDCents: Int64 = 0
    public var payments: Int = 0
    /// Trade by goods: gross value per HS chapter (when the trade file gives chapters).
    public var goodsUSDCents: [String: Int64] = [:]
    public var liquidityPeakUSDCents: Int64 = 0
    public var liquidityAverageUSDCents: Int64 = 0
    public var liquidityTotalUSDCents: Int64 = 0
    /// 1 − liquidity total / gross, in parts per million.
    public var nettingEfficiencyPPM: Int64 = 0
    public var memberLiquidityPeakUSDCents: [String: Int64] = [:]
    public var memberLiquidityAverageUSDCents: [String: Int64] = [:]
    public var memberLiquidityTotalUSDCents: [String: Int64] = [:]
    /// Per member: settlement asset the union paid it out (creditors' settled share; USD).
    public var memberAssetReceivedUSDCents: [String: Int64] = [:]
    /// Per payer member: the value of its payments still unsettled at year end (blocked).
    public var memberUnsettledUSDCents: [String: Int64] = [:]
    /// Balances held in partner currencies that cannot be used (bilateral settlement).
    public var trappedPeakUSDCents: Int64 = 0
    public var trappedYearEndUSDCents: Int64 = 0
    public var memberTrappedYearEndUSDCents: [String: Int64] = [:]
    /// Credit the union extended instead (Polyclear): the largest and mean total union debt.
    public var creditPeakUSDCents: Int64 = 0
    public var creditAverageUSDCents: Int64 = 0
    /// Seconds from submission to booking, over payments that waited (0 if none did).
    public var queueDelayP50Seconds: Int64 = 0
    public var queueDelayP99Seconds: Int64 = 0
    public var queueDelayMaxSeconds: Int64 = 0
    public var paymentsQueued: Int = 0
    public var quotaAlarms: Int = 0
    public var persistentImbalanceAlarms: Int = 0
    public var chargesPaidBySurplusUSDCents: Int64 = 0
    public var chargesPaidByDeficitUSDCents: Int64 = 0
    /// Charges paid to them from the other side (rules that redistribute charges).
    public var chargesReceivedBySurplusUSDCents: Int64 = 0
    public var chargesReceivedByDeficitUSDCents: Int64 = 0
    /// Value booked by year end, and refused (Polyclear models): with set-off and the
    /// unsettled value they add up to the gross.
    public var settledUSDCents: Int64 = 0
    public var rejectedUSDCents: Int64 = 0
    public var unsettledAtYearEnd: Int = 0
    public var unsettledAtYearEndUSDCents: Int64 = 0
    /// Value cancelled by obligation set-off before the cycles (model 5).
    public var setOffUSDCents: Int64 = 0
    /// Domestic liquidity: what banks prefunded from their own central banks, in their own
    /// currencies, when a payment would have breached their net debit cap (Polyclear models;
    /// valued in USD). Not hard currency: banks fund positions in central bank money.
    public var bankPrefundingUSDCents: Int64 = 0
    /// Per member, its union position at each cycle's close (USD cents; Polyclear models).
    public var memberPositionsUSDCents: [String: [Int64]] = [:]
    /// Per member, its union position after the last settlement and the year end (USD cents;
    /// Polyclear models): the credit still open.
    public var memberYearEndPositionUSDCents: [String: Int64] = [:]
    /// Per member, its quota (USD cents; Polyclear models).
    public var memberQuotaUSDCents: [String: Int64] = [:]

    public init(model: String, title: String) {
        self.model = model
        self.title = title
    }

    /// Fills peak/average/total from per-cycle, per-member needs.
    mutating func summarise(needs: [[Int64]], members: [CountryCode]) {
        let cycles = max(needs.count, 1)
        var memberPeak = [Int64](repeating: 0, count: members.count),
            memberTotal = [Int64](repeating: 0, count: members.count)
        for cycle in needs {
            let union = cycle.reduce(0, +)
            liquidityPeakUSDCents = max(liquidityPeakUSDCents, union)
            liquidityTotalUSDCents += union
            for (member, need) in cycle.enumerated() {
                memberPeak[member] = max(memberPeak[member], need)
                memberTotal[member] += need
            }
        }
        liquidityAverageUSDCents = liquidityTotalUSDCents / Int64(cycles)
        for (index, member) in members.enumerated() {
            memberLiquidityPeakUSDCents[member.alpha3] = memberPeak[index]
            memberLiquidityAverageUSDCents[member.alpha3] = memberTotal[index] / Int64(cycles)
            memberLiquidityTotalUSDCents[member.alpha3] = memberTotal[index]
        }
        nettingEfficiencyPPM =
            grossUSDCents == 0
            ? 0 : 1_000_000 - Int64((Double(liquidityTotalUSDCents) * 1e6 / Double(grossUSDCents)).rounded())
    }
}

/// The three reference models, computed exactly on the stream (integers, no rounding).
public enum SettlementModels {
    /// Payments of each cycle, as index ranges into the stream (cycles of `cycleDays` days).
    public static func cycles(_ stream: TradeStream, cycleDays: Int) -> [Range<Int>] {
        let cycleCount = (stream.businessDays + cycleDays - 1) / cycleDays
        var ranges: [Range<Int>] = []
        var start = 0
        for cycle in 0..<cycleCount {
            let endSecond = Int64((cycle + 1) * cycleDays) * TradeStream.businessSecondsPerDay
            var end = start
            while end < stream.payments.count && stream.payments[end].businessSecond < endSecond { end += 1 }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// 1. Gross settlement in a third currency (USD, real time): each payment moves USD from
    /// payer to payee as it happens; a member reuses what it received earlier the same cycle.
    /// Its need in a cycle is its deepest cumulative USD deficit within the cycle.
    public static func gross(_ stream: TradeStream, cycles: [Range<Int>]) -> ModelMetrics {
        var metrics = ModelMetrics(model: "gross", title: "Gross settlement in US dollars")
        let count = stream.members.count
        var needs: [[Int64]] = []
        for range in cycles {
            var balance = [Int64](repeating: 0, count: count), deepest = [Int64](repeating: 0, count: count)
            for payment in stream.payments[range] {
                balance[Int(payment.payerMember)] -= payment.amountUSDCents
                balance[Int(payment.payeeMember)] += payment.amountUSDCents
                deepest[Int(payment.payerMember)] = min(
                    deepest[Int(payment.payerMember)], balance[Int(payment.payerMember)])
                metrics.grossUSDCents += payment.amountUSDCents
                metrics.payments += 1
            }
            needs.append(deepest.map { -$0 })
        }
        metrics.settledUSDCents = metrics.grossUSDCents
        metrics.summarise(needs: needs, members: stream.members)
        return metrics
    }

    /// 2. Bilateral settlement in national currencies: each pair nets its payments per cycle;
    /// the net debtor pays the net in the partner's currency if it holds some (earlier
    /// surpluses), otherwise in its own — which the partner can only spend with that debtor,
    /// so it piles up ("trapped"). Need = what a member pays in its own currency.
    public static func bilateral(_ stream: TradeStream, cycles: [Range<Int>]) -> ModelMetrics {
        var metrics = ModelMetrics(model: "bilateral", title: "Bilateral settlement in national currencies")
        let count = stream.members.count
        // trapped[a][b]: what member a holds in member b's currency.
        var trapped = [[Int64]](repeating: [Int64](repeating: 0, count: count), count: count)
        var needs: [[Int64]] = []
        for range in cycles {
            var owed = [[Int64]](repeating: [Int64](repeating: 0, count: count), count: count)  // owed[a][b]: a pays b
            for payment in stream.payments[range] {
                owed[Int(payment.payerMember)][Int(payment.payeeMember)] += payment.amountUSDCents
                metrics.grossUSDCents += payment.amountUSDCents
                metrics.payments += 1
            }
            var need = [Int64](repeating: 0, count: count)
            for a in 0..<count {
                for b in (a + 1)..<max(a + 1, count) {
                    let net = owed[a][b] - owed[b][a]
                    guard net != 0 else { continue }
                    let (debtor, creditor, amount) = net > 0 ? (a, b, net) : (b, a, -net)
                    let fromTrapped = min(trapped[debtor][creditor], amount)
                    trapped[debtor][creditor] -= fromTrapped
                    let paid = amount - fromTrapped
                    need[debtor] += paid
                    trapped[creditor][debtor] += paid
                }
            }
            let held = trapped.reduce(Int64(0)) { $0 + $1.reduce(0, +) }
            metrics.trappedPeakUSDCents = max(metrics.trappedPeakUSDCents, held)
            needs.append(need)
        }
        metrics.trappedYearEndUSDCents = trapped.reduce(Int64(0)) { $0 + $1.reduce(0, +) }
        for (index, member) in stream.members.enumerated() {
            metrics.memberTrappedYearEndUSDCents[member.alpha3] = trapped[index].reduce(0, +)
        }
        metrics.settledUSDCents = metrics.grossUSDCents
        metrics.summarise(needs: needs, members: stream.members)
        return metrics
    }

    /// 3. Multilateral net settlement per currency, per cycle: a clearing house in each
    /// currency; at each cycle's end a member's net deficit across all partners is covered
    /// by buying their currencies (for USD). No credit between cycles, nothing trapped.
    public static func multilateral(_ stream: TradeStream, cycles: [Range<Int>]) -> ModelMetrics {
        var metrics = ModelMetrics(model: "multilateral", title: "Multilateral net settlement per currency")
        let count = stream.members.count
        var needs: [[Int64]] = []
        for range in cycles {
            var net = [Int64](repeating: 0, count: count)
            for payment in stream.payments[range] {
                net[Int(payment.payerMember)] -= payment.amountUSDCents
                net[Int(payment.payeeMember)] += payment.amountUSDCents
                metrics.grossUSDCents += payment.amountUSDCents
                metrics.payments += 1
            }
            needs.append(net.map { max(0, -$0) })
        }
        metrics.settledUSDCents = metrics.grossUSDCents
        metrics.summarise(needs: needs, members: stream.members)
        return metrics
    }
}
