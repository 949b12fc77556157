import ArgumentParser
import PolyclearCore
import PolyclearSQLite
import PolyclearStorage

/// `polyclear stats --db FILE`: the union's trade statistics offline, from a hub database
/// (read only, beside a running hub): flows between members by purpose code and HS chapter or
/// heading, as CSV — what `GET /v1/trade-statistics?format=csv` answers the operator.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Print the union's trade statistics (CSV) from a hub database.")

    @Option(help: "The hub database file (SQLite).") var db: String
    @Option(help: "Only this cycle (default: every cycle).") var cycle: UInt32?
    @Option(help: "Group by heading (4 HS digits), chapter (2) or purpose.") var by = "heading"
    @Option(help: "Only the flows this member (ISO 3166 alpha-3) is on.") var member: String?

    func validate() throws {
        guard TradeGrouping(rawValue: by) != nil else { throw ValidationError("--by is heading, chapter or purpose") }
        if let member, CountryCode(alpha3: member) == nil {
            throw ValidationError("--member is an ISO 3166 alpha-3 code")
        }
    }

    func run() async throws {
        guard FileManagerProbe.fileExists(db) else { exitWithError("not_found", "no such file: \(db)") }
        let currencies = try CurrencyTable()
        do {
            let store = try SQLiteHubStore(readingOnly: db, configuration: HubConfiguration(currencies: currencies))
            defer { try? store.close() }
            let hub = try await store.restore()
            let grouping = TradeGrouping(rawValue: by)!
            // Cycles that left memory keep their flows in the archive.
            let archived =
                hub.archivedCycleCount == 0 ? [] : try await store.archivedCycles(1...UInt32(hub.archivedCycleCount))
            let rows = grouping.regroup(
                hub.tradeFlows(
                    cycles: cycle.map { $0...$0 } ?? 0...UInt32.max, member: member.flatMap(CountryCode.init(alpha3:)),
                    archived: archived))
            let csv = grouping.csv(
                rows, period: cycle.map { "cycle \($0)" } ?? "all",
                currencyOf: { id in hub.member(id).flatMap { currencies[$0.currency] } }, unit: currencies.unit)
            printFlushed(String(csv.dropLast()))
        } catch let error as StoreError {
            exitWithError(error.code.name, error.description)
        }
    }
}
