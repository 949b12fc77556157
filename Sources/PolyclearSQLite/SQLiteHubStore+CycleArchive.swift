public import PolyclearCore
import PolyclearStorage
import Foundation
import GRDB

/// The cycle archive (`HubStateMachine+CycleArchive`) in `hub_cycle_archive`: one row per
/// archived closed cycle (its report and trade flows), written in the commit that archived it.
extension SQLiteHubStore {
    static func insertArchived(cycles: some Collection<ArchivedCycle>, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO hub_cycle_archive (number, body) VALUES (?, ?)")
        for cycle in cycles { try statement.execute(arguments: [Int64(cycle.number), Data(cycle.encoded())]) }
    }

    public func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle] {
        try await ledgerStore.pool.read { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT number, body FROM hub_cycle_archive WHERE number >= ? AND number <= ? ORDER BY number",
                arguments: [Int64(numbers.lowerBound), Int64(numbers.upperBound)])
            var cycles: [ArchivedCycle] = []
            while let row = try rows.next() {
                let number: Int64 = row[0]
                let body: Data = row[1]
                guard let cycle = try? ArchivedCycle(encoded: [UInt8](body)), Int64(cycle.number) == number else {
                    throw StoreError(.corruptDatabase, "the archived cycle \(number) cannot be read")
                }
                cycles.append(cycle)
            }
            return cycles
        }
    }

    /// Rows in the cycle archive (backup verification, tests).
    public func archivedCycleCount() async throws -> Int { try await rowCount("hub_cycle_archive") }
}
