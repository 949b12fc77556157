/// A compact binary form for `Codable` values, made for hub snapshots: read back in the order
/// it was written (the decoder is positional), by the same build of the same types.
///
/// - Fixed-width integers little-endian at their own width (`Int` and `UInt` as 8 bytes),
///   `Bool` one byte, floating point as its bit pattern, strings as a LEB128 byte count and
///   UTF-8.
/// - A keyed container starts with a 4-byte field count and writes each field's key
///   (interned: the first use of a name writes it, later uses its number), so decoding checks
///   every field against the name it expects, knows an absent optional field (written only
///   when present) and an enum's case from its key. An optional anywhere else (an element, a
///   value encoded as such) writes a presence byte.
/// - An unkeyed container starts with a 4-byte element count, filled in as elements are added.
///
/// Not a format to exchange: a snapshot carries its own format version and type fingerprint,
/// and one that does not match is refused (and the log replayed instead).
public enum BinaryCodec {
    /// Encodes `value`.
    /// - Parameter reserving: bytes to reserve up front (the result keeps that capacity: small
    ///   values encoded one by one, and kept, want a small one).
    public static func encode<T: Encodable>(_ value: T, reserving: Int = 1 << 16) throws -> [UInt8] {
        try encode(value, after: [], reserving: reserving)
    }

    /// Encodes `value` after `prefix` (a frame's header), in the same buffer: a large value is
    /// not copied again to be framed.
    public static func encode<T: Encodable>(_ value: T, after prefix: [UInt8], reserving: Int) throws -> [UInt8] {
        let sink = BinarySink(reserving: max(reserving, prefix.count))
        sink.bytes.append(contentsOf: prefix)
        try BinaryEncoderImpl(sink: sink).encodeValue(value)
        return sink.bytes
    }

    /// Decodes a `T` from exactly `bytes` (trailing bytes are an error); `userInfo` is what
    /// the types' decoders see as theirs.
    /// - Parameter offset: where the value starts in `bytes` (a frame before it is not copied).
    public static func decode<T: Decodable>(
        _ type: T.Type, from bytes: [UInt8], startingAt offset: Int = 0, userInfo: [CodingUserInfoKey: Any] = [:]
    ) throws -> T {
        let source = BinarySource(bytes)
        source.offset = min(max(0, offset), bytes.count)
        source.userInfo = userInfo
        let value = try BinaryDecoderImpl(source: source).decodeValue(type)
        guard source.offset == bytes.count else {
            throw BinaryCodecError.malformed("\(bytes.count - source.offset) bytes after the value")
        }
        return value
    }
}

public enum BinaryCodecError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    public var description: String {
        switch self {
        case .malformed(let why): "malformed binary value: \(why)"
        }
    }
}

/// What is written so far, and the key names interned.
final class BinarySink {
    /// Unchecked: a snapshot appends to it a few times per field of every payment, and the
    /// dynamic exclusivity check of each access cost about 1% of a loaded hub's CPU. Safe: a
    /// sink belongs to one encoding, on one thread, and no access to it overlaps another.
    @exclusivity(unchecked) var bytes: [UInt8] = []
    var keyNumbers: [String: UInt64] = [:]

    init(reserving: Int = 1 << 16) { bytes.reserveCapacity(reserving) }

    @inline(__always) func append<I: FixedWidthInteger>(_ value: I) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    func appendLEB128(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    func append(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            appendLEB128(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// 0 and the name on first use (it gets the next number); afterwards its number + 1.
    func appendKey(_ name: String) {
        if let number = keyNumbers[name] {
            appendLEB128(number + 1)
        } else {
            keyNumbers[name] = UInt64(keyNumbers.count)
            appendLEB128(0)
            append(name)
        }
    }

    /// Reserves an element count; `incrementCount(at:)` fills it in.
    func reserveCount() -> Int {
        let at = bytes.count
        append(UInt32(0))
        return at
    }

    func incrementCount(at offset: Int) {
        var count = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
        count |= UInt32(bytes[offset + 3]) << 24
        count += 1
        for byte in 0..<4 { bytes[offset + byte] = UInt8(truncatingIfNeeded: count >> (8 * UInt32(byte))) }
    }
}

/// Optionals write a presence byte wherever they appear (the generic paths cannot tell).
protocol BinaryEncodableOptional {
    var wrappedEncodable: (any Encodable)? { get }
}

extension Optional: BinaryEncodableOptional where Wrapped: Encodable {
    var wrappedEncodable: (any Encodable)? { self.map { $0 as any Encodable } }
}

/// Dictionaries as alternating keys and values: the standard form for `String` and `Int`
/// keys (a keyed container) is read back through `allKeys`, which a positional form lacks.
protocol BinaryEncodableDictionary {
    func encodePairs(_ encoder: BinaryEncoderImpl) throws
}

extension Dictionary: BinaryEncodableDictionary where Key: Encodable, Value: Encodable {
    /// Exactly what an unkeyed container of alternating keys and values writes (the standard
    /// form for other keys), so a type that writes its dictionary that way by hand
    /// (`CurrencyAmounts`, for `Fixing`) reads back as the dictionary.
    func encodePairs(_ encoder: BinaryEncoderImpl) throws {
        encoder.sink.append(UInt32(count * 2))
        // In key order where keys have one: the same state always gives the same bytes (the
        // order of a Dictionary differs from process to process).
        let pairs = (self as? any BinarySortableDictionary)?.sortedPairs() as? [(Key, Value)] ?? Array(self)
        for (key, value) in pairs {
            try encoder.encodeValue(key)
            try encoder.encodeValue(value)
        }
    }
}

protocol BinarySortableDictionary {
    func sortedPairs() -> Any
}

extension Dictionary: BinarySortableDictionary where Key: Comparable {
    func sortedPairs() -> Any { sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
}

/// Sets in element order where elements have one (for the same reason).
protocol BinaryEncodableSet {
    func encodeElements(_ encoder: BinaryEncoderImpl) throws
}

extension Set: BinaryEncodableSet where Element: Encodable & Comparable {
    func encodeElements(_ encoder: BinaryEncoderImpl) throws {
        var container = encoder.unkeyedContainer()
        for element in sorted() { try container.encode(element) }
    }
}

struct BinaryEncoderImpl: Encoder {
    let sink: BinarySink
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(BinaryKeyedEncoder<Key>(sink: sink))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        BinaryUnkeyedEncoder(sink: sink, countOffset: sink.reserveCount())
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { BinarySingleEncoder(sink: sink) }

    /// One value: fixed-width primitives as their bytes, arrays of `PlainBytes` wholesale,
    /// optionals with their presence byte, the rest through their own `encode(to:)`.
    func encodeValue<T: Encodable>(_ value: T) throws {
        if BinaryPrimitive.isFixedWidth(T.self) {
            withUnsafeBytes(of: value) { sink.bytes.append(contentsOf: $0) }
        } else if T.self == String.self {
            sink.append(value as! String)
        } else if T.self is any BinaryEncodableOptional.Type, let optional = value as? any BinaryEncodableOptional {
            // First, and by the static type: a cast of an optional to the protocols below
            // would look through it and lose the presence byte.
            if let wrapped = optional.wrappedEncodable {
                sink.bytes.append(1)
                try encodeValue(wrapped)
            } else {
                sink.bytes.append(0)
            }
        } else if let array = value as? any BinaryPlainArray {
            array.appendPlainBytes(to: sink)
        } else if let records = value as? any BinaryRecordArray {
            records.appendRecords(to: sink)
        } else if let dictionary = value as? any BinaryEncodableDictionary {
            try dictionary.encodePairs(self)
        } else if let set = value as? any BinaryEncodableSet {
            try set.encodeElements(self)
        } else {
            try value.encode(to: self)
        }
    }
}

/// The primitives written as their own bytes (little-endian machines only: the snapshot's
/// header says which order it was written in, and another is refused).
enum BinaryPrimitive {
    @inline(__always) static func isFixedWidth<T>(_ type: T.Type) -> Bool {
        type == Int.self || type == UInt64.self || type == Int64.self || type == UInt32.self || type == UInt128.self
            || type == Bool.self || type == Int32.self || type == UInt16.self || type == UInt8.self
            || type == Int128.self || type == Int16.self || type == Int8.self || type == UInt.self
            || type == Double.self || type == Float.self
    }
}

/// Arrays of `PlainBytes`: a count, the element size and the elements' bytes.
protocol BinaryPlainArray {
    func appendPlainBytes(to sink: BinarySink)
}

extension ContiguousArray: BinaryPlainArray where Element: PlainBytes {
    func appendPlainBytes(to sink: BinarySink) {
        sink.append(UInt32(count))
        sink.append(UInt32(MemoryLayout<Element>.stride))
        withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
    }
}

extension Array: BinaryPlainArray where Element: PlainBytes {
    func appendPlainBytes(to sink: BinarySink) {
        sink.append(UInt32(count))
        sink.append(UInt32(MemoryLayout<Element>.stride))
        withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
    }
}

struct BinaryKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: BinarySink
    /// Where this container's field count is (filled in as fields are added).
    let countOffset: Int
    var codingPath: [any CodingKey] { [] }
    var encoder: BinaryEncoderImpl { BinaryEncoderImpl(sink: sink) }

    init(sink: BinarySink) {
        self.sink = sink
        countOffset = sink.reserveCount()
    }

    private func field(_ key: Key) {
        sink.incrementCount(at: countOffset)
        sink.appendKey(key.stringValue)
    }

    /// An absent value is an absent field (as `encodeIfPresent` of nil): the decoder tells by
    /// the field count and the next key.
    mutating func encodeNil(forKey key: Key) throws {}

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        field(key)
        try encoder.encodeValue(value)
    }
    // The standard library's defaults for these two throw ("not implemented").
    mutating func encode(_ value: UInt128, forKey key: Key) throws { try present(value, key) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { try present(value, key) }

    // An optional field is written only when present (as the standard library's defaults do,
    // but through this container, which counts it); types that write a field only now and
    // then (`ImbalanceRules`, `MemberCharge`) read back the same way.
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: UInt128?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: Int128?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try present(value, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try present(value, key) }

    private func present<T: Encodable>(_ value: T?, _ key: Key) throws {
        guard let value else { return }
        field(key)
        try encoder.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        field(key)
        return encoder.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        field(key)
        return encoder.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        sink.incrementCount(at: countOffset)
        sink.appendKey("super")
        return encoder
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        field(key)
        return encoder
    }
}

struct BinaryUnkeyedEncoder: UnkeyedEncodingContainer {
    let sink: BinarySink
    let countOffset: Int
    var codingPath: [any CodingKey] { [] }
    var count = 0
    var encoder: BinaryEncoderImpl { BinaryEncoderImpl(sink: sink) }

    private mutating func added() {
        count += 1
        sink.incrementCount(at: countOffset)
    }

    mutating func encodeNil() throws {
        added()
        sink.bytes.append(0)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        added()
        try encoder.encodeValue(value)
    }
    mutating func encode(_ value: UInt128) throws {
        added()
        try encoder.encodeValue(value)
    }
    mutating func encode(_ value: Int128) throws {
        added()
        try encoder.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        added()
        return encoder.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        added()
        return encoder.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        added()
        return encoder
    }
}

struct BinarySingleEncoder: SingleValueEncodingContainer {
    let sink: BinarySink
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { sink.bytes.append(0) }
    mutating func encode<T: Encodable>(_ value: T) throws { try BinaryEncoderImpl(sink: sink).encodeValue(value) }
    mutating func encode(_ value: UInt128) throws { try BinaryEncoderImpl(sink: sink).encodeValue(value) }
    mutating func encode(_ value: Int128) throws { try BinaryEncoderImpl(sink: sink).encodeValue(value) }
}
