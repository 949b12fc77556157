#if canImport(Glibc)
    import Glibc
#endif
import ArgumentParser
import PolyclearCore
import PolyclearPostgres
import PolyclearSQLite
import PolyclearStorage

/// `polyclear ledger check --db FILE | --postgres-url URL`: verifies a stored ledger (and,
/// for a hub, that its log replays to exactly that ledger) and prints one line.
struct LedgerCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify a stored ledger's invariants and print a one-line summary."
    )

    @Option(name: .long, help: "The ledger database file (SQLite).")
    var db: String?
    @Option(
        help:
            "Or a PostgreSQL database: postgres://user:password@host:port/database (read only: a running writer is not disturbed)."
    )
    var postgresURL: String?

    func validate() throws {
        guard (db == nil) != (postgresURL == nil) else { throw ValidationError("give either --db or --postgres-url") }
    }

    func run() async throws {
        do {
            if let postgresURL {
                let store = try PostgresHubStore(
                    url: postgresURL, configuration: HubConfiguration(currencies: try CurrencyTable()))
                defer { store.close() }
                let (ledger, _, logRows, unprojected) = try await store.check()
                printFlushed(
                    summary(ledger) + (logRows > 0 ? ", hub log of \(logRows) commits replays to it" : "")
                        + Self.unprojectedNote(unprojected))
                return
            }
            guard let db else { return }
            guard FileManagerProbe.fileExists(db) else { exitWithError("not_found", "no such file: \(db)") }
            // Read only: beside a running hub (which holds the writer lock) it reads the last
            // committed state and writes nothing.
            let store = try SQLiteLedgerStore(readingOnly: db)
            let problems = try await store.integrityCheck()
            guard problems == ["ok"] else {
                exitWithError(
                    "corrupt_database", "SQLite integrity check failed: \(problems.prefix(3).joined(separator: "; "))")
            }
            let ledger = try await store.restore()  // checks every invariant
            let unprojected = try await store.unprojectedCommitCount()
            printFlushed(summary(ledger) + Self.unprojectedNote(unprojected))
        } catch let error as StoreError {
            exitWithError(error.code.name, error.description)
        }
    }

    static func unprojectedNote(_ commits: Int) -> String {
        commits > 0 ? ", \(commits) commits read from the redo log (not yet in the tables)" : ""
    }

    func summary(_ ledger: LedgerStateMachine) -> String {
        "ok: \(ledger.accountCount) accounts, \(ledger.transferCount) transfers (\(ledger.pendingCount) pending), "
            + "\(ledger.totalsByLedger().count) ledgers balanced, last timestamp \(ledger.lastTimestamp)"
    }
}

enum FileManagerProbe {
    static func fileExists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }
}
