import Foundation
import PolyclearTestInbox
import PolyclearTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Push delivery survives SIGKILL of the server mid-delivery: after a restart on the same
/// database every booked payment reaches the payee bank's endpoint, and a delivery that
/// arrives twice arrives with the same id and the same content.
@Suite struct DeliveryCrashTests {
    static let payeeKey = "participant:BKAACN22:delivery-test-payee-secret"

    static func batch(_ from: Int, count: Int) -> String {
        "["
            + (from..<(from + count)).map { index in
                let hex = String(format: "%012x", index)
                return """
                    {"id":"0d9e2b6c-1f00-4a00-8000-\(hex)","payer":"BKAABR22","payee":"BKAACN22","amount":"10.00",
                     "endToEndId":"E\(index)","uetr":"1a2b3c4d-0000-4000-8000-\(hex)","invoiceNumber":"INV-\(index)",
                     "purposeCode":"GDDS","debtor":{"name":"Exporter \(index)","account":{"iban":"GB82WEST12345698765432"}}}
                    """
            }.joined(separator: ",") + "]"
    }

    @Test func pushedDeliveriesSurviveASigkillOfTheServer() async throws {
        let inbox = Inbox(delay: .milliseconds(150))
        try await Inbox.serving(inbox) { inboxPort in
            let directory = TemporaryDirectory()
            let db = directory.path("hub.sqlite")
            let port = freeLocalPort()
            // Pushes of seven; the bank's endpoint is on loopback, which the operator allows here.
            let environment = ["POLYCLEAR_PUSH_BATCH_DELIVERIES": "7", "POLYCLEAR_PUSH_ALLOW_PRIVATE_NETWORK": "1"]
            let first = try await ServeTests.start(
                db: db, port: port, extra: ["--api-key", Self.payeeKey], environment: environment)
            #expect(await first.waitUntil(seconds: 30) { $0.standardOutput.contains("sample union ready") })
            let (status, answer) = try await ServeTests.call(
                "PUT", port: port, path: "/v1/delivery-endpoint", secret: "delivery-test-payee-secret",
                body: #"{"url":"http://127.0.0.1:\#(inboxPort)/inbox","format":"iso20022"}"#)
            #expect(status == 200, "\(answer)")
            var booked = Set<String>()
            for start in stride(from: 0, to: 60, by: 20) {
                let (status, body) = try await ServeTests.call(
                    "POST", port: port, path: "/v1/payments/batch", secret: "serve-test-bank-secret",
                    body: Self.batch(start, count: 20))
                #expect(status == 200, "\(body)")
                let answers = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [[String: Any]] ?? []
                booked.formUnion(
                    answers.filter { $0["status"] as? String == "accepted" }.compactMap { $0["id"] as? String })
            }
            #expect(booked.count == 60)
            // Killed while the bank is still being served (a few batches of seven taken).
            let deadline = ContinuousClock.now + .seconds(60)
            while await inbox.taken.count < 2 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(await inbox.taken.count < 9, "everything was delivered before the kill: the test proves nothing")
            first.kill(signal: SIGKILL)
            _ = await first.waitForExit()

            let second = try await ServeTests.start(
                db: db, port: port, extra: ["--api-key", Self.payeeKey], environment: environment)
            defer { second.stopNow() }
            var credited = Set<String>()
            while credited != booked && ContinuousClock.now < deadline {
                credited = Set(
                    await inbox.taken.flatMap { attempt in
                        (attempt.deliveries as? [[String: Any]] ?? []).compactMap { delivery in
                            delivery["kind"] as? String == "credited" ? delivery["paymentId"] as? String : nil
                        }
                    })
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(credited == booked, "missing: \(booked.subtracting(credited).sorted().prefix(5))")
            // Every copy of a delivery is the same delivery.
            var copies: [String: Set<Data>] = [:]
            for attempt in await inbox.attempts {
                for delivery in attempt.deliveries as? [[String: Any]] ?? [] {
                    let bytes = try JSONSerialization.data(withJSONObject: delivery, options: [.sortedKeys])
                    copies[delivery["deliveryId"] as? String ?? "", default: []].insert(bytes)
                }
            }
            #expect(copies.values.allSatisfy { $0.count == 1 }, "a delivery changed between two sendings")
            #expect(copies.count >= 60)
            // The outbox says the same: everything acknowledged once taken.
            let (_, outbox) = try await ServeTests.call(
                "GET", port: port, path: "/v1/outbox?limit=1", secret: "delivery-test-payee-secret")
            let state = (try? JSONSerialization.jsonObject(with: Data(outbox.utf8))) as? [String: Any] ?? [:]
            #expect((state["acknowledged"] as? Int ?? 0) >= 60, "\(outbox)")
        }
    }
}
