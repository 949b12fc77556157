import Foundation

/// `--sweep KEY=FROM:TO:STEP`: the same stream run with one numeric rule across a range, to
/// draw the trade-offs a union chooses between (hard currency, credit, positions against
/// quota, blocked trade) for the Polyclear model.
public struct RulesSweep: Hashable, Sendable {
    /// The integer keys a sweep can move (as the rules file spells them).
    public static let keys = [
        "alarm_cycles", "alarm_percent_of_quota", "bank_cap_basis_points_of_trade", "banks_per_member", "cycle_days",
        "quota_percent_of_trade",
    ]

    static func set(_ key: String, to value: Int, in rules: inout SimulationRules) {
        switch key {
        case "cycle_days": rules.cycleDays = value
        case "quota_percent_of_trade": rules.quotaPercentOfTrade = value
        case "bank_cap_basis_points_of_trade": rules.bankCapBasisPointsOfTrade = value
        case "banks_per_member": rules.banksPerMember = value
        case "alarm_percent_of_quota": rules.imbalanceRules.persistentImbalancePercentOfQuota = value
        case "alarm_cycles": rules.imbalanceRules.persistentImbalanceCycles = value
        default: preconditionFailure("not a sweep key: \(key)")
        }
    }
    static let pointCountMax = 100

    public var key: String
    public var values: [Int]

    /// Parses `key=from:to:step` (integers, step > 0, at most 100 points).
    public init(_ text: String) throws(SimulationInputError) {
        func fail(_ reason: String) -> SimulationInputError {
            SimulationInputError(file: "--sweep", field: "sweep", reason: reason)
        }
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, Self.keys.contains(parts[0]) else {
            throw fail("must be KEY=FROM:TO:STEP with KEY one of \(Self.keys.joined(separator: ", "))")
        }
        let range = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard range.count == 3, let from = range[0], let to = range[1], let step = range[2], step > 0, from <= to
        else { throw fail("the range must be FROM:TO:STEP, whole numbers, FROM <= TO, STEP > 0") }
        guard (to - from) / step + 1 <= Self.pointCountMax else {
            throw fail("at most \(Self.pointCountMax) points")
        }
        key = parts[0]
        values = Array(stride(from: from, through: to, by: step))
    }

    /// `base` with the swept key set to `value`, or the reason that value is impossible.
    public func rules(_ base: SimulationRules, value: Int) throws(SimulationInputError) -> SimulationRules {
        var rules = base
        Self.set(key, to: value, in: &rules)
        if let (field, reason) = rules.validationError() {
            throw SimulationInputError(file: "--sweep", field: field, reason: "\(value): \(reason)")
        }
        return rules
    }

    /// One point of the sweep, for the Polyclear model.
    public struct Point: Hashable, Sendable, Codable {
        public var value: Int
        public var hardCurrencyUSDCents: Int64
        public var creditPeakUSDCents: Int64
        /// The largest union position at any close, in percent of its member's quota.
        public var largestPositionPercentOfQuota: Int64
        public var blockedUSDCents: Int64

        public init(value: Int, model: ModelMetrics) {
            self.value = value
            hardCurrencyUSDCents = model.liquidityTotalUSDCents
            creditPeakUSDCents = model.creditPeakUSDCents
            blockedUSDCents = model.unsettledAtYearEndUSDCents
            largestPositionPercentOfQuota =
                model.memberPositionsUSDCents.map { member, positions in
                    let quota = max(model.memberQuotaUSDCents[member] ?? 0, 1)
                    return Int64((Int128(positions.map(\.magnitude).max() ?? 0) * 100) / Int128(quota))
                }.max() ?? 0
        }
    }

    public static func csv(key: String, _ points: [Point]) -> String {
        "\(key),hard_currency_usd_cents,credit_peak_usd_cents,largest_position_percent_of_quota,blocked_usd_cents\n"
            + points.map {
                "\($0.value),\($0.hardCurrencyUSDCents),\($0.creditPeakUSDCents),"
                    + "\($0.largestPositionPercentOfQuota),\($0.blockedUSDCents)\n"
            }.joined()
    }

    public static func table(key: String, _ points: [Point]) -> String {
        SimulationReport.textTable(
            headers: ["hard currency (USD)", "peak credit (USD)", "largest position / quota", "blocked (USD)"],
            rows: points.map {
                (
                    "\(key) = \($0.value)",
                    [
                        SimulationReport.dollars($0.hardCurrencyUSDCents),
                        SimulationReport.dollars($0.creditPeakUSDCents), "\($0.largestPositionPercentOfQuota)%",
                        $0.blockedUSDCents > 0 ? "FAILED: " + SimulationReport.dollars($0.blockedUSDCents) : "none",
                    ]
                )
            })
    }

    /// Four small charts (one per trade-off) against the swept value, as inline SVG.
    public static func svg(key: String, _ points: [Point]) -> String {
        let series: [(String, [Int64], (Int64) -> String)] = [
            ("hard currency, year (USD)", points.map(\.hardCurrencyUSDCents), SimulationReport.dollars),
            ("peak union credit (USD)", points.map(\.creditPeakUSDCents), SimulationReport.dollars),
            ("largest position / quota (%)", points.map(\.largestPositionPercentOfQuota), { "\($0)%" }),
            ("trade blocked (USD)", points.map(\.blockedUSDCents), SimulationReport.dollars),
        ]
        let width = 260.0, height = 140.0
        let lowest = Double(points.first?.value ?? 0),
            span = Double(max((points.last?.value ?? 1) - (points.first?.value ?? 0), 1))
        var html = "<div id=\"chart-sweep\" class=\"chart grid\">"
        for (index, (title, values, format)) in series.enumerated() {
            let top = Double(max(values.max() ?? 1, 1))
            let line = zip(points, values).map { point, value in
                String(
                    format: "%.1f,%.1f", (Double(point.value) - lowest) / span * (width - 20) + 10,
                    height - 20 - Double(value) / top * (height - 40))
            }.joined(separator: " ")
            html +=
                "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" role=\"img\" aria-label=\"\(title)\">"
                + "<polyline points=\"\(line)\" fill=\"none\" stroke=\"\(SimulationReport.palette[index])\" stroke-width=\"2\"/>"
                + "<text x=\"4\" y=\"14\" font-size=\"11\">\(SimulationReport.escape(title)), max \(format(values.max() ?? 0))</text>"
                + "<text x=\"4\" y=\"\(Int(height) - 4)\" font-size=\"10\">\(key) \(points.first?.value ?? 0) … \(points.last?.value ?? 0)</text></svg>"
        }
        return html + "</div>"
    }
}
