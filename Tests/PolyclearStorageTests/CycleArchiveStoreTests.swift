import PolyclearCore
import PolyclearPostgres
import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import PolyclearWorkload
import Testing

/// Finished cycles on each store: through the real writer, 150 cycles closed and settled; the
/// oldest leave memory in the commits that archive them, and every report and every trade
/// flow, read from the archive and memory as the API reads them, is what a hub that keeps
/// every cycle in memory answers — before and after a restart.
@Suite struct CycleArchiveStoreTests {
    typealias Kind = PaymentArchiveStoreTests.Kind
    static let batchCount = 150

    struct Reads: Equatable {
        var reports: [CycleReport]
        var flows: [TradeFlow]
        var archivedCount: Int
    }

    @Test(arguments: Kind.available)
    func finishedCyclesAreServedFromTheArchiveBeforeAndAfterARestart(kind: Kind) async throws {
        let directory = TemporaryDirectory()
        let (store, reopen) = try await PaymentArchiveStoreTests.archivingStore(kind, directory)
        let (union, trade) = try HubStoreTests.roomyUnion(capUnitMinor: 2_000_000_000)
        let history = HubHistory(
            union: union, trade: trade, currencies: HubStoreTests.configuration.currencies, batchSize: 8,
            closeEvery: 1)
        let expected = try await Self.run(
            InMemoryHubStore(configuration: HubStoreTests.configuration), history, archiving: false)
        #expect(expected.reports.count == Self.batchCount && expected.archivedCount == 0)
        #expect(expected.flows.count > Self.batchCount)  // payments between members in most cycles
        let got = try await Self.run(store, history, archiving: true)
        #expect(got.archivedCount > Limits.cycleReportsResidentMax)
        #expect(got.reports == expected.reports)
        #expect(got.flows == expected.flows)
        if let sqlite = store as? SQLiteHubStore { #expect(try await sqlite.archivedCycleCount() == got.archivedCount) }
        if let postgres = store as? PostgresHubStore {
            #expect(try await postgres.archivedCycleCount() == got.archivedCount)
        }
        let reopened = try reopen()
        #expect(try await Self.readsAfterRestart(reopened) == got)
        if let sqlite = reopened as? SQLiteHubStore { try sqlite.close() }
        if let postgres = reopened as? PostgresHubStore { postgres.close() }
    }

    static func run(_ store: some HubStore, _ history: HubHistory, archiving: Bool) async throws -> Reads {
        let time = ManualClock()
        let writer = Writer(store: store, clock: { time.now() })
        return try await writer.whileRunning {
            let archive: [HubCommand] = archiving ? [.startPaymentArchive, .startAuditArchive, .startCycleArchive] : []
            _ = try await writer.submit(history.union.setupCommands + archive)
            for batch in 1...Self.batchCount {
                time.advance(seconds: 1)
                _ = try await writer.submit(history.batch(batch))
            }
            let resident = try await writer.read { $0.cycles.count }
            #expect(!archiving || resident <= Limits.cycleReportsResidentMax + 1, "\(resident) closed cycles in memory")
            return try await Self.reads(writer)
        }
    }

    static func readsAfterRestart(_ store: some HubStore) async throws -> Reads {
        let writer = Writer(store: store, clock: { 0 })
        return try await writer.whileRunning { try await Self.reads(writer) }
    }

    /// Every closed cycle and every trade flow by cycle, as the API assembles them.
    static func reads<S: HubStore>(_ writer: Writer<S>) async throws -> Reads {
        let archivedCount = try await writer.read { $0.archivedCycleCount }
        let archived = archivedCount == 0 ? [] : try await writer.store.archivedCycles(1...UInt32(archivedCount))
        #expect(archived.map { Int($0.number) } == Array(stride(from: 1, through: archivedCount, by: 1)))
        return try await writer.read { hub in
            Reads(
                reports: archived.map(\.report) + hub.cycles,
                flows: hub.tradeFlows(cycles: 0...UInt32.max, byCycle: true, archived: archived).map {
                    TradeFlow(key: $0.0, totals: $0.1)
                }, archivedCount: hub.archivedCycleCount)
        }
    }
}
