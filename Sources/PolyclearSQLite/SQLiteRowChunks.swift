import GRDB
import GRDBSQLite

/// Runs one write statement for many rows, `rowsPerStatement` rows per step.
///
/// Why: at 200,000+ transfers/s the projection thread is the ledger's ceiling, and about a
/// third of a one-row statement is per-statement work (bind, step, halt, reset). A multi-row
/// statement pays it once per chunk; the rows left over take the one-row form. Values bound
/// as blobs come from a scratch buffer that outlives the step (SQLITE_STATIC: no copy): the
/// caller's `bind` gets the row's own `slotBytes`-byte slot.
struct SQLiteRowChunks {
    /// Rows per multi-row statement.
    let rowsPerStatement: Int

    /// The statement for a full chunk and for one row.
    let chunkSQL: String
    let singleSQL: String
    /// Bytes of scratch each row may bind blobs from.
    let slotBytes: Int
    /// Whether every row must change exactly one row (an update of rows that must exist).
    let changesOneRowEach: Bool

    /// `head` + the row placeholders + `tail`; a row is `columnCount` parameters.
    init(head: String, columnCount: Int, tail: String = "", slotBytes: Int, changesOneRowEach: Bool = false) {
        let row = "(" + Array(repeating: "?", count: columnCount).joined(separator: ",") + ")"
        rowsPerStatement = 64
        chunkSQL = head + Array(repeating: row, count: rowsPerStatement).joined(separator: ",") + tail
        singleSQL = head + row + tail
        self.slotBytes = slotBytes
        self.changesOneRowEach = changesOneRowEach
    }

    /// One row per step, for a statement a multi-row form makes slower: an UPDATE (the
    /// multi-row `UPDATE … FROM (VALUES …)` materializes its rows first: measured 0.85–0.9×
    /// the one-row form's throughput), keeping the blob binding without copies.
    init(oneRow sql: String, slotBytes: Int, changesOneRowEach: Bool) {
        rowsPerStatement = 1
        chunkSQL = sql
        singleSQL = sql
        self.slotBytes = slotBytes
        self.changesOneRowEach = changesOneRowEach
    }

    /// Writes every item inside the caller's transaction; any failure aborts it. `bind` binds
    /// the item as the `row`-th row (its parameters start at `row` × columns + 1).
    func run<Items: RandomAccessCollection>(
        _ items: Items, _ db: Database,
        bind: (Items.Element, _ row: Int32, _ slot: UnsafeMutableRawPointer, OpaquePointer) -> Void
    ) throws where Items.Index == Int {
        guard !items.isEmpty else { return }
        try withUnsafeTemporaryAllocation(byteCount: rowsPerStatement * max(slotBytes, 1), alignment: 16) {
            let scratch = $0.baseAddress!
            var start = items.startIndex
            if items.count >= rowsPerStatement {
                let chunk = try db.cachedStatement(sql: chunkSQL).sqliteStatement
                let changes = changesOneRowEach ? Int32(rowsPerStatement) : nil
                while items.endIndex - start >= rowsPerStatement {
                    try SQLiteLedgerStore.step(chunk, db, expectChanges: changes) { s in
                        for row in 0..<rowsPerStatement {
                            bind(items[start + row], Int32(row), scratch + row * slotBytes, s)
                        }
                    }
                    start += rowsPerStatement
                }
            }
            guard start < items.endIndex else { return }
            let single = try db.cachedStatement(sql: singleSQL).sqliteStatement
            for index in start..<items.endIndex {
                try SQLiteLedgerStore.step(single, db, expectChanges: changesOneRowEach ? 1 : nil) { s in
                    bind(items[index], 0, scratch, s)
                }
            }
        }
    }

    /// An id: a 16-byte big-endian blob (`SQLiteValueCoding.bindID`'s encoding), from a
    /// 16-byte slot that outlives the step.
    @inline(__always)
    static func bindID(_ s: OpaquePointer, _ index: Int32, _ id: UInt128, _ slot: UnsafeMutableRawPointer) {
        slot.storeBytes(of: id.bigEndian, as: UInt128.self)
        sqlite3_bind_blob(s, index, slot, 16, nil)
    }

    /// An amount or reference (`SQLiteValueCoding.bindValue`'s encoding): INTEGER when it fits
    /// in 63 bits, else a 16-byte blob from the slot.
    @inline(__always)
    static func bindValue(_ s: OpaquePointer, _ index: Int32, _ value: UInt128, _ slot: UnsafeMutableRawPointer) {
        if value <= UInt128(Int64.max) {
            sqlite3_bind_int64(s, index, Int64(value))
        } else {
            bindID(s, index, value, slot)
        }
    }
}
