import Foundation
import GRDB
import PolyclearCore
import PolyclearWorkload
import PolyclearPostgres
@testable import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// The hub through the real writer, on each hub store: what was acknowledged survives a
/// restart, and the restored hub equals one that applied the same commands directly.
@Suite struct HubStoreTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case inMemory, sqlite, postgres
        var testDescription: String { rawValue }

        /// PostgreSQL runs when a server is given (`POLYCLEAR_TEST_POSTGRES_URL`; `.ci/run`
        /// starts one); with `POLYCLEAR_REQUIRE_POSTGRES=1` (CI) a missing server fails.
        static var available: [Kind] { PostgresTestServer.isConfigured ? allCases : [.inMemory, .sqlite] }
        static var durable: [Kind] { available.filter { $0 != .inMemory } }
    }

    /// A new store of this kind; `reopen` gives another store on the same data (SQLite: after
    /// closing the first, as a restart does — one database has one writer).
    static func makeStore(
        _ kind: Kind, directory: TemporaryDirectory
    ) async throws -> (any HubStore, @Sendable () throws -> any HubStore) {
        switch kind {
        case .inMemory:
            let store = InMemoryHubStore(configuration: configuration)
            return (store, { store })
        case .sqlite:
            let path = directory.path("hub.sqlite")
            let store = try SQLiteHubStore(path: path, configuration: configuration)
            return (
                store,
                {
                    try store.close()
                    return try SQLiteHubStore(path: path, configuration: configuration)
                }
            )
        case .postgres:
            let url = try await PostgresTestServer.newDatabase()
            return (
                try PostgresHubStore(url: url, configuration: configuration, limits: testLimits),
                { try PostgresHubStore(url: url, configuration: configuration, limits: testLimits) }
            )
        }
    }

    static let configuration = HubConfiguration(currencies: try! CurrencyTable())

    /// The sample union with these caps, quotas large enough not to stop payments, and the
    /// bundled trade matrix.
    static func roomyUnion(capUnitMinor: Int64) throws -> (SampleUnion, TradeMatrix) {
        let fx = try String(contentsOf: dataURL("fx/eurofxref-latest.csv"), encoding: .utf8)
        let union = try SampleUnion(
            ecbDay: ECBReferenceRates.parse(fx)[0], participantsPerMember: 3, capUnitMinor: capUnitMinor,
            quotaUnitMinor: 1_000_000_000_000_000, effectiveFrom: 0, currencies: configuration.currencies)
        let trade = try TradeMatrix.parse(try String(contentsOf: dataURL("trade/trade_matrix.csv"), encoding: .utf8))
        return (union, trade)
    }

    static let testLimits = StoreLimits.storeSuites

    static func union() throws -> SampleUnion {
        let fx = try String(contentsOf: dataURL("fx/eurofxref-latest.csv"), encoding: .utf8)
        return try SampleUnion(
            ecbDay: ECBReferenceRates.parse(fx)[0], participantsPerMember: 3, capUnitMinor: 20_000_000,
            quotaUnitMinor: 500_000_000, effectiveFrom: 0, currencies: configuration.currencies)
    }

    static func dataURL(_ path: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Data/\(path)")
    }

    static func batches(_ union: SampleUnion) throws -> [[HubCommand]] {
        let trade = try TradeMatrix.parse(try String(contentsOf: dataURL("trade/trade_matrix.csv"), encoding: .utf8))
        var workload = HubWorkload(union: union, trade: trade, currencies: configuration.currencies, seed: 3)
        var batches = [union.setupCommands]
        var id: UInt128 = 1
        for _ in 0..<8 {
            var batch: [HubCommand] = []
            for _ in 0..<150 {
                var payment = workload.nextPayment(id: id)
                payment.isTwoPhase = id % 7 == 0
                batch.append(.submitPayment(payment))
                id += 1
            }
            batch.append(.commitPayment(id: id - 7 * 3, actor: .operatorUser("ops")))
            batch.append(.attributed(actor: .operatorUser("ops"), command: .closeCycle(number: UInt32(batches.count))))
            batches.append(batch)
        }
        return batches
    }

    @Test(arguments: Kind.available)
    func acknowledgedHubStateSurvivesARestart(kind: Kind) async throws {
        let directory = TemporaryDirectory()
        let (store, reopen) = try await Self.makeStore(kind, directory: directory)
        let union = try Self.union()
        let batches = try Self.batches(union)
        let clock = ManualClock()
        let acknowledged = try await Self.write(batches, to: store, clock: clock)
        // The same commands applied directly, at the times the writer gave them.
        var expected = HubStateMachine(configuration: Self.configuration)
        var time = ManualClock().now()
        for (batch, results) in zip(batches, acknowledged) {
            time += 1_000_000_000
            var direct = ContiguousArray<HubResult>()
            try expected.apply(batch, now: time, results: &direct)
            #expect(Array(direct) == results)
        }
        let restored = try await reopen().restore()
        #expect(restored.ledgerState.makeSnapshot() == expected.ledgerState.makeSnapshot())
        #expect(restored.allPaymentStates == expected.allPaymentStates)
        #expect(restored.cycles == expected.cycles && restored.cycles.count == 8)
        #expect(restored.paymentCount == 8 * 150)
        // The audit trail (who closed each cycle) and the unit definition are rebuilt too.
        #expect(restored.auditRecords == expected.auditRecords && restored.auditRecords.count == 8)
        #expect(
            restored.auditRecords.allSatisfy {
                $0.actor == .operatorUser("ops") && $0.action == "close_cycle" && $0.outcome == "ok"
            })
        #expect(restored.unitDefinition == union.unitAmountsPerUnit && !restored.unitDefinition.isEmpty)
    }

    /// Submits each batch at its own second, through the writer, and returns the replies.
    static func write<S: HubStore>(
        _ batches: [[HubCommand]], to store: S, clock: ManualClock
    ) async throws -> [[HubResult]] {
        let writer = Writer(store: store, clock: { clock.now() })
        return try await withThrowingTaskGroup(of: [[HubResult]].self) { group in
            group.addTask {
                try await writer.run(); return []
            }
            var replies: [[HubResult]] = []
            for batch in batches {
                clock.advance(seconds: 1)
                replies.append(try await writer.submit(batch))
            }
            writer.shutdown()
            for try await _ in group {}
            return replies
        }
    }

    @Test(arguments: Kind.durable)
    func aHubLogThatDoesNotMatchItsLedgerIsRefused(kind: Kind) async throws {
        let directory = TemporaryDirectory()
        let (store, reopen) = try await Self.makeStore(kind, directory: directory)
        _ = try await Self.write(try Self.batches(try Self.union()), to: store, clock: ManualClock())
        let dropLast = "DELETE FROM hub_log WHERE sequence = (SELECT MAX(sequence) FROM hub_log)"
        if let postgres = store as? PostgresHubStore {
            try await PostgresAdmin.execute(dropLast, url: postgres.url)
        } else {
            let queue = try DatabaseQueue(path: directory.path("hub.sqlite"))
            try await queue.write { db in try db.execute(sql: dropLast) }
            try queue.close()
        }
        await #expect(throws: StoreError.self) { try await reopen().restore() }
    }

    @Test(arguments: Kind.durable)
    func eventsAreStoredDurably(kind: Kind) async throws {
        let directory = TemporaryDirectory()
        let (store, reopen) = try await Self.makeStore(kind, directory: directory)
        _ = try await Self.write(try Self.batches(try Self.union()), to: store, clock: ManualClock())
        let events = try await reopen().events(limit: 10_000)
        let received = events.filter { if case .paymentStatus(_, .received, _, _) = $0.kind { true } else { false } }
        #expect(received.count == 8 * 150)
        let closed = events.compactMap { if case .cycleClosed(let report) = $0.kind { report } else { nil } }
        #expect(closed.map(\.number) == Array(1...8))
    }

    @Test func aWriterWhoseStoreCannotRestoreFailsItsCallersInsteadOfHanging() async throws {
        struct BrokenStore: HubStore {
            func commit(_ outcome: HubOutcome) async throws {}
            func restore() async throws -> HubStateMachine { throw StoreError(.corruptDatabase, "broken on purpose") }
            func events(limit: Int) async throws -> [HubEvent] { [] }
            func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
                []
            }
            func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord? { nil }
            func storeIdempotencyAnswer(
                caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64
            ) async throws {}
        }
        let writer = Writer(store: BrokenStore())
        await #expect(throws: StoreError.self) { try await writer.run() }
        await #expect(throws: WriterError.stopped) { try await writer.submit([.setAlarmThresholds([50])]) }
    }
}

extension HubStoreTests {
    /// The race: clients keep submitting payments through the writer while another closes
    /// cycles. Every accepted payment ends in exactly one cycle, and the cycles' counts add up.
    @Test func paymentsInFlightDuringClosesLandInExactlyOneCycle() async throws {
        let store = InMemoryHubStore(configuration: Self.configuration)
        let union = try Self.union()
        let writer = Writer(store: store)
        let trade = try TradeMatrix.parse(
            try String(contentsOf: Self.dataURL("trade/trade_matrix.csv"), encoding: .utf8))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            _ = try await writer.submit(union.setupCommands)
            try await withThrowingTaskGroup(of: Void.self) { clients in
                for client in 0..<4 {
                    clients.addTask {
                        var workload = HubWorkload(
                            union: union, trade: trade, currencies: Self.configuration.currencies, seed: UInt64(client))
                        for round in 0..<25 {
                            let base = UInt128(client) * 1_000_000 + UInt128(round) * 1_000
                            _ = try await writer.submit(
                                (0..<20).map { .submitPayment(workload.nextPayment(id: base + UInt128($0) + 1)) })
                        }
                    }
                }
                clients.addTask {
                    for number in 1...10 {
                        _ = try await writer.submit([.closeCycle(number: UInt32(number))])
                        await Task.yield()
                    }
                }
                try await clients.waitForAll()
            }
            writer.shutdown()
            try await group.waitForAll()
        }
        let hub = try await store.restore()
        let accepted = hub.allPaymentStates.filter { $0.status == .accepted }
        #expect(hub.paymentCount == 4 * 25 * 20)
        #expect(hub.cycles.count == 10)
        #expect(accepted.allSatisfy { (1...hub.openCycleNumber).contains($0.cycle) })
        for report in hub.cycles { #expect(report.paymentCount == accepted.filter { $0.cycle == report.number }.count) }
        #expect(hub.cycles.map(\.paymentCount).reduce(0, +) == accepted.filter { $0.cycle <= 10 }.count)
    }
}
