import ArgumentParser
import PolyclearCore
import PolyclearSQLite
import PolyclearStorage

/// `polyclear retention run --db FILE`: erases the personal data the union's retention rule
/// says is due, as a logged hub command (the same a running `serve` does on its schedule);
/// refused while a server holds the database.
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Apply the union's personal-data retention rule.",
        subcommands: [RetentionRunCommand.self])
}

struct RetentionRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Erase the personal data of payments settled longer ago than the rule keeps it.")

    @Option(help: "The hub database file (SQLite).") var db: String

    func run() async throws {
        guard FileManagerProbe.fileExists(db) else { exitWithError("not_found", "no such file: \(db)") }
        let configuration = HubConfiguration(currencies: try CurrencyTable())
        let store: SQLiteHubStore
        do { store = try SQLiteHubStore(path: db, configuration: configuration) } catch {
            exitWithError(error.code.name, error.description)
        }
        let writer = Writer(store: store)
        try await writer.whileRunning {
            let (result, rules) = try await writer.submit(
                [.attributed(actor: .operatorUser("retention run"), command: .erasePersonalData)]
            ) { results, hub in (results.first, hub.settings.paymentRules) }
            guard case .personalDataErased(let count) = result else {
                exitWithError("refused", "the retention run was refused: \(String(describing: result))")
            }
            if let days = rules.personalDataRetentionDays {
                printFlushed("erased the personal data of \(count) payments (kept \(days) days after settlement)")
            } else {
                printFlushed("no retention period in the union's payment rules: nothing erased")
            }
        }
    }
}
