import Foundation
@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// The text checks count and scan ASCII on its bytes (the fast path every ordinary payment
/// takes) and everything else by characters and scalars: both must answer exactly as the
/// character-level rule does, on random texts mixing ASCII, control characters, accents,
/// combining marks and emoji.
@Suite struct PaymentDetailsCheckTests {
    static func reference(_ value: String, length: Int) -> String? {
        guard (1...length).contains(value.count) else { return ": 1 to \(length) characters" }
        guard value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            return ": no control characters"
        }
        return nil
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func textChecksAnswerAsTheCharacterRuleDoes(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let pieces = [
            "a", "Z", "7", " ", "/", "\u{7F}", "\u{1}", "\t", "\r\n", "\r", "\n", "é", "e\u{301}", "ß", "日本", "👍🏽",
            "\u{85}",
        ]
        for _ in 0..<2_000 {
            let count = Int(random.next() % 12)
            let text = (0..<count).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            let length = Int(random.next() % 8) + 1
            #expect(
                PaymentDetailsCheck.text(text, length: length) == Self.reference(text, length: length),
                "\(text.debugDescription)")
            #expect(PaymentDetailsCheck.characterCount(text) == text.count)
        }
        #expect(PaymentDetailsCheck.text(nil, length: 3) == nil)
    }

    /// ISO 13616 / ISO 17442 check digits and calendar dates, read on the bytes, answer as the
    /// plain definitions do on random near-valid texts; alpha-2 codes agree with ISO 3166.
    @Test func identifiersAndDatesReadOnBytesAnswerAsTheDefinitionsDo() {
        func mod97(_ text: String) -> Int? {
            var remainder = 0
            for byte in text.utf8 {
                switch byte {
                case 48...57: remainder = (remainder * 10 + Int(byte - 48)) % 97
                case 65...90: remainder = (remainder * 100 + Int(byte - 55)) % 97
                default: return nil
                }
            }
            return remainder
        }
        func iban(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            guard (15...34).contains(bytes.count), CountryCode.alpha2Codes.contains(String(text.prefix(2))),
                bytes[2...3].allSatisfy({ $0 >= 48 && $0 <= 57 })
            else { return false }
            return mod97(String(text.dropFirst(4)) + String(text.prefix(4))) == 1
        }
        func lei(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            return bytes.count == 20 && bytes[18...].allSatisfy({ $0 >= 48 && $0 <= 57 }) && mod97(text) == 1
        }
        var random = SeededRandom(seed: 11)
        let valid = ["BR1800360305000010009795493C1", "DE89370400440532013000", "GB82WEST12345698765432"]
        let validLEI = "5493001KJTIIGC8Y1R12"
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZaé -".utf8)
        func mutated(_ text: String) -> String {
            var bytes = Array(text.utf8)
            for _ in 0..<Int(random.next() % 3) where !bytes.isEmpty {
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        for _ in 0..<4_000 {
            let candidate = mutated(valid[Int(random.next() % 3)])
            #expect(PaymentDetailsCheck.isValidIBAN(candidate) == iban(candidate), "\(candidate)")
            let leiCandidate = mutated(validLEI)
            #expect(PaymentDetailsCheck.isValidLEI(leiCandidate) == lei(leiCandidate), "\(leiCandidate)")
            let date = mutated(
                "20\(random.next() % 10)\(random.next() % 10)-0\(random.next() % 3)-\(random.next() % 4)\(random.next() % 10)"
            )
            let parts = date.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            var expected = false
            if date.utf8.count == 10, Array(date.utf8)[4] == 45, Array(date.utf8)[7] == 45, parts.count == 3,
                let year = parts[0], let month = parts[1], let day = parts[2],
                date.utf8.allSatisfy({ $0 == 45 || ($0 >= 48 && $0 <= 57) }), (1900...2999).contains(year),
                (1...12).contains(month)
            {
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = TimeZone(identifier: "UTC")!
                let components = DateComponents(year: year, month: month, day: day)
                expected =
                    day >= 1
                    && calendar.date(from: components).map {
                        calendar.component(.day, from: $0) == day
                    } ?? false
            }
            #expect(PaymentDetailsCheck.isValidDate(date) == expected, "\(date)")
        }
        for first in UInt8(65)...90 {
            for second in UInt8(65)...90 {
                let code = String(decoding: [first, second], as: UTF8.self)
                #expect(CountryCode.isAlpha2(code) == CountryCode.alpha2Codes.contains(code), "\(code)")
            }
        }
        #expect(!CountryCode.isAlpha2("br") && !CountryCode.isAlpha2("BRA") && !CountryCode.isAlpha2(""))
    }

    /// `Party.isEmpty` and `PaymentDetails.isEmpty` name their fields one by one (personal data
    /// is judged by them): a field added to either type must be added there too.
    @Test func emptinessNamesEveryField() {
        #expect(Mirror(reflecting: Party()).children.count == 6)
        #expect(Mirror(reflecting: PaymentDetails()).children.count == 6)
        #expect(Party().isEmpty && PaymentDetails().isEmpty)
        let parties = [
            Party(name: "n"), Party(account: PartyAccount(iban: "x")), Party(address: PostalAddress()), Party(lei: "l"),
            Party(organisationID: "o"), Party(organisationIDScheme: "s"),
        ]
        for party in parties { #expect(!party.isEmpty && party != Party()) }
        let details = [
            PaymentDetails(debtor: Party()), PaymentDetails(creditor: Party()), PaymentDetails(ultimateDebtor: Party()),
            PaymentDetails(ultimateCreditor: Party()), PaymentDetails(remittance: Remittance()),
            PaymentDetails(trade: TradeDetails()),
        ]
        for detail in details { #expect(!detail.isEmpty && detail != PaymentDetails()) }
    }
}
