public import PolyclearCore
import PolyclearStorage
import GRDB
import GRDBSQLite

/// The by-account index (schema `v6-posting-lists`): each projection step writes, per account
/// it touched, one row — (bucket, account, first timestamp) → the timestamps of the step's
/// transfers that debit or credit the account, ascending, packed as little-endian UInt64s. A
/// busy account (a settlement account on every payment) is one row per step instead of
/// thousands. A step's rows all go into one bucket: the open one, or a new one once the open
/// one holds its `postingsPerBucket` postings; a bucket's first timestamp is the first posting
/// in it, so buckets partition time in order.
extension SQLiteLedgerStore {
    /// `OR ROLLBACK`, as the transfers' rows (no statement journal per insert).
    private static let postingListRows = SQLiteRowChunks(
        head:
            "INSERT OR ROLLBACK INTO account_posting_lists (bucket, account_id, first_timestamp, last_timestamp, timestamps) VALUES",
        columnCount: 5, slotBytes: 16)

    static func insertPostingLists(
        _ transfers: ContiguousArray<StoredTransfer>, shift: Int64, _ db: Database
    ) throws {
        guard let firstTimestamp = transfers.first?.transfer.timestamp else { return }
        let postingCount = try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'posting_count'") ?? 0
        let openBucket = try Int64.fetchOne(db, sql: "SELECT MAX(bucket) FROM posting_buckets")
        var bucket = postingCount >> shift
        if let openBucket, openBucket >= bucket {
            bucket = openBucket
        } else {
            try db.execute(
                sql: "INSERT INTO posting_buckets (bucket, first_timestamp) VALUES (?, ?)",
                arguments: [bucket, Int64(bitPattern: firstTimestamp)])
        }
        let grouped = PostingGroups(transfers)
        // In key order (account, then time): consecutive inserts land on neighbouring pages.
        try grouped.timestamps.withUnsafeBytes { raw in
            try postingListRows.run(grouped.accounts, db) { account, row, slot, s in
                let first = row * 5
                let (accountID, range) = account
                sqlite3_bind_int64(s, first + 1, bucket)
                SQLiteRowChunks.bindID(s, first + 2, accountID, slot)
                sqlite3_bind_int64(
                    s, first + 3, Int64(bitPattern: UInt64(littleEndian: grouped.timestamps[range.lowerBound])))
                sqlite3_bind_int64(
                    s, first + 4, Int64(bitPattern: UInt64(littleEndian: grouped.timestamps[range.upperBound - 1])))
                // SQLITE_STATIC: `raw` outlives the step.
                sqlite3_bind_blob(s, first + 5, raw.baseAddress! + range.lowerBound * 8, Int32(range.count * 8), nil)
            }
        }
        try db.execute(
            sql: "UPDATE ledger_meta SET value = ? WHERE key = 'posting_count'",
            arguments: [postingCount + Int64(grouped.timestamps.count)])
    }

    /// Seeks the account index once per bucket the range overlaps, oldest first: a bucket's
    /// postings from before `v6-posting-lists` (one row each), then its posting lists (all
    /// later in time), each transfer then read by its timestamp.
    public func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
        let lower = Int64(clamping: timestamps.lowerBound), upper = Int64(clamping: timestamps.upperBound)
        try await awaitProjection()
        return try await tables.read { db in
            var found: [StoredTransfer] = []
            let hasLists = try db.tableExists("account_posting_lists")
            for bucket in try Self.buckets(overlapping: lower..<upper, db) where found.count < limit {
                try Self.appendSinglePostings(
                    bucket: bucket, accountID, lower..<upper, limit: limit, to: &found, db)
                if hasLists {
                    try Self.appendPostingLists(bucket: bucket, accountID, lower..<upper, limit: limit, to: &found, db)
                }
            }
            return found
        }
    }

    /// The buckets whose postings may fall in the range, in order.
    static func buckets(overlapping range: Range<Int64>, _ db: Database) throws -> [Int64] {
        let first =
            try Int64.fetchOne(
                db, sql: "SELECT MAX(bucket) FROM posting_buckets WHERE first_timestamp <= ?",
                arguments: [range.lowerBound])
            ?? Int64.fetchOne(db, sql: "SELECT MIN(bucket) FROM posting_buckets")
        guard let first else { return [] }
        return try Int64.fetchAll(
            db, sql: "SELECT bucket FROM posting_buckets WHERE bucket >= ? AND first_timestamp < ? ORDER BY bucket",
            arguments: [first, range.upperBound])
    }

    private static func appendSinglePostings(
        bucket: Int64, _ accountID: UInt128, _ range: Range<Int64>, limit: Int, to found: inout [StoredTransfer],
        _ db: Database
    ) throws {
        let columns = transferColumns.split(separator: ",").map {
            "t." + $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let sql = """
            SELECT \(columns.joined(separator: ", ")) FROM account_postings p JOIN transfers t ON t.timestamp = p.timestamp
            WHERE p.bucket = ?1 AND p.account_id = ?2 AND p.timestamp >= ?3 AND p.timestamp < ?4
            ORDER BY p.timestamp LIMIT ?5
            """
        let wanted = limit - found.count
        var rows: [StoredTransfer] = []
        try forEachRow(
            db, sql,
            bind: { s in
                sqlite3_bind_int64(s, 1, bucket)
                SQLiteValueCoding.bindID(s, 2, accountID)
                sqlite3_bind_int64(s, 3, range.lowerBound)
                sqlite3_bind_int64(s, 4, range.upperBound)
                sqlite3_bind_int64(s, 5, Int64(wanted))
            }
        ) { s in rows.append(try decodeTransfer(s)) }
        found += rows
    }

    private static func appendPostingLists(
        bucket: Int64, _ accountID: UInt128, _ range: Range<Int64>, limit: Int, to found: inout [StoredTransfer],
        _ db: Database
    ) throws {
        var timestamps: [Int64] = []
        try forEachRow(
            db,
            """
            SELECT timestamps FROM account_posting_lists
            WHERE bucket = ?1 AND account_id = ?2 AND first_timestamp < ?3 AND last_timestamp >= ?4
            ORDER BY first_timestamp
            """,
            bind: { s in
                sqlite3_bind_int64(s, 1, bucket)
                SQLiteValueCoding.bindID(s, 2, accountID)
                sqlite3_bind_int64(s, 3, range.upperBound)
                sqlite3_bind_int64(s, 4, range.lowerBound)
            }
        ) { s in
            let count = Int(sqlite3_column_bytes(s, 0))
            guard count > 0, count % 8 == 0, let bytes = sqlite3_column_blob(s, 0) else {
                throw SQLiteDecodingError(column: 0)
            }
            let raw = UnsafeRawBufferPointer(start: bytes, count: count)
            for offset in stride(from: 0, to: count, by: 8) {
                let timestamp = Int64(
                    bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                if range.contains(timestamp) { timestamps.append(timestamp) }
            }
        }
        let statement = try db.cachedStatement(sql: "SELECT \(transferColumns) FROM transfers WHERE timestamp = ?")
            .sqliteStatement
        for timestamp in timestamps where found.count < limit {
            sqlite3_bind_int64(statement, 1, timestamp)
            defer { sqlite3_reset(statement) }
            guard sqlite3_step(statement) == SQLITE_ROW else {
                // A posting names a transfer the tables must hold.
                throw SQLiteDecodingError(column: 0)
            }
            found.append(try decodeTransfer(statement))
        }
    }
}

/// A step's postings grouped by account (a counting sort: one hash lookup per posting, where a
/// comparison sort of the postings was most of the step's own work): the accounts in ascending
/// order, each with its range of `timestamps` — little-endian, ascending, since the transfers
/// come in time order and the grouping keeps their order.
struct PostingGroups {
    private(set) var accounts: [(accountID: UInt128, range: Range<Int>)] = []
    private(set) var timestamps: [UInt64] = []

    init(_ transfers: ContiguousArray<StoredTransfer>) {
        var slotOf: [UInt128: Int32] = [:]
        var ids: [UInt128] = []
        var counts: [Int] = []
        var slots: [Int32] = []
        slots.reserveCapacity(2 * transfers.count)
        func place(_ accountID: UInt128) {
            let slot: Int32
            if let known = slotOf[accountID] {
                slot = known
            } else {
                slot = Int32(ids.count)
                slotOf[accountID] = slot
                ids.append(accountID)
                counts.append(0)
            }
            counts[Int(slot)] += 1
            slots.append(slot)
        }
        for stored in transfers {  // debit then credit: slot 2i and 2i + 1 are transfer i's
            place(stored.transfer.debitAccountID)
            place(stored.transfer.creditAccountID)
        }
        let order = ids.indices.sorted { ids[$0] < ids[$1] }
        var next = [Int](repeating: 0, count: ids.count)
        var offset = 0
        accounts.reserveCapacity(ids.count)
        for slot in order {
            next[slot] = offset
            accounts.append((ids[slot], offset..<offset + counts[slot]))
            offset += counts[slot]
        }
        timestamps = [UInt64](repeating: 0, count: slots.count)
        for (index, slot) in slots.enumerated() {
            timestamps[next[Int(slot)]] = transfers[index / 2].transfer.timestamp.littleEndian
            next[Int(slot)] += 1
        }
    }
}
