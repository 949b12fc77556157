import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PolyclearCore
import Testing

/// Running the union over the API: settings, gridlock on demand, decisions on held payments,
/// and confirmations one by one (instructions, excess settlements), each by its role only.
@Suite struct ControlRoutesTests {
    typealias T = APITests

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func everyControlRouteAnswersEveryRoleAsAgreed() async throws {
        try await T.withAPI { client, _ in
            let paymentID = "0d9e2b6c-1f00-4a00-8000-0000000000c1"
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: T.headers("brBank"), body: T.paymentBody(id: paymentID)
            ) { #expect($0.status == .created) }
            let table: [(String, HTTPRequest.Method, String?, HTTPResponse.Status)] = [
                ("/v1/settings", .get, "operator", .ok), ("/v1/settings", .get, "bra", .ok),
                ("/v1/settings", .get, "brBank", .forbidden), ("/v1/settings", .get, nil, .unauthorized),
                ("/v1/settings/alarm-thresholds", .put, "bra", .forbidden),
                ("/v1/settings/alarm-thresholds", .put, "brBank", .forbidden),
                ("/v1/settings/alarm-thresholds", .put, "operator", .badRequest),
                ("/v1/settings/gridlock-policy", .put, "chn", .forbidden),
                ("/v1/settings/gridlock-policy", .put, "operator", .badRequest),
                ("/v1/settings/cycle-triggers", .put, "cnBank", .forbidden),
                ("/v1/settings/cycle-triggers", .put, "operator", .badRequest),
                ("/v1/settings/screening-list", .put, "bra", .forbidden),
                ("/v1/settings/screening-list", .put, "operator", .badRequest),
                ("/v1/settings", .post, "operator", .methodNotAllowed),
                ("/v1/gridlock/resolve", .post, "bra", .forbidden),
                ("/v1/gridlock/resolve", .post, "brBank", .forbidden),
                ("/v1/gridlock/resolve", .post, "operator", .ok),
                ("/v1/payments/\(paymentID)/release", .post, "brBank", .forbidden),
                ("/v1/payments/\(paymentID)/release", .post, "bra", .forbidden),
                ("/v1/payments/\(paymentID)/release", .post, "brOther", .notFound),
                ("/v1/payments/\(paymentID)/release", .post, "operator", .conflict),
                ("/v1/payments/\(paymentID)/refuse", .post, "cnBank", .forbidden),
                ("/v1/payments/\(paymentID)/refuse", .post, "operator", .conflict),
                ("/v1/payments/0d9e2b6c-1f00-4a00-8000-0000000000ff/release", .post, "operator", .notFound),
                ("/v1/cycles/1/close", .post, "operator", .ok),
                ("/v1/cycles/1/instructions/0/confirm", .post, "operator", .forbidden),
                ("/v1/cycles/1/instructions/0/confirm", .post, "brBank", .forbidden),
                ("/v1/cycles/1/instructions/0/confirm", .post, "bra", .badRequest),
                ("/v1/cycles/1/excess-settlements/BRA/confirm", .post, "bra", .forbidden),
                ("/v1/cycles/1/excess-settlements/BRA/confirm", .post, "brBank", .forbidden),
                ("/v1/cycles/1/excess-settlements/BRA/confirm", .post, "operator", .badRequest),
            ]
            for (uri, method, role, expected) in table {
                try await client.execute(uri: uri, method: method, headers: T.headers(role)) { response in
                    #expect(response.status == expected, "\(method) \(uri) as \(role ?? "nobody")")
                }
            }
        }
    }

    @Test func settingsAreChangedByTheOperatorAndReadByMembersWithoutTheScreeningList() async throws {
        try await T.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/settings/alarm-thresholds", method: .put, headers: T.headers("operator"),
                body: Self.body(#"{"thresholdsPercent":[90,50]}"#)
            ) { #expect($0.status == .ok && String(buffer: $0.body).contains(#""alarmThresholdsPercent":[50,90]"#)) }
            try await client.execute(
                uri: "/v1/settings/cycle-triggers", method: .put, headers: T.headers("operator"),
                body: Self.body(#"{"dailyAt":"17:30","settlementDeadlineSeconds":3600,"grossUnitMax":"5000.5"}"#)
            ) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
            try await client.execute(
                uri: "/v1/settings/gridlock-policy", method: .put, headers: T.headers("operator"),
                body: Self.body(#"{"beforeCycleClose":true,"queueLengthThreshold":50}"#)
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v1/settings/screening-list", method: .put, headers: T.headers("operator"),
                body: Self.body(#"{"names":["Acme Trading"],"bics":["BADBBRSP"],"countries":["KP"]}"#)
            ) { #expect($0.status == .ok) }
            let member = try await client.execute(uri: "/v1/settings", method: .get, headers: T.headers("bra"))
            let text = String(buffer: member.body)
            #expect(text.contains(#""dailyAt":"17:30""#) && text.contains(#""settlementDeadlineSeconds":3600"#))
            #expect(text.contains(#""grossUnitMax":"5000.5000""#) && text.contains(#""queueLengthThreshold":50"#))
            #expect(!text.contains("Acme"), "members do not see the screening list: \(text)")
            let own = try await client.execute(uri: "/v1/settings", method: .get, headers: T.headers("operator"))
            #expect(String(buffer: own.body).contains("Acme Trading"))
            for (path, body, status, code) in [
                (
                    "alarm-thresholds", #"{"thresholdsPercent":[0]}"#, HTTPResponse.Status.unprocessableContent,
                    "malformed_field"
                ),
                (
                    "alarm-thresholds", #"{"thresholdsPercent":[1,2,3,4,5,6,7,8,9,10,11]}"#, .badRequest,
                    "malformed_thresholds"
                ),
                ("cycle-triggers", #"{"dailyAt":"25:00"}"#, .badRequest, "malformed_daily_at"),
                ("cycle-triggers", #"{"intervalSeconds":0}"#, .unprocessableContent, "invalid_schedule"),
                ("cycle-triggers", #"{"grossUnitMax":"-1"}"#, .badRequest, "malformed_amount"),
                (
                    "gridlock-policy", #"{"beforeCycleClose":true,"queueLengthThreshold":0}"#, .unprocessableContent,
                    "malformed_field"
                ),
                ("screening-list", #"{"names":[],"bics":["NOPE"],"countries":[]}"#, .badRequest, "malformed_bic"),
                ("screening-list", #"{"names":[],"bics":[],"countries":["ZZ"]}"#, .badRequest, "malformed_country"),
                ("screening-list", #"{"names":[""],"bics":[],"countries":[]}"#, .badRequest, "malformed_name"),
                ("screening-list", #"{"names":[],"bics":[],"countries":[],"bicz":[]}"#, .badRequest, "unknown_field"),
                ("alarm-thresholds", #"{"thresholdsPercent":[50],"": {"": {}}}"#, .badRequest, "unknown_field"),
                ("cycle-triggers", #"{"dailyAt":"17:00","deadline":60}"#, .badRequest, "unknown_field"),
                ("gridlock-policy", #"{"beforeCycleClose":true,"x":1}"#, .badRequest, "unknown_field"),
                ("cycle-triggers", #"{"grossUnitMax":"00000000000000000001"}"#, .badRequest, "malformed_amount"),
            ] {
                try await client.execute(
                    uri: "/v1/settings/\(path)", method: .put, headers: T.headers("operator"), body: Self.body(body)
                ) { response in
                    #expect(response.status == status, "\(path) \(body)")
                    #expect(String(buffer: response.body).contains("\"\(code)\""), "\(String(buffer: response.body))")
                }
            }
            // What was refused changed nothing.
            let after = try await client.execute(uri: "/v1/settings", method: .get, headers: T.headers("operator"))
            #expect(String(buffer: after.body).contains(#""alarmThresholdsPercent":[50,90]"#))
        }
    }

    @Test func theOperatorReleasesOrRefusesAPaymentHeldByScreening() async throws {
        try await T.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/settings/screening-list", method: .put, headers: T.headers("operator"),
                body: Self.body(#"{"names":["Acme Trading"],"bics":[],"countries":[]}"#)
            ) { #expect($0.status == .ok) }
            func held(_ id: String) async throws {
                let body = String(buffer: T.paymentBody(id: id)).replacingOccurrences(
                    of: "\"purposeCode\":\"GDDS\"", with: "\"purposeCode\":\"GDDS\",\"debtorName\":\"ACME trading ltd\""
                )
                try await client.execute(
                    uri: "/v1/payments", method: .post, headers: T.headers("brBank"), body: Self.body(body)
                ) { #expect(String(buffer: $0.body).contains("\"status\":\"held\""), "\(String(buffer: $0.body))") }
            }
            let released = "0d9e2b6c-1f00-4a00-8000-0000000000d1", refused = "0d9e2b6c-1f00-4a00-8000-0000000000d2"
            try await held(released)
            try await held(refused)
            try await client.execute(
                uri: "/v1/payments/\(released)/release", method: .post, headers: T.headers("brBank")
            ) { #expect($0.status == .forbidden) }
            try await client.execute(
                uri: "/v1/payments/\(released)/release", method: .post, headers: T.headers("operator")
            ) { #expect(String(buffer: $0.body).contains("\"status\":\"accepted\"")) }
            try await client.execute(
                uri: "/v1/payments/\(refused)/refuse", method: .post, headers: T.headers("operator")
            ) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("\"status\":\"rejected\"") && text.contains("screening_rejected"), "\(text)")
            }
            // Decided once: a second decision is a conflict.
            try await client.execute(
                uri: "/v1/payments/\(released)/refuse", method: .post, headers: T.headers("operator")
            ) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/v1/gridlock/resolve", method: .post, headers: T.headers("operator")) {
                let outcome = try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Int]
                #expect(outcome == ["queuedBefore": 0, "released": 0])
            }
        }
    }

    /// A member confirms its instructions one by one, each with its amount as a check; the
    /// operator confirms excess settlements the same way (none are due under these rules).
    @Test func confirmationsOneByOneCheckTheAmount() async throws {
        try await T.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: T.headers("brBank"),
                body: T.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-0000000000e1")
            ) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/cycles/1/close", method: .post, headers: T.headers("operator")) {
                #expect($0.status == .ok)
            }
            let report = try await client.execute(uri: "/v1/cycles/1", method: .get, headers: T.headers("bra"))
            let object = try JSONSerialization.jsonObject(with: Data(buffer: report.body)) as? [String: Any]
            let instructions = try #require(object?["instructions"] as? [[String: Any]])
            let own = try #require(instructions.first)
            let index = try #require(own["index"] as? Int), amount = try #require(own["amount"] as? String)
            let uri = "/v1/cycles/1/instructions/\(index)/confirm"
            try await client.execute(
                uri: uri, method: .post, headers: T.headers("chn"), body: Self.body(#"{"amount":"\#(amount)"}"#)
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: uri, method: .post, headers: T.headers("bra"), body: Self.body(#"{"amount":"0.01"}"#)
            ) { #expect($0.status == .conflict && String(buffer: $0.body).contains("instruction_amount_differs")) }
            try await client.execute(
                uri: uri, method: .post, headers: T.headers("bra"), body: Self.body(#"{"amount":"-1"}"#)
            ) { #expect($0.status == .badRequest && String(buffer: $0.body).contains("malformed_amount")) }
            try await client.execute(
                uri: uri, method: .post, headers: T.headers("bra"), body: Self.body(#"{"amount":"\#(amount)"}"#)
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: uri, method: .post, headers: T.headers("bra"), body: Self.body(#"{"amount":"\#(amount)"}"#)
            ) { #expect($0.status == .conflict && String(buffer: $0.body).contains("instruction_already_confirmed")) }
            for (path, status, code) in [
                (
                    "/v1/cycles/1/excess-settlements/BRA/confirm", HTTPResponse.Status.conflict,
                    "excess_settlement_not_found"
                ),
                ("/v1/cycles/9/excess-settlements/BRA/confirm", .conflict, "cycle_not_found"),
                ("/v1/cycles/1/excess-settlements/XXX/confirm", .badRequest, "malformed_member"),
            ] {
                try await client.execute(
                    uri: path, method: .post, headers: T.headers("operator"), body: Self.body(#"{"amount":"1"}"#)
                ) { response in
                    #expect(response.status == status && String(buffer: response.body).contains(code), "\(path)")
                }
            }
        }
    }
}
