import Foundation
import Hummingbird
import Logging
import PolyclearApp
import HTTPTypes
import HummingbirdTesting
import PolyclearCore
@testable import PolyclearServer
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// The API over real HTTP routing (Hummingbird's router tester), a real writer and an
/// in-memory hub store. Every route × every role, including other banks' resources.
@Suite struct APITests {
    static let currencies = try! CurrencyTable()
    static let bra = CountryCode(alpha3: "BRA")!, chn = CountryCode(alpha3: "CHN")!
    static let brBank = BIC("BANKBRSP")!, brOther = BIC("SECOBRSP")!, cnBank = BIC("BANKCNBJ")!
    static let keys: [String: String] = [
        "operator": "operator-secret-0001", "operator2": "operator-secret-0002", "bra": "bra-central-bank-01",
        "chn": "chn-central-bank-01",
        "brBank": "bank-brsp-secret-01", "brOther": "seco-brsp-secret-01", "cnBank": "bank-cnbj-secret-01",
    ]

    static func keyStore() throws -> APIKeyStore {
        var store = APIKeyStore()
        try store.add(specification: "operator:ops:\(keys["operator"]!)")
        try store.add(specification: "operator:ops2:\(keys["operator2"]!)")
        try store.add(specification: "member:BRA:\(keys["bra"]!)")
        try store.add(specification: "member:CHN:\(keys["chn"]!)")
        try store.add(specification: "participant:BANKBRSP:\(keys["brBank"]!)")
        try store.add(specification: "participant:SECOBRSP:\(keys["brOther"]!)")
        try store.add(specification: "participant:BANKCNBJ:\(keys["cnBank"]!)")
        return store
    }

    static func withAPI(
        limits: ServerLimits = .default, extraSetup: [HubCommand] = [],
        _ body: @Sendable (any TestClientProtocol, Set<String>) async throws -> Void
    ) async throws {
        try await withAPIAndHub(limits: limits, extraSetup: extraSetup) { client, routes, _ in
            try await body(client, routes)
        }
    }

    /// `withAPI`, with the hub behind it; `archiving`: a store that keeps the payment archive,
    /// and archiving started (as `serve` does on SQLite).
    static func withAPIAndHub(
        limits: ServerLimits = .default, extraSetup: [HubCommand] = [], archiving: Bool = false,
        _ body: @Sendable (any TestClientProtocol, Set<String>, Writer<InMemoryHubStore>) async throws -> Void
    ) async throws {
        // Composed as `serve` composes it (router, middleware, events, metrics, the service
        // that runs and drains the writer), on an in-memory store; the router test mode runs
        // the application's services around the body.
        var configuration = HubConfiguration(currencies: currencies)
        configuration.paymentArchiveAvailable = archiving
        let server = HubServer(
            store: InMemoryHubStore(configuration: configuration), host: "127.0.0.1",
            port: 0,
            keys: try keyStore(), currencies: currencies, limits: limits, logger: Logger(label: "polyclear.test"))
        let setup: [HubCommand] = [
            .registerMember(
                Member(
                    id: bra, name: "Banco Central do Brasil", currency: CurrencyCode("BRL")!,
                    quotaUnitMinor: 1_000_000_000)),
            .registerMember(
                Member(
                    id: chn, name: "People's Bank of China", currency: CurrencyCode("CNY")!,
                    quotaUnitMinor: 1_000_000_000)),
            .registerParticipant(
                Participant(bic: brBank, name: "Bank BR", memberID: bra, netDebitCapMinor: 100_000_000)),
            .registerParticipant(
                Participant(bic: brOther, name: "Other BR", memberID: bra, netDebitCapMinor: 100_000_000)),
            .registerParticipant(
                Participant(bic: cnBank, name: "Bank CN", memberID: chn, netDebitCapMinor: 100_000_000)),
            .publishFixing(
                Fixing(
                    version: 1, effectiveFrom: 0, sourceDate: CivilDate("2026-10-30")!,
                    ratesPerUnit: [
                        CurrencyCode("BRL")!: DecimalNumber("4.0752")!, CurrencyCode("CNY")!: DecimalNumber("4.99066")!,
                    ])),
        ]
        try await server.application.test(.router) { client in
            _ = try await server.hub.submit(
                setup + extraSetup + (archiving ? [.startPaymentArchive, .startAuditArchive, .startCycleArchive] : []))
            try await body(client, server.routes, server.hub)
        }
    }

    /// A test whose body throws fails at once: the harness's writer stops when the task group
    /// cancels it (it used to wait for a shutdown that never came, hanging the whole run).
    @Test func aThrowingBodyEndsTheHarness() async throws {
        struct Failure: Error {}
        await #expect(throws: Failure.self) {
            // Generous: a loaded CI machine may be slow, but a hang never ends.
            try await withTimeLimit(seconds: 120) { try await Self.withAPI { _, _ in throw Failure() } }
        }
    }

    static func headers(_ role: String?) -> HTTPFields {
        guard let role else { return [:] }
        return [.authorization: "Bearer \(keys[role]!)", .contentType: "application/json"]
    }

    static func paymentBody(
        id: String, payer: String = "BANKBRSP", payee: String = "BANKCNBJ", amount: String = "1000.00"
    ) -> ByteBuffer {
        ByteBuffer(
            string: """
                {"id":"\(id)","payer":"\(payer)","payee":"\(payee)","amount":"\(amount)","endToEndId":"E2E-1",
                 "uetr":"12345678-9abc-4def-8123-456789abcdef","invoiceNumber":"INV-1","purposeCode":"GDDS"}
                """)
    }

    @Test func anIdempotencyKeyReplaysTheFirstAnswerAndRefusesAnotherBody() async throws {
        try await Self.withAPI { client, _ in
            func headers(_ role: String, key: String?) -> HTTPFields {
                var fields = Self.headers(role)
                if let key { fields[HTTPField.Name("Idempotency-Key")!] = key }
                return fields
            }
            // A two-phase payment: its state moves on after the first answer, so a replay (the
            // first answer) and a second execution (the current state) tell themselves apart.
            let id = "0d9e2b6c-1f00-4a00-8000-000000000071"
            let body = ByteBuffer(
                string: String(buffer: Self.paymentBody(id: id)).replacingOccurrences(
                    of: "\"purposeCode\":\"GDDS\"", with: "\"purposeCode\":\"GDDS\",\"twoPhase\":true"))
            let first = try await client.execute(
                uri: "/v1/payments", method: .post, headers: headers("brBank", key: "retry-1"), body: body)
            #expect(first.status == .created)
            #expect(String(buffer: first.body).contains("\"status\":\"reserved\""), "\(String(buffer: first.body))")
            try await client.execute(uri: "/v1/payments/\(id)/commit", method: .post, headers: Self.headers("cnBank")) {
                #expect($0.status == .ok)
            }
            // The retry gets the first answer, byte for byte; nothing ran twice.
            let retry = try await client.execute(
                uri: "/v1/payments", method: .post, headers: headers("brBank", key: "retry-1"), body: body)
            #expect(retry.status == .created && String(buffer: retry.body) == String(buffer: first.body))
            // Without the key the hub itself answers the resubmission: with the current state.
            let again = try await client.execute(
                uri: "/v1/payments", method: .post, headers: headers("brBank", key: nil), body: body)
            #expect(String(buffer: again.body).contains("\"status\":\"accepted\""), "\(String(buffer: again.body))")
            // The same key with another body, or another path: 409, nothing submitted.
            let other = Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000072")
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: headers("brBank", key: "retry-1"), body: other
            ) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains("idempotency_key_reused"))
            }
            try await client.execute(
                uri: "/v1/payments/0d9e2b6c-1f00-4a00-8000-000000000072", method: .get, headers: Self.headers("brBank")
            ) {
                #expect($0.status == .notFound)
            }
            // Keys are per caller: another bank's identical key is its own.
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: headers("brOther", key: "retry-1"),
                body: Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000073", payer: "SECOBRSP")
            ) {
                #expect($0.status == .created)
            }
            // A refused request is not kept: after fixing nothing else, the retry is checked afresh.
            let bad = Self.paymentBody(id: "not-a-uuid")
            for _ in 0..<2 {
                try await client.execute(
                    uri: "/v1/payments", method: .post, headers: headers("brBank", key: "bad-1"), body: bad
                ) {
                    #expect($0.status == .badRequest)
                }
            }
            for malformed in ["", String(repeating: "k", count: 256), "has space"] {
                try await client.execute(
                    uri: "/v1/payments", method: .post, headers: headers("brBank", key: malformed), body: other
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains("malformed_idempotency_key"))
                }
            }
        }
    }

    /// The cache is bounded by bytes, per caller and overall: one bank caching large batch
    /// answers drops its own oldest answers, never another caller's, and the total never
    /// passes its bound; a running key is never dropped; an answer too big to keep is not kept.
    @Test func theIdempotencyCacheIsBoundedByBytesPerCallerAndOverall() {
        let answerBytes = IdempotencyCache.Answer(
            status: .ok, headers: [:], body: ByteBuffer(string: String(repeating: "x", count: 744))
        ).byteCount
        let cache = IdempotencyCache(bytesMax: 10 * answerBytes, bytesPerCallerMax: 4 * answerBytes)
        let bank = Caller.participant(BIC("BANKBRSP")!), other = Caller.participant(BIC("BANKCNBJ")!)
        func key(_ caller: Caller, _ name: String) -> IdempotencyCache.Key { .init(caller: caller, key: name) }
        func keep(_ caller: Caller, _ name: String, size: Int = 744) {
            guard case .proceed = cache.begin(key(caller, name), digest: [1]) else {
                Issue.record("\(name) must run"); return
            }
            cache.finish(
                key(caller, name), digest: [1],
                answer: .init(status: .ok, headers: [:], body: ByteBuffer(string: String(repeating: "x", count: size))))
        }
        func isKept(_ caller: Caller, _ name: String) -> Bool {
            if case .replay = cache.begin(key(caller, name), digest: [1]) { return true }
            cache.finish(key(caller, name), digest: [1], answer: nil)  // undo the begin
            return false
        }
        guard case .proceed = cache.begin(key(bank, "running"), digest: [1]) else {
            Issue.record("first use must run"); return
        }
        for name in ["o1", "o2", "o3"] { keep(other, name) }
        for step in 0..<50 {
            keep(bank, "b\(step)")
            #expect(cache.keptBytes(of: bank) <= 4 * answerBytes && cache.keptBytes <= 10 * answerBytes)
        }
        #expect(cache.keptBytes(of: bank) == 4 * answerBytes)
        #expect((46..<50).allSatisfy { isKept(bank, "b\($0)") } && !isKept(bank, "b45"))
        #expect(["o1", "o2", "o3"].allSatisfy { isKept(other, $0) }, "one caller's answers never push out another's")
        if case .conflict = cache.begin(key(bank, "running"), digest: [1]) {
        } else {
            Issue.record("a running key must stay")
        }
        keep(other, "huge", size: 5 * answerBytes)
        #expect(!isKept(other, "huge") && cache.keptBytes(of: other) == 3 * answerBytes)
        // Overall: callers under their own bound still share the total.
        for index in 0..<10 { keep(.participant(BIC("SECOBRSP")!), "s\(index)", size: 100) }
        #expect(cache.keptBytes <= 10 * answerBytes)
    }

    @Test func aDeeplyNestedBodyIsRefusedBeforeDecoding() async throws {
        #expect(JSONShapeCheck.problem(in: Array(#"{"a":[1,{"b":"[[[{{{\"]]"}]}"#.utf8), depthMax: 3) == nil)
        #expect(
            JSONShapeCheck.problem(in: Array(#"{"a":[1,{"b":"[[[{{{\"]]"}]}"#.utf8), depthMax: 2)?.code
                == "json_too_deep")
        try await Self.withAPI { client, _ in
            let deep = ByteBuffer(string: String(repeating: "[", count: 33) + String(repeating: "]", count: 33))
            try await client.execute(
                uri: "/v1/payments/batch", method: .post, headers: Self.headers("brBank"), body: deep
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("json_too_deep"))
            }
            // 32 levels pass the limit and fail where they should: as a malformed batch.
            let limit = ByteBuffer(string: String(repeating: "[", count: 32) + String(repeating: "]", count: 32))
            try await client.execute(
                uri: "/v1/payments/batch", method: .post, headers: Self.headers("brBank"), body: limit
            ) { response in
                #expect(response.status == .badRequest)
                #expect(!String(buffer: response.body).contains("json_too_deep"))
            }
        }
    }

    @Test func healthAndTheDocumentNeedNoKeyEverythingElseDoes() async throws {
        try await Self.withAPI { client, _ in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
            }
            try await client.execute(uri: "/v1/members", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("\"unauthenticated\""))
            }
            try await client.execute(
                uri: "/v1/members", method: .get, headers: [.authorization: "Bearer wrong-key-wrong-key"]
            ) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func everyRouteIsInTheOpenAPIDocumentAndViceVersa() async throws {
        try await Self.withAPI { _, routes in
            #expect(
                routes == OpenAPIDocument.operations,
                "router: \(routes.sorted()), document: \(OpenAPIDocument.operations.sorted())")
        }
    }

    /// The statuses every route can return whatever its own logic, because of what runs before
    /// it, are in the document for every operation: 405 (any path), 401 and 429 (every route but
    /// the public ones), 413 and 415 (every JSON body), 503 (every route that asks the hub).
    @Test func everyOperationListsTheStatusesTheMiddlewareCanAnswer() {
        let publicOperations: Set<String> = ["GET /healthz", "GET /readyz", "GET /openapi.yaml"]
        let withoutHub: Set<String> = ["GET /healthz", "GET /openapi.yaml", "GET /metrics", "GET /v1/node"]
        let statuses = OpenAPIDocument.statuses
        #expect(statuses.count > 80)
        for (operation, listed) in statuses {
            var needed: Set<String> = ["405"]
            if !publicOperations.contains(operation) { needed.formUnion(["401", "429"]) }
            let method = operation.prefix { $0 != " " }
            if ["POST", "PUT", "PATCH"].contains(method), !operation.contains("/v1/iso20022/") {
                needed.formUnion(["413", "415"])
            }
            if !withoutHub.contains(operation) { needed.insert("503") }
            #expect(needed.isSubset(of: listed), "\(operation) lacks \(needed.subtracting(listed).sorted())")
        }
    }

    /// Every route × every role. `nil` role: no key.
    @Test func everyRouteAnswersEveryRoleAsAgreed() async throws {
        try await Self.withAPI { client, _ in
            let paymentID = "0d9e2b6c-1f00-4a00-8000-000000000001"
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: Self.headers("brBank"),
                body: Self.paymentBody(id: paymentID)
            ) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains("\"accepted\""))
                #expect(String(buffer: response.body).contains("\"payeeAmount\":\"1224.64\""))
            }
            let table: [(String, HTTPRequest.Method, String?, HTTPResponse.Status)] = [
                ("/v1/members", .get, "operator", .ok), ("/v1/members", .get, "bra", .ok),
                ("/v1/members", .get, "cnBank", .ok),
                ("/v1/participants", .get, "operator", .ok), ("/v1/participants", .get, "bra", .ok),
                ("/v1/participants", .get, "brBank", .ok),
                ("/v1/payments/\(paymentID)", .get, "operator", .ok),
                ("/v1/payments/\(paymentID)", .get, "brBank", .ok),
                ("/v1/payments/\(paymentID)", .get, "cnBank", .ok), ("/v1/payments/\(paymentID)", .get, "bra", .ok),
                ("/v1/payments/\(paymentID)", .get, "chn", .ok),
                ("/v1/payments/\(paymentID)", .get, "brOther", .notFound),
                ("/v1/payments/\(paymentID)", .get, nil, .unauthorized),
                ("/v1/payments/0d9e2b6c-1f00-4a00-8000-0000000000ff", .get, "operator", .notFound),
                ("/v1/payments/not-a-uuid", .get, "operator", .badRequest),
                ("/v1/cycles", .get, "operator", .ok), ("/v1/cycles", .get, "bra", .ok),
                ("/v1/cycles", .get, "brBank", .forbidden),
                ("/v1/cycles/1/close", .post, "bra", .forbidden), ("/v1/cycles/1/close", .post, "brBank", .forbidden),
                ("/v1/cycles/2/close", .post, "operator", .conflict), ("/v1/cycles/1/close", .post, "operator", .ok),
                ("/v1/statements/BANKBRSP/cycles/1", .get, "brBank", .ok),
                ("/v1/statements/BANKBRSP/cycles/1", .get, "bra", .ok),
                ("/v1/statements/BANKBRSP/cycles/1", .get, "operator", .ok),
                ("/v1/statements/BANKBRSP/cycles/1", .get, "brOther", .notFound),
                ("/v1/statements/BANKBRSP/cycles/1", .get, "chn", .notFound),
                ("/v1/statements/BANKBRSP/cycles/7", .get, "operator", .notFound),
                ("/v1/cycles/1", .get, "operator", .ok), ("/v1/cycles/1", .get, "bra", .ok),
                ("/v1/cycles/1", .get, "brBank", .forbidden),
                ("/v1/cycles/9", .get, "operator", .notFound),
                ("/v1/cycles/1/confirm", .post, "brBank", .forbidden),
                ("/v1/cycles/1/confirm", .post, "operator", .forbidden),
                ("/v1/cycles/1/confirm", .post, "bra", .ok), ("/v1/cycles/1/confirm", .post, "bra", .conflict),
                ("/v1/payments", .get, "operator", .ok), ("/v1/payments", .get, "brOther", .ok),
                ("/v1/payments/\(paymentID)/cancel", .post, "brBank", .conflict),
                ("/v1/payments/\(paymentID)/cancel", .post, "cnBank", .forbidden),
                ("/v1/payments/\(paymentID)/cancel", .post, "chn", .forbidden),
                ("/v1/payments/\(paymentID)/cancel", .post, "brOther", .notFound),
                ("/v1/members", .delete, "operator", .methodNotAllowed),
                ("/v1/payments/\(paymentID)", .delete, "brBank", .methodNotAllowed),
                ("/v1/no-such-route", .get, "operator", .notFound),
                ("/v1/fixings/current", .get, "brBank", .ok),
                ("/v1/unit", .get, "brBank", .ok), ("/v1/unit", .get, "chn", .ok),
                ("/v1/unit", .get, nil, .unauthorized),
                ("/v1/unit", .post, "bra", .forbidden), ("/v1/unit", .post, "brBank", .forbidden),
                ("/v1/audit", .get, "operator", .ok), ("/v1/audit", .get, "bra", .forbidden),
                ("/v1/audit", .get, "brBank", .forbidden),
                ("/v1/audit", .get, nil, .unauthorized),
                ("/v1/node", .get, "operator", .ok), ("/v1/node", .get, "bra", .forbidden),
                ("/v1/node", .get, "brBank", .forbidden),
                ("/v1/node", .get, nil, .unauthorized),
                ("/v1/funds/0d9e2b6c-1f00-4a00-8000-0000000000aa/confirm", .post, "brBank", .forbidden),
                ("/v1/funds/0d9e2b6c-1f00-4a00-8000-0000000000aa/confirm", .post, "operator", .conflict),
                ("/v1/setoff-runs", .post, "bra", .forbidden),
                ("/metrics", .get, "operator", .ok), ("/metrics", .get, "bra", .forbidden),
                ("/metrics", .get, nil, .unauthorized),
                ("/v1/queue", .get, "operator", .ok), ("/v1/queue", .get, "brBank", .ok),
                ("/v1/queue", .get, nil, .unauthorized),
                ("/v1/positions", .get, "operator", .ok), ("/v1/positions", .get, "chn", .ok),
                ("/v1/positions", .get, "cnBank", .ok),
                ("/v1/payments/\(paymentID)/commit", .post, "brOther", .notFound),
                ("/v1/payments/\(paymentID)/commit", .post, "cnBank", .conflict),
                ("/v1/payments/\(paymentID)/reject", .post, "operator", .conflict),
            ]
            for (uri, method, role, expected) in table {
                try await client.execute(uri: uri, method: method, headers: Self.headers(role)) { response in
                    #expect(response.status == expected, "\(method) \(uri) as \(role ?? "nobody")")
                }
            }
            // Listing: what each caller may see, paged.
            for (role, count) in [("operator", 1), ("brBank", 1), ("cnBank", 1), ("brOther", 0), ("chn", 1)] {
                try await client.execute(uri: "/v1/payments?limit=10", method: .get, headers: Self.headers(role)) {
                    response in
                    let page = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    #expect((page?["items"] as? [Any])?.count == count, "\(role)")
                }
            }
            // Funds: the member reserves and confirms a prefunding for its bank.
            let funds = ByteBuffer(
                string: #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000f1","amount":"50.00","direction":"in"}"#)
            try await client.execute(
                uri: "/v1/participants/BANKBRSP/funds", method: .post, headers: Self.headers("chn"), body: funds
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/participants/BANKBRSP/funds", method: .post, headers: Self.headers("bra"), body: funds
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v1/funds/0d9e2b6c-1f00-4a00-8000-0000000000f1/confirm", method: .post,
                headers: Self.headers("chn")
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/funds/0d9e2b6c-1f00-4a00-8000-0000000000f1/confirm", method: .post,
                headers: Self.headers("bra")
            ) { #expect($0.status == .ok) }
            // A new fixing: the operator only; versions increase; every member's currency is needed.
            func fixing(_ version: Int, _ rates: String) -> ByteBuffer {
                ByteBuffer(
                    string:
                        #"{"version":\#(version),"effectiveFrom":1,"sourceDate":"2026-11-27","ratesPerUnit":{\#(rates)}}"#
                )
            }
            let both = #""BRL":"4.1","CNY":"5.0""#
            try await client.execute(
                uri: "/v1/fixings", method: .post, headers: Self.headers("bra"), body: fixing(2, both)
            ) { #expect($0.status == .forbidden) }
            for (body, status, code) in [
                (fixing(2, #""BRL":"4.1""#), HTTPResponse.Status.conflict, "fixing_missing_currency"),
                (fixing(1, both), .conflict, "fixing_version_not_increasing"),
                (fixing(2, #""BRL":"-4.1","CNY":"5""#), .badRequest, "malformed_rates"),
                (fixing(2, #""BRLX":"4.1","CNY":"5""#), .badRequest, "malformed_rates"),
                (
                    ByteBuffer(
                        string: #"{"version":2,"effectiveFrom":1,"sourceDate":"2026-13-45","ratesPerUnit":{"BRL":"4"}}"#
                    ), .badRequest, "malformed_date"
                ),
                (
                    ByteBuffer(string: #"{"version":2,"effectiveFrom":1,"sourceDate":"2026-11-27","ratesPerUnit":{}}"#),
                    .badRequest, "malformed_rates"
                ),
                (fixing(2, both), .created, "\"version\":2"),
            ] {
                try await client.execute(
                    uri: "/v1/fixings", method: .post, headers: Self.headers("operator"), body: body
                ) { response in
                    #expect(
                        response.status == status && String(buffer: response.body).contains(code),
                        "\(String(buffer: response.body))")
                }
            }
            try await client.execute(uri: "/v1/fixings/current", method: .get, headers: Self.headers("cnBank")) {
                response in
                #expect(String(buffer: response.body).contains("\"version\":2"))
            }
            // A quote: asked by the payer bank (or the operator), used by a payment through its id.
            func quote(_ id: String, payer: String = "BANKBRSP", validity: Int = 60) -> ByteBuffer {
                ByteBuffer(
                    string: #"{"id":"\#(id)","payer":"\#(payer)","payee":"BANKCNBJ","validitySeconds":\#(validity)}"#)
            }
            let quoteID = "0d9e2b6c-1f00-4a00-8000-0000000000d1"
            for (role, body, status) in [
                ("cnBank", quote(quoteID), HTTPResponse.Status.forbidden),
                ("brBank", quote(quoteID, validity: 0), .badRequest),
                ("brBank", quote("nope"), .badRequest), ("brBank", quote(quoteID), .created),
                ("brBank", quote(quoteID), .conflict),
            ] {
                try await client.execute(uri: "/v1/quotes", method: .post, headers: Self.headers(role), body: body) {
                    response in
                    #expect(response.status == status, "\(role): \(String(buffer: response.body))")
                    if status == .created { #expect(String(buffer: response.body).contains("\"fixingVersion\":2")) }
                }
            }
            let quoted = String(buffer: Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000d2"))
                .replacingOccurrences(
                    of: "\"purposeCode\":\"GDDS\"", with: "\"purposeCode\":\"GDDS\",\"quoteId\":\"\(quoteID)\"")
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: Self.headers("brBank"), body: ByteBuffer(string: quoted)
            ) { response in
                #expect(
                    response.status == .created && String(buffer: response.body).contains("\"fixingVersion\":2"),
                    "\(String(buffer: response.body))")
            }
            let badQuote = quoted.replacingOccurrences(of: quoteID, with: "not-a-quote").replacingOccurrences(
                of: "0000000000d2", with: "0000000000d3")
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: Self.headers("brBank"), body: ByteBuffer(string: badQuote)
            ) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("malformed_quote_id"))
            }
            // A set-off run by the operator.
            let run = ByteBuffer(
                string:
                    #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000e1","obligations":[{"id":"0d9e2b6c-1f00-4a00-8000-0000000000e2","debtor":"BANKBRSP","creditor":"SECOBRSP","amount":"1.00"},{"id":"0d9e2b6c-1f00-4a00-8000-0000000000e3","debtor":"SECOBRSP","creditor":"BANKBRSP","amount":"0.60"}]}"#
            )
            try await client.execute(
                uri: "/v1/setoff-runs", method: .post, headers: Self.headers("operator"), body: run
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"totalSetOff\":\"1.20\""))
            }
            // Its result stays readable by the operator only; unknown runs are 404.
            try await client.execute(
                uri: "/v1/setoff-runs/0d9e2b6c-1f00-4a00-8000-0000000000e1", method: .get,
                headers: Self.headers("operator")
            ) { response in
                #expect(
                    response.status == .ok && String(buffer: response.body).contains("\"setOff\":[\"0.60\",\"0.60\"]"),
                    "\(String(buffer: response.body))")
            }
            for (uri, role, status) in [
                ("/v1/setoff-runs/0d9e2b6c-1f00-4a00-8000-0000000000e1", "bra", HTTPResponse.Status.forbidden),
                ("/v1/setoff-runs/0d9e2b6c-1f00-4a00-8000-0000000000e1", "brBank", .forbidden),
                ("/v1/setoff-runs/0d9e2b6c-1f00-4a00-8000-0000000000e9", "operator", .notFound),
                ("/v1/setoff-runs/nope", "operator", .badRequest),
            ] {
                try await client.execute(uri: uri, method: .get, headers: Self.headers(role)) {
                    #expect($0.status == status, "\(uri) \(role)")
                }
            }
            // The statement reconciles, in JSON and in CSV.
            try await client.execute(
                uri: "/v1/statements/BANKBRSP/cycles/1", method: .get, headers: Self.headers("brBank")
            ) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(json?["reconciles"] as? Bool == true)
                #expect(json?["closing"] as? String == "-1000.00")
                #expect((json?["entries"] as? [Any])?.count == 1)
            }
            try await client.execute(
                uri: "/v1/statements/BANKBRSP/cycles/1?format=csv", method: .get, headers: Self.headers("brBank")
            ) { response in
                #expect(String(buffer: response.body).contains("1,BANKBRSP,BRL,closing,,,,,-1000.00"))
            }
            // Metrics count committed payment statuses and responses.
            try await client.execute(uri: "/metrics", method: .get, headers: Self.headers("operator")) { response in
                let text = String(buffer: response.body)
                #expect(
                    text.contains(#"polyclear_payment_status_changes_total{status="accepted"} 1"#)
                        || text.contains(#"polyclear_payment_status_changes_total{status="accepted"}"#))
                #expect(text.contains("polyclear_http_responses_total"))
            }
            // Positions: a bank its own (1), a member its banks and its union position (1 + 1), the operator all (3 + 2).
            for (role, count) in [("operator", 5), ("chn", 2), ("cnBank", 1)] {
                try await client.execute(uri: "/v1/positions", method: .get, headers: Self.headers(role)) { response in
                    let list = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [Any]
                    #expect(list?.count == count, "\(role)")
                }
            }
            // Participants see themselves, members their banks, the operator everyone.
            for (role, count) in [("operator", 3), ("bra", 2), ("brBank", 1)] {
                try await client.execute(uri: "/v1/participants", method: .get, headers: Self.headers(role)) {
                    response in
                    let list = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [Any]
                    #expect(list?.count == count, "\(role)")
                }
            }
        }
    }

    @Test func onlyThePayerOrTheOperatorSubmitsAndBadPaymentsAreRefused() async throws {
        try await Self.withAPI { client, _ in
            let cases: [(String?, ByteBuffer, HTTPResponse.Status, String)] = [
                ("brOther", Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000002"), .forbidden, "forbidden"),
                ("bra", Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000002"), .forbidden, "forbidden"),
                ("brBank", Self.paymentBody(id: "nope"), .badRequest, "malformed_id"),
                (
                    "brBank", Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000003", amount: "10.001"),
                    .badRequest, "malformed_amount"
                ),
                (
                    "brBank", Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000003", payee: "NOTABIC"),
                    .badRequest, "malformed_bic"
                ),
                ("operator", Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000004"), .created, "accepted"),
            ]
            for (role, body, status, marker) in cases {
                try await client.execute(uri: "/v1/payments", method: .post, headers: Self.headers(role), body: body) {
                    response in
                    #expect(response.status == status, "\(role ?? "-") \(marker)")
                    #expect(String(buffer: response.body).contains(marker), "\(String(buffer: response.body))")
                }
            }
            // A batch: one result per item, every item the caller's own.
            let batch = ByteBuffer(
                string: "["
                    + (10..<13).map { index in
                        String(buffer: Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000\(index)"))
                    }.joined(separator: ",") + "]")
            try await client.execute(
                uri: "/v1/payments/batch", method: .post, headers: Self.headers("brBank"), body: batch
            ) { response in
                #expect(response.status == .ok)
                let list = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]
                #expect(list?.count == 3 && list?.allSatisfy { $0["status"] as? String == "accepted" } == true)
                // In order, each with its own amounts (currencies looked up once for the batch).
                #expect(
                    list?.map { $0["id"] as? String } == (10..<13).map { "0d9e2b6c-1f00-4a00-8000-0000000000\($0)" })
                #expect(
                    list?.allSatisfy { $0["payerAmount"] as? String != nil && $0["payeeAmount"] as? String != nil }
                        == true)
            }
            try await client.execute(
                uri: "/v1/payments/batch", method: .post, headers: Self.headers("brOther"), body: batch
            ) {
                #expect($0.status == .forbidden)
            }
            // A rejected payment carries its ISO 20022 reason code.
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: Self.headers("brBank"),
                body: Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000005", payee: "BANKBRSP")
            ) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains("\"statusReasonCode\":\"BE01\""))
            }
        }
    }

    @Test func aCallerBeyondItsRateGets429WithRetryAfter() async throws {
        var limits = ServerLimits()
        (limits.requestsPerSecond, limits.requestBurst) = (0, 3)  // no refill even on a slow machine
        try await Self.withAPI(limits: limits) { client, _ in  // no refill even on a slow machine
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/members", method: .get, headers: Self.headers("brBank")) {
                    #expect($0.status == .ok)
                }
            }
            try await client.execute(uri: "/v1/members", method: .get, headers: Self.headers("brBank")) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "1")
            }
            // Another caller has its own budget.
            try await client.execute(uri: "/v1/members", method: .get, headers: Self.headers("cnBank")) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func anOversizedBodyIsRefused() async throws {
        try await Self.withAPI { client, _ in
            let huge = ByteBuffer(
                string: "[" + String(repeating: " ", count: ServerLimits.default.requestBodyBytesMax) + "]")
            try await client.execute(
                uri: "/v1/payments/batch", method: .post, headers: Self.headers("brBank"), body: huge
            ) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }

    /// The live feed shows each caller only what it may see: another bank's payment never.
    @Test func theEventStreamIsFilteredByCaller() async throws {
        try await Self.withAPI { client, _ in
            let stream = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    try await client.execute(uri: "/v1/events?max=2", method: .get, headers: Self.headers("brOther")) {
                        response in
                        #expect(response.headers[.contentType] == "text/event-stream")
                        return String(buffer: response.body)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(200))  // the stream is open by then
                    try await client.execute(
                        uri: "/v1/payments", method: .post, headers: Self.headers("brBank"),
                        body: Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000b1")
                    ) { #expect($0.status == .created) }
                    try await client.execute(
                        uri: "/v1/payments", method: .post, headers: Self.headers("brOther"),
                        body: Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000b2", payer: "SECOBRSP")
                    ) { #expect($0.status == .created) }
                    return nil
                }
                var body: String?
                for try await result in group where result != nil { body = result }
                return body ?? ""
            }
            #expect(stream.contains("0d9e2b6c-1f00-4a00-8000-0000000000b2"))
            #expect(
                !stream.contains("0d9e2b6c-1f00-4a00-8000-0000000000b1"),
                "another bank's payment leaked into the stream")
            #expect(stream.components(separatedBy: "event: payment_status").count - 1 == 2)
        }
    }

    /// The unit's definition over HTTP, and every operator or central-bank action in the audit
    /// trail with who did it, in order, refusals included; banks' actions are not operator actions.
    @Test func operatorAndCentralBankActionsAreAuditedWithTheirActor() async throws {
        try await Self.withAPI { client, _ in
            for (body, status, code) in [
                (#"{"amountsPerUnit":{"BRL":"1.2","CNY":"0.8"}}"#, HTTPResponse.Status.ok, "\"BRL\":\"1.2\""),
                (#"{"amountsPerUnit":{"BRL":"0"}}"#, .unprocessableContent, "invalid_unit_definition"),
                (#"{"amountsPerUnit":{}}"#, .unprocessableContent, "invalid_unit_definition"),
                (#"{"amountsPerUnit":{"brl!":"1"}}"#, .badRequest, "malformed_amounts"),
                (#"{"amountsPerUnit":{"BRL":"-1"}}"#, .badRequest, "malformed_amounts"),
            ] {
                try await client.execute(
                    uri: "/v1/unit", method: .post, headers: Self.headers("operator"), body: ByteBuffer(string: body)
                ) { response in
                    #expect(
                        response.status == status && String(buffer: response.body).contains(code),
                        "\(body): \(String(buffer: response.body))")
                }
            }
            try await client.execute(uri: "/v1/unit", method: .get, headers: Self.headers("cnBank")) { response in
                let text = String(buffer: response.body)
                #expect(
                    text.contains("\"code\":\"XCU\"") && text.contains("\"CNY\":\"0.8\"")
                        && text.contains("\"fixingVersion\":1"), "\(text)")
            }
            try await client.execute(uri: "/v1/cycles/7/close", method: .post, headers: Self.headers("operator")) {
                #expect($0.status == .conflict)
            }
            try await client.execute(uri: "/v1/cycles/1/close", method: .post, headers: Self.headers("operator")) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/cycles/1/confirm", method: .post, headers: Self.headers("bra")) { _ in }
            try await client.execute(
                uri: "/v1/participants/BANKBRSP/funds", method: .post, headers: Self.headers("bra"),
                body: ByteBuffer(
                    string: #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000f1","amount":"10.00","direction":"in"}"#)
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: Self.headers("brBank"),
                body: Self.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000f2")
            ) { #expect($0.status == .created) }
            struct Page: Decodable {
                struct Record: Decodable { var actor, action, subject, outcome: String }; var records: [Record];
                var next: Int?
            }
            var seen: [String] = []
            var after = 0
            while true {  // two records per page: the cursor is exercised
                let page = try await client.execute(
                    uri: "/v1/audit?limit=2&after=\(after)", method: .get, headers: Self.headers("operator")
                ) { response in
                    try JSONDecoder().decode(Page.self, from: Data(buffer: response.body))
                }
                seen += page.records.map { "\($0.actor) \($0.action) \($0.subject) \($0.outcome)" }
                guard let next = page.next else { break }
                after = next
            }
            #expect(
                seen == [
                    "operator:ops define_unit BRL,CNY ok",
                    "operator:ops define_unit BRL invalid_unit_definition",
                    "operator:ops define_unit  invalid_unit_definition",
                    "operator:ops close_cycle cycle 7 cycle_not_open",
                    "operator:ops close_cycle cycle 1 ok",
                    "member:BRA confirm_settlement cycle 1 BRA cycle_not_settling",  // an empty cycle settles at close
                    "member:BRA request_funds_in 0d9e2b6c-1f00-4a00-8000-0000000000f1 BANKBRSP ok",
                ], "\(seen)")
        }
    }
}
