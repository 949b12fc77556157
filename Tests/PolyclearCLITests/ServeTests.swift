import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PolyclearTestSupport
import Testing

@Suite struct ServeTests {
    static let fxPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/fx/eurofxref-latest.csv").path
    static let operatorKey = "operator:ops:serve-test-operator-secret"
    static let bankKey = "participant:BKAABR22:serve-test-bank-secret"

    static func start(db: String, port: Int) throws -> ChildProcess {
        let server = try ChildProcess(["serve", "--db", db, "--port", "\(port)", "--sample-union", "--fx", fxPath,
                                       "--api-key", operatorKey, "--api-key", bankKey])
        #expect(server.waitUntil(seconds: 30) { $0.standardOutput.contains("serving http://") }, "\(server.standardError)")
        return server
    }

    static func call(_ method: String, port: Int, path: String, secret: String, body: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// A real server process: a payment acknowledged over HTTP is there after SIGTERM (clean
    /// shutdown, exit 0) and a restart, and the database passes `ledger check`.
    @Test func anAcknowledgedPaymentSurvivesShutdownAndRestart() async throws {
        let directory = TemporaryDirectory()
        let db = directory.path("hub.sqlite")
        let port = 20_000 + Int((getpid() + 7_919) % 20_000)
        let id = "0d9e2b6c-1f00-4a00-8000-00000000a001"
        let payment = """
            {"id":"\(id)","payer":"BKAABR22","payee":"BKAACN22","amount":"1000.00","endToEndId":"E1",
             "uetr":"12345678-9abc-4def-8123-456789abcdef","invoiceNumber":"INV-1","purposeCode":"GDDS"}
            """
        let first = try Self.start(db: db, port: port)
        let (status, body) = try await Self.call("POST", port: port, path: "/v1/payments", secret: "serve-test-bank-secret", body: payment)
        #expect(status == 201, "\(body)")
        #expect(body.contains("\"status\":\"accepted\""), "\(body)")
        first.kill(signal: SIGTERM)
        #expect(first.waitForExit() == 0, "\(first.standardError)")

        let second = try Self.start(db: db, port: port)
        let (getStatus, got) = try await Self.call("GET", port: port, path: "/v1/payments/\(id)", secret: "serve-test-operator-secret")
        #expect(getStatus == 200 && got.contains("\"status\":\"accepted\""), "\(got)")
        second.kill(signal: SIGTERM)
        #expect(second.waitForExit() == 0, "\(second.standardError)")

        let check = try ChildProcess.run(["ledger", "check", "--db", db])
        #expect(check.status == 0 && check.output.hasPrefix("ok: "), "\(check.error)")
    }

    @Test(arguments: [
        ["--log-level", "loud"], ["--idle-timeout-seconds", "0"], ["--port", "0"], ["--api-key", "participant:BKAABR22:short"],
    ])
    func badServeOptionsAreRefusedBeforeAnythingStarts(_ extra: [String]) throws {
        let directory = TemporaryDirectory()
        let keys = extra.first == "--api-key" ? [] : ["--api-key", Self.operatorKey]
        let result = try ChildProcess.run(["serve", "--db", directory.path("hub.sqlite")] + keys + extra)
        #expect(result.status == 64, "\(result.output) \(result.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("hub.sqlite")))
    }
}
