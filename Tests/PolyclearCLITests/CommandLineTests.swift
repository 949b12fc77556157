import Foundation
import PolyclearTestSupport
import Testing

@Suite struct CommandLineTests {
    @Test func helpListsTheCommands() throws {
        let help = try ChildProcess.run(["--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("bench") && help.output.contains("ledger"))
        let ledgerHelp = try ChildProcess.run(["ledger", "--help"])
        #expect(ledgerHelp.output.contains("check") && ledgerHelp.output.contains("load"))
    }

    @Test func ledgerCheckSummarisesAHealthyLedger() throws {
        let directory = TemporaryDirectory()
        let db = directory.path("ledger.sqlite")
        let load = try ChildProcess.run(["ledger", "load", "--db", db, "--accounts", "10", "--batches", "3", "--batch-size", "50"])
        #expect(load.status == 0, "\(load.error)")
        let check = try ChildProcess.run(["ledger", "check", "--db", db])
        #expect(check.status == 0)
        #expect(check.output.hasPrefix("ok: 10 accounts, 150 transfers (0 pending), 1 ledgers balanced"), "\(check.output)")
    }

    @Test func ledgerCheckRefusesAForeignFileWithoutTouchingIt() throws {
        let directory = TemporaryDirectory()
        let path = directory.path("foreign.db")
        let content = Data("SQLite? no: a spreadsheet export\n".utf8)
        try content.write(to: URL(fileURLWithPath: path))
        let check = try ChildProcess.run(["ledger", "check", "--db", path])
        #expect(check.status != 0)
        #expect(check.error.contains("not_a_polyclear_database"), "\(check.error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
        let load = try ChildProcess.run(["ledger", "load", "--db", path, "--batches", "1"])
        #expect(load.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
    }

    @Test func ledgerCheckOfAMissingFileFails() throws {
        let check = try ChildProcess.run(["ledger", "check", "--db", "/nonexistent/ledger.sqlite"])
        #expect(check.status != 0)
        #expect(check.error.contains("not_found"))
    }

    @Test func badOptionsAreRefused() throws {
        let result = try ChildProcess.run(["ledger", "load", "--db", "/tmp/x.sqlite", "--batch-size", "9000"])
        #expect(result.status != 0)
        #expect(result.error.contains("--batch-size"))
    }
}
