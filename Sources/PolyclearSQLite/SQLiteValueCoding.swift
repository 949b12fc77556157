import GRDBSQLite

/// Binds and reads 128-bit values on raw SQLite statements, without allocating.
enum SQLiteValueCoding {
    /// SQLite's SQLITE_TRANSIENT: make a private copy of the bound bytes.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// An id: always a 16-byte big-endian BLOB.
    @inline(__always)
    static func bindID(_ statement: OpaquePointer, _ index: Int32, _ id: UInt128) {
        var bigEndian = id.bigEndian
        withUnsafeBytes(of: &bigEndian) { bytes in
            _ = sqlite3_bind_blob(statement, index, bytes.baseAddress, 16, transient)
        }
    }

    /// An amount or reference: INTEGER when it fits in 63 bits, else a 16-byte BLOB.
    @inline(__always)
    static func bindValue(_ statement: OpaquePointer, _ index: Int32, _ value: UInt128) {
        if value <= UInt128(Int64.max) {
            sqlite3_bind_int64(statement, index, Int64(value))
        } else {
            bindID(statement, index, value)
        }
    }

    @inline(__always)
    static func bindInt(_ statement: OpaquePointer, _ index: Int32, _ value: some BinaryInteger) {
        sqlite3_bind_int64(statement, index, Int64(value))
    }

    /// Reads either encoding; a malformed column is reported, never guessed.
    static func readValue(_ statement: OpaquePointer, _ column: Int32) throws(SQLiteDecodingError) -> UInt128 {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            let value = sqlite3_column_int64(statement, column)
            guard value >= 0 else { throw SQLiteDecodingError(column: column) }
            return UInt128(value)
        case SQLITE_BLOB:
            guard sqlite3_column_bytes(statement, column) == 16, let bytes = sqlite3_column_blob(statement, column)
            else {
                throw SQLiteDecodingError(column: column)
            }
            return UInt128(bigEndian: bytes.loadUnaligned(as: UInt128.self))
        default:
            throw SQLiteDecodingError(column: column)
        }
    }

    static func readInt<T: FixedWidthInteger>(
        _ statement: OpaquePointer, _ column: Int32, as type: T.Type
    )
        throws(SQLiteDecodingError) -> T
    {
        guard sqlite3_column_type(statement, column) == SQLITE_INTEGER,
            let value = T(exactly: sqlite3_column_int64(statement, column))
        else { throw SQLiteDecodingError(column: column) }
        return value
    }
}

struct SQLiteDecodingError: Error {
    let column: Int32
}
