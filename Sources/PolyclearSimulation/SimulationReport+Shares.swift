import Foundation

/// How each model settled the year's gross trade, in the European Payments Union's terms:
/// by multilateral offsetting, by union credit (claims still open at year end), by the
/// settlement asset (money or reserve assets delivered), and what it did not settle (blocked:
/// a failure, never a saving). The four shares add up to the gross.
public struct SettlementShares: Hashable, Sendable {
    public var grossUSDCents: Int64
    public var offsetUSDCents: Int64
    public var creditUSDCents: Int64
    public var assetUSDCents: Int64
    public var blockedUSDCents: Int64

    /// Whole-union shares of one model. Credit is what the debtors still owe at year end in
    /// the union models, and the balances trapped in partner currencies under bilateral
    /// settlement (credit the surplus countries gave, unwillingly).
    public init(_ model: ModelMetrics) {
        let credit =
            model.memberYearEndPositionUSDCents.values.reduce(Int64(0)) { $0 + max(0, -$1) }
            + model.trappedYearEndUSDCents
        self.init(
            gross: model.grossUSDCents, credit: credit, asset: model.liquidityTotalUSDCents,
            blocked: model.unsettledAtYearEndUSDCents)
    }

    /// One member's shares: of the value it paid and was paid; credit is its position at year
    /// end (either side), the asset what it paid in and was paid out, blocked what it could
    /// not pay.
    init(_ model: ModelMetrics, member: String, grossUSDCents: Int64) {
        let position = model.memberYearEndPositionUSDCents[member] ?? 0
        self.init(
            gross: grossUSDCents,
            credit: position.magnitude > 0
                ? Int64(position.magnitude) : model.memberTrappedYearEndUSDCents[member] ?? 0,
            asset: (model.memberLiquidityTotalUSDCents[member] ?? 0) + (model.memberAssetReceivedUSDCents[member] ?? 0),
            blocked: model.memberUnsettledUSDCents[member] ?? 0)
    }

    init(gross: Int64, credit: Int64, asset: Int64, blocked: Int64) {
        grossUSDCents = gross
        blockedUSDCents = min(blocked, gross)
        assetUSDCents = min(asset, gross - blockedUSDCents)
        creditUSDCents = min(credit, gross - blockedUSDCents - assetUSDCents)
        offsetUSDCents = gross - blockedUSDCents - assetUSDCents - creditUSDCents
    }

    func percent(_ part: Int64) -> String {
        grossUSDCents == 0 ? "-" : String(format: "%.1f%%", Double(part) * 100 / Double(grossUSDCents))
    }

    /// "offset / credit / asset / blocked" in percent of gross; a blocked share is flagged.
    var summary: String {
        let blocked = blockedUSDCents > 0 ? "BLOCKED \(percent(blockedUSDCents))" : "0"
        return "\(percent(offsetUSDCents)) / \(percent(creditUSDCents)) / \(percent(assetUSDCents)) / \(blocked)"
    }
}

extension SimulationReport {
    /// The EPU table: for each column (model or rule set), the shares of gross trade, for the
    /// union and per member.
    public static func settlementSharesTable(
        _ columns: [(label: String, model: ModelMetrics)], result: SimulationResult
    ) -> String {
        "Settled by: offsetting / union credit / settlement asset / blocked (% of gross)\n"
            + textTable(headers: columns.map(\.label), rows: settlementShareRows(columns, result: result))
    }

    static func settlementShareRows(
        _ columns: [(label: String, model: ModelMetrics)], result: SimulationResult
    ) -> [(String, [String])] {
        var rows: [(String, [String])] = [("union", columns.map { SettlementShares($0.model).summary })]
        for (index, member) in result.members.enumerated() {
            let gross =
                result.flowsUSDCents[index].reduce(0, +) + result.flowsUSDCents.reduce(0) { $0 + $1[index] }
            rows.append(
                (member, columns.map { SettlementShares($0.model, member: member, grossUSDCents: gross).summary }))
        }
        return rows
    }

    /// What each member must deliver in the year under each column: US dollars (gross,
    /// multilateral), its own currency to partners (bilateral), the settlement asset
    /// (Polyclear), with what it left blocked beside it.
    static func memberNeedRows(
        _ columns: [(label: String, model: ModelMetrics)], members: [String]
    ) -> [(
        String, [String]
    )] {
        members.map { member in
            (
                member,
                columns.map { column in
                    let need = dollars(column.model.memberLiquidityTotalUSDCents[member] ?? 0)
                    let blocked = column.model.memberUnsettledUSDCents[member] ?? 0
                    return blocked > 0 ? need + " + BLOCKED " + dollars(blocked) : need
                }
            )
        }
    }

    public static func memberNeedTable(
        _ columns: [(label: String, model: ModelMetrics)], result: SimulationResult
    )
        -> String
    {
        "Hard currency / money each member needs in the year (USD)\n"
            + textTable(headers: columns.map(\.label), rows: memberNeedRows(columns, members: result.members))
    }

    /// Reference models from the first run, then Polyclear under each rule set: one column per
    /// rule set, on the same stream.
    public static func comparisonColumns(
        _ runs: [(label: String, result: SimulationResult)]
    ) -> [(
        label: String, model: ModelMetrics
    )] {
        guard let first = runs.first else { return [] }
        let references = first.result.models.filter { !$0.model.hasPrefix("polyclear") }.map { ($0.model, $0) }
        let unions = runs.compactMap { run in
            run.result.models.first { $0.model == "polyclear" }.map { ("polyclear: " + run.label, $0) }
        }
        return references + unions
    }

    static func textTable(headers: [String], rows: [(String, [String])]) -> String {
        let firstWidth = rows.map(\.0.count).max() ?? 0
        let widths = headers.indices.map { column in
            max(headers[column].count, rows.map { $0.1[column].count }.max() ?? 0)
        }
        func line(_ first: String, _ cells: [String]) -> String {
            first.padding(toLength: firstWidth, withPad: " ", startingAt: 0) + "  "
                + zip(cells, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ")
        }
        return
            ([line("", headers), String(repeating: "-", count: firstWidth + widths.reduce(0) { $0 + $1 + 2 })]
            + rows.map { line($0.0, $0.1) }).joined(separator: "\n")
    }
}
