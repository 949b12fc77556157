@testable import PolyclearCore
import PolyclearWorkload
import PolyclearTestSupport
import Testing

/// Archiving changes no answer: two hubs get the same random history (payments, decisions on
/// old and new payments, resubmissions of archived ids, recalls and returns of archived
/// payments, cycles closed and settled); one archives, with a store's part played here as
/// the writer plays it (what a commit archived is kept; what a command names comes back
/// first). Every result, every read and the final pages are the same; the archiving hub holds
/// far fewer payments; its log replays to the same state, and its snapshot reads back.
@Suite(.offTheSharedPool) struct PaymentArchiveTests {
    typealias F = HubFixture

    /// The store's archive: what each commit archived, by id, UETR and position.
    struct ArchiveStore {
        var byIndex: [UInt32: ArchivedPayment] = [:]
        var indexByID: [UInt128: UInt32] = [:]
        var audit: [Int: AuditRecord] = [:]
        var cycles: [UInt32: ArchivedCycle] = [:]

        mutating func keep(_ archived: some Sequence<ArchivedPayment>) {
            for payment in archived {
                byIndex[payment.index] = payment
                indexByID[payment.id] = payment.index
            }
        }

        func fetch(_ lookups: PaymentReadView.ArchiveLookups) -> [ArchivedPayment] {
            var found = lookups.ids.compactMap { indexByID[$0].flatMap { byIndex[$0] } }
            for uetr in lookups.uetrs { found += byIndex.values.filter { $0.uetr == uetr } }
            found += lookups.positions.compactMap { byIndex[$0] }
            return found
        }
    }

    struct Pair {
        var plain = F()
        var archiving = F(archive: true)
        var store = ArchiveStore()
        var log: [HubLogEntry] = []
        var now: UInt64 = 1_800_000_000_000_000_000

        init() {
            log.append(HubLogEntry(command: .startPaymentArchive, time: now))
            #expect(archiving.hub.apply(.startPaymentArchive, now: now) == .ok)
            log.append(HubLogEntry(command: .startAuditArchive, time: now))
            #expect(archiving.hub.apply(.startAuditArchive, now: now) == .ok)
            log.append(HubLogEntry(command: .startCycleArchive, time: now))
            #expect(archiving.hub.apply(.startCycleArchive, now: now) == .ok)
            commit()
        }

        /// Applies one command to both hubs, the archiving one as a writer would drive it.
        mutating func apply(_ command: HubCommand) -> (HubResult, HubResult) {
            let references = archiving.hub.archivedReferences([command])
            var lookups = PaymentReadView.ArchiveLookups()
            lookups.ids = references
            let found = store.fetch(lookups)
            if !found.isEmpty {
                log.append(HubLogEntry(command: .restoreArchivedPayments(found), time: now))
                #expect(archiving.hub.apply(.restoreArchivedPayments(found), now: now) == .ok)
            }
            let expected = plain.hub.apply(command, now: now)
            log.append(HubLogEntry(command: command, time: now))
            let got = archiving.hub.apply(command, now: now)
            if archiving.hub.hasDeferredWork {
                log.append(HubLogEntry(command: nil, time: now))
                archiving.hub.tick(now: now)
            }
            commit()
            return (expected, got)
        }

        mutating func commit() {
            _ = plain.hub.sealOutcome()
            plain.hub.outcomeCommitted()
            let outcome = archiving.hub.sealOutcome()
            store.keep(outcome.archived)
            for archived in outcome.archivedAudit { store.audit[archived.position] = archived.record }
            for archived in outcome.archivedCycles { store.cycles[archived.number] = archived }
            archiving.hub.outcomeCommitted()
        }

        /// The archiving hub's reads, through the archive as the API reads.
        func view(ids: [UInt128] = [], uetrs: [UInt128] = [], page: (Int, Int)? = nil) -> PaymentReadView {
            let lookups = archiving.hub.archiveLookups(ids: ids, uetrs: uetrs, page: page)
            let view = PaymentReadView(hub: archiving.hub, archived: store.fetch(lookups), lookups: lookups)
            #expect(view.isComplete)
            return view
        }
    }

    static let uetr: UInt128 = 0x1234_5678_9ABC_4DEF_8123_4567_89AB_CDEF

    /// The property tests' commands, plus what reaches old payments: resubmissions (the same
    /// instruction, or another under the same id), recalls and their answers, returns.
    static func command(
        _ random: inout SeededRandom, nextID: inout UInt128, pair: Pair, recalls: inout [UInt128]
    ) -> HubCommand {
        let hub = pair.plain.hub
        let old = UInt128(1 + random.next() % max(1, nextID))
        switch random.next() % 16 {
        case 0:
            guard let parties = hub.paymentParties(old) else { break }
            let same = random.next() % 2 == 0
            return F.payment(old, from: parties.payer, to: parties.payee, amountMinor: same ? 1 : 2)
        case 1:
            guard let parties = hub.paymentParties(old) else { break }
            nextID += 1
            recalls.append(nextID)
            return .requestRecall(
                RecallRequest(
                    id: nextID, paymentID: old, reasonCode: "DUPL", answerSeconds: 0, actor: .participant(parties.payer)
                ))
        case 2:
            guard let recall = recalls.last.flatMap(hub.recall),
                let parties = hub.paymentParties(recall.request.paymentID)
            else { break }
            return .answerRecall(
                id: recall.request.id, accept: random.next() % 2 == 0, reasonCode: "CUST",
                actor: .participant(parties.payee))
        case 3:
            guard let parties = hub.paymentParties(old) else { break }
            nextID += 1
            return .returnPayment(
                PaymentReturnInstruction(
                    id: nextID, originalID: old, amountMinor: Int64(1 + random.next() % 50_000), uetr: Self.uetr,
                    reasonCode: "AC04", actor: .participant(parties.payee)))
        default: break
        }
        return HubPropertyTests.randomCommandWithCycles(&random, nextID: &nextID, hub: hub, cycleEventsOneIn: 10)
    }

    /// Async, yielding now and then: a long synchronous test holds one of the few threads the
    /// whole run's async tests share (cluster nodes missed their leases behind it).
    @Test(arguments: 1...16 as ClosedRange<UInt64>)
    func archivingChangesNoAnswer(seed: UInt64) async throws {
        var random = SeededRandom(seed: seed)
        var pair = Pair()
        var nextID: UInt128 = 1  // the property tests' commands draw ids from 1...nextID
        var recalls: [UInt128] = []
        for step in 0..<600 {
            if step % 20 == 0 { await Task.yield() }
            pair.now += step % 97 == 0 ? 4_000 * 1_000_000_000 : 1_000_000  // some reservations expire
            let command = Self.command(&random, nextID: &nextID, pair: pair, recalls: &recalls)
            let (expected, got) = pair.apply(command)
            #expect(expected == got, "seed \(seed) step \(step): \(command)")
            if let violation = pair.archiving.hub.checkInvariants() { Issue.record("seed \(seed): \(violation)") }
            let probe = (0..<4).map { _ in UInt128(1 + random.next() % max(1, nextID)) }
            // Every payment here carries the same UETR: asked now and then, not at every step.
            let view = pair.view(ids: probe, uetrs: step % 25 == 0 ? [Self.uetr] : [])
            let plain = PaymentReadView(hub: pair.plain.hub)
            for id in probe {
                #expect(view.payment(id) == plain.payment(id), "seed \(seed) step \(step) payment \(id)")
                #expect(
                    view.paymentParties(id).map { [$0.payer, $0.payee] }
                        == plain.paymentParties(id).map { [$0.payer, $0.payee] })
                #expect(view.paymentData(id)?.texts == plain.paymentData(id)?.texts)
                #expect(view.paymentData(id)?.details == plain.paymentData(id)?.details)
                #expect(view.bookingTime(of: id) == plain.bookingTime(of: id))
            }
            if step % 25 == 0 {
                #expect(
                    view.paymentID(forUETR: Self.uetr) == plain.paymentID(forUETR: Self.uetr),
                    "seed \(seed) step \(step)")
            }
        }
        // Pages: the whole history, every status filter, in small scans.
        for status in [nil] + PaymentStatus.allCases.map(Optional.some) {
            let filter = PaymentFilter(status: status)
            var cursor: Int? = 0
            while let from = cursor {
                let expected = pair.plain.hub.paymentPage(from: from, limit: 25, scanMax: 60, filter: filter)
                let got = pair.view(page: (from, 60)).paymentPage(from: from, limit: 25, scanMax: 60, filter: filter)
                #expect(got.states == expected.states && got.next == expected.next, "seed \(seed) page \(from)")
                cursor = expected.next
            }
        }
        let hub = pair.archiving.hub
        for (cursor, scanMax) in [(Int.max, Int.max), (Int.max - 1, 10), (-5, Int.max), (0, -1)] {
            let lookups = hub.archiveLookups(page: (cursor, scanMax))
            #expect(lookups.positions.upperBound <= UInt32(hub.paymentCount), "\(cursor) \(scanMax)")
        }
        #expect(hub.paymentCount == pair.plain.hub.paymentCount)
        #expect(hub.archivedPaymentCount > 0, "seed \(seed): nothing was archived")
        #expect(hub.residentPaymentCount < hub.paymentCount)
        // Replay of the logged history (restores and ticks included) gives the same state.
        var replayed = HubStateMachine(configuration: hub.configuration)
        replayed.replay(pair.archiving.log.map { HubLogEntry(command: $0.0, time: $0.1) } + pair.log)
        replayed.outcomeCommitted()
        #expect(try replayed.snapshotState() == (try hub.snapshotState()), "seed \(seed)")
        // The snapshot reads back as the same state.
        let bytes = try hub.snapshotState()
        let read = try HubStateMachine(configuration: hub.configuration, snapshotState: bytes)
        #expect(try read.snapshotState() == bytes)
    }

    /// The audit trail: thousands of attributed actions (granted and refused) leave memory down
    /// to the bound, and every page, assembled from the archive and memory as the API does, is
    /// the page of a hub that keeps everything; replay and the snapshot agree.
    @Test(arguments: 1...3 as ClosedRange<UInt64>)
    func oldAuditRecordsLeaveMemoryAndEveryPageStaysTheSame(seed: UInt64) async throws {
        var random = SeededRandom(seed: seed)
        var pair = Pair()
        let actors: [Actor] = [.operatorUser("ops-a"), .operatorUser("ops-b"), .member(F.bra), .participant(F.brBank1)]
        let bics = [F.brBank1, F.cnBank1, BIC("NOSUCHBKXXX")!]
        var residentMax = 0
        for step in 0..<(3 * Limits.auditRecordsResidentMax) {
            if step % 200 == 0 { await Task.yield() }
            pair.now += 1_000
            let command = HubCommand.attributed(
                actor: actors[Int(random.next() % 4)],
                command: .updateParticipant(
                    bic: bics[Int(random.next() % 3)], netDebitCapMinor: Int64(random.next() % 1_000_000), status: nil))
            let (expected, got) = pair.apply(command)
            #expect(expected == got, "seed \(seed) step \(step)")
            residentMax = max(residentMax, pair.archiving.hub.auditRecords.count)
            guard step % 97 == 0 else { continue }
            let after = Int(random.next() % UInt64(pair.plain.hub.auditRecordCount))
            let limit = 1 + Int(random.next() % 300)
            #expect(
                Self.auditPage(pair, after: after, limit: limit) == Self.plainPage(pair, after: after, limit: limit))
        }
        let hub = pair.archiving.hub
        #expect(hub.auditRecordCount == pair.plain.hub.auditRecordCount)
        #expect(hub.archivedAuditRecordCount > Limits.auditRecordsResidentMax, "seed \(seed): too little archived")
        #expect(residentMax <= Limits.auditRecordsResidentMax + 1, "\(residentMax) records stayed in memory")
        for (after, limit) in [(0, 5_000), (hub.archivedAuditRecordCount - 3, 6), (hub.auditRecordCount - 1, 10)] {
            #expect(
                Self.auditPage(pair, after: after, limit: limit) == Self.plainPage(pair, after: after, limit: limit))
        }
        #expect(Self.auditPage(pair, after: Int.max, limit: 10).isEmpty)
        var replayed = HubStateMachine(configuration: hub.configuration)
        replayed.replay(pair.archiving.log.map { HubLogEntry(command: $0.0, time: $0.1) } + pair.log)
        replayed.outcomeCommitted()
        #expect(try replayed.snapshotState() == (try hub.snapshotState()), "seed \(seed)")
        let read = try HubStateMachine(configuration: hub.configuration, snapshotState: try hub.snapshotState())
        #expect(read.archivedAuditRecordCount == hub.archivedAuditRecordCount)
        #expect(read.auditRecords == hub.auditRecords)
        // Each record reads back as the archive stores it.
        for record in hub.auditRecords.prefix(50) { #expect(try AuditRecord(encoded: record.encoded()) == record) }
        #expect(throws: (any Error).self) { try AuditRecord(encoded: [0xFF, 0x01]) }
    }

    /// A page as `PolyclearAPI.readAudit` assembles it: archived positions from the store, the
    /// rest from memory.
    static func auditPage(_ pair: Pair, after: Int, limit: Int) -> [AuditRecord] {
        let hub = pair.archiving.hub
        let end = after >= hub.auditRecordCount ? hub.auditRecordCount : min(hub.auditRecordCount, after + limit)
        guard after < end else { return [] }
        let archived = (after..<max(after, min(hub.archivedAuditRecordCount, end))).map { pair.store.audit[$0] }
        #expect(!archived.contains(nil), "the archive lacks a record below \(hub.archivedAuditRecordCount)")
        return archived.compactMap { $0 } + hub.residentAuditRecords(after..<end)
    }

    static func plainPage(_ pair: Pair, after: Int, limit: Int) -> [AuditRecord] {
        let trail = pair.plain.hub.auditRecords
        let end = after >= trail.count ? trail.count : min(trail.count, after + limit)
        return after < end ? Array(trail[after..<end]) : []
    }

    @Test func theArchiveFilterSaysNoForAlmostEveryNewIDAndNeverForAnArchivedOne() {
        var filter = ArchivedIDFilter()
        var random = SeededRandom(seed: 7)
        var inserted: [UInt128] = []
        for _ in 0..<600_000 {
            let id = UInt128(random.next()) << 64 | UInt128(random.next())
            filter.insert(id)
            inserted.append(id)
        }
        #expect(inserted.allSatisfy(filter.mayContain))
        var falsePositives = 0
        for _ in 0..<100_000 where filter.mayContain(UInt128(random.next()) << 64 | UInt128(random.next())) {
            falsePositives += 1
        }
        #expect(falsePositives < 2_500, "\(falsePositives) false positives in 100,000 (two levels)")
        #expect(filter.allocatedByteCount < 600_000 * 5, "about 12 bits an id, not \(filter.allocatedByteCount) bytes")
    }

    /// A log from before the audit archive (payments archived, no `startAuditArchive`) replays
    /// as it was written: its audit trail stays in memory.
    @Test func withoutItsOwnCommandTheAuditTrailStaysInMemory() {
        var f = F(archive: true)
        #expect(f.apply(.startPaymentArchive) == .ok)
        for index in 0..<(Limits.auditRecordsResidentMax + 10) {
            _ = f.apply(
                .attributed(
                    actor: .operatorUser("ops"),
                    command: .updateParticipant(bic: F.brBank1, netDebitCapMinor: Int64(index), status: nil)))
        }
        f.hub.tick(now: f.now)
        #expect(f.hub.archivedAuditRecordCount == 0)
        #expect(f.hub.auditRecords.count == Limits.auditRecordsResidentMax + 10)
        #expect(f.apply(.startAuditArchive) == .ok)
        #expect(f.hub.hasDeferredWork)
        f.hub.tick(now: f.now)
        #expect(f.hub.archivedAuditRecordCount == Limits.auditRecordsResidentMax / 2 + 10)
        #expect(f.hub.sealOutcome().archivedAudit.count == Limits.auditRecordsResidentMax / 2 + 10)
    }

    @Test func archivingNeedsAStoreThatKeepsAnArchive() {
        var f = F()
        #expect(f.apply(.startPaymentArchive) == .refused(.archiveUnavailable))
        #expect(f.apply(.startAuditArchive) == .refused(.archiveUnavailable))
        #expect(f.apply(.startCycleArchive) == .refused(.archiveUnavailable))
        #expect(f.apply(.restoreArchivedPayments([])) == .refused(.archiveUnavailable))
    }

    @Test func aRestoreOfAPaymentInMemoryOrNotArchivedIsRefusedWhole() throws {
        var pair = Pair()
        _ = pair.apply(F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 10_000))
        let fake = ArchivedPayment(id: 1, uetr: 0, index: 0, body: [1, 2, 3])
        #expect(pair.archiving.hub.apply(.restoreArchivedPayments([fake]), now: pair.now) == .refused(.malformedField))
    }
}
