import Foundation
public import PolyclearCore
import PolyclearSQLite
import PolyclearStorage
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

        /// One line, read back by the parent process.
        public var line: String {
            "restored \(paymentCount) \(seconds) \(residentBytes) \(peakResidentBytes)"
        }

        public init?(line: Substring) {
            let fields = line.split(separator: " ")
            guard fields.count == 5, fields[0] == "restored", let count = Int(fields[1]),
                let seconds = Double(fields[2]), let resident = Int(fields[3]), let peak = Int(fields[4])
            else { return nil }
            (paymentCount, self.seconds, residentBytes, peakResidentBytes) = (count, seconds, resident, peak)
        }

        init(seconds: Double, paymentCount: Int, residentBytes: Int, peakResidentBytes: Int) {
            (self.seconds, self.paymentCount, self.residentBytes, self.peakResidentBytes) =
                (seconds, paymentCount, residentBytes, peakResidentBytes)
        }
    }

    /// Writes the union's setup and as many batches as `payments` needs; answers the seconds.
    public static func build(
        database: String, payments: Int, history: HubHistory, configuration: HubConfiguration
    ) async throws -> Double {
        let store = try SQLiteHubStore(path: database, configuration: configuration)
        defer { try? store.close() }
        let writer = Writer(store: store)
        let started = ProcessMetrics.monotonicNanoseconds()
        try await writer.whileRunning {
            _ = try await writer.submit(history.union.setupCommands)
            let batches = (payments + history.batchSize - 1) / history.batchSize
            for number in 1...max(1, batches) { _ = try await writer.submit(history.batch(number)) }
        }
        return Double(ProcessMetrics.monotonicNanoseconds() - started) / 1e9
    }

    /// Opens the database and restores the hub (replay, checked against the stored ledger).
    public static func restore(database: String, configuration: HubConfiguration) async throws -> Restored {
        let started = ProcessMetrics.monotonicNanoseconds()
        let store = try SQLiteHubStore(path: database, configuration: configuration)
        defer { try? store.close() }
        let hub = try await store.restore()
        let seconds = Double(ProcessMetrics.monotonicNanoseconds() - started) / 1e9
        return Restored(
            seconds: seconds, paymentCount: hub.paymentCount, residentBytes: ProcessMetrics.residentBytes(),
            peakResidentBytes: ProcessMetrics.peakResidentBytes())
    }
}
