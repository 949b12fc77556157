import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import PolyclearCore
import PolyclearISO20022
import PolyclearTestSupport
import Synchronization
@testable import PolyclearServer
import Testing

/// What a hostile caller holding a valid key tried (issue 14), each refused with a stable
/// code and nothing booked. Each test failed before its fix.
@Suite struct HostileInputTests {
    static let zero = "00000000-0000-0000-0000-000000000000"

    static func expect(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, role: String?,
        body: String? = nil,
        headers extra: HTTPFields = [:], status: HTTPResponse.Status, code: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var headers = APITests.headers(role)
        for field in extra { headers[field.name] = field.value }
        try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        { response in
            let text = String(buffer: response.body)
            #expect(response.status == status, "\(method) \(uri): \(text)", sourceLocation: sourceLocation)
            #expect(text.contains("\"code\":\"\(code)\""), "\(method) \(uri): \(text)", sourceLocation: sourceLocation)
        }
    }

    /// The all-zero UUID crashed the server (a lookup of the id tables' empty marker) or, on a
    /// busy hub, silently meant the first record. It is a malformed id everywhere.
    @Test func theZeroUUIDIsAMalformedIdEverywhere() async throws {
        try await APITests.withAPI { client, _ in
            // A first payment and funds request exist, so a lookup of 0 could have found them.
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000c1")
            ) { #expect($0.status == .created) }
            let withQuote =
                #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000c2","payer":"BANKBRSP","payee":"BANKCNBJ","amount":"1.00","endToEndId":"E","uetr":"12345678-9abc-4def-8123-456789abcdef","invoiceNumber":"I","purposeCode":"GDDS","quoteId":"\#(Self.zero)"}"#
            try await Self.expect(
                client, .post, "/v1/payments", role: "brBank", body: withQuote, status: .badRequest,
                code: "malformed_quote_id")
            try await Self.expect(
                client, .post, "/v1/payments", role: "brBank",
                body: String(buffer: APITests.paymentBody(id: Self.zero)),
                status: .badRequest, code: "malformed_id")
            try await Self.expect(
                client, .get, "/v1/payments/\(Self.zero)", role: "operator", status: .badRequest, code: "malformed_id")
            try await Self.expect(
                client, .post, "/v1/payments/\(Self.zero)/cancel", role: "brBank", status: .badRequest,
                code: "malformed_id")
            try await Self.expect(
                client, .get, "/v1/iso20022/payments/\(Self.zero)/notification", role: "operator", status: .badRequest,
                code: "malformed_id")
            try await client.execute(
                uri: "/v1/participants/BANKBRSP/funds", method: .post, headers: APITests.headers("bra"),
                body: ByteBuffer(
                    string: #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000c3","amount":"10.00","direction":"in"}"#)
            ) {
                #expect($0.status == .ok)
            }
            try await Self.expect(
                client, .post, "/v1/funds/\(Self.zero)/confirm", role: "bra", status: .badRequest, code: "malformed_id")
            try await Self.expect(
                client, .get, "/v1/setoff-runs/\(Self.zero)", role: "operator", status: .badRequest,
                code: "malformed_id")
        }
    }

    /// An unknown enumeration value booked a funds-in ("OUT", "outt", "") or made a payment
    /// normal priority: now a 400 naming the field, and nothing moves.
    @Test(arguments: ["OUT", "outt", "", "In"])
    func anUnknownFundsDirectionIsRefusedAndBooksNothing(direction: String) async throws {
        try await APITests.withAPI { client, _ in
            try await Self.expect(
                client, .post, "/v1/participants/BANKBRSP/funds", role: "bra",
                body: #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000d1","amount":"10.00","direction":"\#(direction)"}"#,
                status: .badRequest, code: "malformed_direction")
            try await client.execute(uri: "/v1/positions", method: .get, headers: APITests.headers("brBank")) {
                response in
                #expect(String(buffer: response.body).contains(#""amount":"0.00""#), "\(String(buffer: response.body))")
            }
        }
    }

    @Test func unknownPriorityAndSideAreRefused() async throws {
        try await APITests.withAPI { client, _ in
            for (field, value) in [("priority", "URGENT"), ("priority", "high"), ("side", "payer")] {
                var body = String(buffer: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000e1"))
                body = body.replacingOccurrences(
                    of: #""purposeCode":"GDDS""#, with: #""purposeCode":"GDDS","\#(field)":"\#(value)""#)
                try await Self.expect(
                    client, .post, "/v1/payments", role: "brBank", body: body, status: .badRequest,
                    code: "malformed_\(field)")
            }
            try await client.execute(
                uri: "/v1/payments/0d9e2b6c-1f00-4a00-8000-0000000000e1", method: .get,
                headers: APITests.headers("operator")
            ) {
                #expect($0.status == .notFound)
            }
        }
    }

    /// Duplicate keys (the first silently won), control characters, non-JSON bodies.
    @Test func jsonBodiesAreReadStrictly() async throws {
        try await APITests.withAPI { client, _ in
            let payment = String(buffer: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000f1"))
            let duplicate = payment.replacingOccurrences(
                of: #""amount":"1000.00""#, with: #""amount":"1.00","amount":"1000.00""#)
            try await Self.expect(
                client, .post, "/v1/payments", role: "brBank", body: duplicate, status: .badRequest,
                code: "duplicate_json_key")
            let escapedDuplicate = payment.replacingOccurrences(
                of: #""amount":"1000.00""#, with: #""amount":"1.00","\u0061mount":"1000.00""#)
            try await Self.expect(
                client, .post, "/v1/payments", role: "brBank", body: escapedDuplicate, status: .badRequest,
                code: "duplicate_json_key")
            for control in [#"INV\u0000"#, #"INV\u001f"#, #"INV\n"#, "INV\u{7F}"] {
                let body = payment.replacingOccurrences(
                    of: #""invoiceNumber":"INV-1""#, with: #""invoiceNumber":"\#(control)""#)
                try await Self.expect(
                    client, .post, "/v1/payments", role: "brBank", body: body, status: .badRequest,
                    code: "control_character")
            }
            try await Self.expect(
                client, .post, "/v1/payments", role: "brBank", body: payment, headers: [.contentType: "text/plain"],
                status: .unsupportedMediaType, code: "unsupported_media_type")
            try await Self.expect(
                client, .post, "/v1/payments", role: "brBank", body: payment + "{}", status: .badRequest,
                code: "malformed_json")
            // Unicode text is fine, and so is a charset parameter.
            let unicode = payment.replacingOccurrences(
                of: #""invoiceNumber":"INV-1""#, with: #""invoiceNumber":"Fatura nº 7 — São Paulo""#)
            try await client.execute(
                uri: "/v1/payments", method: .post,
                headers: [
                    .authorization: "Bearer \(APITests.keys["brBank"]!)",
                    .contentType: "Application/JSON; charset=utf-8",
                ],
                body: ByteBuffer(string: unicode)
            ) { #expect($0.status == .created, "\(String(buffer: $0.body))") }
        }
    }

    /// Posts `batch` as a bank: a 400 with `code`, naming item 1 (the second).
    static func expectSecondItemRefused(
        _ client: some TestClientProtocol, batch: String, code: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await client.execute(
            uri: "/v1/payments/batch", method: .post, headers: APITests.headers("brBank"),
            body: ByteBuffer(string: batch)
        ) { response in
            let text = String(buffer: response.body)
            #expect(
                response.status == .badRequest && text.contains(#""code":"\#(code)""#) && text.contains(#""item":1"#),
                "\(response.status) \(text)", sourceLocation: sourceLocation)
        }
    }

    /// A batch with one bad item names it; an empty batch is a 400, not a 413.
    @Test func aBatchSaysWhichItemIsBad() async throws {
        try await APITests.withAPI { client, _ in
            let good = String(buffer: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000001a1"))
            let bad = String(buffer: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000001a2", amount: "1.001"))
            try await Self.expectSecondItemRefused(client, batch: "[\(good),\(bad)]", code: "malformed_amount")
            try await Self.expect(
                client, .post, "/v1/payments/batch", role: "brBank", body: "[]", status: .badRequest,
                code: "empty_batch")
        }
    }

    /// Flat batch bodies are read on their bytes (`PaymentRequestFastPath`); hostile items in
    /// them get the same stable codes as before, name their item, and book nothing: the all-zero
    /// id, enumerations with a typo, a value of the wrong type, an unknown key, a payment twice.
    @Test func hostileFlatBatchesAreRefusedWithTheirItemAndBookNothing() async throws {
        try await APITests.withAPI { client, _ in
            let good = String(buffer: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000003a1"))
            func item(_ id: String, _ extra: String) -> String {
                String(buffer: APITests.paymentBody(id: id)).replacingOccurrences(
                    of: #""purposeCode":"GDDS""#, with: #""purposeCode":"GDDS""# + extra)
            }
            let cases: [(String, String)] = [
                (String(buffer: APITests.paymentBody(id: Self.zero)), "malformed_id"),
                (item("0d9e2b6c-1f00-4a00-8000-0000000003a2", #","side":"payer_debitt""#), "malformed_side"),
                (item("0d9e2b6c-1f00-4a00-8000-0000000003a3", #","priority":"Urgent""#), "malformed_priority"),
            ]
            for (bad, code) in cases {
                try await Self.expectSecondItemRefused(client, batch: "[\(good),\(bad)]", code: code)
            }
            // The wrong type and an unknown key go to the decoder: refused whole, as before.
            for bad in [
                item("0d9e2b6c-1f00-4a00-8000-0000000003a4", #","twoPhase":"yes""#),
                item("0d9e2b6c-1f00-4a00-8000-0000000003a5", #","amount":"2.00""#),
            ] {
                try await client.execute(
                    uri: "/v1/payments/batch", method: .post, headers: APITests.headers("brBank"),
                    body: ByteBuffer(string: "[\(good),\(bad)]")
                ) { response in
                    let text = String(buffer: response.body)
                    #expect(response.status == .badRequest && text.contains(#""code":"#), "\(text)")
                }
            }
            // The same payment twice in one batch is booked once (both answers are that payment);
            // the same id with other content is refused, and the payment keeps its amount.
            try await client.execute(
                uri: "/v1/payments/batch", method: .post, headers: APITests.headers("brBank"),
                body: ByteBuffer(string: "[\(good),\(good)]")
            ) { response in
                let text = String(buffer: response.body)
                #expect(
                    response.status == .ok
                        && text.components(separatedBy: "0d9e2b6c-1f00-4a00-8000-0000000003a1").count == 3
                        && text.components(separatedBy: #""status":"accepted""#).count == 3, "\(text)")
            }
            let changed = String(
                buffer: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000003a1", amount: "999.00"))
            try await client.execute(
                uri: "/v1/payments/batch", method: .post, headers: APITests.headers("brBank"),
                body: ByteBuffer(string: "[\(changed)]")
            ) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("duplicate_payment_id"), "\(text)")
            }
            try await client.execute(
                uri: "/v1/payments/0d9e2b6c-1f00-4a00-8000-0000000003a1", method: .get,
                headers: APITests.headers("operator")
            ) { #expect(String(buffer: $0.body).contains(#""payerAmount":"1000.00""#)) }
            // Nothing from the refused batches was booked.
            for id in ["0d9e2b6c-1f00-4a00-8000-0000000003a2", "0d9e2b6c-1f00-4a00-8000-0000000003a4"] {
                try await client.execute(
                    uri: "/v1/payments/\(id)", method: .get, headers: APITests.headers("operator")
                ) { #expect($0.status == .notFound) }
            }
        }
    }

    /// `bearer` in any case (RFC 9110); query values out of range or unknown are 400.
    @Test func bearerIsCaseInsensitiveAndQueriesAreStrict() async throws {
        try await APITests.withAPI { client, _ in
            for scheme in ["bearer", "BEARER", "Bearer"] {
                try await client.execute(
                    uri: "/v1/members", method: .get, headers: [.authorization: "\(scheme) \(APITests.keys["brBank"]!)"]
                ) {
                    #expect($0.status == .ok, "\(scheme)")
                }
            }
            try await Self.expect(
                client, .get, "/v1/members", role: nil, headers: [.authorization: "Basic \(APITests.keys["brBank"]!)"],
                status: .unauthorized, code: "unauthenticated")
            for query in ["limit=0", "limit=1001", "limit=ten", "cursor=-1", "status=Accepted", "status=bogus"] {
                try await Self.expect(
                    client, .get, "/v1/payments?\(query)", role: "operator", status: .badRequest,
                    code: "malformed_query")
            }
            try await Self.expect(
                client, .get, "/v1/audit?limit=5000", role: "operator", status: .badRequest, code: "malformed_query")
            try await Self.expect(
                client, .get, "/v1/statements/BANKBRSP/cycles/1?format=xml", role: "operator", status: .badRequest,
                code: "malformed_query")
            try await Self.expect(
                client, .get, "/v1/events?max=0", role: "operator", status: .badRequest, code: "malformed_query")
        }
    }

    /// Rate limits that bite: a batch costs one token per item, failed authentication is
    /// limited per source address, and a caller holds a bounded number of event streams.
    @Test func rateLimitsCountBatchItemsFailedKeysAndStreams() async throws {
        var limits = ServerLimits()
        (limits.requestsPerSecond, limits.requestBurst) = (0, 5)
        (limits.failedAuthenticationsPerSecond, limits.failedAuthenticationBurst) = (0, 3)
        limits.eventStreamsPerCaller = 0
        try await APITests.withAPI(limits: limits) { client, _ in
            let items = (1...5).map {
                String(buffer: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000002a\($0)"))
            }
            try await client.execute(
                uri: "/v1/payments/batch", method: .post, headers: APITests.headers("brBank"),
                body: ByteBuffer(string: "[\(items.joined(separator: ","))]")
            ) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
            try await Self.expect(
                client, .get, "/v1/members", role: "brBank", status: .tooManyRequests, code: "rate_limited")
            // A 6-item batch from a fresh caller is over its burst of 5: refused, nothing booked.
            let six = (1...6).map {
                String(buffer: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000002b\($0)", payer: "SECOBRSP"))
            }
            try await Self.expect(
                client, .post, "/v1/payments/batch", role: "brOther", body: "[\(six.joined(separator: ","))]",
                status: .tooManyRequests, code: "rate_limited")
            try await client.execute(
                uri: "/v1/payments/0d9e2b6c-1f00-4a00-8000-0000000002b1", method: .get,
                headers: APITests.headers("operator")
            ) {
                #expect($0.status == .notFound)
            }
            // A pacs.008 costs one request per transaction too: 6 from a fresh caller (cnBank) is
            // over the burst of 5: refused whole, nothing booked.
            let uetrs = (1...6).map { "3c562c67-ca16-48ba-b074-65581be6f1a\($0)" }
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: ISO20022APITests.headers("cnBank"),
                body: ISO20022APITests.pacs008(
                    messageID: "RL-6", from: "BANKCNBJ", payees: uetrs.map { ("BANKBRSP", $0, "1.00") })
            ) { response in
                #expect(response.status == .tooManyRequests, "\(String(buffer: response.body))")
                #expect(String(buffer: response.body).contains(#""code":"rate_limited""#))
            }
            try await client.execute(
                uri: "/v1/payments/\(uetrs[0])", method: .get, headers: APITests.headers("operator")
            ) { #expect($0.status == .notFound) }
            for _ in 0..<3 {
                try await Self.expect(
                    client, .get, "/v1/members", role: nil, headers: [.authorization: "Bearer wrong-key-000000000"],
                    status: .unauthorized, code: "unauthenticated")
            }
            try await Self.expect(
                client, .get, "/v1/members", role: nil, headers: [.authorization: "Bearer wrong-key-000000000"],
                status: .tooManyRequests, code: "rate_limited")
            // Streams beyond the caller's allowance (0 here; counting is tested on the broadcaster).
            // Bounded: an opened stream would never end.
            try await withTimeLimit(seconds: 30) {
                try await Self.expect(
                    client, .get, "/v1/events", role: "chn", status: .tooManyRequests, code: "too_many_streams")
            }
        }
    }

    /// Fixings over HTTP are checked: no effective time beyond the horizon, no rate for the
    /// unit, no implausible rate, no large move unless confirmed — and the confirmation is in
    /// the audit trail. The same for the unit's basket amounts.
    @Test func fixingsAndUnitAmountsAreChecked() async throws {
        try await APITests.withAPI { client, _ in
            let now = UInt64(Date().timeIntervalSince1970) * 1_000_000_000
            func fixing(
                _ version: Int, at effective: UInt64, brl: String = "4.0752", extra: String = "", confirm: Bool = false
            ) -> String {
                #"{"version":\#(version),"effectiveFrom":\#(effective),"sourceDate":"2026-11-30","ratesPerUnit":{"BRL":"\#(brl)","CNY":"4.99066"\#(extra)}\#(confirm ? #","confirmLargeMove":true"# : "")}"#
            }
            let year: UInt64 = 365 * 86_400 * 1_000_000_000
            try await Self.expect(
                client, .post, "/v1/fixings", role: "operator", body: fixing(2, at: now + 300 * year),
                status: .conflict, code: "fixing_effective_too_far")
            try await Self.expect(
                client, .post, "/v1/fixings", role: "operator", body: fixing(2, at: now, extra: #","XCU":"1""#),
                status: .unprocessableContent, code: "fixing_rate_for_unit")
            try await Self.expect(
                client, .post, "/v1/fixings", role: "operator", body: fixing(2, at: now, brl: "0.0000000000000000001"),
                status: .unprocessableContent, code: "rate_implausible")
            try await Self.expect(
                client, .post, "/v1/fixings", role: "operator", body: fixing(2, at: now, brl: "9"), status: .conflict,
                code: "rate_move_not_confirmed")
            try await client.execute(
                uri: "/v1/fixings", method: .post, headers: APITests.headers("operator"),
                body: ByteBuffer(string: fixing(2, at: now, brl: "9", confirm: true))
            ) {
                #expect($0.status == .created, "\(String(buffer: $0.body))")
            }
            try await client.execute(uri: "/v1/audit", method: .get, headers: APITests.headers("operator")) {
                response in
                #expect(
                    String(buffer: response.body).contains("version 2, large move confirmed"),
                    "\(String(buffer: response.body))")
            }
            try await client.execute(
                uri: "/v1/unit", method: .post, headers: APITests.headers("operator"),
                body: ByteBuffer(string: #"{"amountsPerUnit":{"BRL":"1.2"}}"#)
            ) {
                #expect($0.status == .ok)
            }
            try await Self.expect(
                client, .post, "/v1/unit", role: "operator", body: #"{"amountsPerUnit":{"BRL":"5"}}"#,
                status: .conflict, code: "rate_move_not_confirmed")
        }
    }

    /// Every error is `{"code","message"}`: Hummingbird's own (a path parameter that does not
    /// parse, a body over the limit, no such route) too; a method a path does not take is 405
    /// with `Allow`.
    @Test func everyErrorHasTheSameShape() async throws {
        try await APITests.withAPI { client, _ in
            for (method, uri, status, code, allow) in [
                (
                    HTTPRequest.Method.get, "/v1/cycles/abc", HTTPResponse.Status.badRequest, "malformed_request",
                    nil as String?
                ),
                (.get, "/v1/cycles/99999999999", .badRequest, "malformed_request", nil),
                (.get, "/v1/nothing-here", .notFound, "not_found", nil),
                (.delete, "/v1/members", .methodNotAllowed, "method_not_allowed", "GET, POST"),
                // The batch path is not a payment id: only POST is allowed there.
                (.get, "/v1/payments/batch", .methodNotAllowed, "method_not_allowed", "POST"),
                (.put, "/v1/payments", .methodNotAllowed, "method_not_allowed", "GET, POST"),
            ] {
                try await client.execute(uri: uri, method: method, headers: APITests.headers("operator")) { response in
                    let text = String(buffer: response.body)
                    #expect(
                        response.status == status && text.contains("\"code\":\"\(code)\"")
                            && !text.contains("\"error\""), "\(uri): \(text)")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                }
            }
            // A page past the end, however far (an unchecked after + limit crashed the server).
            try await client.execute(
                uri: "/v1/audit?after=9223372036854775806", method: .get, headers: APITests.headers("operator")
            ) { response in
                #expect(
                    response.status == .ok && String(buffer: response.body).contains(#""records":[]"#),
                    "\(String(buffer: response.body))")
            }
            let huge = ByteBuffer(
                string: "[" + String(repeating: " ", count: ServerLimits.default.requestBodyBytesMax) + "]")
            try await client.execute(
                uri: "/v1/payments/batch", method: .post, headers: APITests.headers("brBank"), body: huge
            ) { response in
                #expect(
                    response.status == .contentTooLarge
                        && String(buffer: response.body).contains(#""code":"body_too_large""#),
                    "\(String(buffer: response.body))")
            }
            // A body that is JSON but not the request's shape: still our shape.
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: ByteBuffer(string: #"{"id":5}"#)
            ) { response in
                #expect(
                    response.status == .badRequest
                        && String(buffer: response.body).contains(#""code":"malformed_request""#),
                    "\(String(buffer: response.body))")
            }
        }
    }

    /// Reports say what they mean: camt.054 and camt.053 carry the payment's UETR (not its id), the cycle
    /// report's state reads as `/v1/cycles` reads it, an unknown `side` is refused.
    @Test func reportsCarryTheRightValues() async throws {
        try await APITests.withAPI { client, _ in
            let id = "0d9e2b6c-1f00-4a00-8000-0000000003a1", uetr = "12345678-9abc-4def-8123-456789abcdef"
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: APITests.paymentBody(id: id)
            ) {
                #expect($0.status == .created)
            }
            try await client.execute(
                uri: "/v1/iso20022/payments/\(id)/notification", method: .get, headers: APITests.headers("cnBank")
            ) { response in
                guard
                    case .notification(let report) = try ISOMessage.parse(Array(response.body.readableBytesView))
                        .document
                else { Issue.record("not camt.054"); return }
                #expect(report.entries.first?.uetr == uetr)
            }
            try await Self.expect(
                client, .get, "/v1/iso20022/payments/\(id)/notification?side=both", role: "operator",
                status: .badRequest, code: "malformed_side")
            try await client.execute(uri: "/v1/cycles/1/close", method: .post, headers: APITests.headers("operator")) {
                #expect($0.status == .ok)
            }
            // camt.053 too: the entry's UETR is the payment's UETR, never its id.
            try await client.execute(
                uri: "/v1/iso20022/statements/BANKBRSP/cycles/1", method: .get, headers: APITests.headers("brBank")
            ) { response in
                guard
                    case .statement(let statement) = try ISOMessage.parse(Array(response.body.readableBytesView))
                        .document
                else { Issue.record("not camt.053"); return }
                let entry = statement.entries.first { $0.transactionCode == "payment_out" }
                #expect(entry?.uetr == uetr && entry?.reference == id.filter { $0 != "-" }, "\(statement.entries)")
                #expect(statement.entries.allSatisfy { $0.uetr != id })
            }
            try await client.execute(uri: "/v1/cycles/1", method: .get, headers: APITests.headers("operator")) {
                response in
                #expect(
                    String(buffer: response.body).contains(#""state":"settling""#),
                    "\(String(buffer: response.body).prefix(300))")
            }
            try await client.execute(uri: "/v1/cycles", method: .get, headers: APITests.headers("operator")) {
                response in
                #expect(String(buffer: response.body).contains(#""state":"settling""#))
            }
            let pacs002 =
                #"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.060.001.05"><AcctRptgReq/></Document>"#
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post,
                headers: [.authorization: "Bearer \(APITests.keys["brBank"]!)", .contentType: "application/xml"],
                body: ByteBuffer(string: pacs002)
            ) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("pacs.008.001.08") && text.contains("pacs.004.001.09"), "\(text)")
                #expect(text.contains("camt.056.001.08") && text.contains("pacs.028.001.03"), "\(text)")
            }
        }
    }

}
