import Foundation
import PolyclearTestSupport
import Testing

@Suite struct DemoTests {
    /// The demo prints the console's address and a key per role; each signs in as what it says
    /// it is (the demo runs until stopped, so a slow machine cannot outrun the check).
    @Test func theDemoPrintsTheConsoleAndAKeyPerRole() async throws {
        let directory = TemporaryDirectory()
        let port = freeLocalPort()
        let child = try ChildProcess([
            "demo", "--duration", "0", "--rate", "20", "--port", "\(port)", "--directory", directory.path("demo"),
        ])
        defer { child.stopNow(signal: SIGINT, seconds: 30) }
        #expect(await child.waitUntil(seconds: 120) { $0.standardOutput.contains("    bank ") })
        #expect(child.standardOutput.contains("console   http://127.0.0.1:\(port)/console"))
        #expect(await ServeTests.waitUntilReady(port: port), "\(child.standardError)")
        for (label, role) in [("operator", "operator"), ("central bank ", "member"), ("bank ", "participant")] {
            let line = child.lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }
            let key = String(line?.split(separator: " ").last ?? "")
            let (status, body) = try await ServeTests.call("GET", port: port, path: "/v1/session", secret: key)
            #expect(status == 200 && body.contains(#""role":"\#(role)""#), "\(label): \(body)")
        }
    }

    /// The README's first command, for a few seconds: the sample union file is loaded,
    /// payments flow through the HTTP API, a cycle closes and its central banks confirm their
    /// instructions, a second operator approves the screening list, a member proposes a quota
    /// change; it stops by itself, and the database it leaves passes `ledger check`.
    @Test func theDemoRunsAUnionThroughTheAPIAndLeavesASoundLedger() async throws {
        let directory = TemporaryDirectory()
        let port = freeLocalPort()
        let demo = try await ChildProcess.run([
            "demo", "--duration", "8", "--cycle-seconds", "2", "--rate", "100",
            "--port", "\(port)", "--directory", directory.path("demo"),
        ])
        #expect(demo.status == 0, "\(demo.error)")
        #expect(demo.output.contains("API       http://127.0.0.1:\(port)/v1"))
        #expect(demo.output.contains("cycle 1:"), "no cycle closed: \(demo.output.suffix(400))")
        #expect(demo.output.contains("screening list: proposed by one operator, approved by a second (200)"))
        #expect(
            demo.output.contains("instructions confirmed by their central banks"),
            "no confirmations: \(demo.output.suffix(600))")
        #expect(demo.output.contains("proposal 1: BRA proposes"), "no proposal: \(demo.output.suffix(600))")
        let check = try await ChildProcess.run(["ledger", "check", "--db", directory.path("demo/polyclear.sqlite")])
        #expect(check.status == 0, "\(check.error)")
        #expect(check.output.hasPrefix("ok: "))
        let transfers = check.output.split(separator: " ").firstIndex(of: "transfers").map {
            check.output.split(separator: " ")[$0 - 1]
        }
        // Every payment it accepted is booked (at least one transfer each); how many it
        // accepts in 8 s depends on the machine's load, so no fixed count.
        let accepted =
            demo.output.split(separator: "accepted ").dropFirst().compactMap {
                Int($0.prefix { $0.isNumber })
            }.max() ?? 0
        #expect(accepted > 0, "no payment accepted: \(demo.output.suffix(600))")
        #expect((transfers.flatMap { Int($0) } ?? 0) >= accepted, "\(check.output)")
        // The trade statistics of what it booked, offline and read only.
        let stats = try await ChildProcess.run([
            "stats", "--db", directory.path("demo/polyclear.sqlite"), "--by", "purpose",
        ])
        #expect(stats.status == 0, "\(stats.error)")
        let lines = stats.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("period,payer_member,payee_member,purpose_code,") == true)
        #expect(
            lines.count > 5 && lines.dropFirst().allSatisfy { $0.hasPrefix("all,") && $0.contains(",GDDS,") },
            "\(stats.output)")
    }
}
