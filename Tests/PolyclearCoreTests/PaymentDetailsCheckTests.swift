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
}
