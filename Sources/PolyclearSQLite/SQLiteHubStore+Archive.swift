public import PolyclearCore
import PolyclearStorage
import Foundation
import GRDB

/// The payment archive (`HubStateMachine+Archive`) in `hub_payment_archive`: one row per
/// archived payment, written in the commit that archived it (again, replaced, when a payment
/// that came back leaves memory again); read by id, by UETR and by position.
extension SQLiteHubStore {
    public var keepsPaymentArchive: Bool { true }

    static func insertArchived(_ payments: some Collection<ArchivedPayment>, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO hub_payment_archive (payment_index, id, uetr, body) VALUES (?, ?, ?, ?)")
        for payment in payments {
            try statement.execute(arguments: [
                Int64(payment.index), Self.blob(payment.id), payment.uetr == 0 ? nil : Self.blob(payment.uetr),
                Data(payment.body),
            ])
        }
    }

    public func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment] {
        guard !lookups.isEmpty else { return [] }
        return try await ledgerStore.pool.read { db in
            var found: [UInt32: ArchivedPayment] = [:]
            let columns = "SELECT payment_index, id, uetr, body FROM hub_payment_archive"
            let byID = try db.cachedStatement(sql: "\(columns) WHERE id = ?")
            for id in lookups.ids {
                for payment in try Self.rows(byID, [Self.blob(id)]) { found[payment.index] = payment }
            }
            let byUETR = try db.cachedStatement(sql: "\(columns) WHERE uetr = ?")
            for uetr in lookups.uetrs {
                for payment in try Self.rows(byUETR, [Self.blob(uetr)]) { found[payment.index] = payment }
            }
            if !lookups.positions.isEmpty {
                let byPosition = try db.cachedStatement(
                    sql: "\(columns) WHERE payment_index >= ? AND payment_index < ? ORDER BY payment_index")
                let range = lookups.positions
                for payment in try Self.rows(byPosition, [Int64(range.lowerBound), Int64(range.upperBound)]) {
                    found[payment.index] = payment
                }
            }
            return found.keys.sorted().map { found[$0]! }
        }
    }

    static func insertArchived(audit records: some Collection<ArchivedAuditRecord>, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO hub_audit_archive (position, body) VALUES (?, ?)")
        for archived in records {
            try statement.execute(arguments: [Int64(archived.position), Data(archived.record.encoded())])
        }
    }

    public func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord] {
        guard !positions.isEmpty else { return [] }
        return try await ledgerStore.pool.read { db in
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT position, body FROM hub_audit_archive WHERE position >= ? AND position < ? ORDER BY position",
                arguments: [Int64(positions.lowerBound), Int64(positions.upperBound)])
            var records: [ArchivedAuditRecord] = []
            while let row = try rows.next() {
                let position: Int64 = row[0]
                let body: Data = row[1]
                guard let record = try? AuditRecord(encoded: [UInt8](body)) else {
                    throw StoreError(.corruptDatabase, "the archived audit record at \(position) cannot be read")
                }
                records.append(ArchivedAuditRecord(position: Int(position), record: record))
            }
            return records
        }
    }

    /// Rows in the payment archive (backup verification, tests).
    public func archivedPaymentCount() async throws -> Int { try await rowCount("hub_payment_archive") }

    /// Rows in the audit archive (backup verification, tests).
    public func archivedAuditRecordCount() async throws -> Int { try await rowCount("hub_audit_archive") }

    func rowCount(_ table: StaticString) async throws -> Int {
        try await ledgerStore.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    private static func rows(_ statement: Statement, _ arguments: StatementArguments) throws -> [ArchivedPayment] {
        var payments: [ArchivedPayment] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            let index: Int64 = row[0]
            let id: Data = row[1]
            let uetr: Data? = row[2]
            let body: Data = row[3]
            let uetrValue: UInt128? = if let uetr { Self.uint128(uetr) } else { 0 }
            guard (0...Int64(UInt32.max)).contains(index), let id = Self.uint128(id), let uetr = uetrValue
            else { throw StoreError(.corruptDatabase, "an archived payment's row cannot be read") }
            payments.append(ArchivedPayment(id: id, uetr: uetr, index: UInt32(index), body: [UInt8](body)))
        }
        return payments
    }

    static func blob(_ value: UInt128) -> Data {
        var bigEndian = value.bigEndian
        return withUnsafeBytes(of: &bigEndian) { Data($0) }
    }

    static func uint128(_ data: Data) -> UInt128? {
        guard data.count == 16 else { return nil }
        return data.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
    }
}
