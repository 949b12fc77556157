import Foundation
import Testing

@testable import PolyclearServer
import PolyclearWorkload

/// The JSON shape check reads the body in place and builds only the keys of the object it is
/// in; the reading it replaced (2026-12-07, below, kept as the specification) built every
/// string. Both must answer alike — the same problem, code and message, or none — on
/// documents made to break them: duplicate keys spelled with and without escapes, objects of
/// many keys, deep nesting, control characters, surrogates, truncation.
@Suite struct JSONShapeCheckTests {
    static let pieces: [String] = [
        "{", "}", "[", "]", ",", ":", " ", "\"a\"", "\"b\"", "\"\\u0061\"", "\"\\u00e9\"", "\"é\"", "1", "-0.5e3",
        "true", "null", "\"x\\n\"", "\"\\ud83d\\ude00\"", "\"\\udc00\"", "\"\u{01}\"", "\"\\u007f\"", "01", "\"",
        "\\", "\"k\\\"\"",
    ]

    /// A document that is mostly well formed: objects with keys drawn from a few (so some
    /// repeat, some only once unescaped), arrays, scalars; now and then a random piece.
    static func document(_ random: inout SeededRandom, depth: Int = 0) -> String {
        if random.next() % 23 == 0 { return pieces[Int(random.next() % UInt64(pieces.count))] }
        switch random.next() % (depth > 6 ? 3 : 5) {
        case 0: return ["1", "\"v\"", "true", "null", "-2.5", "\"\\u0041b\""][Int(random.next() % 6)]
        case 1: return "\"text \(random.next() % 100)\""
        case 2: return "2"
        case 3:
            let count = random.next() % 9 == 0 ? 40 + Int(random.next() % 30) : Int(random.next() % 5)
            let keys = (0..<count).map { index in
                let key = random.next() % 3 == 0 ? "k\(random.next() % 6)" : "key\(index)"
                let spelled = random.next() % 4 == 0 ? key.replacingOccurrences(of: "k", with: "\\u006b") : key
                return "\"\(spelled)\":\(document(&random, depth: depth + 1))"
            }
            return "{" + keys.joined(separator: random.next() % 2 == 0 ? "," : " , ") + "}"
        default:
            let count = Int(random.next() % 4)
            return "[" + (0..<count).map { _ in document(&random, depth: depth + 1) }.joined(separator: ",") + "]"
        }
    }

    @Test(arguments: 1...400 as ClosedRange<UInt64>)
    func answersAsTheReadingItReplaced(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var text = Self.document(&random)
        if random.next() % 7 == 0, !text.isEmpty { text.removeLast(Int(random.next() % UInt64(text.count)) + 1) }
        let bytes = Array(text.utf8)
        let depthMax = 2 + Int(random.next() % 6)
        let expected = JSONShapeReference.problem(in: bytes, depthMax: depthMax)
        #expect(JSONShapeCheck.problem(in: bytes, depthMax: depthMax) == expected, "seed \(seed): \(text)")
    }

    /// An object of many keys is checked by hashing, not by comparing each key with all the
    /// others: its duplicate, however late and however spelled, is still found.
    @Test func aLateDuplicateAmongManyKeysIsFound() {
        let keys = (0..<5_000).map { "\"key\($0)\":1" }
        let late = "{" + keys.joined(separator: ",") + ",\"\\u006bey17\":2}"
        #expect(JSONShapeCheck.problem(in: Array(late.utf8), depthMax: 4)?.code == "duplicate_json_key")
        let distinct = "{" + keys.joined(separator: ",") + "}"
        #expect(JSONShapeCheck.problem(in: Array(distinct.utf8), depthMax: 4) == nil)
    }
}

/// A strict one-pass reader of JSON (RFC 8259) that builds nothing but the keys of the
/// object it is in: syntax, depth, duplicate keys (compared after unescaping) and control
/// characters. Recursion is bounded by `depthMax`.
struct JSONShapeReference {
    typealias Problem = JSONShapeCheck.Problem

    private let bytes: [UInt8]
    private var position = 0
    private let depthMax: Int

    static func problem(in bytes: [UInt8], depthMax: Int) -> Problem? {
        var reader = JSONShapeReference(bytes: bytes, depthMax: depthMax)
        do throws(Problem) {
            reader.skipSpace()
            try reader.value(depth: 0)
            reader.skipSpace()
            guard reader.position == bytes.count else { throw reader.malformed("text after the JSON value") }
            return nil
        } catch {
            return error
        }
    }

    private init(bytes: [UInt8], depthMax: Int) {
        self.bytes = bytes
        self.depthMax = depthMax
    }

    private func malformed(_ what: String) -> Problem {
        Problem(code: "malformed_json", message: "not JSON: \(what) at byte \(position)")
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func expect(_ literal: String) throws(Problem) {
        for byte in literal.utf8 {
            guard current == byte else { throw malformed("expected \(literal)") }
            position += 1
        }
    }

    private mutating func value(depth: Int) throws(Problem) {
        switch current ?? 0 {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < depthMax else {
                throw Problem(code: "json_too_deep", message: "the body nests more than \(depthMax) arrays and objects")
            }
            if current == UInt8(ascii: "{") { try object(depth: depth + 1) } else { try array(depth: depth + 1) }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try expect("true")
        case UInt8(ascii: "f"): try expect("false")
        case UInt8(ascii: "n"): try expect("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw malformed("expected a value")
        }
    }

    private mutating func object(depth: Int) throws(Problem) {
        position += 1
        skipSpace()
        if current == UInt8(ascii: "}") { position += 1; return }
        var keys: Set<[UInt8]> = []
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\"") else { throw malformed("expected a key") }
            let key = try string()
            guard keys.insert(key).inserted else {
                throw Problem(
                    code: "duplicate_json_key",
                    message: "the key \"\(String(decoding: key, as: UTF8.self))\" appears twice in one object")
            }
            skipSpace()
            try expect(":")
            skipSpace()
            try value(depth: depth)
            skipSpace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect("}")
            return
        }
    }

    private mutating func array(depth: Int) throws(Problem) {
        position += 1
        skipSpace()
        if current == UInt8(ascii: "]") { position += 1; return }
        while true {
            skipSpace()
            try value(depth: depth)
            skipSpace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect("]")
            return
        }
    }

    /// A string's UTF-8 content with escapes resolved.
    private mutating func string() throws(Problem) -> [UInt8] {
        position += 1
        var content: [UInt8] = []
        while let byte = current {
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return content
            case UInt8(ascii: "\\"): try escape(into: &content)
            case 0x00...0x1F, 0x7F: throw controlCharacter()
            default: content.append(byte)
            }
        }
        throw malformed("unterminated string")
    }

    private func controlCharacter() -> Problem {
        Problem(code: "control_character", message: "a text field holds a control character (byte \(position - 1))")
    }

    private mutating func escape(into content: inout [UInt8]) throws(Problem) {
        guard let byte = current else { throw malformed("unterminated escape") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): content.append(byte)
        case UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            throw controlCharacter()
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                try expect("\\u")
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw malformed("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw malformed("unpaired surrogate")
            }
            guard scalar >= 0x20, !(0x7F...0x9F).contains(scalar), let unicode = Unicode.Scalar(scalar) else {
                throw controlCharacter()
            }
            content.append(contentsOf: Array(String(Character(unicode)).utf8))
        default: throw malformed("unknown escape")
        }
    }

    private mutating func hex4() throws(Problem) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Self.hexDigit(byte) else { throw malformed("bad \\u escape") }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private mutating func number() throws(Problem) {
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw malformed("bad number")
        }
        position += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if current == UInt8(ascii: ".") {
            position += 1
            guard try requireDigit() else { throw malformed("bad number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard try requireDigit() else { throw malformed("bad number") }
        }
    }

    private mutating func skipDigits() {
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
    }

    private mutating func requireDigit() throws(Problem) -> Bool {
        guard let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
        skipDigits()
        return true
    }
}
