import Foundation
public import PolyclearCore
import PolyclearSQLite
public import PolyclearStorage
public import PolyclearWorkload

/// How long a hub takes to come back with a given history, and what it then holds in memory:
/// the history is written durably through the writer into SQLite (`HubHistory`), then a fresh
/// process opens the database and restores the hub — what `serve` does before `/readyz`.
public enum RestoreBench {
    public struct Restored: Sendable {
        public var seconds: Double
        public var paymentCount: Int
        public var residentBytes: Int
        public var peakResidentBytes: Int
        /// Log rows replayed, and after which snapshot (0: none, the whole log).
        public var replayedRows: Int
        public var snapshotSequence: UInt64

        /// One line, read back by the parent process.
        public var line: String {
            "restored \(paymentCount) \(seconds) \(residentBytes) \(peakResidentBytes) \(replayedRows) \(snapshotSequence)"
        }

        public init?(line: Substring) {
            let fields = line.split(separator: " ")
            guard fields.count == 7, fields[0] == "restored", let count = Int(fields[1]),
                let seconds = Double(fields[2]), let resident = Int(fields[3]), let peak = Int(fields[4]),
                let rows = Int(fields[5]), let snapshot = UInt64(fields[6])
            else { return nil }
            (paymentCount, self.seconds, residentBytes, peakResidentBytes) = (count, seconds, resident, peak)
            (replayedRows, snapshotSequence) = (rows, snapshot)
        }

        init(seconds: Double, paymentCount: Int, report: RestoreReport) {
            (self.seconds, self.paymentCount) = (seconds, paymentCount)
            (residentBytes, peakResidentBytes) = (ProcessMetrics.residentBytes(), ProcessMetrics.peakResidentBytes())
            (replayedRows, snapshotSequence) = (report.replayedRows, report.snapshotSequence ?? 0)
        }
    }

    /// What writing a history left: its time, and the writer's memory at the end.
    public struct Built: Sendable {
        public var seconds: Double
        public var residentBytes: Int
        public var peakResidentBytes: Int
        public var paymentCount: Int
        /// Payments still in the hub's memory (the rest archived).
        public var residentPaymentCount: Int

        /// One line, read back by the parent process.
        public var line: String {
            "built \(seconds) \(residentBytes) \(peakResidentBytes) \(paymentCount) \(residentPaymentCount)"
        }

        public init?(line: Substring) {
            let fields = line.split(separator: " ")
            guard fields.count == 6, fields[0] == "built", let seconds = Double(fields[1]),
                let resident = Int(fields[2]), let peak = Int(fields[3]), let count = Int(fields[4]),
                let inMemory = Int(fields[5])
            else { return nil }
            (self.seconds, residentBytes, peakResidentBytes) = (seconds, resident, peak)
            (paymentCount, residentPaymentCount) = (count, inMemory)
        }

        init(seconds: Double, paymentCount: Int, residentPaymentCount: Int) {
            (self.seconds, self.paymentCount, self.residentPaymentCount) = (seconds, paymentCount, residentPaymentCount)
            (residentBytes, peakResidentBytes) = (ProcessMetrics.residentBytes(), ProcessMetrics.peakResidentBytes())
        }
    }

    /// Writes the union's setup (archiving payments of settled cycles, as `serve` does) and as
    /// many batches as `payments` needs; answers the time and the writer's memory at the end.
    public static func build(
        database: String, payments: Int, history: HubHistory, configuration: HubConfiguration
    ) async throws -> Built {
        let store = try SQLiteHubStore(path: database, configuration: configuration)
        defer { try? store.close() }
        let writer = Writer(store: store)
        let started = ProcessMetrics.monotonicNanoseconds()
        return try await writer.whileRunning {
            _ = try await writer.submit(
                history.union.setupCommands + [.startPaymentArchive, .startAuditArchive, .startCycleArchive])
            let batches = (payments + history.batchSize - 1) / history.batchSize
            let banks = history.union.participants.map(\.bic)
            for number in 1...max(1, batches) {
                _ = try await writer.submit(history.batch(number))
                // The banks take their deliveries, as they do (unacknowledged ones are open work).
                let cursors = try await writer.read { hub in
                    banks.map { hub.deliveries(for: $0, after: 0, limit: 0)?.last ?? 0 }
                }
                _ = try await writer.submit(
                    zip(banks, cursors).filter { $0.1 > 0 }.map {
                        .acknowledgeDeliveries(participant: $0.0, through: $0.1, actor: .participant($0.0))
                    })
            }
            let seconds = Double(ProcessMetrics.monotonicNanoseconds() - started) / 1e9
            let (count, inMemory) = try await writer.read { ($0.paymentCount, $0.residentPaymentCount) }
            return Built(seconds: seconds, paymentCount: count, residentPaymentCount: inMemory)
        }
    }

    /// Opens the database and restores the hub: from the newest snapshot and the log after
    /// it, or (`snapshots: .none`) by replaying the whole log; checked against the stored ledger.
    public static func restore(
        database: String, configuration: HubConfiguration, snapshots: SnapshotUse
    ) async throws -> Restored {
        let started = ProcessMetrics.monotonicNanoseconds()
        let store = try SQLiteHubStore(path: database, configuration: configuration)
        defer { try? store.close() }
        let (hub, report) = try await store.restore(snapshots: snapshots)
        let seconds = Double(ProcessMetrics.monotonicNanoseconds() - started) / 1e9
        return Restored(seconds: seconds, paymentCount: hub.paymentCount, report: report)
    }

    /// Takes a snapshot of the hub at the end of its log, as the writer does (restoring it
    /// first, by a full replay); answers the seconds the snapshot took to encode and store,
    /// and its size.
    public static func snapshot(
        database: String, configuration: HubConfiguration
    ) async throws -> (seconds: Double, bytes: Int) {
        let store = try SQLiteHubStore(path: database, configuration: configuration)
        defer { try? store.close() }
        let hub = try await store.restore(snapshots: .none).hub
        guard let mark = try await store.lastLogRow() else { return (0, 0) }
        let started = ProcessMetrics.monotonicNanoseconds()
        let snapshot = try HubSnapshot(of: hub, sequence: mark.sequence, logRowDigest: mark.digest)
        try await store.storeSnapshot(snapshot, keep: 1)
        return (Double(ProcessMetrics.monotonicNanoseconds() - started) / 1e9, snapshot.framed.count)
    }
}
