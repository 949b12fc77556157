import Foundation
import PolyclearCore
import PolyclearPostgres
import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import PolyclearWorkload
import Testing

/// The payment archive on each store that keeps one, through the real writer: a hub that
/// archives answers every command and every payment read exactly as one that keeps every
/// payment in memory, before and after a restart (from the log, or from a snapshot), while
/// holding only the open cycles' payments; the store holds the rest.
@Suite struct PaymentArchiveStoreTests {
    enum Kind: String, CaseIterable, Sendable {
        case inMemory, sqlite, postgres
        static var available: [Kind] { PostgresTestServer.isConfigured ? allCases : [.inMemory, .sqlite] }
    }

    static func archivingStore(
        _ kind: Kind, _ directory: TemporaryDirectory
    ) async throws -> (
        any HubStore, @Sendable () throws -> any HubStore
    ) {
        switch kind {
        case .inMemory:
            var configuration = HubStoreTests.configuration
            configuration.paymentArchiveAvailable = true
            let store = InMemoryHubStore(configuration: configuration)
            return (store, { store })
        case .sqlite:
            let path = directory.path("hub.sqlite")
            let store = try SQLiteHubStore(path: path, configuration: HubStoreTests.configuration)
            return (
                store,
                {
                    try store.close()
                    return try SQLiteHubStore(path: path, configuration: HubStoreTests.configuration)
                }
            )
        case .postgres:
            let url = try await PostgresTestServer.newDatabase()
            let store = try PostgresHubStore(url: url, configuration: HubStoreTests.configuration, limits: .storeSuites)
            return (
                store,
                {
                    store.close()
                    return try PostgresHubStore(
                        url: url, configuration: HubStoreTests.configuration, limits: .storeSuites)
                }
            )
        }
    }

    /// Reads every payment the way the API does (what the hub lacks, fetched from the store).
    static func reads<S: HubStore>(_ writer: Writer<S>, ids: [UInt128]) async throws -> [String] {
        let lookups = try await writer.read { $0.archiveLookups(ids: ids, page: (0, 100_000)) }
        let fetched = try await writer.store.archivedPayments(lookups)
        return try await writer.read { hub in
            let view = PaymentReadView(hub: hub, archived: fetched, lookups: lookups)
            var lines = ids.map { id in
                "\(id) \(String(describing: view.payment(id))) \(String(describing: view.paymentParties(id)))"
                    + " \(String(describing: view.paymentData(id)?.texts)) \(String(describing: view.bookingTime(of: id)))"
            }
            let page = view.paymentPage(from: 0, limit: 100_000, scanMax: 100_000, filter: PaymentFilter())
            lines.append("page \(page.states.map(\.id)) \(page.states.map(\.status))")
            return lines
        }
    }

    static func archivingHistory<S: HubStore>(
        _ store: S, setup: [HubCommand], history: HubHistory, ids: [UInt128], time: ManualClock
    ) async throws -> [String] {
        let writer = Writer(store: store, clock: { time.now() })
        return try await writer.whileRunning {
            #expect(try await writer.submit(setup + [.startPaymentArchive]).last == HubResult.ok)
            for batch in 1...12 {
                time.advance(seconds: 1)
                _ = try await writer.submit(history.batch(batch))
            }
            let (count, resident) = try await writer.read { ($0.paymentCount, $0.residentPaymentCount) }
            #expect(count == ids.count && resident <= 4 * 120, "\(resident) of \(count) payments still in memory")
            if let sqlite = store as? SQLiteHubStore {
                #expect(try await sqlite.archivedPaymentCount() == count - resident)
            }
            if let postgres = store as? PostgresHubStore {
                #expect(try await postgres.archivedPaymentCount() == count - resident)
            }
            return try await Self.reads(writer, ids: ids)
        }
    }

    static func afterRestart<S: HubStore>(
        _ store: S, ids: [UInt128], later: [HubCommand], clock: @escaping @Sendable () -> UInt64
    ) async throws -> ([String], [HubResult]) {
        let writer = Writer(store: store, clock: clock)
        return try await writer.whileRunning {
            (try await Self.reads(writer, ids: ids), try await writer.submit(later))
        }
    }

    @Test(arguments: Kind.available)
    func anArchivingHubAnswersAsOneThatKeepsEverythingAndAfterARestart(kind: Kind) async throws {
        let directory = TemporaryDirectory()
        let (store, reopen) = try await Self.archivingStore(kind, directory)
        let plainStore = InMemoryHubStore(configuration: HubStoreTests.configuration)
        let time = ManualClock()
        let clock: @Sendable () -> UInt64 = { time.now() }
        // Caps and quotas that book most payments (a few queue: open work that stays).
        let (union, trade) = try HubStoreTests.roomyUnion(capUnitMinor: 2_000_000_000)
        let history = HubHistory(
            union: union, trade: trade, currencies: HubStoreTests.configuration.currencies, batchSize: 120,
            closeEvery: 2)
        var ids: [UInt128] = []
        for batch in 1...12 { ids += (0..<120).map { UInt128(batch) * 1_000_000 + UInt128($0) } }
        // After the history: resubmissions of archived payments (the same, and another under
        // the same id), a cancel and a recall of one.
        let first = try #require(history.batch(1).first)
        guard case .submitPayment(var changed) = first else { Issue.record("not a payment"); return }
        changed.amountMinor += 1
        let later: [HubCommand] = [
            first, .submitPayment(changed), .cancelPayment(id: changed.id, actor: .participant(changed.payer)),
            .requestRecall(
                RecallRequest(id: 77, paymentID: changed.id, reasonCode: "DUPL", actor: .participant(changed.payer))),
        ]

        let plain = Writer(store: plainStore, clock: clock)
        let (expectedReads, expectedLater) = try await plain.whileRunning {
            _ = try await plain.submit(union.setupCommands)
            for batch in 1...12 {
                time.advance(seconds: 1)
                _ = try await plain.submit(history.batch(batch))
            }
            return (try await Self.reads(plain, ids: ids), try await plain.submit(later))
        }
        let gotReads = try await Self.archivingHistory(
            store, setup: union.setupCommands, history: history, ids: ids, time: ManualClock())
        #expect(gotReads == expectedReads)

        // A restart (from the log, or from a snapshot where the store took one) reads the same,
        // and the commands that name archived payments answer as the plain hub did.
        let reopened = try reopen()
        let (readsAgain, laterAgain) = try await Self.afterRestart(
            reopened, ids: ids, later: later, clock: { time.now() })
        #expect(readsAgain == expectedReads)
        #expect(laterAgain == expectedLater)
        if let sqlite = reopened as? SQLiteHubStore { try sqlite.close() }
        if let postgres = reopened as? PostgresHubStore { postgres.close() }
    }

    /// A page of the audit trail as the API assembles it: archived positions from the store,
    /// the rest from memory.
    static func auditPage<S: HubStore>(_ writer: Writer<S>, after: Int, limit: Int) async throws -> [AuditRecord] {
        let (archivedCount, end, resident) = try await writer.read { hub in
            let end = min(hub.auditRecordCount, after + limit)
            return (hub.archivedAuditRecordCount, end, Array(hub.residentAuditRecords(after..<max(after, end))))
        }
        guard after < min(archivedCount, end) else { return resident }
        let archived = try await writer.store.archivedAuditRecords(after..<min(archivedCount, end))
        #expect(archived.map(\.position) == Array(after..<min(archivedCount, end)))
        return archived.map(\.record) + resident
    }

    /// Batches of attributed actions (an operator's and a central bank's, granted and refused):
    /// more than the hub keeps in memory.
    static func auditedBatches() -> [[HubCommand]] {
        let bics = [BIC("BANKBRSP")!, BIC("NOSUCHBKXXX")!]
        let actors: [Actor] = [.member(CountryCode(alpha3: "BRA")!), .operatorUser("ops-a"), .operatorUser("ops-b")]
        var batches: [[HubCommand]] = []
        for batch in 0..<10 {
            var commands: [HubCommand] = []
            for index in 0..<500 {
                let cap = Int64(batch * 1_000 + index)
                let update = HubCommand.updateParticipant(bic: bics[index % 2], netDebitCapMinor: cap, status: nil)
                commands.append(.attributed(actor: actors[index % 3], command: update))
            }
            batches.append(commands)
        }
        return batches
    }

    static let auditProbes = [(0, 700), (1_500, 200), (4_000, 1_500), (4_990, 20), (0, 5_200)]

    static func auditHistory<S: HubStore>(
        _ store: S, setup: [HubCommand], archiving: Bool
    ) async throws -> [[AuditRecord]] {
        let time = ManualClock()
        let writer = Writer(store: store, clock: { time.now() })
        return try await writer.whileRunning {
            _ = try await writer.submit(
                setup + (archiving ? [.startPaymentArchive, .startAuditArchive, .startCycleArchive] : []))
            for batch in Self.auditedBatches() {
                time.advance(seconds: 1)
                _ = try await writer.submit(batch)
            }
            let (total, archived, resident) = try await writer.read {
                ($0.auditRecordCount, $0.archivedAuditRecordCount, $0.auditRecords.count)
            }
            if archiving {
                #expect(archived > 0 && resident <= Limits.auditRecordsResidentMax, "\(resident) of \(total) in memory")
                if let sqlite = store as? SQLiteHubStore {
                    #expect(try await sqlite.archivedAuditRecordCount() == archived)
                }
                if let postgres = store as? PostgresHubStore {
                    #expect(try await postgres.archivedAuditRecordCount() == archived)
                }
            }
            var pages: [[AuditRecord]] = []
            for (after, limit) in Self.auditProbes {
                pages.append(try await Self.auditPage(writer, after: after, limit: limit))
            }
            return pages
        }
    }

    static func auditPagesAfterRestart<S: HubStore>(_ store: S) async throws -> [[AuditRecord]] {
        let writer = Writer(store: store, clock: { 0 })
        return try await writer.whileRunning {
            var pages: [[AuditRecord]] = []
            for (after, limit) in Self.auditProbes {
                pages.append(try await Self.auditPage(writer, after: after, limit: limit))
            }
            return pages
        }
    }

    /// The audit trail on each store: the oldest records leave memory, and every page (before
    /// and after a restart) is the page of a hub that keeps every record in memory.
    @Test(arguments: Kind.available)
    func oldAuditRecordsAreServedFromTheArchiveBeforeAndAfterARestart(kind: Kind) async throws {
        let directory = TemporaryDirectory()
        let (store, reopen) = try await Self.archivingStore(kind, directory)
        let (union, _) = try HubStoreTests.roomyUnion(capUnitMinor: 2_000_000_000)
        let expected = try await Self.auditHistory(
            InMemoryHubStore(configuration: HubStoreTests.configuration), setup: union.setupCommands, archiving: false)
        #expect((expected.last?.count ?? 0) >= 5_000)  // every batch's records
        let got = try await Self.auditHistory(store, setup: union.setupCommands, archiving: true)
        #expect(got == expected)
        let reopened = try reopen()
        #expect(try await Self.auditPagesAfterRestart(reopened) == got)
        if let sqlite = reopened as? SQLiteHubStore { try sqlite.close() }
        if let postgres = reopened as? PostgresHubStore { postgres.close() }
    }
}
