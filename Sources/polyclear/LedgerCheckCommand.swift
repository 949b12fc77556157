#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import PolyclearCore
import PolyclearSQLite
import PolyclearStorage

/// `polyclear ledger check --db FILE`: verifies a stored ledger and prints one line.
struct LedgerCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify a stored ledger's invariants and print a one-line summary."
    )

    @Option(name: .long, help: "The ledger database file.")
    var db: String

    func run() async throws {
        guard FileManagerProbe.fileExists(db) else { exitWithError("not_found", "no such file: \(db)") }
        do {
            let store = try SQLiteLedgerStore(path: db)
            let problems = try await store.integrityCheck()
            guard problems == ["ok"] else {
                exitWithError("corrupt_database", "SQLite integrity check failed: \(problems.prefix(3).joined(separator: "; "))")
            }
            let ledger = try await store.restore()  // checks every invariant
            let totals = ledger.totalsByLedger()
            printFlushed(
                "ok: \(ledger.accountCount) accounts, \(ledger.transferCount) transfers "
                    + "(\(ledger.pendingCount) pending), \(totals.count) ledgers balanced, "
                    + "last timestamp \(ledger.lastTimestamp)")
        } catch let error as StoreError {
            exitWithError(error.code.name, error.description)
        }
    }
}

enum FileManagerProbe {
    static func fileExists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }
}
