/// Strings from bytes that must be UTF-8 (request fields, log and snapshot strings).
public enum UTF8Text {
    /// The bytes as a string, or nil if they are not valid UTF-8. ASCII — nearly every field
    /// a bank sends — is copied as it is; anything else goes through the standard library's
    /// validation, whose generic call looks up type metadata each time (2% of the CPU of a
    /// batch of payments when every field went that way).
    public static func string(_ bytes: UnsafeRawBufferPointer) -> String? {
        for byte in bytes where byte >= 0x80 {
            return String(validating: bytes, as: UTF8.self)
        }
        return String(unsafeUninitializedCapacity: bytes.count) { target in
            guard let source = bytes.baseAddress, let destination = target.baseAddress else { return 0 }
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: bytes.count)
            return bytes.count
        }
    }

    public static func string(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBytes { string($0) }
    }
}
