/// What the union's payments say about trade, kept as they are booked: per cycle, payer
/// member (the importer's side), payee member (the exporter's), purpose code and HS heading
/// (the first four digits of the HS code: chapter and heading), the count and the values in
/// each side's currency and in the unit. Cross-member payments only (a payment within one
/// member is domestic). Replay rebuilds it with the rest of the state.
public struct TradeFlowKey: Hashable, Sendable, Codable {
    public var cycle: UInt32
    public var payerMember: CountryCode
    public var payeeMember: CountryCode
    /// ISO 20022 ExternalPurpose1Code, e.g. `GDDS`.
    public var purposeCode: String
    /// The HS heading (4 digits, e.g. `8504`), or nil when the payment named no HS code.
    public var hsHeading: String?

    /// The HS chapter (2 digits).
    public var hsChapter: String? { hsHeading.map { String($0.prefix(2)) } }

    /// The order statistics are listed in.
    var sortKey: (UInt32, String, String, String, String) {
        (cycle, payerMember.alpha3, payeeMember.alpha3, purposeCode, hsHeading ?? "")
    }
}

public struct TradeFlowTotals: Hashable, Sendable, Codable {
    public var count = 0
    public var payerAmountMinor: Int64 = 0
    public var payeeAmountMinor: Int64 = 0
    public var unitAmountMinor: Int64 = 0

    public init() {}

    public mutating func add(_ other: TradeFlowTotals) {
        count += other.count
        payerAmountMinor = payerAmountMinor.addingReportingOverflow(other.payerAmountMinor).partialValue
        payeeAmountMinor = payeeAmountMinor.addingReportingOverflow(other.payeeAmountMinor).partialValue
        unitAmountMinor = unitAmountMinor.addingReportingOverflow(other.unitAmountMinor).partialValue
    }
}

/// The compact key the payment path adds to, packed into 128 bits for an `IDTable` (no
/// strings, no `Dictionary` on the apply path): cycle (32 bits, never 0, so the key is
/// never 0), payer and payee member (16 each), purpose (32), HS heading (16).
struct PackedTradeFlowKey: Hashable, Sendable, Codable {
    var cycle: UInt32
    var payerMember: MemberIndex
    var payeeMember: MemberIndex
    var purpose: UInt32
    /// 0...9999, or `noHeading`.
    var hsHeading: UInt16

    static let noHeading = UInt16.max

    var packed: UInt128 {
        UInt128(cycle) << 96 | UInt128(UInt16(truncatingIfNeeded: payerMember.raw)) << 80
            | UInt128(UInt16(truncatingIfNeeded: payeeMember.raw)) << 64 | UInt128(purpose) << 32 | UInt128(hsHeading)
    }
}

enum TradeCodes {
    /// The purpose code's four ASCII bytes, big-endian (0 when malformed: such a payment is
    /// rejected before it is booked anyway).
    static func packPurpose(_ code: String) -> UInt32 {
        var packed: UInt32 = 0, count = 0
        for byte in code.utf8 {
            count += 1
            guard count <= 4 else { return 0 }
            packed = packed << 8 | UInt32(byte)
        }
        return count == 4 ? packed : 0
    }

    static func unpackPurpose(_ packed: UInt32) -> String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: packed >> (24 - 8 * $0)) }, as: UTF8.self)
    }

    /// The first four digits of an HS code as a number, or `noHeading`; a chapter alone
    /// ("12") counts as heading "1200" (HS numbers no heading 00: it means "chapter, heading
    /// not given").
    static func heading(_ hsCode: String?) -> UInt16 {
        guard let hsCode else { return PackedTradeFlowKey.noHeading }
        if hsCode.utf8.count == 2, let chapter = UInt16(hsCode) { return chapter * 100 }
        var value: UInt16 = 0, count = 0
        for byte in hsCode.utf8 {
            guard (48...57).contains(byte) else { return PackedTradeFlowKey.noHeading }
            value = value * 10 + UInt16(byte - 48)
            count += 1
            if count == 4 { return value }
        }
        return PackedTradeFlowKey.noHeading
    }
}

extension HubStateMachine {
    /// Adds a booked cross-member payment to its cycle's trade flows.
    mutating func recordTradeFlow(_ index: PaymentIndex, cycle number: UInt32, payerMember: Int, payeeMember: Int) {
        let payment = payments[index]
        let key = PackedTradeFlowKey(
            cycle: number, payerMember: MemberIndex(raw: UInt32(payerMember)),
            payeeMember: MemberIndex(raw: UInt32(payeeMember)), purpose: payment.purpose,
            hsHeading: payment.hsHeading)
        let packed = key.packed
        var slot = tradeFlowSlots.value(for: packed) ?? -1
        if slot < 0 {
            slot = tradeFlowKeys.count
            tradeFlowSlots.insertNew(packed, slot)
            tradeFlowKeys.append(key)
            tradeFlowTotals.append(TradeFlowTotals())
        }
        tradeFlowTotals[slot].add(
            TradeFlowTotals(
                count: 1, payerAmountMinor: payment.payerAmountMinor, payeeAmountMinor: payment.payeeAmountMinor,
                unitAmountMinor: payment.unitAmountMinor))
    }

    /// The trade flows of the cycles in `cycles`, those with `member` on either side (nil:
    /// every flow), summed over the cycles unless `byCycle`. Archived cycles' flows come from
    /// `archived` (the store's copies; those outside `cycles` are ignored).
    public func tradeFlows(
        cycles: ClosedRange<UInt32>, member: CountryCode? = nil, byCycle: Bool = false,
        archived: [ArchivedCycle] = []
    ) -> [(TradeFlowKey, TradeFlowTotals)] {
        var rows: [TradeFlowKey: TradeFlowTotals] = [:]
        func add(_ key: TradeFlowKey, _ totals: TradeFlowTotals) {
            if let member, key.payerMember != member, key.payeeMember != member { return }
            var key = key
            if !byCycle { key.cycle = 0 }
            rows[key, default: TradeFlowTotals()].add(totals)
        }
        for cycle in archived where cycles.contains(cycle.number) && Int(cycle.number) <= archivedCycleCount {
            for flow in cycle.tradeFlows { add(flow.key, flow.totals) }
        }
        for (packed, totals) in zip(tradeFlowKeys, tradeFlowTotals) where cycles.contains(packed.cycle) {
            add(tradeFlowKey(packed), totals)
        }
        return rows.sorted { $0.0.sortKey < $1.0.sortKey }
    }

    /// The readable key of a packed one.
    func tradeFlowKey(_ packed: PackedTradeFlowKey) -> TradeFlowKey {
        TradeFlowKey(
            cycle: packed.cycle, payerMember: members[packed.payerMember].member.id,
            payeeMember: members[packed.payeeMember].member.id, purposeCode: TradeCodes.unpackPurpose(packed.purpose),
            hsHeading: packed.hsHeading == PackedTradeFlowKey.noHeading
                ? nil : String(String(packed.hsHeading).leftPadded(toLength: 4)))
    }
}

extension String {
    fileprivate func leftPadded(toLength length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

extension TradeFlowTotals {
    init(count: Int, payerAmountMinor: Int64, payeeAmountMinor: Int64, unitAmountMinor: Int64) {
        self.count = count
        self.payerAmountMinor = payerAmountMinor
        self.payeeAmountMinor = payeeAmountMinor
        self.unitAmountMinor = unitAmountMinor
    }
}

/// How finely trade statistics are grouped.
public enum TradeGrouping: String, Sendable, CaseIterable {
    case heading, chapter, purpose

    /// Rows summed to the chapter (first two HS digits) or to the purpose code alone, in the
    /// order they first appear.
    public func regroup(_ rows: [(TradeFlowKey, TradeFlowTotals)]) -> [(TradeFlowKey, TradeFlowTotals)] {
        guard self != .heading else { return rows }
        var order: [TradeFlowKey] = []
        var sums: [TradeFlowKey: TradeFlowTotals] = [:]
        for (key, totals) in rows {
            var coarse = key
            coarse.hsHeading = self == .chapter ? key.hsChapter : nil
            if sums[coarse] == nil { order.append(coarse) }
            sums[coarse, default: TradeFlowTotals()].add(totals)
        }
        return order.map { ($0, sums[$0]!) }
    }

    /// The rows as CSV (the API's `?format=csv` and `polyclear stats`), money in each side's
    /// currency and in the unit; `chapter` holds the two-digit chapter whatever the grouping.
    public func csv(
        _ rows: [(TradeFlowKey, TradeFlowTotals)], period: String, currencyOf: (CountryCode) -> Currency?,
        unit: Currency
    ) -> String {
        var lines = [
            "period,payer_member,payee_member,purpose_code,hs_chapter,hs_heading,count,payer_amount,payer_currency,"
                + "payee_amount,payee_currency,unit_amount"
        ]
        for (key, totals) in rows {
            guard let payer = currencyOf(key.payerMember), let payee = currencyOf(key.payeeMember) else { continue }
            let fields = [
                period, key.payerMember.alpha3, key.payeeMember.alpha3, key.purposeCode,
                self == .purpose ? "" : key.hsChapter ?? "", self == .heading ? key.hsHeading ?? "" : "",
                String(totals.count), Money(minorUnits: totals.payerAmountMinor, currency: payer).decimalString,
                payer.code.description, Money(minorUnits: totals.payeeAmountMinor, currency: payee).decimalString,
                payee.code.description, Money(minorUnits: totals.unitAmountMinor, currency: unit).decimalString,
            ]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
