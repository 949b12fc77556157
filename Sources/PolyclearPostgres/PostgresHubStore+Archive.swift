public import PolyclearCore
import PolyclearStorage
import PostgresNIO

/// The payment archive (`HubStateMachine+Archive`) in `hub_payment_archive`: one row per
/// archived payment, written by the commit that archived it (one `INSERT … UNNEST`; replaced
/// when a payment that came back leaves memory again); read by id, UETR and position on a
/// read connection (committed rows: a follower's replica never archives what is not there).
extension PostgresHubStore {
    public var keepsPaymentArchive: Bool { true }

    static func archiveQuery(_ payments: some Collection<ArchivedPayment>) -> PostgresQuery {
        let bytes = PostgresLedgerTables.bytes
        return """
            INSERT INTO hub_payment_archive (payment_index, id, uetr, body)
            SELECT i, id, NULLIF(u, ''::bytea), b
            FROM UNNEST(\(payments.map { Int64($0.index) })::bigint[], \(payments.map { bytes($0.id) })::bytea[],
                \(payments.map { $0.uetr == 0 ? ByteBuffer() : bytes($0.uetr) })::bytea[],
                \(payments.map { ByteBuffer(bytes: $0.body) })::bytea[]) AS t(i, id, u, b)
            ON CONFLICT (payment_index) DO UPDATE SET id = EXCLUDED.id, uetr = EXCLUDED.uetr, body = EXCLUDED.body
            """
    }

    public func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment] {
        guard !lookups.isEmpty else { return [] }
        let logger = self.logger
        let bytes = PostgresLedgerTables.bytes
        return try await database.onReadConnection { connection in
            var found: [UInt32: ArchivedPayment] = [:]
            let columns = "SELECT payment_index, id, uetr, body FROM hub_payment_archive"
            var queries: [PostgresQuery] = []
            if !lookups.ids.isEmpty {
                queries.append("\(unescaped: columns) WHERE id = ANY(\(lookups.ids.map(bytes))::bytea[])")
            }
            if !lookups.uetrs.isEmpty {
                queries.append("\(unescaped: columns) WHERE uetr = ANY(\(lookups.uetrs.map(bytes))::bytea[])")
            }
            if !lookups.positions.isEmpty {
                let range = lookups.positions
                queries.append(
                    "\(unescaped: columns) WHERE payment_index >= \(Int64(range.lowerBound)) AND payment_index < \(Int64(range.upperBound))"
                )
            }
            for query in queries {
                for try await (index, id, uetr, body) in try await connection.query(query, logger: logger).decode(
                    (Int64, ByteBuffer, ByteBuffer?, ByteBuffer).self)
                {
                    guard (0...Int64(UInt32.max)).contains(index) else {
                        throw StoreError(.corruptDatabase, "an archived payment has index \(index)")
                    }
                    let payment = ArchivedPayment(
                        id: try PostgresLedgerTables.value(id), uetr: try uetr.map(PostgresLedgerTables.value) ?? 0,
                        index: UInt32(index), body: Array(buffer: body))
                    found[payment.index] = payment
                }
            }
            return found.keys.sorted().map { found[$0]! }
        }
    }

    static func archiveQuery(audit records: some Collection<ArchivedAuditRecord>) -> PostgresQuery {
        """
        INSERT INTO hub_audit_archive (position, body)
        SELECT p, b FROM UNNEST(\(records.map { Int64($0.position) })::bigint[],
            \(records.map { ByteBuffer(bytes: $0.record.encoded()) })::bytea[]) AS t(p, b)
        ON CONFLICT (position) DO UPDATE SET body = EXCLUDED.body
        """
    }

    public func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord] {
        guard !positions.isEmpty else { return [] }
        let logger = self.logger
        return try await database.onReadConnection { connection in
            var records: [ArchivedAuditRecord] = []
            for try await (position, body) in try await connection.query(
                """
                SELECT position, body FROM hub_audit_archive
                WHERE position >= \(Int64(positions.lowerBound)) AND position < \(Int64(positions.upperBound))
                ORDER BY position
                """, logger: logger
            ).decode((Int64, ByteBuffer).self) {
                guard let record = try? AuditRecord(encoded: Array(buffer: body)) else {
                    throw StoreError(.corruptDatabase, "the archived audit record at \(position) cannot be read")
                }
                records.append(ArchivedAuditRecord(position: Int(position), record: record))
            }
            return records
        }
    }

    /// Rows in the payment archive (tests).
    public func archivedPaymentCount() async throws -> Int { try await rowCount("hub_payment_archive") }

    /// Rows in the audit archive (tests).
    public func archivedAuditRecordCount() async throws -> Int { try await rowCount("hub_audit_archive") }

    func rowCount(_ table: StaticString) async throws -> Int {
        let logger = self.logger
        return try await database.onReadConnection { connection in
            var count = 0
            for try await rows in try await connection.query(
                "SELECT count(*) FROM \(unescaped: table.description)", logger: logger
            ).decode(Int64.self) { count = Int(rows) }
            return count
        }
    }
}
