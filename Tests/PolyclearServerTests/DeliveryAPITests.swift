import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PolyclearCore
import PolyclearISO20022
import PolyclearTestInbox
import PolyclearTestSupport
import Testing

@testable import PolyclearServer

/// Delivery to banks over real HTTP: the outbox pulled and acknowledged by cursor, and push to
/// a real endpoint (a second HTTP server on loopback) that refuses at first — retried with the
/// same delivery ids and content, signed with Ed25519, acknowledged once taken.
@Suite struct DeliveryAPITests {
    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any]) ?? [:]
    }

    static func pay(_ client: any TestClientProtocol, count: Int) async throws {
        for index in 1...count {
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000001\(10 + index)")
            ) { #expect($0.status == .created) }
        }
    }

    @Test func aBankPullsItsOutboxAndAcknowledgesByCursor() async throws {
        try await APITests.withAPI { client, _ in
            try await Self.pay(client, count: 3)
            // The payer bank: three final statuses, as JSON payments and as pacs.002.
            try await client.execute(uri: "/v1/outbox?format=json", method: .get, headers: APITests.headers("brBank")) {
                response in
                let outbox = Self.json(response.body)
                let items = outbox["items"] as? [[String: Any]] ?? []
                #expect(items.count == 3 && outbox["last"] as? Int == 3 && outbox["acknowledged"] as? Int == 0)
                #expect(items.map { $0["deliveryId"] as? String } == ["BANKBRSP:1", "BANKBRSP:2", "BANKBRSP:3"])
                #expect(items.allSatisfy { $0["kind"] as? String == "final_status" && $0["payment"] != nil })
            }
            try await client.execute(
                uri: "/v1/outbox?format=iso20022&after=1&limit=1", method: .get, headers: APITests.headers("brBank")
            ) { response in
                let items = Self.json(response.body)["items"] as? [[String: Any]] ?? []
                #expect(items.count == 1 && items[0]["cursor"] as? Int == 2)
                let message = items[0]["message"] as? String ?? ""
                #expect(message.contains("pacs.002.001.10") && message.contains("<TxSts>ACSC</TxSts>"), "\(message)")
                // The payment reported on: amount, references, agents, purpose (OrgnlTxRef).
                #expect(
                    message.contains("<OrgnlTxRef><IntrBkSttlmAmt Ccy=\"BRL\">1000.00</IntrBkSttlmAmt>"), "\(message)")
                #expect(message.contains("<Nb>INV-1</Nb>") && message.contains("<BICFI>BANKCNBJ</BICFI>"))
            }
            // The payee bank: each booked payment forwarded as a pacs.008, the hub instructing.
            try await client.execute(
                uri: "/v1/outbox?format=iso20022", method: .get, headers: APITests.headers("cnBank")
            ) {
                response in
                let items = Self.json(response.body)["items"] as? [[String: Any]] ?? []
                #expect(items.count == 3 && items.allSatisfy { $0["kind"] as? String == "credited" })
                let message = items.first?["message"] as? String ?? ""
                #expect(message.contains("pacs.008.001.08") && message.contains("<BICFI>POLYXXXX</BICFI>"))
                #expect(message.contains("<Nb>INV-1</Nb>") && message.contains("<Cd>GDDS</Cd>"))
            }
            let acknowledge = { (role: String, body: String, status: HTTPResponse.Status, marker: String) in
                try await client.execute(
                    uri: "/v1/outbox/acknowledge", method: .post, headers: APITests.headers(role),
                    body: ByteBuffer(string: body)
                ) { response in
                    #expect(response.status == status, "\(role) \(body)")
                    #expect(String(buffer: response.body).contains(marker), "\(String(buffer: response.body))")
                }
            }
            try await acknowledge("brBank", #"{"through":2}"#, .ok, #""acknowledged":2"#)
            try await acknowledge("brBank", #"{"through":99}"#, .unprocessableContent, "beyond_last_delivery")
            try await acknowledge("brBank", #"{"through":-1}"#, .badRequest, "malformed_request")
            try await acknowledge("brBank", #"{"through":1,"more":1}"#, .badRequest, "unknown_field")
            try await acknowledge("operator", #"{"through":1}"#, .forbidden, "forbidden")
            try await acknowledge("bra", #"{"through":1}"#, .forbidden, "forbidden")
            try await client.execute(uri: "/v1/outbox", method: .get, headers: APITests.headers("brBank")) { response in
                let outbox = Self.json(response.body)
                #expect(outbox["acknowledged"] as? Int == 2)
            }
            for role in ["operator", "bra", "chn"] {
                try await client.execute(uri: "/v1/outbox", method: .get, headers: APITests.headers(role)) {
                    #expect($0.status == .forbidden, "\(role)")
                }
            }
            try await client.execute(uri: "/v1/outbox?format=xml", method: .get, headers: APITests.headers("brBank")) {
                #expect($0.status == .badRequest)
            }
        }
    }

    @Test func badEndpointsAreRefused() async throws {
        try await APITests.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/delivery-endpoint", method: .put, headers: APITests.headers("cnBank"),
                body: ByteBuffer(string: #"{"url":"https://bank.example/polyclear","format":"iso20022"}"#)
            ) { #expect($0.status == .ok, "a public https endpoint is taken") }
            for (body, marker) in [
                (#"{"url":"http://bank.example/in"}"#, "malformed_url"),
                (#"{"url":"https://bank.example/in","format":"xml"}"#, "malformed_format"),
                (#"{"url":"https://bank.example/in","secret":"x"}"#, "unknown_field"),
                (#"{"url":"https://user:pw@bank.example/in"}"#, "malformed_url"),
                // No bank may point the hub at its own network (SSRF), by address or by name.
                (#"{"url":"http://127.0.0.1:8080/in"}"#, "https"), (#"{"url":"https://127.0.0.1/in"}"#, "public host"),
                (#"{"url":"https://10.1.2.3/in"}"#, "public host"),
                (#"{"url":"https://172.20.0.1/in"}"#, "public host"),
                (#"{"url":"https://192.168.1.1/in"}"#, "public host"),
                (#"{"url":"https://169.254.169.254/latest"}"#, "public host"),
                (#"{"url":"https://localhost/in"}"#, "public host"), (#"{"url":"https://intranet/in"}"#, "public host"),
                (#"{"url":"https://[::1]/in"}"#, "public host"), (#"{"url":"https://[fd00::1]/in"}"#, "public host"),
                (#"{"url":"https://2130706433/in"}"#, "public host"),
                (#"{"url":"https://db.internal/in"}"#, "public host"),
            ] {
                try await client.execute(
                    uri: "/v1/delivery-endpoint", method: .put, headers: APITests.headers("cnBank"),
                    body: ByteBuffer(string: body)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains(marker), "\(body)")
                }
            }
            try await client.execute(
                uri: "/v1/delivery-endpoint", method: .put, headers: APITests.headers("operator"),
                body: ByteBuffer(string: #"{"url":"https://bank.example/in"}"#)
            ) { #expect($0.status == .forbidden) }
        }
    }

    /// The bank's endpoint refuses twice, then takes the batch: what it took is what it was
    /// offered each time (same ids, same bytes of deliveries), the signature verifies with the
    /// hub's published key, and the hub records the acknowledgement.
    @Test func pushIsSignedRetriedUntilTakenAndAcknowledged() async throws {
        let inbox = Inbox(refusals: 2)
        try await Inbox.serving(inbox) { port in
            // The bank's endpoint is on loopback here: the operator allows private networks.
            var limits = ServerLimits.default
            limits.pushAllowPrivateNetwork = 1
            // Retries at most a second apart: on a loaded machine a slow attempt or two must not
            // push the doubling backoff past the deadline below (it did in CI: 1+2+4+8+16 s).
            limits.pushRetrySecondsMax = 1
            try await APITests.withAPI(limits: limits) { client, _ in
                try await Self.pay(client, count: 3)
                var publicKey = ""
                try await client.execute(
                    uri: "/v1/delivery-endpoint", method: .put, headers: APITests.headers("cnBank"),
                    body: ByteBuffer(string: #"{"url":"http://127.0.0.1:\#(port)/inbox","format":"iso20022"}"#)
                ) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    publicKey = (Self.json(response.body)["signature"] as? [String: Any])?["publicKey"] as? String ?? ""
                }
                let deadline = ContinuousClock.now + .seconds(90)
                while await inbox.taken.isEmpty && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let attempts = await inbox.attempts
                let taken = try #require(await inbox.taken.first, "\(attempts.count) attempts reached the inbox")
                #expect(attempts.count >= 3)
                // Every attempt offered the same deliveries.
                #expect(attempts.allSatisfy { $0.deliveries == taken.deliveries })
                let ids = (taken.deliveries as? [[String: Any]])?.map { $0["deliveryId"] as? String } ?? []
                #expect(ids == ["BANKCNBJ:1", "BANKCNBJ:2", "BANKCNBJ:3"])
                // Ed25519 over "<t>.<body>" with the published key.
                let key = try Curve25519.Signing.PublicKey(rawRepresentation: Data(base64Encoded: publicKey) ?? Data())
                let parts = Dictionary(
                    uniqueKeysWithValues: taken.signature.split(separator: ",").compactMap { part in
                        part.firstIndex(of: "=").map { (String(part[..<$0]), String(part[part.index(after: $0)...])) }
                    })
                let signature = Data(base64Encoded: parts["ed25519"] ?? "") ?? Data()
                #expect(key.isValidSignature(signature, for: Data(((parts["t"] ?? "") + ".").utf8) + taken.body))
                #expect(
                    !key.isValidSignature(
                        signature, for: Data(((parts["t"] ?? "") + ".").utf8) + taken.body + Data([32])))
                // Acknowledged by the hub once taken (a deadline of its own: under load the
                // retries above may have used most of the first).
                var acknowledged = 0
                let acknowledgedBy = ContinuousClock.now + .seconds(30)
                while acknowledged != 3 && ContinuousClock.now < acknowledgedBy {
                    try await client.execute(uri: "/v1/outbox", method: .get, headers: APITests.headers("cnBank")) {
                        acknowledged = Self.json($0.body)["acknowledged"] as? Int ?? 0
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(acknowledged == 3)
            }
        }
    }
}

/// A cycle's settlement reaches each bank: once its central bank executed the bank's
/// instruction, the bank gets `settlement_booked` — the instruction as JSON, or a camt.054
/// on its position (pay-in credited, pay-out debited) that passes the official schema.
@Suite(.enabled(if: ExternalTool.xmllint.runs, "\(ExternalTool.xmllint.skipReason)"))
struct SettlementDeliveryTests {
    @Test func executedInstructionsAreDeliveredToTheirBanks() async throws {
        try await APITests.withAPI { client, _ in
            try await DeliveryAPITests.pay(client, count: 1)
            let post = { (uri: String, role: String) in
                try await client.execute(uri: uri, method: .post, headers: APITests.headers(role)) {
                    #expect($0.status == .ok, "\(uri): \(String(buffer: $0.body))")
                }
            }
            try await post("/v1/cycles/1/close", "operator")
            try await post("/v1/cycles/1/confirm", "bra")
            func settlements(_ role: String, _ format: String) async throws -> [[String: Any]] {
                let response = try await client.execute(
                    uri: "/v1/outbox?format=\(format)", method: .get, headers: APITests.headers(role))
                let items = DeliveryAPITests.json(response.body)["items"] as? [[String: Any]] ?? []
                return items.filter { $0["kind"] as? String == "settlement_booked" }
            }
            // Brazil executed its bank's pay-in; China has not executed its bank's pay-out yet.
            let payIn = try await settlements("brBank", "json")
            #expect(payIn.count == 1 && payIn.first?["cycle"] as? Int == 1)
            let instruction = payIn.first?["settlement"] as? [String: Any] ?? [:]
            #expect(instruction["direction"] as? String == "pay_in" && instruction["amount"] as? String == "1000.00")
            #expect(instruction["participant"] as? String == "BANKBRSP" && instruction["isConfirmed"] as? Bool == true)
            #expect(try await settlements("cnBank", "json").isEmpty)
            try await post("/v1/cycles/1/confirm", "chn")
            let payOut = try await settlements("cnBank", "iso20022")
            #expect(payOut.count == 1)
            let xml = payOut.first?["message"] as? String ?? ""
            let message = try await ISO20022APITests.validMessage(ByteBuffer(string: xml), schema: "camt.054.001.08")
            guard case .notification(let report) = message.document else {
                Issue.record("not a camt.054: \(xml)")
                return
            }
            #expect(report.accountID == "BANKCNBJ" && report.entries.count == 1)
            #expect(report.entries.first?.creditDebit == "DBIT")
            #expect(report.entries.first?.endToEndID == "POLYCLEAR-C1-I1", "\(xml)")
        }
    }
}
