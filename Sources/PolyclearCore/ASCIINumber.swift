/// Whole numbers read straight from bytes, as `Int64(String)` reads them: an optional `+` or
/// `-`, then one or more ASCII digits, in range — no `String` made. For the CSV readers.
public enum ASCIINumber {
    public static func int64(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        var index = start
        var negative = false
        if index < end && (bytes[index] == 0x2B || bytes[index] == 0x2D) {
            negative = bytes[index] == 0x2D
            index += 1
        }
        guard index < end else { return nil }
        // Accumulated as a negative number: Int64.min has no positive twin.
        var value: Int64 = 0
        while index < end {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.subtractingReportingOverflow(Int64(digit))
            guard !overflow, !overflow2 else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}
