import Hummingbird
import PolyclearCore
import PolyclearStorage

/// What the union's payments say about trade, for balance-of-payments compilation:
/// `GET /v1/trade-statistics` — flows between members by purpose code and HS chapter or
/// heading, counts and values in each side's currency and in the unit, for a cycle, a month or
/// a year (closed cycles by their close date, UTC), or everything. The operator sees every
/// flow, a central bank the flows its members is on; JSON, or CSV with `?format=csv`.
enum TradeStatisticsRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/trade-statistics") { request, context -> Response in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .readTradeStatistics)
            let period = try Period(request)
            guard
                let grouping = TradeGrouping(rawValue: request.uri.queryParameters["by"].map(String.init) ?? "heading")
            else { throw APIError(.badRequest, code: "malformed_query", "by is heading, chapter or purpose") }
            let csv = try PolyclearAPI.format(request, allowed: ["json", "csv"]) == "csv"
            let member: CountryCode? = if case .member(let id) = caller { id } else { nil }
            let (rows, currencies) = try await PolyclearAPI.readCycles(api.writer, numbers: period.cycles(in:)) {
                view -> ([(TradeFlowKey, TradeFlowTotals)], [String: CurrencyCode]) in
                let hub = view.hub
                let currencies = Dictionary(uniqueKeysWithValues: hub.allMembers.map { ($0.id.alpha3, $0.currency) })
                guard let cycles = period.cycles(in: hub) else { return ([], currencies) }
                return (view.tradeFlows(cycles: cycles, member: member), currencies)
            }
            let flows = grouping.regroup(rows)
            if csv {
                let text = grouping.csv(
                    flows, period: period.name, currencyOf: { currencies[$0.alpha3].flatMap { api.currencies[$0] } },
                    unit: api.currencies.unit)
                return Response(
                    status: .ok, headers: [.contentType: "text/csv"], body: .init(byteBuffer: ByteBuffer(string: text)))
            }
            let statistics = try TradeStatisticsDTO(
                flows, period: period.name, grouping: grouping, currencyOf: currencies, money: api.money)
            return try statistics.response(from: request, context: context)
        }
    }

    /// `?cycle=N`, `?month=YYYY-MM`, `?year=YYYY` (one at most), or every cycle.
    struct Period: Sendable {
        enum Kind: Sendable { case all, cycle(UInt32), days(ClosedRange<Int>) }
        let kind: Kind
        let name: String

        init(_ request: Request) throws {
            let query = request.uri.queryParameters
            let given = ["cycle", "month", "year"].filter { query[Substring($0)] != nil }
            guard given.count <= 1 else {
                throw APIError(.badRequest, code: "malformed_query", "give one of cycle, month, year")
            }
            if let number = try PolyclearAPI.integer(request, "cycle", in: 1...Int(UInt32.max)) {
                (kind, name) = (.cycle(UInt32(number)), "cycle \(number)")
            } else if let text = query["month"].map(String.init) {
                // December 9999 has no month after it to end on: refused like a malformed month
                // (it crashed the server once, from any key).
                guard text.utf8.count == 7, let first = CivilDate(text + "-01"),
                    let next = CivilDate(year: first.year + first.month / 12, month: first.month % 12 + 1, day: 1)
                else {
                    throw APIError(.badRequest, code: "malformed_query", "month is YYYY-MM")
                }
                (kind, name) = (.days(first.daysSinceEpoch...(next.daysSinceEpoch - 1)), text)
            } else if let text = query["year"].map(String.init) {
                guard text.utf8.count == 4, let first = CivilDate(text + "-01-01"),
                    let next = CivilDate(year: first.year + 1, month: 1, day: 1)
                else { throw APIError(.badRequest, code: "malformed_query", "year is YYYY") }
                (kind, name) = (.days(first.daysSinceEpoch...(next.daysSinceEpoch - 1)), text)
            } else {
                (kind, name) = (.all, "all")
            }
        }

        /// The cycles of the period (closed ones by their close day, UTC; a cycle number may
        /// be the open one); nil when none.
        func cycles(in hub: HubStateMachine) -> ClosedRange<UInt32>? {
            switch kind {
            case .all: return 0...UInt32.max
            case .cycle(let number): return number...number
            case .days(let days):
                // Close times are UInt64 nanoseconds: days outside them clamp to its ends.
                func nanoseconds(_ day: Int) -> UInt64 {
                    let (product, overflow) = UInt64(max(0, day)).multipliedReportingOverflow(by: 86_400_000_000_000)
                    return overflow ? .max : product
                }
                let numbers = hub.closedCycleNumbers(
                    closedIn: nanoseconds(days.lowerBound)..<nanoseconds(days.upperBound + 1))
                guard let first = numbers.min(), let last = numbers.max() else { return nil }
                return first...last
            }
        }
    }
}

/// Trade flows on the wire: money as decimal strings, each in the currency named beside it.
struct TradeStatisticsDTO: ResponseCodable {
    struct Row: Codable {
        var payerMember: String, payeeMember: String, purposeCode: String, hsChapter: String?, hsHeading: String?
        var count: Int, payerAmount: String, payerCurrency: String, payeeAmount: String, payeeCurrency: String
        var unitAmount: String
    }
    var period: String, by: String, unit: String, rows: [Row]

    init(
        _ flows: [(TradeFlowKey, TradeFlowTotals)], period: String, grouping: TradeGrouping,
        currencyOf: [String: CurrencyCode], money: WireMoney
    ) throws(APIError) {
        self.period = period
        by = grouping.rawValue
        unit = money.currencies.unit.code.description
        rows = []
        for (key, totals) in flows {
            guard let payerCurrency = currencyOf[key.payerMember.alpha3],
                let payeeCurrency = currencyOf[key.payeeMember.alpha3]
            else { throw APIError.unexpectedResult }
            rows.append(
                Row(
                    payerMember: key.payerMember.alpha3, payeeMember: key.payeeMember.alpha3,
                    purposeCode: key.purposeCode, hsChapter: grouping == .purpose ? nil : key.hsChapter,
                    hsHeading: grouping == .heading ? key.hsHeading : nil, count: totals.count,
                    payerAmount: try money.text(totals.payerAmountMinor, payerCurrency),
                    payerCurrency: payerCurrency.description,
                    payeeAmount: try money.text(totals.payeeAmountMinor, payeeCurrency),
                    payeeCurrency: payeeCurrency.description, unitAmount: money.unitText(totals.unitAmountMinor)))
        }
    }
}
