public import PolyclearCore
import PolyclearStorage
import PostgresNIO

/// The cycle archive (`HubStateMachine+CycleArchive`) in `hub_cycle_archive`: one row per
/// archived closed cycle, written by the commit that archived it (one `INSERT … UNNEST`); read
/// on a read connection.
extension PostgresHubStore {
    static func archiveQuery(cycles: some Collection<ArchivedCycle>) -> PostgresQuery {
        """
        INSERT INTO hub_cycle_archive (number, body)
        SELECT n, b FROM UNNEST(\(cycles.map { Int64($0.number) })::bigint[],
            \(cycles.map { ByteBuffer(bytes: $0.encoded()) })::bytea[]) AS t(n, b)
        ON CONFLICT (number) DO UPDATE SET body = EXCLUDED.body
        """
    }

    public func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle] {
        let logger = self.logger
        return try await database.onReadConnection { connection in
            var cycles: [ArchivedCycle] = []
            for try await (number, body) in try await connection.query(
                """
                SELECT number, body FROM hub_cycle_archive
                WHERE number >= \(Int64(numbers.lowerBound)) AND number <= \(Int64(numbers.upperBound))
                ORDER BY number
                """, logger: logger
            ).decode((Int64, ByteBuffer).self) {
                guard let cycle = try? ArchivedCycle(encoded: Array(buffer: body)), Int64(cycle.number) == number else {
                    throw StoreError(.corruptDatabase, "the archived cycle \(number) cannot be read")
                }
                cycles.append(cycle)
            }
            return cycles
        }
    }

    /// Rows in the cycle archive (tests).
    public func archivedCycleCount() async throws -> Int { try await rowCount("hub_cycle_archive") }
}
