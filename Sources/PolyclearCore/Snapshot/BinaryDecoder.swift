/// Reads what `BinaryCodec.encode` wrote, in the same order (see `BinaryCodec`). Every read
/// is bounds-checked and every field's key checked against the name the type expects: a
/// damaged or foreign value throws `BinaryCodecError`, never traps.
final class BinarySource {
    let bytes: [UInt8]
    var offset = 0
    var keyNames: [String] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func take(_ count: Int) throws -> Range<Int> {
        guard count >= 0, bytes.count - offset >= count else {
            throw BinaryCodecError.malformed("ends early at byte \(offset)")
        }
        defer { offset += count }
        return offset..<(offset + count)
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let range = try take(MemoryLayout<I>.size)
        var value = I.zero
        withUnsafeMutableBytes(of: &value) { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[range]))
            }
        }
        return I(littleEndian: value)
    }

    func leb128() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = bytes[try take(1).lowerBound]
            guard shift < 64 else { throw BinaryCodecError.malformed("a length runs past 64 bits at byte \(offset)") }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    func string() throws -> String {
        let length = try leb128()
        guard length <= UInt64(bytes.count - offset) else {
            throw BinaryCodecError.malformed("ends early at byte \(offset)")
        }
        let range = try take(Int(length))
        guard let string = UTF8Text.string(bytes[range]) else {
            throw BinaryCodecError.malformed("a string at byte \(range.lowerBound) is not UTF-8")
        }
        return string
    }

    func byte() throws -> UInt8 { bytes[try take(1).lowerBound] }

    /// The next field's key name (interned as `BinarySink.appendKey` wrote it).
    func key() throws -> String {
        let number = try leb128()
        if number == 0 {
            let name = try string()
            keyNames.append(name)
            return name
        }
        guard number - 1 < UInt64(keyNames.count) else {
            throw BinaryCodecError.malformed("unknown key number \(number)")
        }
        return keyNames[Int(number - 1)]
    }

    /// The next key without consuming it.
    func peekKey() throws -> String {
        let (savedOffset, savedCount) = (offset, keyNames.count)
        defer {
            offset = savedOffset
            keyNames.removeLast(keyNames.count - savedCount)
        }
        return try key()
    }
}

protocol BinaryDecodableOptional {
    static var wrappedDecodable: any Decodable.Type { get }
    static var absent: Self { get }
    static func some(_ wrapped: any Decodable) -> Self?
}

extension Optional: BinaryDecodableOptional where Wrapped: Decodable {
    static var wrappedDecodable: any Decodable.Type { Wrapped.self }
    static var absent: Self { nil }
    static func some(_ wrapped: any Decodable) -> Self? { (wrapped as? Wrapped).map { Optional($0) } }
}

protocol BinaryDecodableDictionary {
    static func decodePairs(_ decoder: BinaryDecoderImpl) throws -> Self
}

extension Dictionary: BinaryDecodableDictionary where Key: Decodable, Value: Decodable {
    static func decodePairs(_ decoder: BinaryDecoderImpl) throws -> Self {
        let elements = Int(try decoder.source.integer(UInt32.self))
        let count = elements / 2
        // Each pair takes at least two bytes: a count the rest cannot hold reserves nothing.
        guard elements % 2 == 0, count <= (decoder.source.bytes.count - decoder.source.offset) / 2 else {
            throw BinaryCodecError.malformed("a dictionary of \(elements) keys and values in too few bytes")
        }
        var dictionary = Self(minimumCapacity: count)
        for _ in 0..<count {
            let key = try decoder.decodeValue(Key.self)
            let value = try decoder.decodeValue(Value.self)
            guard dictionary.updateValue(value, forKey: key) == nil else {
                throw BinaryCodecError.malformed("a dictionary key twice")
            }
        }
        return dictionary
    }
}

struct BinaryDecoderImpl: Decoder {
    let source: BinarySource
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { source.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let count = Int(try source.integer(UInt32.self))
        return KeyedDecodingContainer(BinaryKeyedDecoder<Key>(source: source, left: BinaryFieldsLeft(count)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        // Nothing is reserved for the count: a damaged one ends in "ends early".
        BinaryUnkeyedDecoder(source: source, total: Int(try source.integer(UInt32.self)))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { BinarySingleDecoder(source: source) }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if BinaryPrimitive.isFixedWidth(T.self) {
            let range = try source.take(MemoryLayout<T>.size)
            if T.self == Bool.self, source.bytes[range.lowerBound] > 1 {
                throw BinaryCodecError.malformed("a Bool of \(source.bytes[range.lowerBound])")
            }
            return source.bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: range.lowerBound, as: T.self) }
        }
        if T.self == String.self { return try source.string() as! T }
        if let array = T.self as? any BinaryPlainArrayDecodable.Type { return try array.init(plainBytes: source) as! T }
        if let records = T.self as? any BinaryRecordArrayDecodable.Type {
            return try records.init(records: source) as! T
        }
        if let dictionary = T.self as? any BinaryDecodableDictionary.Type {
            return try dictionary.decodePairs(self) as! T
        }
        if let optional = T.self as? any BinaryDecodableOptional.Type {
            switch try source.byte() {
            case 0: return optional.absent as! T
            case 1:
                let wrapped = try decodeValue(optional.wrappedDecodable)
                guard let value = optional.some(wrapped) else { throw BinaryCodecError.malformed("an optional") }
                return value as! T
            case let byte: throw BinaryCodecError.malformed("an optional's presence byte of \(byte)")
            }
        }
        return try T(from: self)
    }
}

protocol BinaryPlainArrayDecodable {
    init(plainBytes source: BinarySource) throws
}

extension BinarySource {
    /// The bytes of `count` elements of `Element`, after checking the element size written.
    func plainElements<Element: PlainBytes>(_ type: Element.Type) throws -> (count: Int, bytes: Range<Int>) {
        let count = Int(try integer(UInt32.self))
        let stride = Int(try integer(UInt32.self))
        guard stride == MemoryLayout<Element>.stride else {
            throw BinaryCodecError.malformed(
                "elements of \(stride) bytes where \(MemoryLayout<Element>.stride) are read")
        }
        return (count, try take(count * stride))
    }
}

extension ContiguousArray: BinaryPlainArrayDecodable where Element: PlainBytes {
    init(plainBytes source: BinarySource) throws {
        let (count, range) = try source.plainElements(Element.self)
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            source.bytes.withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[range]))
            }
            initialized = count
        }
    }
}

extension Array: BinaryPlainArrayDecodable where Element: PlainBytes {
    init(plainBytes source: BinarySource) throws {
        self = Array(try ContiguousArray<Element>(plainBytes: source))
    }
}

/// The fields of a keyed container not read yet (shared by the container's copies).
final class BinaryFieldsLeft {
    var count: Int
    init(_ count: Int) { self.count = count }
}

struct BinaryKeyedDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let source: BinarySource
    let left: BinaryFieldsLeft
    var codingPath: [any CodingKey] { [] }
    var decoder: BinaryDecoderImpl { BinaryDecoderImpl(source: source) }

    /// The next field's key, if the container has one left.
    private var nextKey: String? { left.count > 0 ? try? source.peekKey() : nil }

    /// Positional: only the next key is known (enough for an enum, which has one).
    var allKeys: [Key] { nextKey.flatMap { Key(stringValue: $0) }.map { [$0] } ?? [] }

    func contains(_ key: Key) -> Bool { nextKey == key.stringValue }

    private func expect(_ key: Key) throws {
        guard left.count > 0 else { throw BinaryCodecError.malformed("field \(key.stringValue) missing") }
        let found = try source.key()
        guard found == key.stringValue else {
            throw BinaryCodecError.malformed("field \(found) where \(key.stringValue) was expected")
        }
        left.count -= 1
    }

    /// Nil is an absent field (`BinaryKeyedEncoder.encodeNil`).
    func decodeNil(forKey key: Key) throws -> Bool { !contains(key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try expect(key)
        return try decoder.decodeValue(type)
    }
    // The standard library's defaults for these two throw ("not implemented").
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 {
        try expect(key)
        return try decoder.decodeValue(type)
    }
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 {
        try expect(key)
        return try decoder.decodeValue(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try present(type, key) }
    func decodeIfPresent(_ type: UInt128.Type, forKey key: Key) throws -> UInt128? { try present(type, key) }
    func decodeIfPresent(_ type: Int128.Type, forKey key: Key) throws -> Int128? { try present(type, key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try present(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try present(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try present(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try present(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try present(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try present(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try present(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try present(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try present(type, key) }

    /// An optional field: there if the next field is it.
    private func present<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        guard contains(key) else { return nil }
        try expect(key)
        return try decoder.decodeValue(type)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try expect(key)
        return try decoder.container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try expect(key)
        return try decoder.unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard left.count > 0, try source.key() == "super" else {
            throw BinaryCodecError.malformed("no super field where one was expected")
        }
        left.count -= 1
        return decoder
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try expect(key)
        return decoder
    }
}

struct BinaryUnkeyedDecoder: UnkeyedDecodingContainer {
    let source: BinarySource
    let total: Int
    var codingPath: [any CodingKey] { [] }
    var count: Int? { total }
    var currentIndex = 0
    var isAtEnd: Bool { currentIndex >= total }
    var decoder: BinaryDecoderImpl { BinaryDecoderImpl(source: source) }

    init(source: BinarySource, total: Int) {
        self.source = source
        self.total = total
    }

    private mutating func next() throws {
        guard !isAtEnd else { throw BinaryCodecError.malformed("more elements read than the \(total) written") }
        currentIndex += 1
    }

    /// Optionals are read by `decodeValue` with their presence byte, so an element is never
    /// nil to a type that asks first (as with `BinarySingleDecoder`).
    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next()
        return try decoder.decodeValue(type)
    }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 {
        try next()
        return try decoder.decodeValue(type)
    }
    mutating func decode(_ type: Int128.Type) throws -> Int128 {
        try next()
        return try decoder.decodeValue(type)
    }

    mutating func decodeIfPresent<T: Decodable>(_ type: T.Type) throws -> T? {
        try next()
        return try decoder.decodeValue(T?.self)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next()
        return try decoder.container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next()
        return try decoder.unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        try next()
        return decoder
    }
}

struct BinarySingleDecoder: SingleValueDecodingContainer {
    let source: BinarySource
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool {
        // Optionals are read by `decodeValue` with their presence byte; a custom type asking
        // this first would see its own first byte, so it is never nil here.
        false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try BinaryDecoderImpl(source: source).decodeValue(type) }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try BinaryDecoderImpl(source: source).decodeValue(type) }
    func decode(_ type: Int128.Type) throws -> Int128 { try BinaryDecoderImpl(source: source).decodeValue(type) }
}
