import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PolyclearServer
import Testing

/// Money has one representation on the wire: every amount a caller can read is a decimal
/// string in its currency's decimals, and no answer carries integer minor units. Checked by
/// walking every JSON answer that holds money after a payment, a close and a set-off run.
@Suite struct WireMoneyTests {
    /// Keys that hold money in some answer, and how many decimals the currency beside it has
    /// (BRL and CNY 2, the unit 4).
    static let moneyKeys: Set<String> = [
        "quota", "netDebitCap", "amount", "limit", "payerAmount", "payeeAmount", "unitAmount", "grossSent",
        "grossReceived", "net", "closingPosted", "participantsNet", "unitSent", "unitReceived", "unitNet",
        "closingUnionPosition", "closingUnionPosted", "grossValue", "liquidityNeeded", "averagePosition", "charge",
        "opening", "closing", "gross", "totalSetOff", "setOff", "bilateralUnit",
    ]

    /// Every scalar in a JSON value with the key it sits under (an array's items under the
    /// array's key), nested ones included.
    static func pairs(_ value: Any, key: String = "") -> [(String, Any)] {
        if let object = value as? [String: Any] { return object.flatMap { pairs($0.value, key: $0.key) } }
        if let array = value as? [Any] { return array.flatMap { pairs($0, key: key) } }
        return [(key, value)]
    }

    static func isDecimal(_ value: Any) -> Bool {
        guard let text = value as? String else { return false }
        return text.range(of: #"^-?[0-9]+(\.[0-9]{2}|\.[0-9]{4})?$"#, options: .regularExpression) != nil
    }

    @Test func everyAmountOnTheWireIsADecimalStringAndNoneIsInMinorUnits() async throws {
        try await APITests.withAPI { client, _ in
            let paymentID = "0d9e2b6c-1f00-4a00-8000-0000000000f1"
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: APITests.paymentBody(id: paymentID)
            ) { #expect($0.status == .created) }
            try await client.execute(
                uri: "/v1/cycles/1/close", method: .post, headers: APITests.headers("operator")
            ) { #expect($0.status == .ok) }
            let run =
                #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000f2","obligations":["#
                + #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000f3","debtor":"BANKBRSP","creditor":"SECOBRSP","amount":"1.25"},"#
                + #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000f4","debtor":"SECOBRSP","creditor":"BANKBRSP","amount":"0.75"}]}"#
            try await client.execute(
                uri: "/v1/setoff-runs", method: .post, headers: APITests.headers("operator"),
                body: ByteBuffer(string: run)
            ) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
            var moneySeen = Set<String>()
            for uri in [
                "/v1/members", "/v1/participants", "/v1/positions", "/v1/payments/\(paymentID)", "/v1/cycles/1",
                "/v1/statements/BANKBRSP/cycles/1", "/v1/setoff-runs/0d9e2b6c-1f00-4a00-8000-0000000000f2",
            ] {
                try await client.execute(uri: uri, method: .get, headers: APITests.headers("operator")) { response in
                    #expect(response.status == .ok, "\(uri)")
                    let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
                    for (key, value) in Self.pairs(json) {
                        #expect(!key.hasSuffix("Minor"), "\(uri) carries minor units in \(key)")
                        if Self.moneyKeys.contains(key) {
                            moneySeen.insert(key)
                            #expect(Self.isDecimal(value), "\(uri): \(key) = \(value) is not a decimal string")
                        }
                    }
                }
            }
            // Every kind of amount was seen at least once (the walk is not vacuous).
            #expect(
                moneySeen.isSuperset(of: [
                    "quota", "netDebitCap", "amount", "net", "unitNet", "grossValue", "opening", "closing", "gross",
                    "totalSetOff", "payerAmount", "limit", "setOff", "bilateralUnit",
                ]), "\(moneySeen)")
        }
    }

    @Test func aSetOffAmountWithMoreDecimalsThanItsCurrencyIsRefused() async throws {
        try await APITests.withAPI { client, _ in
            let run =
                #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000f5","obligations":["#
                + #"{"id":"0d9e2b6c-1f00-4a00-8000-0000000000f6","debtor":"BANKBRSP","creditor":"SECOBRSP","amount":"1.255"}]}"#
            // Hostile amounts: each refused with its stable code, and the run is not booked.
            for (amount, code) in [
                (#""1.255""#, "malformed_amount"), (#""0""#, "malformed_amount"), (#""-1.00""#, "malformed_amount"),
                (#""1e3""#, "malformed_amount"), (#""""#, "malformed_amount"), (#"" 1.00""#, "malformed_amount"),
                (#""99999999999999999999""#, "malformed_amount"), ("125", "malformed_request"),
                ("null", "malformed_request"),
            ] {
                try await client.execute(
                    uri: "/v1/setoff-runs", method: .post, headers: APITests.headers("operator"),
                    body: ByteBuffer(string: run.replacingOccurrences(of: #""1.255""#, with: amount))
                ) { response in
                    #expect(
                        response.status == .badRequest && String(buffer: response.body).contains(code),
                        "\(amount): \(String(buffer: response.body))")
                }
            }
            try await client.execute(
                uri: "/v1/setoff-runs/0d9e2b6c-1f00-4a00-8000-0000000000f5", method: .get,
                headers: APITests.headers("operator")
            ) { #expect($0.status == .notFound, "a refused run was booked") }
            let unknown = run.replacingOccurrences(of: "BANKBRSP", with: "NONEBRSP").replacingOccurrences(
                of: "1.255", with: "1.25")
            try await client.execute(
                uri: "/v1/setoff-runs", method: .post, headers: APITests.headers("operator"),
                body: ByteBuffer(string: unknown)
            ) { response in
                #expect(
                    response.status == .conflict && String(buffer: response.body).contains("participant_not_found"),
                    "\(String(buffer: response.body))")
            }
        }
    }
}
