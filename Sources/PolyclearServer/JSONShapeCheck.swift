import Hummingbird

/// Checks every JSON request body before any decoder sees it, and refuses with a stable code:
/// - `unsupported_media_type` (415): a body whose `Content-Type` is not `application/json`;
/// - `json_too_deep`: nested deeper than `ServerLimits.jsonDepthMax` (our documents nest three levels at most,
///   and a deep one costs the decoder stack and time for nothing);
/// - `duplicate_json_key`: an object naming a key twice (decoders silently keep one of them —
///   which one differs between decoders, so a proxy and the hub could read different values);
/// - `control_character`: a control character in a string, even escaped (`\u0000`): no text
///   field of ours needs one, and they corrupt logs, CSV and ISO 20022 messages downstream;
/// - `malformed_json`: anything that is not one JSON value.
struct JSONShapeMiddleware: RouterMiddleware {
    typealias Context = PolyclearRequestContext
    let depthMax: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post || request.method == .put || request.method == .patch else {
            return try await next(request, context)
        }
        // ISO 20022 routes take XML, checked by their own parser.
        if request.uri.path.hasPrefix("/v1/iso20022/") { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        guard body.readableBytes > 0 else { return try await next(request, context) }
        guard Self.isJSON(request.headers[.contentType]) else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                "send JSON bodies with Content-Type: application/json")
        }
        if let problem = body.withUnsafeReadableBytes({ JSONShapeCheck.problem(in: $0, depthMax: depthMax) }) {
            throw APIError(.badRequest, code: problem.code, problem.message)
        }
        return try await next(request, context)
    }

    /// `application/json`, with parameters (`; charset=utf-8`) and in any case.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        return mediaType == "application/json"
    }
}

/// A strict one-pass reader of JSON (RFC 8259) that builds nothing but the keys of the
/// objects it is in: syntax, depth, duplicate keys (compared after unescaping) and control
/// characters. Recursion is bounded by `depthMax`. It reads the body in place, and the keys
/// of all open objects share one buffer (a batch of a thousand payments is some twenty
/// thousand strings: one allocation each cost a tenth of the batch endpoint's time).
struct JSONShapeCheck {
    struct Problem: Error, Equatable {
        let code: String
        let message: String
    }

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private let depthMax: Int
    /// The keys of the open objects, unescaped, back to back; `keyEnds[k]` ends key k.
    private var keyBytes: [UInt8] = []
    private var keyEnds: [Int] = []
    /// Past this many keys an object's keys are hashed instead of compared one by one (ours
    /// have a dozen; a hostile one of 100,000 must not cost 10^10 comparisons).
    static let keysComparedOneByOneMax = 32

    static func problem(in bytes: [UInt8], depthMax: Int) -> Problem? {
        bytes.withUnsafeBytes { problem(in: $0, depthMax: depthMax) }
    }

    static func problem(in bytes: UnsafeRawBufferPointer, depthMax: Int) -> Problem? {
        var reader = JSONShapeCheck(bytes: bytes, depthMax: depthMax)
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

    private init(bytes: UnsafeRawBufferPointer, depthMax: Int) {
        self.bytes = bytes
        self.depthMax = depthMax
    }

    private func malformed(_ what: String) -> Problem {
        Problem(code: "malformed_json", message: "not JSON: \(what) at byte \(position)")
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while position < bytes.count {
            let byte = bytes[position]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
            position += 1
        }
    }

    private mutating func expect(_ literal: StaticString) throws(Problem) {
        for offset in 0..<literal.utf8CodeUnitCount {
            guard current == literal.utf8Start[offset] else { throw malformed("expected \(literal)") }
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
        case UInt8(ascii: "\""): try string(isKey: false)
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
        // This object's keys are those from here on; they are dropped when it closes.
        let firstKey = keyEnds.count, keysStart = keyBytes.count
        defer {
            keyEnds.removeLast(keyEnds.count - firstKey)
            keyBytes.removeLast(keyBytes.count - keysStart)
        }
        var hashed: Set<ArraySlice<UInt8>>? = nil
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\"") else { throw malformed("expected a key") }
            let start = keyBytes.count
            try string(isKey: true)
            guard isNew(keyFrom: start, firstKey: firstKey, keysStart: keysStart, hashed: &hashed) else {
                throw Problem(
                    code: "duplicate_json_key",
                    message:
                        "the key \"\(String(decoding: keyBytes[start...], as: UTF8.self))\" appears twice in one object"
                )
            }
            keyEnds.append(keyBytes.count)
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

    /// Whether the key just read (`keyBytes[start...]`) differs from this object's earlier
    /// keys: compared one by one while they are few, through a set of them after.
    private func isNew(
        keyFrom start: Int, firstKey: Int, keysStart: Int, hashed: inout Set<ArraySlice<UInt8>>?
    ) -> Bool {
        let key = keyBytes[start...]
        if hashed == nil && keyEnds.count - firstKey >= Self.keysComparedOneByOneMax {
            var earlier = Set<ArraySlice<UInt8>>()
            var low = keysStart
            for end in keyEnds[firstKey...] {
                earlier.insert(keyBytes[low..<end])
                low = end
            }
            hashed = earlier
        }
        if hashed != nil { return hashed!.insert(key).inserted }
        var low = keysStart
        for end in keyEnds[firstKey...] {
            if keyBytes[low..<end].elementsEqual(key) { return false }
            low = end
        }
        return true
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

    /// Reads a string; a key's content (escapes resolved) goes to `keyBytes`, a value's nowhere.
    private mutating func string(isKey: Bool) throws(Problem) {
        position += 1
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"): try escape(isKey: isKey)
            case 0x00...0x1F, 0x7F: throw controlCharacter()
            default: if isKey { keyBytes.append(byte) }
            }
        }
        throw malformed("unterminated string")
    }

    private func controlCharacter() -> Problem {
        Problem(code: "control_character", message: "a text field holds a control character (byte \(position - 1))")
    }

    private mutating func escape(isKey: Bool) throws(Problem) {
        guard let byte = current else { throw malformed("unterminated escape") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): if isKey { keyBytes.append(byte) }
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
            if isKey { keyBytes.append(contentsOf: UTF8.encode(unicode)!) }
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
