import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import PolyclearCore
import PolyclearTestSupport
import Synchronization
@testable import PolyclearServer
import Testing

/// Issue 14's classes of bug on every route that has them: the zero id refused wherever an id
/// is taken, every enumeration read strictly.
@Suite struct StrictInputTests {
    static let zero = HostileInputTests.zero

    /// The zero id on every other route that takes an id, in its path or its body (each body
    /// otherwise valid, each caller one the route serves): always 400 `malformed_id` (or the
    /// field's own code), never a lookup.
    @Test func theZeroUUIDIsMalformedOnEveryOtherIdRoute() async throws {
        let zero = Self.zero
        let okID = "0d9e2b6c-1f00-4a00-8000-0000000000e1"
        let cases: [(HTTPRequest.Method, String, String, String?, String)] = [
            (.post, "/v1/payments/\(zero)/commit", "cnBank", nil, "malformed_id"),
            (.post, "/v1/payments/\(zero)/reject", "cnBank", nil, "malformed_id"),
            (.post, "/v1/payments/\(zero)/release", "operator", nil, "malformed_id"),
            (.post, "/v1/payments/\(zero)/refuse", "operator", #"{"reason":"listed"}"#, "malformed_id"),
            (.post, "/v1/payments/\(zero)/recall", "brBank", #"{"reason":"DUPL"}"#, "malformed_id"),
            (.get, "/v1/payments/\(zero)/recalls", "brBank", nil, "malformed_id"),
            (.post, "/v1/payments/\(zero)/fulfil", "cnBank", #"{"document":"AA=="}"#, "malformed_id"),
            (.get, "/v1/recalls/\(zero)", "brBank", nil, "malformed_id"),
            (.post, "/v1/recalls/\(zero)/accept", "cnBank", nil, "malformed_id"),
            (.post, "/v1/recalls/\(zero)/reject", "cnBank", #"{"reason":"NOOR"}"#, "malformed_id"),
            (.post, "/v1/api-keys/\(zero)/rotate", "operator", #"{"overlapSeconds":0}"#, "malformed_id"),
            (.delete, "/v1/api-keys/\(zero)", "operator", nil, "malformed_id"),
            (
                .post, "/v1/quotes", "brBank", #"{"id":"\#(zero)","payer":"BANKBRSP","payee":"BANKCNBJ"}"#,
                "malformed_id"
            ),
            (
                .post, "/v1/participants/BANKBRSP/funds", "bra",
                #"{"id":"\#(zero)","amount":"10.00","direction":"in"}"#, "malformed_id"
            ),
            (
                .post, "/v1/setoff-runs", "operator",
                #"{"id":"\#(zero)","obligations":[{"id":"\#(okID)","debtor":"BANKBRSP","creditor":"SECOBRSP","amount":"1.00"}]}"#,
                "malformed_id"
            ),
            (
                .post, "/v1/setoff-runs", "operator",
                #"{"id":"\#(okID)","obligations":[{"id":"\#(zero)","debtor":"BANKBRSP","creditor":"SECOBRSP","amount":"1.00"}]}"#,
                "malformed_obligation"
            ),
        ]
        try await APITests.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000e2")
            ) { #expect($0.status == .created) }
            for (method, uri, role, body, code) in cases {
                try await HostileInputTests.expect(
                    client, method, uri, role: role, body: body, status: .badRequest, code: code)
            }
        }
    }

    /// Every other enumeration a request carries is read strictly too: a status, a queue
    /// policy, a key's holder, each choice in imbalance and governance rules — a near miss is a
    /// 400 with the field's code, never a default.
    @Test func everyOtherEnumerationIsReadStrictly() async throws {
        let rules = GovernanceRoutesTests.rules
        let governance =
            #"{"yesQuotaPercentMin":50,"yesMembersPercentAbove":50,"proposers":"members","subjectExcludedFromVote":true,"votingSecondsMin":60,"votingSecondsMax":600,"approvalRequired":["participant_cap"],"heldReleaseApprovalAbove":"100.0000"}"#
        let cases: [(HTTPRequest.Method, String, String, String, String)] = [
            (.patch, "/v1/members/BRA", "operator", #"{"status":"Active"}"#, "malformed_status"),
            (.patch, "/v1/participants/BANKBRSP", "bra", #"{"status":"frozen"}"#, "malformed_status"),
            (.put, "/v1/settings/queue-policy", "operator", #"{"queuedAtCycleEnd":"CARRY_OVER"}"#, "malformed_policy"),
            (.post, "/v1/api-keys", "operator", #"{"holder":"bank:BANKBRSP"}"#, "malformed_holder"),
            (.post, "/v1/api-keys", "operator", #"{"holder":"member"}"#, "malformed_holder"),
            (
                .put, "/v1/settings/imbalance-rules", "operator",
                rules.replacingOccurrences(of: #""quotaMode":"settle""#, with: #""quotaMode":"soft""#),
                "malformed_rules"
            ),
            (
                .put, "/v1/settings/imbalance-rules", "operator",
                rules.replacingOccurrences(
                    of: #""chargeDisposition":"redistribute""#, with: #""chargeDisposition":"Redistribute""#),
                "malformed_rules"
            ),
            (
                .put, "/v1/settings/imbalance-rules", "operator",
                rules.replacingOccurrences(of: #""chargedSides":"both""#, with: #""chargedSides":"all""#),
                "malformed_rules"
            ),
            (
                .put, "/v1/settings/imbalance-rules", "operator",
                rules.replacingOccurrences(
                    of: #""creditorExcessAtYearEnd":"kept""#, with: #""creditorExcessAtYearEnd":"""#),
                "malformed_rules"
            ),
            (
                .post, "/v1/proposals", "bra",
                #"{"change":{"kind":"set_member_status","member":"CHN","status":"gone"},"votingSeconds":3600}"#,
                "malformed_status"
            ),
            (
                .post, "/v1/proposals", "bra",
                #"{"change":{"kind":"set_governance_rules","governanceRules":"#
                    + governance.replacingOccurrences(of: #""members""#, with: #""everyone""#)
                    + "},\"votingSeconds\":3600}",
                "malformed_rules"
            ),
            (
                .post, "/v1/proposals", "bra",
                #"{"change":{"kind":"set_governance_rules","governanceRules":"#
                    + governance.replacingOccurrences(of: #""participant_cap""#, with: #""participant_caps""#)
                    + "},\"votingSeconds\":3600}",
                "malformed_rules"
            ),
            (
                .post, "/v1/proposals", "bra",
                #"{"change":{"kind":"set_quotas","member":"CHN","quota":"1"},"votingSeconds":3600}"#,
                "malformed_change"
            ),
        ]
        try await APITests.withAPI { client, _ in
            for (method, uri, role, body, code) in cases {
                try await HostileInputTests.expect(
                    client, method, uri, role: role, body: body, status: .badRequest, code: code)
            }
            // The one well-formed governance body is not refused as malformed (only as having no
            // rules to propose under), so the refusals above are the enumerations'.
            try await HostileInputTests.expect(
                client, .post, "/v1/proposals", role: "bra",
                body: #"{"change":{"kind":"set_governance_rules","governanceRules":"# + governance
                    + "},\"votingSeconds\":3600}",
                status: .conflict, code: "no_governance_rules")
            // Nothing changed.
            try await client.execute(uri: "/v1/settings", method: .get, headers: APITests.headers("operator")) {
                #expect(!String(buffer: $0.body).contains("return_to_payer"))
            }
        }
    }
}
