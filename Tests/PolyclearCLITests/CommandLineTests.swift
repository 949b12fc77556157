import Foundation
import PolyclearPostgres
import PolyclearTestSupport
import Testing

@Suite struct CommandLineTests {
    @Test func helpListsTheCommands() async throws {
        let help = try await ChildProcess.run(["--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("bench") && help.output.contains("ledger"))
        let ledgerHelp = try await ChildProcess.run(["ledger", "--help"])
        #expect(ledgerHelp.output.contains("check") && ledgerHelp.output.contains("load"))
    }

    @Test func ledgerCheckSummarisesAHealthyLedger() async throws {
        let directory = TemporaryDirectory()
        let db = directory.path("ledger.sqlite")
        let load = try await ChildProcess.run([
            "ledger", "load", "--db", db, "--accounts", "10", "--batches", "3", "--batch-size", "50",
        ])
        #expect(load.status == 0, "\(load.error)")
        let check = try await ChildProcess.run(["ledger", "check", "--db", db])
        #expect(check.status == 0)
        #expect(
            check.output.hasPrefix("ok: 10 accounts, 150 transfers (0 pending), 1 ledgers balanced"), "\(check.output)")
    }

    @Test func ledgerCheckRefusesAForeignFileWithoutTouchingIt() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path("foreign.db")
        let content = Data("SQLite? no: a spreadsheet export\n".utf8)
        try content.write(to: URL(fileURLWithPath: path))
        let check = try await ChildProcess.run(["ledger", "check", "--db", path])
        #expect(check.status != 0)
        #expect(check.error.contains("not_a_polyclear_database"), "\(check.error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
        let load = try await ChildProcess.run(["ledger", "load", "--db", path, "--batches", "1"])
        #expect(load.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
    }

    @Test func ledgerCheckOfAMissingFileFails() async throws {
        let check = try await ChildProcess.run(["ledger", "check", "--db", "/nonexistent/ledger.sqlite"])
        #expect(check.status != 0)
        #expect(check.error.contains("not_found"))
    }

    @Test func badOptionsAreRefused() async throws {
        let result = try await ChildProcess.run(["ledger", "load", "--db", "/tmp/x.sqlite", "--batch-size", "9000"])
        #expect(result.status != 0)
        #expect(result.error.contains("--batch-size"))
    }

    /// `ledger check --postgres-url`: a clear error with a stable code for each bad target.
    @Test func ledgerCheckOnPostgreSQLRefusesBadTargetsClearly() async throws {
        let neither = try await ChildProcess.run(["ledger", "check"])
        #expect(neither.status == 64 && neither.error.contains("either --db or --postgres-url"))
        let both = try await ChildProcess.run([
            "ledger", "check", "--db", "x.sqlite", "--postgres-url", "postgres://a@127.0.0.1/b",
        ])
        #expect(both.status == 64)
        for url in [
            "mysql://a@127.0.0.1/b", "postgres://a@127.0.0.1:5432,/b", "postgres://a@127.0.0.1/b?sslmode=sometimes",
        ] {
            let malformed = try await ChildProcess.run(["ledger", "check", "--postgres-url", url])
            #expect(
                malformed.status == 2 && malformed.error.contains("[io_failure]")
                    && malformed.error.contains("not a usable PostgreSQL URL"), "\(url)")
        }
        // Nobody listens on port 1: the reason names the connection, and no password is shown.
        let unreachable = try await ChildProcess.run([
            "ledger", "check", "--postgres-url", "postgres://a:hunter2@127.0.0.1:1/b",
        ])
        #expect(
            unreachable.status == 2 && unreachable.error.contains("[io_failure]")
                && unreachable.error.contains("no answer from the server"),
            "\(unreachable.error)")
        #expect(!unreachable.error.contains("hunter2"))
    }

    /// On a real server: a database that is not Polyclear's, and one that does not exist.
    @Test(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)"))
    func ledgerCheckOnPostgreSQLRefusesForeignAndMissingDatabases() async throws {
        let admin = try #require(ExternalTool.postgres.location)
        let empty = try await PostgresAdmin.createDatabase(
            "polyclear_empty_\(getpid())_\(Int.random(in: 0..<1_000_000))", adminURL: admin)
        let foreign = try await ChildProcess.run(["ledger", "check", "--postgres-url", empty])
        #expect(foreign.status == 2 && foreign.error.contains("[not_a_polyclear_database]"), "\(foreign.error)")
        // nothing created
        #expect(try await PostgresAdmin.count("SELECT 1 FROM pg_tables WHERE schemaname = 'public'", url: empty) == 0)
        let missing = try await ChildProcess.run([
            "ledger", "check", "--postgres-url", ReplicationTests.url(admin, database: "no_such_database"),
        ])
        #expect(missing.status == 2 && missing.error.contains("does not exist"), "\(missing.error)")
    }
}

/// `polyclear retention run`: applies the union's rule as a logged command on a database no
/// server holds; says so when the rule keeps personal data; a missing file is an error.
@Suite struct RetentionCommandTests {
    @Test func aRetentionRunOnADatabaseWithoutARetentionPeriodErasesNothing() async throws {
        let directory = TemporaryDirectory()
        let db = directory.path("hub.sqlite")
        let load = try await ChildProcess.run(
            ["hub", "load", "--db", db, "--batches", "1", "--batch-size", "10"] + HubCrashTests.dataArguments)
        #expect(load.status == 0, "\(load.error)")
        let run = try await ChildProcess.run(["retention", "run", "--db", db])
        #expect(run.status == 0 && run.output.contains("nothing erased"), "\(run.output) \(run.error)")
        let check = try await ChildProcess.run(["ledger", "check", "--db", db])
        #expect(check.status == 0, "\(check.error)")
        let missing = try await ChildProcess.run(["retention", "run", "--db", directory.path("none.sqlite")])
        #expect(missing.status != 0 && missing.error.contains("not_found"))
    }
}

extension CommandLineTests {
    /// `bench restore` writes each history, restores it in a fresh process and reports what
    /// it restored (the whole history: nothing skipped to look fast).
    @Test func benchRestoreRestoresTheWholeHistoryItWrote() async throws {
        let directory = TemporaryDirectory()
        let run = try await ChildProcess.run(
            [
                "bench", "restore", "--payments", "3000,6000", "--batch-size", "1500", "--close-every", "2",
                "--database-directory", directory.path(""),
            ] + HubCrashTests.dataArguments)
        #expect(run.status == 0, "\(run.error)")
        let lines = run.output.split(separator: "\n")
        let histories = lines.filter { $0.contains("payments of history") }
        #expect(histories.count == 2, "\(run.output)")
        #expect(
            histories.first?.hasPrefix("3000 payments of history") == true && histories.last?.hasPrefix("6000 ") == true
        )
        // Each history restored twice in a fresh process: by the whole log, then from the
        // snapshot taken at its end (nothing left to replay after it).
        let replays = lines.filter { $0.contains("replaying the whole log: restored in") && $0.contains("peak") }
        let fromSnapshot = lines.filter { $0.contains("from the snapshot: restored in") }
        #expect(replays.count == 2 && fromSnapshot.count == 2, "\(run.output)")
        #expect(fromSnapshot.allSatisfy { $0.contains(", 0 log rows replayed") }, "\(run.output)")
        #expect(replays.allSatisfy { !$0.contains(", 0 log rows replayed") }, "\(run.output)")
        #expect(lines.filter { $0.contains("snapshot at the end of the log") }.count == 2)
        #expect(!FileManager.default.fileExists(atPath: directory.path("restore-3000.sqlite")), "not kept")
    }
}
