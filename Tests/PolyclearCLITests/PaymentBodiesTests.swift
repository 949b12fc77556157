import Foundation
import NIOCore
import PolyclearBench
import PolyclearCore
import Testing

/// The load generator counts the statuses of every answer it gets (what the benchmark calls
/// acknowledged): every payment's status, and rejections by reason; keys inside text do not count.
@Suite struct PaymentBodiesTests {
    @Test func everyStatusAndRejectionReasonIsCounted() {
        let answer =
            #"[{"id":"a","status":"accepted","note":"status"},{"id":"b","status":"rejected","rejection":"limit_exceeded"},"#
            + #"{"id":"c","status":"queued"},{"id":"d","status":"accepted","payer":"\"status\""},"#
            + #"{"id":"e","status":"rejected","rejection":"limit_exceeded"}]"#
        var statuses: [String: Int] = ["accepted": 1]
        let counted = PaymentBodies.countStatuses(ByteBuffer(string: answer), into: &statuses)
        #expect(counted == 5)
        #expect(
            statuses == [
                "accepted": 3, "rejected": 2, "queued": 1, "rejected: limit_exceeded": 2,
            ])
    }

    /// The bodies are written byte by byte: each is a JSON array of payments from the payer
    /// to another bank, with fresh UUIDs and amounts with the payer currency's decimals.
    @Test func bodiesAreBatchesOfWellFormedPaymentsWithFreshIds() throws {
        let banks = [
            BenchBank(bic: BIC("BANKBRSP")!, authorization: "a", exponent: 2),
            BenchBank(bic: BIC("BANKJPJT")!, authorization: "b", exponent: 0),
            BenchBank(bic: BIC("BANKIDJA")!, authorization: "c", exponent: 3),
        ]
        var bodies = PaymentBodies(banks: banks, phase: 1, connection: 7)
        var ids = Set<String>()
        for payer in [0, 1, 2, 0] {
            let body = bodies.next(payer: payer, count: 50, asArray: true)
            let items = try #require(
                try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: String]])
            #expect(items.count == 50)
            for item in items {
                #expect(
                    Set(item.keys) == [
                        "id", "payer", "payee", "amount", "endToEndId", "uetr", "invoiceNumber", "purposeCode",
                    ])
                #expect(item["payer"] == banks[payer].bic.description && item["payee"] != item["payer"])
                let amount = try #require(item["amount"])
                let decimals = amount.split(separator: ".").dropFirst().first?.count ?? 0
                #expect(decimals == banks[payer].exponent && Double(amount).map { $0 >= 100 && $0 <= 5_000 } == true)
                let id = try #require(item["id"]), uetr = try #require(item["uetr"])
                #expect(UUIDText.parse(id) != nil && UUIDText.parse(uetr) != nil && id != uetr)
                #expect(ids.insert(id).inserted)
                #expect(
                    item["endToEndId"]?.hasPrefix("E2E-") == true && item["invoiceNumber"]?.hasPrefix("INV-") == true)
            }
        }
    }
}
