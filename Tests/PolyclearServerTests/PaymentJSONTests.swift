import Foundation
import PolyclearCore
import PolyclearWorkload
import Testing

@testable import PolyclearServer

/// The batch endpoint writes its payments with `JSONBytes`, not `JSONEncoder`: on random
/// payment details (every optional present or not; texts with quotes, backslashes, control
/// characters, slashes and non-ASCII) both must be valid JSON with the same content. Whole
/// payments, from a hub: `PaymentSheetJSONTests`.
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
    func paymentDetailsAreWrittenAsJSONEncoderWritesThem(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        for _ in 0..<100 {
            // A payment's `details`, which `PaymentSheet.write` writes with `JSONBytes`.
            let source = (0..<Int(random.next() % 4)).map { _ in Self.payment(&random) }.compactMap { $0["details"] }
            let details = try JSONDecoder().decode(
                [PaymentDataDTO].self, from: JSONSerialization.data(withJSONObject: source))
            var json = JSONBytes(capacity: 0)
            json.array(details) { $1.write(&$0) }
            let written = try JSONSerialization.jsonObject(with: Data(json.bytes)) as? NSArray
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(details)) as? NSArray
            #expect(written != nil && written == encoded, "\(String(decoding: json.bytes, as: UTF8.self))")
            // And the content is what was decoded: nothing lost on the way.
            #expect(written == source as NSArray)
        }
    }

    /// Numbers, UUIDs and amounts go straight into the bytes: the text `String`, Foundation's
    /// `UUID` and plain digit arithmetic make of them.
    @Test func numbersUUIDsAndAmountsAreWrittenAsTheirStrings() throws {
        func decimal(_ minor: Int64, _ exponent: Int) -> String {
            var digits = String(minor.magnitude)
            if digits.count <= exponent { digits = String(repeating: "0", count: exponent - digits.count + 1) + digits }
            if exponent > 0 { digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -exponent)) }
            return minor < 0 ? "-" + digits : digits
        }
        func uuid(_ id: UInt128) -> String {
            var bytes = id.bigEndian
            return withUnsafeBytes(of: &bytes) { raw in
                UUID(uuid: raw.load(as: uuid_t.self)).uuidString.lowercased()
            }
        }
        var random = SeededRandom(seed: 7)
        for round in 0..<2_000 {
            let shift = UInt64(round % 64)
            let number = random.next() >> shift
            let id = UInt128(random.next()) << 64 | UInt128(random.next() >> shift)
            let minor = Int64(bitPattern: random.next()) >> shift
            let exponent = Int(random.next() % 5)
            var json = JSONBytes(capacity: 0)
            json.array([0]) { json, _ in
                json.integer(number)
                json.uuid(id)
                json.decimal(minorUnits: minor, exponent: exponent)
            }
            let expected = "[\(number),\"\(uuid(id))\",\"\(decimal(minor, exponent))\"]"
            #expect(String(decoding: json.bytes, as: UTF8.self) == expected)
        }
    }
}
