import Foundation
import PolyclearCore
import PolyclearPostgres
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// The documented PostgreSQL backup recipe (`scripts/postgres-pitr.sh`), run for real: a
/// server archiving its WAL, a base backup, two acknowledged batches a second apart, and a
/// point-in-time restore to a moment between them — which holds exactly the first batch (the
/// hub restores from it: its log replays to its ledger) and nothing of the second.
@Suite(.serialized, .enabled(if: ExternalTool.postgresPrograms.runs, "\(ExternalTool.postgresPrograms.skipReason)"))
struct PostgresRecoveryTests {
    typealias H = HubStoreTests

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/postgres-pitr.sh").path

    /// Runs the recipe's script (without holding a thread: `Script`); its last line of output
    /// (a URL, when it prints one).
    @discardableResult
    static func recipe(_ arguments: [String]) async throws -> String {
        let (status, printed) = try await Script.run(script, arguments)
        guard status == 0 else {
            throw StoreError(.ioFailure, "postgres-pitr.sh \(arguments.first ?? "") failed: \(printed)")
        }
        return printed.split(separator: "\n").last.map(String.init) ?? ""
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return formatter.string(from: date) + "+00"
    }

    @Test func aRestoreToAMomentBetweenTwoBatchesHoldsExactlyTheFirst() async throws {
        let directory = TemporaryDirectory()
        let recipeDirectory = directory.path("pitr")
        let ports = freeStorePorts(2)
        do {
            try await Self.restoreBetweenTwoBatches(recipeDirectory, ports: ports)
        } catch {
            _ = try? await Self.recipe(["stop", recipeDirectory])
            throw error
        }
        try await Self.recipe(["stop", recipeDirectory])
    }

    static func restoreBetweenTwoBatches(_ recipeDirectory: String, ports: [Int]) async throws {
        let url = try await recipe(["start-archiving", recipeDirectory, "\(ports[0])"])
        let batches = try H.batches(try H.union())  // setup, then batches of 150 payments (ids 1…)
        let store = try PostgresHubStore(url: url, configuration: H.configuration, limits: .storeSuites)
        let writer = Writer(store: store)
        let moment = try await writer.whileRunning {
            _ = try await writer.submit(batches[0])
            try await recipe(["base-backup", recipeDirectory, "\(ports[0])"])
            _ = try await writer.submit(batches[1])  // acknowledged: durably committed
            try await Task.sleep(for: .milliseconds(500))
            let moment = Date()
            try await Task.sleep(for: .milliseconds(500))
            _ = try await writer.submit(batches[2])
            return moment
        }
        store.close()
        try await recipe(["switch-wal", recipeDirectory, "\(ports[0])"])
        let restoredURL = try await recipe(["restore", recipeDirectory, "\(ports[1])", timestamp(moment)])

        let restored = try PostgresHubStore(url: restoredURL, configuration: H.configuration, limits: .storeSuites)
        defer { restored.close() }
        let hub = try await restored.restore()  // the log replays to exactly the stored ledger
        #expect(hub.checkInvariants() == nil)
        #expect(hub.paymentCount == 150, "the restore holds \(hub.paymentCount) payments")
        #expect((1...150).allSatisfy { hub.payment(UInt128($0)) != nil })
        #expect(hub.payment(151) == nil && hub.cycles.count == 1)
    }
}

/// Ports nothing listens on now (the kernel picks them).
func freeStorePorts(_ count: Int) -> [Int] {
    var ports: [Int] = []
    while ports.count < count {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        close(descriptor)
        let port = Int(UInt16(bigEndian: address.sin_port))
        if !ports.contains(port) { ports.append(port) }
    }
    return ports
}
