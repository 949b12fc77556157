import Foundation
import PolyclearCore

/// The simulator's outputs: a terminal table, CSVs for analysts, and a self-contained HTML
/// report (inline SVG, no script, no network) for policy makers.
public enum SimulationReport {
    public static func dollars(_ cents: Int64) -> String {
        let value = Double(cents) / 100
        switch abs(value) {
        case 1e9...: return String(format: "%.1f bn", value / 1e9)
        case 1e6...: return String(format: "%.1f m", value / 1e6)
        default: return String(format: "%.0f", value)
        }
    }

    public static func percent(_ ppm: Int64) -> String { String(format: "%.1f%%", Double(ppm) / 10_000) }

    /// What a model needed, with what it left blocked in the same cell: a model that blocks
    /// trade must not read as a saving.
    static func need(_ cents: Int64, _ model: ModelMetrics) -> String {
        model.unsettledAtYearEndUSDCents > 0
            ? "\(dollars(cents)) + BLOCKED \(dollars(model.unsettledAtYearEndUSDCents))" : dollars(cents)
    }

    /// Metric name and its value per model, as shown everywhere.
    static func rows(_ models: [ModelMetrics]) -> [(String, [String])] {
        metricRows(models) + goodsRows(models)
    }

    /// Trade by goods: the ten largest HS chapters by gross value (when the trade file gave chapters).
    static func goodsRows(_ models: [ModelMetrics]) -> [(String, [String])] {
        var totals: [String: Int64] = [:]
        for model in models { for (chapter, cents) in model.goodsUSDCents { totals[chapter, default: 0] += cents } }
        return totals.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(10).map { chapter, _ in
            ("goods: HS chapter \(chapter) (USD)", models.map { dollars($0.goodsUSDCents[chapter] ?? 0) })
        }
    }

    static func metricRows(_ models: [ModelMetrics]) -> [(String, [String])] {
        [
            ("gross value (USD)", models.map { dollars($0.grossUSDCents) }),
            (
                "trade blocked at year end (USD)",
                models.map {
                    $0.unsettledAtYearEndUSDCents > 0
                        ? "FAILED: \(dollars($0.unsettledAtYearEndUSDCents)) (\($0.unsettledAtYearEnd) payments)"
                        : "none"
                }
            ),
            ("payments settled through the model", models.map { String($0.payments) }),
            ("hard currency / money needed: peak cycle (USD)", models.map { need($0.liquidityPeakUSDCents, $0) }),
            ("hard currency / money needed: average cycle (USD)", models.map { need($0.liquidityAverageUSDCents, $0) }),
            ("hard currency / money needed: year total (USD)", models.map { need($0.liquidityTotalUSDCents, $0) }),
            ("netting efficiency", models.map { percent($0.nettingEfficiencyPPM) }),
            ("trapped in partner currencies: peak (USD)", models.map { dollars($0.trappedPeakUSDCents) }),
            ("trapped in partner currencies: year end (USD)", models.map { dollars($0.trappedYearEndUSDCents) }),
            ("union credit used: peak (USD)", models.map { dollars($0.creditPeakUSDCents) }),
            ("union credit used: average (USD)", models.map { dollars($0.creditAverageUSDCents) }),
            ("set off before cycles (USD)", models.map { dollars($0.setOffUSDCents) }),
            ("bank prefunding, domestic currency (USD)", models.map { dollars($0.bankPrefundingUSDCents) }),
            ("payments that queued", models.map { String($0.paymentsQueued) }),
            (
                "queue delay p50 / p99 / max (s)",
                models.map { "\($0.queueDelayP50Seconds) / \($0.queueDelayP99Seconds) / \($0.queueDelayMaxSeconds)" }
            ),
            (
                "quota alarms / persistent imbalance alarms",
                models.map { "\($0.quotaAlarms) / \($0.persistentImbalanceAlarms)" }
            ),
            (
                "charges paid by surplus / deficit members (USD)",
                models.map {
                    "\(dollars($0.chargesPaidBySurplusUSDCents)) / \(dollars($0.chargesPaidByDeficitUSDCents))"
                }
            ),
            (
                "charges received by surplus / deficit members (USD)",
                models.map {
                    "\(dollars($0.chargesReceivedBySurplusUSDCents)) / \(dollars($0.chargesReceivedByDeficitUSDCents))"
                }
            ),
            (
                "unsettled at year end: payments (USD)",
                models.map { "\($0.unsettledAtYearEnd) (\(dollars($0.unsettledAtYearEndUSDCents)))" }
            ),
        ]
    }

    public static func table(_ result: SimulationResult, titles: [String]? = nil) -> String {
        textTable(headers: titles ?? result.models.map(\.model), rows: rows(result.models))
    }

    /// Columns of any models (`comparisonColumns`), one metric a row.
    public static func table(_ columns: [(label: String, model: ModelMetrics)]) -> String {
        textTable(headers: columns.map(\.label), rows: rows(columns.map(\.model)))
    }

    public static func csv(_ result: SimulationResult) -> (models: String, members: String, positions: String) {
        var models = "metric," + result.models.map(\.model).joined(separator: ",") + "\n"
        let numeric: [(String, (ModelMetrics) -> String)] = [
            ("gross_usd_cents", { String($0.grossUSDCents) }), ("payments", { String($0.payments) }),
            ("liquidity_peak_usd_cents", { String($0.liquidityPeakUSDCents) }),
            ("liquidity_average_usd_cents", { String($0.liquidityAverageUSDCents) }),
            ("liquidity_total_usd_cents", { String($0.liquidityTotalUSDCents) }),
            ("netting_efficiency_ppm", { String($0.nettingEfficiencyPPM) }),
            ("trapped_peak_usd_cents", { String($0.trappedPeakUSDCents) }),
            ("trapped_year_end_usd_cents", { String($0.trappedYearEndUSDCents) }),
            ("credit_peak_usd_cents", { String($0.creditPeakUSDCents) }),
            ("credit_average_usd_cents", { String($0.creditAverageUSDCents) }),
            ("set_off_usd_cents", { String($0.setOffUSDCents) }), ("payments_queued", { String($0.paymentsQueued) }),
            ("bank_prefunding_usd_cents", { String($0.bankPrefundingUSDCents) }),
            ("queue_delay_p50_s", { String($0.queueDelayP50Seconds) }),
            ("queue_delay_p99_s", { String($0.queueDelayP99Seconds) }),
            ("queue_delay_max_s", { String($0.queueDelayMaxSeconds) }), ("quota_alarms", { String($0.quotaAlarms) }),
            ("persistent_imbalance_alarms", { String($0.persistentImbalanceAlarms) }),
            ("charges_surplus_usd_cents", { String($0.chargesPaidBySurplusUSDCents) }),
            ("charges_deficit_usd_cents", { String($0.chargesPaidByDeficitUSDCents) }),
            ("charges_received_surplus_usd_cents", { String($0.chargesReceivedBySurplusUSDCents) }),
            ("charges_received_deficit_usd_cents", { String($0.chargesReceivedByDeficitUSDCents) }),
            ("settled_usd_cents", { String($0.settledUSDCents) }),
            ("rejected_usd_cents", { String($0.rejectedUSDCents) }),
            ("unsettled_at_year_end", { String($0.unsettledAtYearEnd) }),
            ("unsettled_at_year_end_usd_cents", { String($0.unsettledAtYearEndUSDCents) }),
        ]
        for (name, value) in numeric { models += name + "," + result.models.map(value).joined(separator: ",") + "\n" }
        var members =
            "member,model,liquidity_peak_usd_cents,liquidity_average_usd_cents,trapped_year_end_usd_cents,quota_usd_cents\n"
        for member in result.members {
            for model in result.models {
                members +=
                    "\(member),\(model.model),\(model.memberLiquidityPeakUSDCents[member] ?? 0),\(model.memberLiquidityAverageUSDCents[member] ?? 0),"
                    + "\(model.memberTrappedYearEndUSDCents[member] ?? 0),\(model.memberQuotaUSDCents[member].map(String.init) ?? "")\n"
            }
        }
        var positions = "model,member,cycle,union_position_usd_cents\n"
        for model in result.models where !model.memberPositionsUSDCents.isEmpty {
            for member in result.members {
                for (cycle, value) in (model.memberPositionsUSDCents[member] ?? []).enumerated() {
                    positions += "\(model.model),\(member),\(cycle + 1),\(value)\n"
                }
            }
        }
        return (models, members, positions)
    }

    // MARK: HTML

    static let palette = [
        "#1b6ca8", "#e07b39", "#3a9e5c", "#c0392b", "#8e44ad", "#16a085", "#d4ac0d", "#7f8c8d", "#2c3e50", "#e84393",
        "#6c5ce7", "#00b894",
    ]

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Flows between members: members on a circle (arc length ∝ their trade), one chord per
    /// ordered pair, width ∝ value, coloured by the payer.
    static func chord(_ result: SimulationResult) -> String {
        let n = result.members.count, size = 520.0, center = size / 2, radius = 200.0
        let totals = (0..<n).map { i in
            (0..<n).reduce(Int64(0)) { $0 + result.flowsUSDCents[i][$1] + result.flowsUSDCents[$1][i] }
        }
        let grand = Double(max(totals.reduce(0, +), 1))
        var angles: [(Double, Double)] = []
        var angle = 0.0
        for total in totals {
            let span = 2 * Double.pi * Double(total) / grand * 0.92
            angles.append((angle, angle + span))
            angle += span + 2 * Double.pi * 0.08 / Double(max(n, 1))
        }
        func point(_ a: Double, _ r: Double) -> (Double, Double) {
            (center + r * cos(a - Double.pi / 2), center + r * sin(a - Double.pi / 2))
        }
        let maxFlow = Double(max(result.flowsUSDCents.flatMap { $0 }.max() ?? 1, 1))
        var svg =
            "<svg id=\"chart-flows\" class=\"chart\" viewBox=\"0 0 \(Int(size)) \(Int(size))\" width=\"\(Int(size))\" height=\"\(Int(size))\" role=\"img\" aria-label=\"Flows between members\">"
        for i in 0..<n {
            for j in 0..<n where i != j && result.flowsUSDCents[i][j] > 0 {
                let from = point((angles[i].0 + angles[i].1) / 2 + Double(j - n / 2) * 0.01, radius - 8)
                let to = point((angles[j].0 + angles[j].1) / 2 + Double(i - n / 2) * 0.01, radius - 8)
                let width = max(0.5, 14 * Double(result.flowsUSDCents[i][j]) / maxFlow)
                svg += String(
                    format:
                        "<path d=\"M%.1f %.1f Q%.1f %.1f %.1f %.1f\" fill=\"none\" stroke=\"%@\" stroke-opacity=\"0.45\" stroke-width=\"%.2f\"><title>%@ → %@: %@ USD</title></path>",
                    from.0, from.1, center, center, to.0, to.1, palette[i % palette.count], width, result.members[i],
                    result.members[j], dollars(result.flowsUSDCents[i][j]))
            }
        }
        for i in 0..<n {
            let (a0, a1) = angles[i]
            let start = point(a0, radius), end = point(a1, radius), label = point((a0 + a1) / 2, radius + 22)
            svg += String(
                format:
                    "<path d=\"M%.1f %.1f A%.0f %.0f 0 %d 1 %.1f %.1f\" fill=\"none\" stroke=\"%@\" stroke-width=\"12\"/>",
                start.0, start.1, radius, radius, a1 - a0 > Double.pi ? 1 : 0, end.0, end.1, palette[i % palette.count])
            svg += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">%@</text>", label.0,
                label.1 + 4, result.members[i])
        }
        return svg + "</svg>"
    }

    /// Horizontal bars: one group per model, peak and average liquidity needed.
    static func liquidityBars(_ result: SimulationResult, id: String = "chart-liquidity") -> String {
        let models = result.models
        let maxValue = Double(max(models.map(\.liquidityPeakUSDCents).max() ?? 1, 1))
        let rowHeight = 44.0, width = 760.0, labelWidth = 300.0
        var svg =
            "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(rowHeight * Double(models.count) + 30))\" width=\"\(Int(width))\" role=\"img\" aria-label=\"Liquidity needed per model\">"
        for (index, model) in models.enumerated() {
            let y = 10 + rowHeight * Double(index)
            svg += String(format: "<text x=\"0\" y=\"%.0f\" font-size=\"12\">%@</text>", y + 16, escape(model.title))
            for (offset, (value, color)) in [
                (model.liquidityPeakUSDCents, "#c0392b"), (model.liquidityAverageUSDCents, "#1b6ca8"),
            ].enumerated() {
                let w = (width - labelWidth - 90) * Double(value) / maxValue
                svg += String(
                    format:
                        "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" height=\"14\" fill=\"%@\"><title>%@</title></rect><text x=\"%.1f\" y=\"%.0f\" font-size=\"11\">%@</text>",
                    labelWidth, y + Double(offset) * 16, max(w, 1), color, offset == 0 ? "peak cycle" : "average cycle",
                    labelWidth + max(w, 1) + 4, y + Double(offset) * 16 + 11, dollars(value))
            }
        }
        return svg
            + String(
                format:
                    "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" fill=\"#c0392b\">■ peak cycle</text><text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" fill=\"#1b6ca8\">■ average cycle</text></svg>",
                labelWidth, rowHeight * Double(models.count) + 24, labelWidth + 110,
                rowHeight * Double(models.count) + 24)
    }

    /// Each member's union position at every cycle close (Polyclear), against −quota.
    static func positions(_ result: SimulationResult) -> String {
        let model = result.models.first { $0.model == "polyclear" }
        var svg = "<div id=\"chart-positions\" class=\"chart grid\">"
        for (index, member) in result.members.enumerated() {
            let series = model?.memberPositionsUSDCents[member] ?? []
            let quota = model?.memberQuotaUSDCents[member] ?? 0
            let extent = Double(max(series.map { abs($0) }.max() ?? 1, quota, 1))
            let width = 240.0, height = 120.0
            func y(_ value: Int64) -> Double { height / 2 - Double(value) / extent * (height / 2 - 6) }
            let points = series.enumerated().map {
                String(format: "%.1f,%.1f", Double($0) / Double(max(series.count - 1, 1)) * width, y($1))
            }.joined(separator: " ")
            svg +=
                "<svg viewBox=\"0 0 \(Int(width)) \(Int(height) + 16)\" width=\"\(Int(width))\" role=\"img\" aria-label=\"\(member) union position\">"
            svg += String(
                format: "<line x1=\"0\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>", width, y(0), y(0))
            svg += String(
                format:
                    "<line x1=\"0\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c0392b\" stroke-dasharray=\"4 3\"><title>−quota %@ USD</title></line>",
                width, y(-quota), y(-quota), dollars(quota))
            svg +=
                "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(palette[index % palette.count])\" stroke-width=\"1.5\"/>"
            svg += String(
                format: "<text x=\"4\" y=\"%.0f\" font-size=\"11\">%@: year end %@, quota %@</text></svg>", height + 12,
                member,
                dollars(series.last ?? 0), dollars(quota))
        }
        return svg + "</div>"
    }

    /// Under bilateral settlement: what each member holds in partners' currencies at year end.
    static func trapped(_ result: SimulationResult) -> String {
        let model = result.models.first { $0.model == "bilateral" }
        let values = result.members.map { model?.memberTrappedYearEndUSDCents[$0] ?? 0 }
        let maxValue = Double(max(values.max() ?? 1, 1)), width = 760.0, row = 20.0
        var svg =
            "<svg id=\"chart-trapped\" class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(row * Double(values.count) + 10))\" width=\"\(Int(width))\" role=\"img\" aria-label=\"Trapped balances\">"
        for (index, member) in result.members.enumerated() {
            let w = (width - 160) * Double(values[index]) / maxValue
            svg += String(
                format:
                    "<text x=\"0\" y=\"%.0f\" font-size=\"12\">%@</text><rect x=\"50\" y=\"%.0f\" width=\"%.1f\" height=\"14\" fill=\"%@\"/><text x=\"%.1f\" y=\"%.0f\" font-size=\"11\">%@</text>",
                row * Double(index) + 14, member, row * Double(index) + 3, max(w, 1), palette[index % palette.count],
                54 + max(w, 1), row * Double(index) + 14, dollars(values[index]))
        }
        return svg + "</svg>"
    }

    static func htmlTable(id: String, headers: [String], rows: [(String, [String])]) -> String {
        "<table id=\"\(id)\"><thead><tr><th></th>" + headers.map { "<th>\(escape($0))</th>" }.joined()
            + "</tr></thead><tbody>"
            + rows.map { name, values in
                "<tr><td>\(escape(name))</td>" + values.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
            }.joined() + "</tbody></table>"
    }

    /// The report of the first run; with more runs (`--compare`), every rule set side by side.
    public static func html(
        _ runs: [(label: String, result: SimulationResult)], rulesDescription: String, extra: String = ""
    ) -> String {
        let result = runs[0].result
        let metricsTable = htmlTable(
            id: "table-metrics", headers: result.models.map(\.title), rows: rows(result.models))
        let columns = comparisonColumns(runs)
        var compared = ""
        if runs.count > 1 {
            compared =
                "<h2>The rule sets side by side (same stream)</h2>"
                + htmlTable(
                    id: "table-metrics-compare", headers: columns.map(\.label), rows: rows(columns.map(\.model)))
        }
        let shares = htmlTable(
            id: "table-shares", headers: columns.map(\.label), rows: settlementShareRows(columns, result: result))
        let needs = htmlTable(
            id: "table-member-needs", headers: columns.map(\.label),
            rows: memberNeedRows(columns, members: result.members))
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Polyclear simulation \(result.year)</title>
            <style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;font-size:13px}
            td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
            .grid{display:flex;flex-wrap:wrap;gap:12px}.note{color:#555;font-size:13px}</style></head><body>
            <h1>What would a clearing union save on this trade?</h1>
            <p class="note">\(result.members.count) members, \(result.year): \(result.paymentCount) payments worth \(dollars(result.totalUSDCents)) USD, \
            cycles of \(result.cycleDays) business day(s) (\(result.cycleCount) cycles), seed \(result.seed). Rules: \(escape(rulesDescription)). \
            The same payment stream runs through every model; Polyclear models run it through the hub's own state machine.</p>
            <h2>Flows between members</h2>\(chord(result))
            <h2>Liquidity needed per settlement model</h2>\(liquidityBars(result))
            <p class="note">Gross: US dollars bought for every payment as it happens (receipts reused within a cycle). Bilateral: each pair settles its net in \
            national currency. Multilateral: each member's net per cycle, bought in the market. Polyclear: members' nets carried in the unit as union credit; what \
            the rules settle (tranches, and everything beyond quota) is delivered in the settlement asset; under a hard quota, payments \
            beyond it wait instead — shown as blocked.</p>
            <h2>Union positions over the year (Polyclear), against each quota</h2>\(positions(result))
            <h2>Balances trapped in partner currencies (bilateral settlement, year end)</h2>\(trapped(result))
            <h2>All metrics</h2>\(metricsTable)
            \(compared)
            <h2>How gross trade was settled</h2>
            <p class="note">Per model or rule set: offsetting / union credit still open at year end (balances trapped in \
            partner currencies, for bilateral settlement) / settlement asset or money delivered / blocked, in percent of gross \
            trade — the European Payments Union's own way of reporting. Blocked trade is a failure, never a saving.</p>\(shares)
            <h2>What each member needs in the year</h2>
            <p class="note">US dollars bought (gross, multilateral), its own currency paid to partners (bilateral), the \
            settlement asset (Polyclear), in USD; trade it could not pay is shown beside it as blocked.</p>\(needs)
            \(extra)
            </body></html>
            """
    }
}
