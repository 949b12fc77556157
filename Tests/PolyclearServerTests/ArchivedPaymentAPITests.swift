import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PolyclearCore
import PolyclearStorage
import Testing

/// Over HTTP, a payment that left memory for the archive answers exactly as it did before:
/// its JSON, the payment pages, its camt.054 notification, the statement of its cycle, the
/// banks' outboxes, a status enquiry by UETR; and sending it again, recalling it and
/// reading the recall work as on a payment in memory.
@Suite struct ArchivedPaymentAPITests {
    static let ids = (0..<6).map { "0d9e2b6c-1f00-4a00-8000-0000000000a\($0)" }

    static func get(_ client: any TestClientProtocol, _ uri: String, as role: String) async throws -> String {
        try await client.execute(uri: uri, method: .get, headers: APITests.headers(role)) { response in
            // JSON with its keys sorted (the encoder's order is not fixed); other bodies as sent.
            let data = Data(buffer: response.body)
            let body =
                (try? JSONSerialization.jsonObject(with: data)).flatMap {
                    try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])
                }.map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: data, as: UTF8.self)
            return "\(response.status.code) \(body)"
        }
    }

    /// Everything the banks and the operator can read about the payments.
    static func reads(_ client: any TestClientProtocol) async throws -> [String] {
        var answers: [String] = []
        for id in ids {
            answers.append(try await get(client, "/v1/payments/\(id)", as: "brBank"))
            answers.append(try await get(client, "/v1/payments/\(id)", as: "cnBank"))
            answers.append(try await get(client, "/v1/payments/\(id)", as: "brOther"))  // 404: not its payment
            answers.append(try await get(client, "/v1/iso20022/payments/\(id)/notification?side=payee", as: "cnBank"))
        }
        answers.append(try await get(client, "/v1/payments?limit=100", as: "brBank"))
        answers.append(try await get(client, "/v1/payments?limit=2&status=accepted", as: "operator"))
        answers.append(try await get(client, "/v1/payments?limit=100", as: "chn"))
        answers.append(try await get(client, "/v1/statements/BANKBRSP/cycles/1", as: "brBank"))
        // The deliveries made before the settlement (it adds its own).
        let outbox = try await get(client, "/v1/outbox?format=json&limit=7", as: "cnBank")
        answers.append(outbox.replacingOccurrences(of: #""last":[0-9]+"#, with: "", options: .regularExpression))
        // When a message was made is the time of the read; what it reports is not.
        return answers.map {
            $0.replacingOccurrences(of: #"<CreDtTm>[^<]*</CreDtTm>"#, with: "", options: .regularExpression)
                .replacingOccurrences(of: #""generatedAt":"[^"]*""#, with: "", options: .regularExpression)
        }
    }

    @Test func archivedPaymentsAnswerOverHTTPAsThoseInMemory() async throws {
        try await APITests.withAPIAndHub(archiving: true) { client, _, hub in
            for (index, id) in Self.ids.enumerated() {
                try await client.execute(
                    uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                    body: APITests.paymentBody(id: id, amount: "1\(index)0.00")
                ) { #expect($0.status == .created) }
            }
            try await client.execute(uri: "/v1/cycles/1/close", method: .post, headers: APITests.headers("operator")) {
                #expect($0.status == .ok)
            }
            let before = try await Self.reads(client)
            #expect(try await hub.read { $0.archivedPaymentCount } == 0)
            for member in ["bra", "chn"] {
                try await client.execute(uri: "/v1/cycles/1/confirm", method: .post, headers: APITests.headers(member))
                {
                    #expect($0.status == .ok, "\(member): \(String(buffer: $0.body))")
                }
            }
            // Settled: every payment of the cycle left memory.
            #expect(try await hub.read { $0.residentPaymentCount } == 0)
            let after = try await Self.reads(client)
            for (was, now) in zip(before, after) where was != now { Issue.record("before: \(was)\nafter: \(now)") }
            #expect(before.count == after.count)

            // Sent again: the first answer; another body under the same id: refused as before.
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: APITests.paymentBody(id: Self.ids[0], amount: "100.00")
            ) { response in
                #expect(
                    String(buffer: response.body).contains("\"status\":\"accepted\""),
                    "\(String(buffer: response.body))")
            }
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: APITests.paymentBody(id: Self.ids[0], amount: "999.00")
            ) { response in
                #expect(
                    String(buffer: response.body).contains("duplicate_payment_id"), "\(String(buffer: response.body))")
            }
            #expect(try await hub.read { $0.paymentCount } == Self.ids.count)
            // Cursors and limits at their extremes (a cursor near Int.max trapped an archive
            // lookup once: Schemathesis found it).
            for query in ["cursor=9223372036854775807", "cursor=9223372036854775806&limit=1000", "cursor=0&limit=1"] {
                let page = try await Self.get(client, "/v1/payments?\(query)", as: "operator")
                #expect(page.hasPrefix("200 "), "\(query): \(page)")
            }
        }
    }

    /// What the operator reads of the audit trail, page by page, after more attributed actions
    /// than the hub keeps in memory (times aside: each run has its own clock).
    actor AuditPages {
        var pages: [String] = []
        func add(_ page: String) { pages.append(page) }
    }

    @Test func oldAuditRecordsAnswerOverHTTPAsThoseInMemory() async throws {
        var runs: [[String]] = []
        for archiving in [false, true] {
            let collected = AuditPages()
            try await APITests.withAPIAndHub(archiving: archiving) { client, _, hub in
                for batch in 0..<10 {
                    let commands: [HubCommand] = (0..<500).map { index in
                        .attributed(
                            actor: .operatorUser("ops-\(index % 3)"),
                            command: .updateParticipant(
                                bic: index % 2 == 0 ? APITests.brBank : BIC("NOSUCHBKXXX")!,
                                netDebitCapMinor: Int64(batch * 1_000 + index), status: nil))
                    }
                    _ = try await hub.submit(commands)
                }
                let archived = try await hub.read { $0.archivedAuditRecordCount }
                #expect(archiving ? archived > 0 : archived == 0, "\(archived) archived")
                for query in ["after=0&limit=1000", "after=1990&limit=20", "after=4500&limit=1000", "after=9999999"] {
                    let page = try await Self.get(client, "/v1/audit?\(query)", as: "operator")
                    await collected.add(
                        page.replacingOccurrences(of: #""time":[0-9]+"#, with: "", options: .regularExpression))
                }
            }
            runs.append(await collected.pages)
        }
        #expect(runs[0] == runs[1])
        #expect(runs[0].first?.contains(#""subject":"NOSUCHBK""#) == true, "\(runs[0].first?.prefix(300) ?? "")")
    }
}
