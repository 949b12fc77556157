/// The split `polyclear net --out` writes: `id,set_off,remainder` for every row, in file order.
/// Written in chunks into buffers the caller owns (`writeSplitLines`), sized first
/// (`splitByteCount`): the writer of a million-row split needs no buffer the size of the file,
/// and each core can write its share of the rows at its own offset.
extension ObligationCSV {
    /// The split's first line.
    public static let splitHeader: [UInt8] = Array("id,set_off,remainder\n".utf8)

    /// The bytes the split lines of `rows` take, and the longest of them.
    public func splitByteCount(setOffMinor: [Int64], rows: Range<Int>) -> (byteCount: Int, longestLine: Int) {
        var total = 0, longest = 0
        for row in rows {
            let setOff = setOffMinor[row]
            let length =
                idSpans[row].count + 3 + Self.decimalLength(setOff)
                + Self.decimalLength(obligations[row].amountMinor - setOff)
            total += length
            longest = max(longest, length)
        }
        return (total, longest)
    }

    /// Writes the split lines of `rows`, from the first, into `buffer` while whole lines fit;
    /// answers how many rows it wrote and the bytes they took (no row when the first line does
    /// not fit: give a buffer of at least `splitByteCount`'s longest line).
    public func writeSplitLines(
        setOffMinor: [Int64], rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<UInt8>
    ) -> (rowCount: Int, byteCount: Int) {
        guard let base = buffer.baseAddress else { return (0, 0) }
        let end = base + buffer.count
        var at = base, row = rows.lowerBound
        bytes.withUnsafeBufferPointer { file in
            while row < rows.upperBound {
                let span = idSpans[row], setOff = setOffMinor[row]
                // A line is at most its id, two 20-byte numbers and three separators.
                guard end - at >= span.count + 43 else { break }
                at.update(from: file.baseAddress! + span.start, count: span.count)
                at += span.count
                at.pointee = 0x2C
                at = Self.writeDecimal(setOff, at + 1)
                at.pointee = 0x2C
                at = Self.writeDecimal(obligations[row].amountMinor - setOff, at + 1)
                at.pointee = 0x0A
                at += 1
                row += 1
            }
        }
        return (row - rows.lowerBound, at - base)
    }

    /// The whole split as bytes, header first (for small files and tests; `net` writes in chunks).
    public func splitCSV(setOffMinor: [Int64]) -> [UInt8] {
        let rows = 0..<rowCount
        let size = splitByteCount(setOffMinor: setOffMinor, rows: rows)
        let capacity = Self.splitHeader.count + size.byteCount + 43
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            _ = buffer.initialize(from: Self.splitHeader)
            let lines = UnsafeMutableBufferPointer(rebasing: buffer[Self.splitHeader.count...])
            count =
                Self.splitHeader.count + writeSplitLines(setOffMinor: setOffMinor, rows: rows, into: lines).byteCount
        }
    }

    /// The bytes `writeDecimal` writes for `value`.
    @inline(__always)
    static func decimalLength(_ value: Int64) -> Int {
        (value < 0 ? 1 : 0) + digitCount(value.magnitude)
    }
}
