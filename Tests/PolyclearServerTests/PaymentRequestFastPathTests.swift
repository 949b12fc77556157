import Foundation
import PolyclearWorkload
import Testing

@testable import PolyclearServer

/// The batch body's fast reading answers exactly as `JSONDecoder` does, or not at all: on
/// random bodies — flat payments, and payments with what only the decoder reads (escapes,
/// nested parties, lists, numbers, nulls, unknown and missing keys, odd spacing, bad UTF-8,
/// damage) — it either declines or gives the decoder's payments.
@Suite struct PaymentRequestFastPathTests {
    static let stringKeys = [
        "id", "payer", "payee", "amount", "side", "endToEndId", "uetr", "invoiceNumber", "purposeCode", "hsCode",
        "invoiceDate", "incoterm", "shipmentReference", "priority", "debtorName", "creditorName", "quoteId",
    ]
    static let required: Set<String> = ["id", "payer", "payee", "amount", "endToEndId", "uetr"]
    static let texts = ["a", "BKAABR22", "12.50", " ", "é", "日本", "/", "\\\"", "\\n", "\\u00e9", "INV-7", ""]
    static let spaces = ["", " ", "\n", "\t", "\r\n  "]

    static func member(_ key: String, _ random: inout SeededRandom) -> String {
        let space = spaces[Int(random.next() % UInt64(spaces.count))]
        var value: String
        switch key {
        case "twoPhase", "immediateOrReject": value = random.next() % 2 == 0 ? "true" : "false"
        case "debtor": value = #"{"name":"Soja Ltda","account":{"iban":"BR18"}}"#
        case "hsCodes": value = #"["1201","120190"]"#
        case "condition": value = #"{"sha256":"ab","expiresInSeconds":60}"#
        default:
            value =
                "\""
                + (0..<Int(random.next() % 3)).map { _ in texts[Int(random.next() % UInt64(texts.count))] }
                .joined() + "\""
        }
        switch random.next() % 40 {
        case 0: value = "null"
        case 1: value = "12"
        default: break
        }
        return space + "\"" + key + "\"" + space + ":" + space + value
    }

    static func body(_ random: inout SeededRandom) -> [UInt8] {
        let extra = ["twoPhase", "immediateOrReject", "debtor", "hsCodes", "condition", "unknownKey"]
        let items = (0..<Int(random.next() % 4)).map { _ in
            var keys = stringKeys.filter { required.contains($0) ? random.next() % 30 != 0 : random.next() % 3 == 0 }
            keys += extra.filter { _ in random.next() % 8 == 0 }
            keys.shuffle(using: &random)
            return "{" + keys.map { member($0, &random) }.joined(separator: ",") + "}"
        }
        var bytes = Array(("[" + items.joined(separator: ", ") + "]").utf8)
        switch random.next() % 20 {
        case 0 where !bytes.isEmpty: bytes.remove(at: Int(random.next() % UInt64(bytes.count)))
        case 1: bytes.append(UInt8(ascii: "]"))
        case 2: bytes.insert(0xC3, at: bytes.count / 2)  // a broken UTF-8 sequence
        default: break
        }
        return bytes
    }

    @Test(arguments: [1, 2, 3])
    func fastReadingAnswersAsTheDecoderOrDeclines(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var read = 0
        for _ in 0..<2_000 {
            let bytes = Self.body(&random)
            let fast = bytes.withUnsafeBytes(PaymentRequestFastPath.decode)
            let decoded = try? JSONDecoder().decode([PaymentRequestDTO].self, from: Data(bytes))
            if let fast {
                read += 1
                #expect(fast == decoded, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        // Most flat bodies are read by the fast path (or it would test nothing).
        #expect(read > 300)
    }

    @Test func theBenchmarksBodyIsReadFast() {
        let body = Array(
            """
            [{"id":"6f9619ff-8b86-4011-b42d-00cf4fc964ff","payer":"BKAABR22","payee":"BKAACN22","amount":"12.34",
            "endToEndId":"E2E-1","uetr":"6f9619ff-8b86-4011-b42d-00cf4fc964fe","invoiceNumber":"INV-1","purposeCode":"GDDS"}]
            """.utf8)
        let fast = body.withUnsafeBytes(PaymentRequestFastPath.decode)
        #expect(fast?.count == 1 && fast == (try? JSONDecoder().decode([PaymentRequestDTO].self, from: Data(body))))
    }
}
