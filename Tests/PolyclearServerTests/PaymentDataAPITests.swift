import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PolyclearCore
import Testing

@testable import PolyclearServer

/// The JSON API takes and returns a payment's parties, accounts, remittance and trade
/// reference; the union's rule decides whether the trade reference is mandatory; bad
/// details are refused with a stable code naming the field, and nothing is recorded.
@Suite struct PaymentDataAPITests {
    static let full = """
        {"id":"1b000000-0000-4000-8000-000000000001","payer":"BANKBRSP","payee":"BANKCNBJ","amount":"980.00",
         "endToEndId":"E2E-FULL","uetr":"8c7a1f20-5b3e-4d71-9e2a-6f0b1c2d3e4f","invoiceNumber":"INV-2026-0042",
         "invoiceDate":"2026-11-20","purposeCode":"GDDS","hsCodes":["120190","120110"],"incoterm":"FOB",
         "shipmentReference":"MAEU123456789",
         "debtor":{"name":"Exportadora Ltda","account":{"iban":"BR1800360305000010009795493C1"},
                   "address":{"streetName":"Rua Augusta","buildingNumber":"1500","townName":"Sao Paulo","country":"BR"},
                   "lei":"5493001KJTIIGC8Y1R12"},
         "creditor":{"name":"Importer Co","account":{"other":"6228480010001234567","scheme":"BBAN"},
                     "organisationId":"91310000MA1FL1234X","organisationIdScheme":"TXID"},
         "ultimateDebtor":{"name":"Cooperativa Agricola"},
         "remittance":{"lines":["soy beans, lot 7"],"creditorReferences":["RF18539007547034"]}}
        """

    @Test func aPaymentsPartiesAndTradeReferenceAreStoredAndReturnedToItsParties() async throws {
        try await APITests.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: ByteBuffer(string: Self.full)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
            }
            for role in ["brBank", "cnBank", "chn", "operator"] {
                try await client.execute(
                    uri: "/v1/payments/1b000000-0000-4000-8000-000000000001", method: .get,
                    headers: APITests.headers(role)
                ) { response in
                    #expect(response.status == .ok, "\(role)")
                    let payment = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    let details = payment?["details"] as? [String: Any]
                    #expect(details?["invoiceNumber"] as? String == "INV-2026-0042", "\(role)")
                    #expect(details?["hsCodes"] as? [String] == ["120190", "120110"])
                    #expect(
                        details?["incoterm"] as? String == "FOB" && details?["invoiceDate"] as? String == "2026-11-20")
                    let debtor = details?["debtor"] as? [String: Any]
                    #expect(debtor?["name"] as? String == "Exportadora Ltda")
                    #expect(
                        (debtor?["account"] as? [String: Any])?["iban"] as? String == "BR1800360305000010009795493C1")
                    let creditor = details?["creditor"] as? [String: Any]
                    #expect(creditor?["organisationIdScheme"] as? String == "TXID")
                    #expect((details?["remittance"] as? [String: Any])?["lines"] as? [String] == ["soy beans, lot 7"])
                }
            }
            // A bank that is not a party sees nothing of it.
            try await client.execute(
                uri: "/v1/payments/1b000000-0000-4000-8000-000000000001", method: .get,
                headers: APITests.headers("brOther")
            ) { #expect($0.status == .notFound) }
        }
    }

    @Test(arguments: [
        (
            "\"iban\":\"BR1800360305000010009795493C1\"", "\"iban\":\"BR1800360305000010009795493C2\"",
            "debtor.account.iban"
        ),
        ("\"iban\":\"BR1800360305000010009795493C1\"", "\"IBAN\":\"BR1800360305000010009795493C1\"", "unknown_field"),
        ("\"country\":\"BR\"", "\"country\":\"BRA\"", "debtor.address.country"),
        ("\"lei\":\"5493001KJTIIGC8Y1R12\"", "\"lei\":\"5493001KJTIIGC8Y1R1X\"", "debtor.lei"),
        ("\"incoterm\":\"FOB\"", "\"incoterm\":\"FREE\"", "trade.incoterm"),
        ("\"invoiceDate\":\"2026-11-20\"", "\"invoiceDate\":\"2026-11-31\"", "trade.invoiceDate"),
        ("\"hsCodes\":[\"120190\",\"120110\"]", "\"hsCodes\":[\"12019\"]", "hsCodes"),
        ("\"hsCodes\":[\"120190\",\"120110\"]", "\"hsCode\":\"120190\",\"hsCodes\":[\"120190\"]", "not both"),
        ("\"ultimateDebtor\":{\"name\":\"Cooperativa Agricola\"}", "\"debtorName\":\"X\"", "once"),
        ("\"scheme\":\"BBAN\"}", "\"scheme\":\"BBAN\",\"iban\":\"GB82WEST12345698765432\"}", "exactly one"),
        ("\"lines\":[\"soy beans, lot 7\"]", "\"lines\":[]", "remittance.lines"),
    ])
    func badDetailsAreRefusedNamingTheField(replacing: String, with: String, marker: String) async throws {
        let body = Self.full.replacingOccurrences(of: replacing, with: with)
        #expect(body != Self.full)
        try await APITests.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"), body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains(marker), "\(String(buffer: response.body))")
            }
            // Nothing was recorded.
            try await client.execute(
                uri: "/v1/payments/1b000000-0000-4000-8000-000000000001", method: .get,
                headers: APITests.headers("operator")
            ) { #expect($0.status == .notFound) }
        }
    }

    @Test func theUnionRuleDecidesWhetherTheTradeReferenceIsMandatory() async throws {
        let bare = """
            {"id":"1b000000-0000-4000-8000-00000000000N","payer":"BANKBRSP","payee":"BANKCNBJ","amount":"1.00",
             "endToEndId":"E2E","uetr":"8c7a1f20-5b3e-4d71-9e2a-6f0b1c2d3e4f"}
            """
        try await APITests.withAPI { client, _ in
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: ByteBuffer(string: bare.replacingOccurrences(of: "N\"", with: "1\""))
            ) { response in
                #expect(String(buffer: response.body).contains("trade_reference_missing"))
                #expect(String(buffer: response.body).contains("RR07"))
            }
        }
        try await APITests.withAPI(extraSetup: [.setPaymentRules(PaymentRules(tradeReferenceRequired: false))]) {
            client, _ in
            try await client.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                body: ByteBuffer(string: bare.replacingOccurrences(of: "N\"", with: "2\""))
            ) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains("\"status\":\"accepted\""))
            }
        }
    }
}
