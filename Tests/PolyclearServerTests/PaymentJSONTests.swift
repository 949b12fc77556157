import Foundation
import PolyclearWorkload
import Testing

@testable import PolyclearServer

/// The batch endpoint writes its payments with `JSONBytes`, not `JSONEncoder`: on random
/// payments (every optional present or not; texts with quotes, backslashes, control
/// characters, slashes and non-ASCII) both must be valid JSON with the same content.
@Suite struct PaymentJSONTests {
    static let pieces = [
        "a", "Z", "7", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{1}", "\u{1F}", "\u{7F}", "é", "日本", "👍🏽", "\u{2028}",
    ]

    static func text(_ random: inout SeededRandom) -> String {
        (0..<Int(random.next() % 6)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }

    /// A JSON object with each optional member present half the time.
    static func object(
        _ random: inout SeededRandom, texts: [String], numbers: [String] = [], lists: [String] = [],
        objects: [(String, (inout SeededRandom) -> Any)] = [], required: [String] = []
    ) -> [String: Any] {
        var object: [String: Any] = [:]
        func present(_ key: String) -> Bool { required.contains(key) || random.next() % 2 == 0 }
        for key in texts where present(key) { object[key] = text(&random) }
        for key in numbers where present(key) { object[key] = random.next() >> UInt64(1 + random.next() % 63) }
        for key in lists where present(key) { object[key] = (0..<Int(random.next() % 3)).map { _ in text(&random) } }
        for (key, make) in objects where present(key) { object[key] = make(&random) }
        return object
    }

    static func party(_ random: inout SeededRandom) -> Any {
        object(
            &random, texts: ["name", "lei", "organisationId", "organisationIdScheme"],
            objects: [
                ("account", { object(&$0, texts: ["iban", "other", "scheme"]) }),
                (
                    "address",
                    {
                        object(
                            &$0, texts: ["streetName", "buildingNumber", "postCode", "townName", "country"],
                            lists: ["lines"])
                    }
                ),
            ])
    }

    static func payment(_ random: inout SeededRandom) -> [String: Any] {
        var payment = object(
            &random,
            texts: [
                "id", "status", "rejection", "statusReasonCode", "payer", "payee", "payerCurrency", "payeeCurrency",
                "payerAmount", "payeeAmount", "unitAmount", "returnOf",
            ], lists: ["returns"],
            objects: [
                (
                    "details",
                    { random in
                        var details = object(
                            &random,
                            texts: [
                                "endToEndId", "invoiceNumber", "invoiceDate", "purposeCode", "incoterm",
                                "shipmentReference",
                            ],
                            lists: ["hsCodes"],
                            objects: [
                                ("debtor", party), ("creditor", party), ("ultimateDebtor", party),
                                ("ultimateCreditor", party),
                                ("remittance", { object(&$0, texts: [], lists: ["lines", "creditorReferences"]) }),
                            ], required: ["endToEndId"])
                        if random.next() % 4 == 0 { details["personalDataErased"] = random.next() % 2 == 0 }
                        return details
                    }
                ),
                ("condition", { object(&$0, texts: ["sha256"], numbers: ["fulfilledAt"], required: ["sha256"]) }),
                (
                    "milestones",
                    { random in
                        var milestones = object(&random, texts: [], numbers: ["bookedAt", "finalAt", "waitsUntil"])
                        milestones["heldByScreening"] = random.next() % 2 == 0
                        return milestones
                    }
                ),
            ], required: ["id", "status"])
        payment["fixingVersion"] = UInt32(truncatingIfNeeded: random.next())
        payment["cycle"] = UInt32(truncatingIfNeeded: random.next() >> UInt64(random.next() % 32))
        return payment
    }

    @Test(arguments: [1, 2, 3])
    func paymentsAreWrittenAsJSONEncoderWritesThem(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        for _ in 0..<100 {
            let source = (0..<Int(random.next() % 4)).map { _ in Self.payment(&random) }
            let payments = try JSONDecoder().decode(
                [PaymentDTO].self, from: JSONSerialization.data(withJSONObject: source))
            var json = JSONBytes(capacity: 0)
            json.array(payments) { $1.write(&$0) }
            let written = try JSONSerialization.jsonObject(with: Data(json.bytes)) as? NSArray
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(payments)) as? NSArray
            #expect(written != nil && written == encoded, "\(String(decoding: json.bytes, as: UTF8.self))")
            // And the content is what was decoded: nothing lost on the way.
            #expect(written == source as NSArray)
        }
    }
}
