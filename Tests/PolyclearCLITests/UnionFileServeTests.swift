import Foundation
import PolyclearTestSupport
import Testing

/// `serve --union` and `union check` as a user runs them: real processes on a real database.
@Suite struct UnionFileServeTests {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/union/sample-union.toml").path

    static func serve(db: String, union: String, port: Int) throws -> ChildProcess {
        try ChildProcess([
            "serve", "--db", db, "--port", "\(port)", "--union", union, "--api-key", ServeTests.operatorKey,
        ])
    }

    /// First start sets the union up (audited); a restart with the same file changes nothing;
    /// another file is refused with its differences, and the database is left as it was.
    @Test func aUnionStartsFromItsFileOnceAndADifferentFileIsRefused() async throws {
        let directory = TemporaryDirectory()
        let db = directory.path("hub.sqlite")
        let port = freeLocalPort()
        let first = try Self.serve(db: db, union: Self.sample, port: port)
        #expect(
            await first.waitUntil(seconds: 30) { $0.standardOutput.contains("union: set up from") },
            "\(first.standardError)")
        let (status, members) = try await ServeTests.call(
            "GET", port: port, path: "/v1/members", secret: "serve-test-operator-secret")
        #expect(status == 200 && members.contains("\"BRA\"") && members.contains("\"ZAF\""), "\(members)")
        let (_, audit) = try await ServeTests.call(
            "GET", port: port, path: "/v1/audit", secret: "serve-test-operator-secret")
        #expect(audit.contains("union-file:sample-union.toml") && audit.contains("set_imbalance_rules"), "\(audit)")
        first.kill(signal: SIGTERM)
        #expect(await first.waitForExit() == 0, "\(first.standardError)")

        let again = try Self.serve(db: db, union: Self.sample, port: port)
        #expect(
            await again.waitUntil(seconds: 30) { $0.standardOutput.contains("nothing to apply") },
            "\(again.standardError)")
        again.kill(signal: SIGTERM)
        #expect(await again.waitForExit() == 0, "\(again.standardError)")

        let changed = directory.path("changed.toml")
        let text = try String(contentsOfFile: Self.sample, encoding: .utf8)
        try text.replacingOccurrences(
            of: "id = \"BRA\"\nname = \"Banco Central do Brasil\"\ncurrency = \"BRL\"\nquota = \"100000000\"",
            with: "id = \"BRA\"\nname = \"Banco Central do Brasil\"\ncurrency = \"BRL\"\nquota = \"200000000\""
        )
        .write(toFile: changed, atomically: true, encoding: .utf8)
        let refused = try Self.serve(db: db, union: changed, port: port)
        #expect(await refused.waitForExit() == 2)
        #expect(refused.standardError.contains("union_file_differs"), "\(refused.standardError)")
        #expect(
            refused.standardError.contains(
                "members.BRA.quotaUnitMinor: 1000000000000 in the database, "
                    + "2000000000000 in the file"), "\(refused.standardError)")
        let check = try await ChildProcess.run(["ledger", "check", "--db", db])
        #expect(check.status == 0, "\(check.error)")
    }

    @Test func unionCheckAcceptsTheSampleAndNamesTheLineOfAMistake() async throws {
        let good = try await ChildProcess.run(["union", "check", Self.sample])
        #expect(good.status == 0 && good.output.contains("members   12") && good.output.contains("banks     36"))
        let directory = TemporaryDirectory()
        let text = try String(contentsOfFile: Self.sample, encoding: .utf8)
        for (from, to, expected) in [
            ("bic = \"BKABBR22\"", "bic = \"BKAABR22\"", "participants[7].bic: BKAABR22 is listed twice"),
            (
                "member = \"CHN\"\nnet_debit_cap = \"7100000\"", "member = \"XXX\"\nnet_debit_cap = \"7100000\"",
                "participants[9].member"
            ),
            ("preset = \"polyclear\"", "preset = \"bretton-woods\"", "preset: must be one of"),
            ("decimals = 4", "decimals = 2", "unit.code"),
        ] {
            let bad = directory.path("bad.toml")
            try text.replacingOccurrences(of: from, with: to).write(toFile: bad, atomically: true, encoding: .utf8)
            let run = try await ChildProcess.run(["union", "check", bad])
            #expect(
                run.status == 2 && run.error.contains("invalid_input") && run.error.contains(expected), "\(run.error)")
            #expect(run.error.contains("bad.toml:"), "the line is named: \(run.error)")
        }
    }
}
