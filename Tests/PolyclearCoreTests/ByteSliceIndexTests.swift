import PolyclearWorkload
import Testing

@testable import PolyclearCore

/// The byte-string numbering behind the CSV reader against a dictionary: keys short (packed
/// in a word) and long, with NUL bytes (so "A" and "A\0" pack alike and must stay apart).
@Suite struct ByteSliceIndexTests {
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func numbersEveryKeyAsADictionaryWould(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var index = ByteSliceIndex(expectedCount: 1)
        var copy = ByteSliceIndex(expectedCount: 1)
        var reference: [[UInt8]: Int] = [:]
        for _ in 0..<2_000 {
            let length = Int(random.next() % 13)
            let key = (0..<length).map { _ in [0x00, 0x41, 0x42, 0xC3, 0xBC][Int(random.next() % 5)] as UInt8 }
            let expected = reference[key] ?? reference.count
            let got = key.withUnsafeBufferPointer { index.insert($0, 0, key.count) }
            #expect(got.index == expected && got.inserted == (reference[key] == nil), "seed \(seed) key \(key)")
            reference[key] = expected
            // Joining parts: numbering another index's entries gives the same numbers.
            let joined = copy.insert(entry: got.index, of: index)
            #expect(joined.index == got.index, "seed \(seed)")
        }
        #expect(index.count == reference.count && copy.count == reference.count)
        for (key, number) in reference {
            #expect(Array(index.key(number).utf8) == key || String(validating: key, as: UTF8.self) == nil)
        }
    }
}
