import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Crypto
import PolyclearCore
import Testing

/// Administering and governing the union over the API: members and participants, members'
/// caps, proposals and votes, maker–checker, hub-managed API keys, the overview and member
/// statements — each by its role only.
@Suite struct GovernanceRoutesTests {
    typealias T = APITests

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    static func governed(approvals: [ApprovalAction] = [.screeningList]) -> [HubCommand] {
        var rules = GovernanceRules()
        rules.approvalRequired = approvals
        return [.setGovernanceRules(rules)]
    }

    @Test func everyNewRouteAnswersEveryRoleAsAgreed() async throws {
        try await T.withAPI(extraSetup: Self.governed()) { client, _ in
            let key = "0d9e2b6c-1f00-4a00-8000-0000000000e1"
            let table: [(String, HTTPRequest.Method, String?, HTTPResponse.Status)] = [
                ("/v1/members", .post, "bra", .forbidden), ("/v1/members", .post, "brBank", .forbidden),
                ("/v1/members", .post, "operator", .badRequest), ("/v1/members", .post, nil, .unauthorized),
                ("/v1/members/BRA", .patch, "bra", .forbidden), ("/v1/members/BRA", .patch, "operator", .badRequest),
                ("/v1/participants", .post, "chn", .forbidden), ("/v1/participants", .post, "operator", .badRequest),
                ("/v1/participants/BANKBRSP", .patch, "brBank", .forbidden),
                ("/v1/participants/BANKBRSP", .patch, "chn", .notFound),
                ("/v1/participants/BANKBRSP", .patch, "bra", .badRequest),
                ("/v1/participants/BANKBRSP", .patch, "operator", .badRequest),
                ("/v1/proposals", .get, "operator", .ok), ("/v1/proposals", .get, "chn", .ok),
                ("/v1/proposals", .get, "brBank", .forbidden), ("/v1/proposals", .post, "brBank", .forbidden),
                ("/v1/proposals", .post, "bra", .badRequest), ("/v1/proposals/1", .get, "bra", .notFound),
                ("/v1/proposals/1/votes", .post, "operator", .forbidden),
                ("/v1/proposals/1/votes", .post, "cnBank", .forbidden),
                ("/v1/proposals/1/votes", .post, "bra", .badRequest),
                ("/v1/approvals", .get, "operator", .ok), ("/v1/approvals", .get, "bra", .forbidden),
                ("/v1/approvals/1/approve", .post, "bra", .forbidden),
                ("/v1/approvals/1/approve", .post, "operator", .notFound),
                ("/v1/approvals/1/decline", .post, "brBank", .forbidden),
                ("/v1/api-keys", .get, "operator", .ok), ("/v1/api-keys", .get, "bra", .ok),
                ("/v1/api-keys", .get, "brBank", .forbidden), ("/v1/api-keys", .post, "cnBank", .forbidden),
                ("/v1/api-keys", .post, "operator", .badRequest),
                ("/v1/api-keys/\(key)/rotate", .post, "brBank", .forbidden),
                ("/v1/api-keys/\(key)", .delete, "operator", .notFound),
                ("/v1/api-keys/not-a-uuid", .delete, "operator", .badRequest),
                ("/v1/union/overview", .get, "operator", .ok), ("/v1/union/overview", .get, "chn", .ok),
                ("/v1/union/overview", .get, "brBank", .forbidden),
                ("/v1/cycles/1/union-overview", .get, "operator", .notFound),
                ("/v1/cycles/1/union-overview", .get, "cnBank", .forbidden),
                ("/v1/members/BRA/statements/1", .get, "brBank", .forbidden),
                ("/v1/members/BRA/statements/1", .get, "bra", .notFound),
                ("/v1/settings/imbalance-rules", .put, "bra", .forbidden),
                ("/v1/settings/imbalance-rules", .put, "operator", .badRequest),
                ("/v1/year-end", .post, "brBank", .forbidden), ("/v1/year-end", .post, "chn", .forbidden),
                ("/v1/year-end", .post, "operator", .ok),
                ("/v1/fixings/computed", .post, "bra", .forbidden),
                ("/v1/trade-statistics", .get, "operator", .ok), ("/v1/trade-statistics", .get, "chn", .ok),
                ("/v1/trade-statistics", .get, "cnBank", .forbidden),
                ("/v1/trade-statistics", .get, nil, .unauthorized),
                ("/v1/payments/\(key)/fulfil", .post, "operator", .notFound),
                ("/v1/settings/queue-policy", .put, "bra", .forbidden),
                ("/v1/settings/queue-policy", .put, "operator", .badRequest),
                // Deliveries: the bank itself only.
                ("/v1/outbox", .get, "brBank", .ok), ("/v1/outbox", .get, "operator", .forbidden),
                ("/v1/outbox", .get, "bra", .forbidden), ("/v1/outbox", .get, nil, .unauthorized),
                ("/v1/outbox/acknowledge", .post, "brBank", .badRequest),
                ("/v1/outbox/acknowledge", .post, "operator", .forbidden),
                ("/v1/delivery-endpoint", .get, "cnBank", .ok), ("/v1/delivery-endpoint", .get, "chn", .forbidden),
                ("/v1/delivery-endpoint", .put, "cnBank", .badRequest),
                ("/v1/delivery-endpoint", .put, "operator", .forbidden),
                ("/v1/delivery-endpoint", .delete, "cnBank", .ok),
                ("/v1/delivery-endpoint", .delete, "bra", .forbidden),
                // Recalls: the payer's bank asks, the payee's answers; unknown ones are 404.
                ("/v1/payments/\(key)/recall", .post, "brBank", .notFound),
                ("/v1/payments/\(key)/recalls", .get, "operator", .notFound),
                ("/v1/recalls/\(key)", .get, "operator", .notFound),
                ("/v1/recalls/not-a-uuid", .get, "operator", .badRequest),
                ("/v1/recalls/\(key)/accept", .post, "cnBank", .notFound),
                ("/v1/recalls/\(key)/reject", .post, "cnBank", .badRequest),
                ("/v1/recalls/\(key)", .get, nil, .unauthorized),
                ("/v1/retention/run", .post, "operator", .ok), ("/v1/retention/run", .post, "bra", .forbidden),
                ("/v1/retention/run", .post, "brBank", .forbidden),
            ]
            for (uri, method, role, expected) in table {
                try await client.execute(uri: uri, method: method, headers: T.headers(role)) { response in
                    #expect(response.status == expected, "\(method) \(uri) as \(role ?? "nobody")")
                }
            }
        }
    }

    static let rules = #"""
        {"quotaMode":"settle","settlementAsset":"XDR","chargeDisposition":"redistribute","chargedSides":"both",
         "creditorExcessAtYearEnd":"kept","charges":[{"thresholdPercentOfQuota":25,"annualRateBasisPoints":100}],
         "debtorTranches":[{"upToPercentOfQuota":100,"settledPercent":40}],"creditorTranches":[],
         "alarmPercentOfQuota":50,"alarmCycles":3}
        """#

    @Test func imbalanceRulesAreTheOperatorsOnlyWithoutGovernance() async throws {
        try await T.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/settings/imbalance-rules", method: .put, headers: T.headers("operator"),
                body: Self.body(Self.rules)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(String(buffer: response.body).contains(#""settlementAsset":"XDR""#))
            }
            try await client.execute(
                uri: "/v1/settings/imbalance-rules", method: .put, headers: T.headers("operator"),
                body: Self.body(
                    Self.rules.replacingOccurrences(of: "\"alarmCycles\":3", with: "\"alarmCycles\":3,\"x\":1"))
            ) { #expect($0.status == .badRequest && String(buffer: $0.body).contains("unknown_field")) }
            try await client.execute(
                uri: "/v1/settings/imbalance-rules", method: .put, headers: T.headers("operator"),
                body: Self.body(
                    Self.rules.replacingOccurrences(of: "\"settledPercent\":40", with: "\"settledPercent\":400"))
            ) {
                #expect(
                    $0.status == .unprocessableContent && String(buffer: $0.body).contains("invalid_imbalance_rules"))
            }
            // Without governance rules there is nothing to propose.
            try await client.execute(
                uri: "/v1/proposals", method: .post, headers: T.headers("bra"),
                body: Self.body(#"{"change":{"kind":"set_quota","member":"CHN","quota":"1"},"votingSeconds":3600}"#)
            ) { #expect($0.status == .conflict && String(buffer: $0.body).contains("no_governance_rules")) }
        }
        try await T.withAPI(extraSetup: Self.governed()) { client, _ in
            try await client.execute(
                uri: "/v1/settings/imbalance-rules", method: .put, headers: T.headers("operator"),
                body: Self.body(Self.rules)
            ) { #expect($0.status == .forbidden && String(buffer: $0.body).contains("proposal_required")) }
            let proposal =
                #"{"change":{"kind":"set_imbalance_rules","imbalanceRules":\#(Self.rules)},"votingSeconds":60}"#
            try await client.execute(
                uri: "/v1/proposals", method: .post, headers: T.headers("operator"), body: Self.body(proposal)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                #expect(String(buffer: response.body).contains(#""kind":"set_imbalance_rules""#))
            }
        }
    }

    @Test func theOperatorOnboardsAndAMemberSetsItsOwnBanksCaps() async throws {
        try await T.withAPI { client, _ in
            for (uri, method, role, text, status, contains) in [
                (
                    "/v1/members", HTTPRequest.Method.post, "operator",
                    #"{"id":"IND","name":"Reserve Bank of India","currency":"INR","quota":"5000.0000"}"#,
                    HTTPResponse.Status.created, #""quota":"5000.0000""#
                ),
                (
                    "/v1/members", .post, "operator", #"{"id":"IND","name":"Again","currency":"INR","quota":"1"}"#,
                    .conflict, "member_exists"
                ),
                (
                    "/v1/members", .post, "operator", #"{"id":"IDN","name":"BI","currency":"IDR","quota":"1","x":1}"#,
                    .badRequest, "unknown_field"
                ),
                ("/v1/members/IND", .patch, "operator", #"{"quota":"-1"}"#, .badRequest, "malformed_amount"),
                ("/v1/members/IND", .patch, "operator", #"{"status":"suspended"}"#, .ok, #""status":"suspended""#),
                ("/v1/members/FRA", .patch, "operator", #"{"quota":"1"}"#, .conflict, "member_not_found"),
                (
                    "/v1/participants", .post, "operator",
                    #"{"bic":"BANKINBB","name":"Bank IN","member":"IND","netDebitCap":"1000.00"}"#, .created,
                    #""netDebitCap":"1000.00""#
                ),
                (
                    "/v1/participants", .post, "operator",
                    #"{"bic":"BANKCNBX","name":"Bank","member":"IND","netDebitCap":"1"}"#, .unprocessableContent,
                    "participant_country_not_member_country"
                ),
                ("/v1/participants/BANKBRSP", .patch, "bra", #"{"netDebitCap":"500.00"}"#, .ok, #""500.00""#),
                (
                    "/v1/participants/BANKBRSP", .patch, "bra", #"{"netDebitCap":"1000000.01"}"#, .conflict,
                    "cap_above_ceiling"
                ),
                ("/v1/participants/BANKBRSP", .patch, "chn", #"{"netDebitCap":"1"}"#, .notFound, "not_found"),
                ("/v1/participants/SECOBRSP", .patch, "bra", #"{"status":"suspended"}"#, .ok, #""suspended""#),
                (
                    "/v1/settings/queue-policy", .put, "operator", #"{"queuedAtCycleEnd":"return_to_payer"}"#, .ok,
                    #""queuePolicy":"return_to_payer""#
                ),
            ] {
                try await client.execute(uri: uri, method: method, headers: T.headers(role), body: Self.body(text)) {
                    response in
                    let answer = String(buffer: response.body)
                    #expect(response.status == status && answer.contains(contains), "\(method) \(uri): \(answer)")
                }
            }
            try await client.execute(uri: "/v1/audit", method: .get, headers: T.headers("operator")) { response in
                let audit = String(buffer: response.body)
                let records = Self.json(response)["records"] as? [[String: Any]] ?? []
                #expect(
                    records.contains {
                        $0["actor"] as? String == "member:BRA" && $0["action"] as? String == "update_participant"
                            && $0["outcome"] as? String == "cap_above_ceiling"
                    }, "\(audit)")
            }
        }
    }

    @Test func membersProposeAndVoteAndTheOperatorAloneCannotChangeAQuota() async throws {
        try await T.withAPI(extraSetup: Self.governed()) { client, _ in
            try await client.execute(
                uri: "/v1/members/CHN", method: .patch, headers: T.headers("operator"),
                body: Self.body(#"{"quota":"1"}"#)
            ) { #expect($0.status == .forbidden && String(buffer: $0.body).contains("proposal_required")) }
            let proposal = #"{"change":{"kind":"set_quota","member":"CHN","quota":"123456.0000"},"votingSeconds":3600}"#
            try await client.execute(
                uri: "/v1/proposals", method: .post, headers: T.headers("bra"), body: Self.body(proposal)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                #expect(Self.json(response)["number"] as? Int == 1)
                #expect(Self.json(response)["status"] as? String == "open")
            }
            // Strict one-field bodies: another key is refused, the vote not counted.
            for (uri, method, text) in [
                ("/v1/proposals/1/votes", HTTPRequest.Method.post, #"{"vote":"yes","weight":100}"#),
                ("/v1/settings/queue-policy", .put, #"{"queuedAtCycleEnd":"carry_over","now":true}"#),
            ] {
                let role = method == .put ? "operator" : "bra"
                try await client.execute(uri: uri, method: method, headers: T.headers(role), body: Self.body(text)) {
                    #expect($0.status == .badRequest && String(buffer: $0.body).contains("unknown_field"))
                }
            }
            for (role, vote, status, contains) in [
                ("chn", "yes", HTTPResponse.Status.forbidden, "voter_not_eligible"),  // the subject
                ("bra", "maybe", .badRequest, "malformed_vote"),
                ("bra", "yes", .ok, #""status":"applied""#),  // the only eligible member: passes, applied now
                ("bra", "no", .conflict, "voting_closed"),
            ] {
                try await client.execute(
                    uri: "/v1/proposals/1/votes", method: .post, headers: T.headers(role),
                    body: Self.body(#"{"vote":"\#(vote)"}"#)
                ) { response in
                    #expect(
                        response.status == status && String(buffer: response.body).contains(contains),
                        "\(role) \(vote): \(String(buffer: response.body))")
                }
            }
            try await client.execute(
                uri: "/v1/proposals/9/votes", method: .post, headers: T.headers("bra"),
                body: Self.body(#"{"vote":"yes"}"#)
            ) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/members", method: .get, headers: T.headers("brBank")) { response in
                #expect(String(buffer: response.body).contains(#""quota":"123456.0000""#))
            }
            for (text, code) in [
                (
                    #"{"change":{"kind":"set_quota","member":"FRA","quota":"1"},"votingSeconds":3600}"#,
                    "member_not_found"
                ),
                (
                    #"{"change":{"kind":"set_quota","member":"CHN","quota":"1"},"votingSeconds":5}"#,
                    "invalid_proposal_times"
                ),
                (#"{"change":{"kind":"raise_taxes"},"votingSeconds":3600}"#, "malformed_change"),
                (#"{"change":{"kind":"set_quota","member":"CHN"},"votingSeconds":3600}"#, "missing_field"),
                // A field of another kind of change (Schemathesis: an unchecked, malformed basket
                // rode along with an admission and was accepted).
                (
                    #"{"change":{"kind":"set_quota","member":"CHN","quota":"1","basket":{"EUR":"1*"}},"votingSeconds":3600}"#,
                    "unexpected_field"
                ),
                (
                    #"{"change":{"kind":"define_unit","basket":{"EUR":"1"},"member":"CHN"},"votingSeconds":3600}"#,
                    "unexpected_field"
                ),
            ] {
                try await client.execute(
                    uri: "/v1/proposals", method: .post, headers: T.headers("operator"), body: Self.body(text)
                ) { #expect(String(buffer: $0.body).contains(code), "\(String(buffer: $0.body))") }
            }
        }
    }

    @Test func aScreeningListChangeWaitsForASecondOperator() async throws {
        try await T.withAPI(extraSetup: Self.governed()) { client, _ in
            let list = #"{"names":["Other"],"bics":[],"countries":[]}"#
            try await client.execute(
                uri: "/v1/settings/screening-list", method: .put, headers: T.headers("operator"), body: Self.body(list)
            ) { response in
                #expect(response.status == .accepted)
                #expect(Self.json(response)["status"] as? String == "pending")
                #expect(Self.json(response)["maker"] as? String == "ops")
            }
            try await client.execute(uri: "/v1/approvals/1/approve", method: .post, headers: T.headers("operator")) {
                #expect($0.status == .forbidden && String(buffer: $0.body).contains("approval_by_same_operator"))
            }
            try await client.execute(uri: "/v1/approvals/1/approve", method: .post, headers: T.headers("operator2")) {
                response in
                #expect(response.status == .ok)
                #expect(Self.json(response)["outcome"] as? String == "ok")
            }
            try await client.execute(uri: "/v1/approvals/1/decline", method: .post, headers: T.headers("operator2")) {
                #expect($0.status == .conflict)
            }
            try await client.execute(uri: "/v1/settings", method: .get, headers: T.headers("operator")) { response in
                #expect(String(buffer: response.body).contains(#""names":["Other"]"#))
            }
            // A payment of the listed bank is held; refused with a reason that the trail keeps.
            let id = "0d9e2b6c-1f00-4a00-8000-0000000000e7"
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: T.headers("brOther"),
                body: T.paymentBody(id: id, payer: "SECOBRSP")
            ) { #expect(String(buffer: $0.body).contains(#""status":"held""#)) }
            try await client.execute(
                uri: "/v1/payments/\(id)/refuse", method: .post, headers: T.headers("operator"),
                body: Self.body(#"{"reason":"sanctions match confirmed\u0007"}"#)
            ) { #expect($0.status == .badRequest) }
            try await client.execute(
                uri: "/v1/payments/\(id)/refuse", method: .post, headers: T.headers("operator"),
                body: Self.body(#"{"reason":"sanctions match confirmed"}"#)
            ) { #expect(String(buffer: $0.body).contains(#""status":"rejected""#)) }
            try await client.execute(uri: "/v1/audit", method: .get, headers: T.headers("operator")) { response in
                #expect(String(buffer: response.body).contains(": sanctions match confirmed"))
            }
        }
    }

    @Test func keysAreIssuedRotatedAndRevokedAndWorkOnlyWhileValid() async throws {
        try await T.withAPI { client, _ in
            func issue(_ role: String, _ holder: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                try await client.execute(
                    uri: "/v1/api-keys", method: .post, headers: T.headers(role),
                    body: Self.body(#"{"holder":"\#(holder)"}"#)
                ) { ($0.status, Self.json($0)) }
            }
            func status(_ secret: String) async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/v1/payments", method: .get, headers: [.authorization: "Bearer \(secret)"]
                ) { $0.status }
            }
            #expect(try await issue("bra", "participant:BANKCNBJ").0 == .forbidden)
            #expect(try await issue("bra", "member:BRA").0 == .forbidden)
            #expect(try await issue("operator", "operator:eve").0 == .badRequest)
            let (issued, first) = try await issue("bra", "participant:BANKBRSP")
            #expect(issued == .created)
            let secret = try #require(first["secret"] as? String), id = try #require(first["id"] as? String)
            #expect(try await status(secret) == .ok)
            try await client.execute(uri: "/v1/api-keys", method: .get, headers: T.headers("chn")) { response in
                #expect(!String(buffer: response.body).contains(id))  // another member's bank
            }
            try await client.execute(uri: "/v1/api-keys", method: .get, headers: T.headers("bra")) { response in
                #expect(String(buffer: response.body).contains(id) && !String(buffer: response.body).contains(secret))
            }
            let rotated = try await client.execute(
                uri: "/v1/api-keys/\(id)/rotate", method: .post, headers: T.headers("bra"),
                body: Self.body(#"{"overlapSeconds":0}"#)
            ) { Self.json($0) }
            let newSecret = try #require(rotated["secret"] as? String), newID = try #require(rotated["id"] as? String)
            #expect(try await status(secret) == .unauthorized)  // no overlap: the old key stops at once
            #expect(try await status(newSecret) == .ok)
            try await client.execute(uri: "/v1/api-keys/\(newID)", method: .delete, headers: T.headers("chn")) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/api-keys/\(newID)", method: .delete, headers: T.headers("operator")) {
                #expect($0.status == .ok && String(buffer: $0.body).contains(#""valid":false"#))
            }
            #expect(try await status(newSecret) == .unauthorized)
        }
    }

    @Test func membersReadTheOverviewAndTheirOwnStatements() async throws {
        try await T.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: T.headers("brBank"),
                body: T.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000e9")
            ) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/union/overview", method: .get, headers: T.headers("chn")) { response in
                let rows = Self.json(response)["members"] as? [[String: Any]] ?? []
                #expect(rows.count == 2)
                let bra = rows.first { $0["member"] as? String == "BRA" }
                #expect((bra?["position"] as? String)?.hasPrefix("-") == true)
            }
            try await client.execute(uri: "/v1/cycles/1/close", method: .post, headers: T.headers("operator")) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/members/BRA/statements/1", method: .get, headers: T.headers("bra")) {
                response in
                let statement = Self.json(response)
                #expect(statement["reconciles"] as? Bool == true)
                #expect((statement["entries"] as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/v1/members/BRA/statements/1", method: .get, headers: T.headers("chn")) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/v1/members/BRA/statements/1?format=csv", method: .get, headers: T.headers("operator")
            ) { #expect(String(buffer: $0.body).hasPrefix("cycle,member,timestamp,kind,reference,amount\n1,BRA,")) }
            try await client.execute(uri: "/v1/cycles/1/union-overview", method: .get, headers: T.headers("bra")) {
                #expect(String(buffer: $0.body).contains("\n1,BRA,BRL,"))
            }
        }
    }
}

/// A fixing the hub computes from the unit's basket and a day of ECB reference rates.
@Suite struct ComputedFixingTests {
    typealias T = APITests

    /// The lines of an ECB `eurofxref` file.
    static let ecbDay = #"["Date, USD, BRL, CNY, ","30 October 2026, 1.1172, 6.0692, 7.9519, "]"#

    static func request(version: Int, rates: String = ecbDay, extra: String = "") -> ByteBuffer {
        ByteBuffer(string: #"{"version":\#(version),"effectiveFrom":1,"referenceRates":\#(rates)\#(extra)}"#)
    }

    @Test func theHubComputesTheFixingFromTheBasketTheIMFWay() async throws {
        try await T.withAPI { client, _ in
            // No basket yet: nothing to compute from.
            try await client.execute(
                uri: "/v1/fixings/computed", method: .post, headers: T.headers("operator"),
                body: Self.request(version: 2)
            ) {
                #expect(
                    $0.status == .conflict && String(buffer: $0.body).contains("no_unit_definition"),
                    "\(String(buffer: $0.body))")
            }
        }
        let basket: CurrencyAmounts = [
            CurrencyCode("BRL")!: DecimalNumber("0.5")!, CurrencyCode("CNY")!: DecimalNumber("2.5")!,
        ]
        try await T.withAPI(extraSetup: [.defineUnit(amountsPerUnit: basket)]) { client, _ in
            try await client.execute(
                uri: "/v1/fixings/computed", method: .post, headers: T.headers("bra"), body: Self.request(version: 2)
            ) { #expect($0.status == .forbidden) }
            for (body, status, code) in [
                (
                    Self.request(version: 2, rates: #"["not rates"]"#), HTTPResponse.Status.badRequest,
                    "malformed_reference_rates"
                ),
                (
                    Self.request(version: 2, extra: #","effectiveDate":"2026-11-30""#), .unprocessableContent,
                    "fixing_not_computable"
                ),
                (Self.request(version: 2, extra: #","colour":"red""#), .badRequest, "unknown_field"),
                (Self.request(version: 1), .conflict, "fixing_version_not_increasing"),
            ] {
                try await client.execute(
                    uri: "/v1/fixings/computed", method: .post, headers: T.headers("operator"), body: body
                ) {
                    #expect($0.status == status && String(buffer: $0.body).contains(code), "\(String(buffer: $0.body))")
                }
            }
            // V = 0.5/6.0692 + 2.5/7.9519 EUR = 0.3967734… → 0.396773; BRL per unit = V × 6.0692 =
            // 2.4080946… → 2.40809 (six significant digits, half-even), CNY: 3.1550992… → 3.15510.
            try await client.execute(
                uri: "/v1/fixings/computed", method: .post, headers: T.headers("operator"),
                body: Self.request(version: 2)
            ) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .created, "\(text)")
                #expect(text.contains(#""BRL":"2.40809""#) && text.contains(#""CNY":"3.1551""#), "\(text)")
            }
        }
    }
}

/// A trade-conditional payment over the JSON API: reserved on submission, booked only when the
/// payee bank presents the document whose SHA-256 it names.
@Suite struct ConditionalPaymentRoutesTests {
    typealias T = APITests

    @Test func onlyThePayeeBanksMatchingDocumentBooksIt() async throws {
        let document = Data("BILL OF LADING No. 7 — 40 containers, Santos to Shanghai".utf8)
        let sha256 = SHA256.hash(data: document).map { String(format: "%02x", $0) }.joined()
        let id = "0d9e2b6c-1f00-4a00-8000-0000000000c7"
        try await T.withAPI { client, _ in
            for (condition, status) in [
                (#"{"sha256":"abc","expiresInSeconds":600}"#, HTTPResponse.Status.badRequest),
                (#"{"sha256":"\#(sha256)","expiresInSeconds":0}"#, .badRequest),
            ] {
                let body = String(buffer: T.paymentBody(id: id)).dropLast() + #","condition":\#(condition)}"#
                try await client.execute(
                    uri: "/v1/payments", method: .post, headers: T.headers("brBank"),
                    body: ByteBuffer(string: String(body))
                ) { #expect($0.status == status && String(buffer: $0.body).contains("malformed_condition")) }
            }
            let body =
                String(buffer: T.paymentBody(id: id)).dropLast()
                + #","condition":{"sha256":"\#(sha256.uppercased())","expiresInSeconds":600}}"#
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: T.headers("brBank"), body: ByteBuffer(string: String(body))
            ) { response in
                #expect(response.status == .created)
                #expect(
                    String(buffer: response.body).contains(#""status":"reserved""#), "\(String(buffer: response.body))")
                #expect(String(buffer: response.body).contains(sha256))
            }
            func fulfil(_ role: String, _ bytes: Data) -> (String, HTTPFields, ByteBuffer) {
                (
                    "/v1/payments/\(id)/fulfil", T.headers(role),
                    ByteBuffer(string: #"{"document":"\#(bytes.base64EncodedString())"}"#)
                )
            }
            for (role, bytes, status, code) in [
                ("cnBank", Data("a forged bill".utf8), HTTPResponse.Status.conflict, "condition_not_met"),
                ("brBank", document, .forbidden, "forbidden"),  // the payer cannot fulfil
                ("brOther", document, .notFound, "not_found"),  // nor a bank that cannot see it
                ("operator", document, .forbidden, "forbidden"),
            ] {
                let (uri, headers, body) = fulfil(role, bytes)
                try await client.execute(uri: uri, method: .post, headers: headers, body: body) {
                    #expect(
                        $0.status == status && String(buffer: $0.body).contains(code),
                        "\(role): \(String(buffer: $0.body))")
                }
            }
            try await client.execute(uri: "/v1/payments/\(id)/commit", method: .post, headers: T.headers("cnBank")) {
                #expect($0.status == .conflict && String(buffer: $0.body).contains("condition_not_met"))
            }
            try await client.execute(
                uri: "/v1/payments/\(id)/fulfil", method: .post, headers: T.headers("cnBank"),
                body: ByteBuffer(string: #"{"document":"not base64!"}"#)
            ) { #expect($0.status == .badRequest && String(buffer: $0.body).contains("malformed_document")) }
            let (uri, headers, presented) = fulfil("cnBank", document)
            try await client.execute(uri: uri, method: .post, headers: headers, body: presented) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""status":"accepted""#))
                #expect(String(buffer: response.body).contains(#""fulfilledAt":"#))
            }
            try await client.execute(uri: "/v1/audit", method: .get, headers: T.headers("operator")) { response in
                let audit = String(buffer: response.body)
                // Three presentations: the forged one, the payer's, the payee's real one.
                #expect(audit.components(separatedBy: "fulfil_condition").count - 1 == 3, "\(audit)")
                #expect(audit.contains(#""outcome":"condition_not_met""#))
                #expect(audit.contains("on condition sha256 \(sha256)"))
            }
            // The payee bank's statement shows the condition and when it was met.
            try await client.execute(uri: "/v1/cycles/1/close", method: .post, headers: T.headers("operator")) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: "/v1/statements/BANKCNBJ/cycles/1", method: .get, headers: T.headers("cnBank")
            ) {
                response in
                let statement = String(buffer: response.body)
                #expect(statement.contains(#""condition":{"#) && statement.contains(sha256), "\(statement)")
                #expect(statement.contains(#""invoiceNumber":"INV-1""#))
            }
        }
    }
}

/// Trade statistics over the API: flows by purpose and HS code, per period, by role.
@Suite struct TradeStatisticsRoutesTests {
    typealias T = APITests

    @Test func centralBanksDownloadTheirTradeFlows() async throws {
        try await T.withAPI { client, _ in
            for (index, hs) in ["850440", "850490", "100630", nil].enumerated() {
                var text = String(buffer: T.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000001a\(index)"))
                if let hs { text = String(text.dropLast()) + #","hsCode":"\#(hs)"}"# }
                try await client.execute(
                    uri: "/v1/payments", method: .post, headers: T.headers("brBank"), body: ByteBuffer(string: text)
                ) { #expect(String(buffer: $0.body).contains(#""status":"accepted""#)) }
            }
            try await client.execute(uri: "/v1/cycles/1/close", method: .post, headers: T.headers("operator")) {
                #expect($0.status == .ok)
            }
            func get(_ query: String, _ role: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/v1/trade-statistics\(query)", method: .get, headers: T.headers(role)) {
                    ($0.status, String(buffer: $0.body))
                }
            }
            let (status, body) = try await get("?cycle=1", "chn")  // the payee's central bank sees it too
            #expect(status == .ok)
            let rows =
                (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["rows"] as? [[String: Any]]
            // 850440 and 850490 share heading 8504; 100630 is 1006; one payment named no code.
            #expect(rows?.count == 3, "\(body)")
            #expect(rows?.first { $0["hsHeading"] as? String == "8504" }?["count"] as? Int == 2)
            #expect(rows?.first { $0["hsHeading"] as? String == "1006" }?["payerAmount"] as? String == "1000.00")
            #expect(rows?.filter { $0["hsHeading"] == nil }.count == 1)
            #expect(
                rows?.allSatisfy { $0["payerMember"] as? String == "BRA" && $0["payeeMember"] as? String == "CHN" }
                    == true)
            let (_, chapters) = try await get("?cycle=1&by=chapter&format=csv", "bra")
            #expect(chapters.hasPrefix("period,payer_member,payee_member,purpose_code,hs_chapter,hs_heading,count,"))
            #expect(chapters.contains("cycle 1,BRA,CHN,GDDS,85,,2,2000.00,BRL,"), "\(chapters)")
            #expect(chapters.contains("cycle 1,BRA,CHN,GDDS,10,,1,1000.00,BRL,"), "\(chapters)")
            let (_, purposes) = try await get("?by=purpose&format=csv", "operator")
            #expect(purposes.contains("all,BRA,CHN,GDDS,,,4,4000.00,BRL,"), "\(purposes)")
            for (query, role, expected) in [
                ("", "brBank", HTTPResponse.Status.forbidden), ("?cycle=1&month=2026-12", "operator", .badRequest),
                ("?month=2026-13", "operator", .badRequest), ("?year=26", "operator", .badRequest),
                ("?by=country", "operator", .badRequest), ("?cycle=0", "operator", .badRequest),
            ] {
                #expect(try await get(query, role).0 == expected, "\(query) as \(role)")
            }
            let (_, later) = try await get("?year=1999", "operator")
            #expect(later.contains(#""rows":[]"#))
        }
    }
}
