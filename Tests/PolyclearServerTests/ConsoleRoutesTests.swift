import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PolyclearCore
import Testing

@testable import PolyclearServer

/// The console as the hub serves it (its page and assets without a key, with a strict content
/// security policy), the security headers on every answer, `GET /v1/session`, and the list
/// filters the console's views use.
@Suite struct ConsoleRoutesTests {
    static func header(_ response: TestResponse, _ name: String) -> String? {
        response.headers[HTTPField.Name(name)!]
    }

    @Test func thePageAndItsAssetsAreServedWithoutAKeyUnderAStrictPolicy() async throws {
        try await APITests.withAPI { client, routes in
            #expect(!routes.contains { $0.contains("/console") }, "the console is not part of the API's document")
            try await client.execute(uri: "/console", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Self.header(response, "Content-Type")?.hasPrefix("text/html") == true)
                let policy = Self.header(response, "Content-Security-Policy") ?? ""
                #expect(policy.contains("script-src 'self'") && policy.contains("style-src 'self'"))
                #expect(!policy.contains("unsafe-inline") && policy.contains("frame-ancestors 'none'"))
                let page = String(buffer: response.body)
                #expect(page.contains("<script type=\"module\" src=\"/console/assets/app.js\">"))
                // No inline script or style: the policy would block them anyway.
                #expect(!page.contains("<script>") && !page.contains("style=") && !page.contains("<style"))
            }
            for (asset, type) in [
                ("app.js", "text/javascript"), ("api.js", "text/javascript"), ("dom.js", "text/javascript"),
                ("format.js", "text/javascript"), ("union-views.js", "text/javascript"),
                ("payment-views.js", "text/javascript"), ("cycle-views.js", "text/javascript"),
                ("admin-views.js", "text/javascript"), ("console.css", "text/css"), ("favicon.svg", "image/svg+xml"),
            ] {
                try await client.execute(uri: "/console/assets/\(asset)", method: .get) { response in
                    #expect(response.status == .ok, "\(asset)")
                    #expect(Self.header(response, "Content-Type")?.hasPrefix(type) == true, "\(asset)")
                    #expect(response.body.readableBytes > 100, "\(asset)")
                }
            }
            // No script sets HTML from data: every value goes in as text.
            for asset in ["app.js", "dom.js", "union-views.js", "payment-views.js", "cycle-views.js", "admin-views.js"]
            {
                try await client.execute(uri: "/console/assets/\(asset)", method: .get) { response in
                    let script = String(buffer: response.body)
                    for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("] {
                        #expect(!script.contains(sink), "\(asset) uses \(sink)")
                    }
                }
            }
            for uri in ["/console/assets/missing.js", "/console/assets/..%2Fopenapi.yaml", "/console/assets/"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .notFound, "\(uri)") }
            }
            try await client.execute(uri: "/console", method: .post) { #expect($0.status == .methodNotAllowed) }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("href=\"/console\""))
            }
        }
    }

    @Test func everyAnswerCarriesTheSecurityHeadersAndNoCORS() async throws {
        try await APITests.withAPI { client, _ in
            var headers = APITests.headers("operator")
            headers[HTTPField.Name("Origin")!] = "https://evil.example"
            for (uri, role) in [("/v1/members", "operator"), ("/v1/members", nil), ("/v1/no-such", "operator")] {
                var fields = role == nil ? HTTPFields() : headers
                fields[HTTPField.Name("Origin")!] = "https://evil.example"
                try await client.execute(uri: uri, method: .get, headers: fields) { response in
                    #expect(Self.header(response, "X-Content-Type-Options") == "nosniff", "\(uri)")
                    #expect(Self.header(response, "Referrer-Policy") == "no-referrer", "\(uri)")
                    #expect(Self.header(response, "X-Frame-Options") == "DENY", "\(uri)")
                    #expect(Self.header(response, "Content-Security-Policy")?.contains("default-src 'none'") == true)
                    #expect(Self.header(response, "Access-Control-Allow-Origin") == nil, "\(uri)")
                }
            }
        }
    }

    /// Who a key is and what it may do: exactly what the access policy allows, per role.
    @Test func theSessionNamesTheCallerAndWhatItMayDo() async throws {
        try await APITests.withAPI { client, _ in
            func session(_ role: String?) async throws -> (HTTPResponse.Status, [String: Any]) {
                let response = try await client.execute(
                    uri: "/v1/session", method: .get, headers: APITests.headers(role))
                let object =
                    (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
                return (response.status, object)
            }
            #expect(try await session(nil).0 == .unauthorized)
            let (_, operatorSession) = try await session("operator")
            let (_, member) = try await session("bra")
            let (_, bank) = try await session("brBank")
            #expect(operatorSession["role"] as? String == "operator")
            #expect(member["role"] as? String == "member" && member["subject"] as? String == "BRA")
            #expect(member["currency"] as? String == "BRL" && member["name"] as? String == "Banco Central do Brasil")
            #expect(bank["role"] as? String == "participant" && bank["subject"] as? String == "BANKBRSP")
            #expect(bank["member"] as? String == "BRA" && bank["currency"] as? String == "BRL")
            let may = { (object: [String: Any]) in Set(object["may"] as? [String] ?? []) }
            #expect(may(operatorSession).isSuperset(of: ["closeCycle", "decideHeldPayment", "readAuditTrail"]))
            #expect(!may(operatorSession).contains("vote") && !may(operatorSession).contains("confirmSettlement"))
            #expect(may(member).isSuperset(of: ["vote", "confirmSettlement", "readUnionOverview", "manageAPIKeys"]))
            #expect(!may(member).contains("submitPayment") && !may(member).contains("readAuditTrail"))
            #expect(may(bank).isSuperset(of: ["submitPayment", "askQuote", "receiveDeliveries"]))
            #expect(!may(bank).contains("readCycles") && !may(bank).contains("readUnionOverview"))
            // Each name the session gives is one the access policy knows, once.
            let names = AccessPolicy.namedOperations(ownBank: BIC("BANKBRSP")!).map(\.key)
            #expect(Set(names).count == names.count && names.count == 32)
        }
    }

    /// The payment list by counterparty and by cycle; the audit trail by actor and action.
    @Test func listsFilterByCounterpartyCycleActorAndAction() async throws {
        try await APITests.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000c01")
            ) { #expect($0.status == .created) }
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brOther"),
                body: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-000000000c02", payer: "SECOBRSP")
            ) { #expect($0.status == .created) }
            func count(_ uri: String, _ role: String) async throws -> Int {
                let response = try await client.execute(uri: uri, method: .get, headers: APITests.headers(role))
                #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
                let page = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                return ((page?["items"] ?? page?["records"]) as? [Any])?.count ?? -1
            }
            // Each payment names its banks and currencies, and its way so far.
            try await client.execute(
                uri: "/v1/payments/0d9e2b6c-1f00-4a00-8000-000000000c01", method: .get,
                headers: APITests.headers("brBank")
            ) { response in
                let payment = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(payment?["payer"] as? String == "BANKBRSP" && payment?["payee"] as? String == "BANKCNBJ")
                #expect(payment?["payerCurrency"] as? String == "BRL" && payment?["payeeCurrency"] as? String == "CNY")
                let milestones = payment?["milestones"] as? [String: Any]
                #expect(milestones?["heldByScreening"] as? Bool == false)
                #expect((milestones?["bookedAt"] as? Int ?? 0) > 0 && milestones?["waitsUntil"] == nil)
            }
            #expect(try await count("/v1/payments?counterparty=BANKCNBJ", "operator") == 2)
            #expect(try await count("/v1/payments?counterparty=SECOBRSP", "operator") == 1)
            #expect(try await count("/v1/payments?counterparty=SECOBRSP", "brBank") == 0)
            #expect(try await count("/v1/payments?counterparty=BANKCNBJ", "cnBank") == 2)
            #expect(try await count("/v1/payments?cycle=1", "operator") == 2)
            #expect(try await count("/v1/payments?cycle=2", "operator") == 0)
            for bad in ["counterparty=NOTABIC", "counterparty=", "cycle=-1", "cycle=x", "cycle=99999999999"] {
                try await client.execute(
                    uri: "/v1/payments?\(bad)", method: .get, headers: APITests.headers("operator")
                ) {
                    #expect($0.status == .badRequest && String(buffer: $0.body).contains("malformed_query"), "\(bad)")
                }
            }
            try await client.execute(uri: "/v1/cycles/1/close", method: .post, headers: APITests.headers("operator")) {
                #expect($0.status == .ok)
            }
            #expect(try await count("/v1/audit?actor=operator:ops", "operator") >= 1)
            #expect(try await count("/v1/audit?actor=member:BRA", "operator") == 0)
            #expect(try await count("/v1/audit?action=no_such_action", "operator") == 0)
            let all = try await count("/v1/audit", "operator")
            #expect(try await count("/v1/audit?actor=operator:ops&limit=1", "operator") == min(1, all))
            for bad in ["actor=", "action=" + String(repeating: "a", count: 81)] {
                try await client.execute(uri: "/v1/audit?\(bad)", method: .get, headers: APITests.headers("operator")) {
                    #expect($0.status == .badRequest, "\(bad)")
                }
            }
        }
    }
}
