import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PolyclearCore
import PolyclearWorkload
import Testing

@testable import PolyclearServer

/// The batch endpoint writes each payment straight from its sheet (`PaymentSheet.write`);
/// every other answer encodes a `PaymentDTO` with `JSONEncoder`. On random batches (details
/// present or not, texts with quotes, backslashes and non-ASCII, conditions, two-phase,
/// amounts past the cap that queue or are rejected) each payment of the batch's answer equals,
/// member for member, what `GET /v1/payments/{id}` answers for it.
@Suite struct PaymentSheetJSONTests {
    static let pieces = ["a", "Z", "7", " ", "\"", "\\", "/", "-", "é", "日本", "👍🏽"]

    static func text(_ random: inout SeededRandom) -> String {
        "T" + (0..<Int(random.next() % 8)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }

    static func uuid(_ random: inout SeededRandom) -> String {
        // Version 4, variant 10xx: a UETR must be one.
        let high = random.next() & ~0xF000 | 0x4000
        let low = random.next() & ~(0x3 << 62) | (0x2 << 62)
        let hex = String(format: "%016llx%016llx", high, low)
        let digits = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(digits[$0]) }.joined(separator: "-")
    }

    static func payment(_ random: inout SeededRandom, payer: String, payee: String) -> [String: Any] {
        func chance(_ inFour: UInt64) -> Bool { random.next() % 4 < inFour }
        let cents = random.next() % (chance(1) ? 300_000_000 : 100_000) + 1
        var payment: [String: Any] = [
            "id": uuid(&random), "payer": payer, "payee": payee,
            "amount": "\(cents / 100).\(cents % 100 / 10)\(cents % 10)",
            "endToEndId": text(&random), "uetr": uuid(&random), "invoiceNumber": text(&random), "purposeCode": "GDDS",
        ]
        if chance(1) { payment["immediateOrReject"] = true }
        if chance(1) { payment["twoPhase"] = true }
        if chance(1) {
            payment["condition"] = ["sha256": String(repeating: "ab", count: 32), "expiresInSeconds": 3_600]
        }
        if chance(2) { payment["debtorName"] = text(&random) }
        if chance(2) {
            payment["hsCodes"] = ["120190", "120110"]
            payment["invoiceDate"] = "2026-11-20"
            payment["incoterm"] = "FOB"
            payment["shipmentReference"] = text(&random)
        }
        if payment["hsCodes"] == nil, chance(1) { payment["hsCode"] = "120190" }
        if chance(1) {
            payment["creditorName"] = text(&random)
        } else if chance(2) {
            payment["creditor"] = [
                "name": text(&random), "account": ["iban": "BR1800360305000010009795493C1"],
                "address": ["streetName": text(&random), "townName": text(&random), "country": "BR"],
            ]
            payment["ultimateDebtor"] = ["name": text(&random)]
            payment["remittance"] = ["lines": [text(&random)], "creditorReferences": ["RF18539007547034"]]
        }
        return payment
    }

    @Test(arguments: [1, 2])
    func aBatchAnswersEachPaymentAsItsReadDoes(seed: UInt64) async throws {
        try await APITests.withAPIAndHub { client, _, hub in
            var random = SeededRandom(seed: seed)
            var answered: [[String: Any]] = []
            for (role, payer, payee) in [("brBank", "BANKBRSP", "BANKCNBJ"), ("cnBank", "BANKCNBJ", "BANKBRSP")] {
                let batch = (0..<40).map { _ in Self.payment(&random, payer: payer, payee: payee) }
                try await client.execute(
                    uri: "/v1/payments/batch", method: .post, headers: APITests.headers(role),
                    body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: batch))
                ) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    let items = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]
                    #expect(items?.count == batch.count)
                    answered += items ?? []
                }
            }
            let statuses = Set(answered.compactMap { $0["status"] as? String })
            #expect(statuses.count >= 3, "the batches met too few outcomes to compare: \(statuses)")
            #expect(answered.contains { $0["condition"] != nil } && answered.contains { $0["rejection"] != nil })
            for item in answered {
                let id = try #require(item["id"] as? String)
                try await client.execute(
                    uri: "/v1/payments/\(id)", method: .get, headers: APITests.headers("operator")
                ) { response in
                    #expect(response.status == .ok)
                    let read = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? NSDictionary
                    #expect(read == item as NSDictionary, "batch: \(item)\nread: \(String(buffer: response.body))")
                }
            }
            // Return links no batch makes: set on the same payments' sheets, written both ways.
            let ids = answered.compactMap { ($0["id"] as? String).flatMap(UUIDCoding.decode) }
            let sheets = try await hub.read { hub in
                let view = PaymentReadView(hub: hub)
                return PaymentSheet.gather(ids.compactMap { view.payment($0) }, in: view)
            }
            #expect(sheets.count == ids.count)
            for var sheet in sheets {
                sheet.returnOf = random.next() % 2 == 0 ? nil : UInt128(random.next()) << 64 | 1
                sheet.returns = (0..<Int(random.next() % 3)).map { _ in UInt128(random.next()) }
                sheet.condition = random.next() % 2 == 0 ? nil : ("cd", random.next() % 2 == 0 ? nil : random.next())
                var json = JSONBytes(capacity: 0)
                sheet.write(&json, currencies: APITests.currencies)
                let written = try JSONSerialization.jsonObject(with: Data(json.bytes)) as? NSDictionary
                let dto = PaymentDTO(sheet, currencies: APITests.currencies)
                let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(dto)) as? NSDictionary
                #expect(written != nil && written == encoded, "\(String(decoding: json.bytes, as: UTF8.self))")
            }
        }
    }
}
