import Foundation
package import Logging
package import PolyclearCore
import PolyclearStorage
package import PostgresNIO

/// The hub's command log in PostgreSQL (`hub_log`, one row per commit, and `hub_events`):
/// replayed by a restoring writer, followed by the cluster's followers.
package enum PostgresHubLog {
    /// Replays the log rows after `sequence` into `hub`, in order, as they arrive, and returns
    /// the last sequence replayed (`sequence` if none).
    package static func replay(
        into hub: inout HubStateMachine, after sequence: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws -> Int64 {
        var lastSequence = sequence
        do {
            for try await (next, entries) in try await connection.query(
                "SELECT sequence, entries FROM hub_log WHERE sequence > \(sequence) ORDER BY sequence", logger: logger
            ).decode((Int64, ByteBuffer).self) {
                guard next == lastSequence + 1 else {
                    throw StoreError(.corruptDatabase, "hub_log has a gap before \(next)")
                }
                hub.replay(try HubLogCodec.decodeEntries(Data(entries.readableBytesView)))
                // Stored already: the replay's outcome is dropped row by row, not held for the
                // whole history.
                hub.outcomeCommitted()
                lastSequence = next
            }
        } catch is HubLogCodecError {
            throw StoreError(.corruptDatabase, "the hub log cannot be read")
        }
        return lastSequence
    }

    /// The log rows after `sequence` (at most `limit`), in order, with their audit events —
    /// what a follower replays into its replica.
    package static func rows(
        after sequence: Int64, limit: Int, on connection: PostgresConnection, logger: Logger
    )
        async throws -> [(sequence: Int64, entries: [HubLogEntry], events: [HubEvent])]
    {
        var rows: [(sequence: Int64, entries: [HubLogEntry], events: [HubEvent])] = []
        var lastSequence = sequence
        do {
            for try await (next, entries, events) in try await connection.query(
                """
                SELECT l.sequence, l.entries, e.events FROM hub_log l LEFT JOIN hub_events e ON e.sequence = l.sequence
                WHERE l.sequence > \(sequence) ORDER BY l.sequence LIMIT \(limit)
                """, logger: logger
            ).decode((Int64, ByteBuffer, ByteBuffer?).self) {
                guard next == lastSequence + 1 else {
                    throw StoreError(.corruptDatabase, "hub_log has a gap before \(next)")
                }
                rows.append(
                    (
                        next, try HubLogCodec.decodeEntries(Data(entries.readableBytesView)),
                        try events.map { try HubLogCodec.decodeEvents(Data($0.readableBytesView)) } ?? []
                    ))
                lastSequence = next
            }
        } catch is HubLogCodecError {
            throw StoreError(.corruptDatabase, "the hub log cannot be read")
        }
        return rows
    }
}
