import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// One suite, every store: what the ledger commits, the store gives back exactly.
@Suite struct LedgerStoreTests {
    /// Applies random batches directly, committing each outcome, and returns the live ledger.
    static func drive(_ store: some LedgerStore, seed: UInt64, batches: Int = 25) async throws -> LedgerStateMachine {
        var random = SeededRandom(seed: seed)
        var ledger = LedgerStateMachine()
        var results = ContiguousArray<EventResult>()
        var now: UInt64 = 1_000_000_000_000
        try ledger.apply(Traffic.accounts(), now: now, results: &results)
        try await store.commit(ledger.sealOutcome())
        ledger.outcomeCommitted()
        for batchIndex in 0..<batches {
            now += random.next() % 1_500_000_000
            let batch = Traffic.batch(
                &random, size: Int(1 + random.next() % 60), idBase: UInt128(1_000 + batchIndex * 100))
            try ledger.apply(batch, now: now, results: &results)
            #expect(ledger.checkInvariants() == nil)
            try await store.commit(ledger.sealOutcome())
            ledger.outcomeCommitted()
        }
        return ledger
    }

    @Test(arguments: StoreKind.available, [1, 2, 3, 4, 5] as [UInt64])
    func rebuildingFromTheStoreYieldsTheLiveState(kind: StoreKind, seed: UInt64) async throws {
        let directory = TemporaryDirectory()
        let store = try await kind.makeStore(in: directory)
        let live = try await Self.drive(store, seed: seed)
        let restored = try await store.restore()
        #expect(restored.makeSnapshot() == live.makeSnapshot(), "seed \(seed)")
        #expect(live.pendingCount > 0 || live.transferCount > 0)
    }

    /// Steps large enough for the multi-row statements (64 rows each, the rest one by one) in
    /// all three tables, with amounts, references and balances that need the 16-byte
    /// encoding in random rows of a chunk: every row reads back as committed.
    @Test(arguments: StoreKind.available)
    func largeStepsReadBackEveryRowExactly(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try await kind.makeStore(in: directory)
        var random = SeededRandom(seed: 64)
        var ledger = LedgerStateMachine()
        var results = ContiguousArray<EventResult>()
        let accountCount = 150
        try ledger.apply(Traffic.accounts(accountCount), now: 1_000, results: &results)
        try await store.commit(ledger.sealOutcome())
        ledger.outcomeCommitted()
        var created: [StoredTransfer] = []
        for batch in 0..<4 {
            let events: [LedgerEvent] = (0..<(200 + 37 * batch)).map { i in
                let big = random.next() % 7 == 0
                return .createTransfer(
                    Transfer(
                        id: UInt128(10_000 * (batch + 1) + i),
                        debitAccountID: UInt128(1 + random.next() % UInt64(accountCount)),
                        creditAccountID: UInt128(1 + random.next() % UInt64(accountCount)),
                        amount: big ? UInt128(Int64.max) + UInt128(random.next()) : UInt128(1 + random.next() % 900),
                        ledger: 1, code: 3, userReference: big ? UInt128(random.next()) << 64 : UInt128(i)))
            }
            try ledger.apply(events, now: 2_000 + UInt64(batch), results: &results)
            let outcome = ledger.sealOutcome()
            created += outcome.createdTransfers
            try await store.commit(outcome)
            ledger.outcomeCommitted()
        }
        #expect(created.count > 900)
        for stored in created {
            #expect(try await store.transfer(id: stored.transfer.id) == stored)
        }
        for account in 1...accountCount {
            let listed = try await store.transfers(
                accountID: UInt128(account), timestamps: 0..<UInt64.max, limit: 10_000)
            let expected = created.filter {
                $0.transfer.debitAccountID == UInt128(account) || $0.transfer.creditAccountID == UInt128(account)
            }
            #expect(listed == expected, "account \(account)")
        }
        let restored = try await store.restore()
        #expect(restored.makeSnapshot() == ledger.makeSnapshot())
        #expect(restored.checkInvariants() == nil)
    }

    @Test(arguments: StoreKind.available)
    func transfersAreQueryableByIDAccountAndTime(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try await kind.makeStore(in: directory)
        var ledger = LedgerStateMachine()
        var results = ContiguousArray<EventResult>()
        let big = UInt128(Int64.max) * 3  // needs the 16-byte encoding
        try ledger.apply(
            Traffic.accounts(3) + [
                .createTransfer(
                    Transfer(
                        id: 10, debitAccountID: 1, creditAccountID: 2, amount: 5, ledger: 1, code: 1, userReference: 77)
                ),
                .createTransfer(
                    Transfer(id: 11, debitAccountID: 2, creditAccountID: 3, amount: big, ledger: 1, code: 1)),
                .createTransfer(
                    Transfer(
                        id: 12, debitAccountID: 3, creditAccountID: 1, amount: 7, ledger: 1, code: 1, flags: .pending,
                        timeoutSeconds: 60)),
            ], now: 1_000, results: &results)
        let outcome = ledger.sealOutcome()
        try await store.commit(outcome)

        let stored = try #require(try await store.transfer(id: 11))
        #expect(stored == outcome.createdTransfers[1])
        #expect(stored.transfer.amount == big)
        #expect(try await store.transfer(id: 99) == nil)
        #expect(try await store.transfer(id: 12)?.status == .pending)

        let ofAccount1 = try await store.transfers(accountID: 1, timestamps: 0..<UInt64.max, limit: 10)
        #expect(ofAccount1.map(\.transfer.id) == [10, 12])
        let limited = try await store.transfers(accountID: 1, timestamps: 0..<UInt64.max, limit: 1)
        #expect(limited.map(\.transfer.id) == [10])
        let t11 = stored.transfer.timestamp
        let window = try await store.transfers(timestamps: t11..<(t11 + 1), limit: 10)
        #expect(window.map(\.transfer.id) == [11])
        #expect(try await store.transfers(timestamps: 0..<UInt64.max, limit: 100).count == 3)
        #expect(try await store.account(id: 2)?.creditsPosted == 5)
        #expect(try await store.account(id: 2)?.debitsPosted == big)
        #expect(try await store.account(id: 1)?.userReference == UInt128(1) << 70)
    }

    @Test(arguments: StoreKind.available)
    func writerRepliesOnlyAfterTheCommit(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        try await Self.checkWriterReplies(try await kind.makeStore(in: directory))
    }

    static func checkWriterReplies(_ store: some LedgerStore) async throws {
        try await Self.withWriter(store) { writer in
            let accountResults = try await writer.submit(Traffic.accounts(2))
            #expect(accountResults == [.account(.ok), .account(.ok)])
            let results = try await writer.submit([
                .createTransfer(Transfer(id: 10, debitAccountID: 1, creditAccountID: 2, amount: 5, ledger: 1, code: 1)),
                .createTransfer(Transfer(id: 11, debitAccountID: 1, creditAccountID: 9, amount: 5, ledger: 1, code: 1)),
            ])
            #expect(results == [.transfer(.ok), .transfer(.creditAccountNotFound)])
            #expect(try await writer.store.transfer(id: 10) != nil)  // committed before the reply
            #expect(try await writer.store.transfer(id: 11) == nil)
            #expect(
                try await writer.submit([
                    .createTransfer(
                        Transfer(id: 10, debitAccountID: 1, creditAccountID: 2, amount: 5, ledger: 1, code: 1))
                ]) == [.transfer(.exists)])
        }
    }

    @Test(arguments: StoreKind.available)
    func writerExpiresPendingTransfersWithoutTraffic(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        try await Self.checkExpiry(try await kind.makeStore(in: directory))
    }

    static func checkExpiry(_ store: some LedgerStore) async throws {
        let clock = ManualClock()
        try await Self.withWriter(store, clock: clock) { writer in
            _ = try await writer.submit(Traffic.accounts(2))
            _ = try await writer.submit([
                .createTransfer(
                    Transfer(
                        id: 10, debitAccountID: 1, creditAccountID: 2, amount: 5, ledger: 1, code: 1, flags: .pending,
                        timeoutSeconds: 1))
            ])
            clock.advance(seconds: 2)
            var status = try await writer.store.transfer(id: 10)?.status
            for _ in 0..<100 where status != .pendingExpired {
                try await Task.sleep(for: .milliseconds(20))
                status = try await writer.store.transfer(id: 10)?.status
            }
            #expect(status == .pendingExpired)
            #expect(try await writer.store.account(id: 1)?.debitsPending == 0)
        }
    }

    @Test func fullInboxAnswersBusyAndOversizedBatchIsRefused() async throws {
        let writer = LedgerWriter(store: InMemoryLedgerStore(), inboxEventCountMax: 10)
        await #expect(throws: WriterError.batchTooLarge) {
            try await writer.submit(
                Array(repeating: .closeAccount(id: 1, linked: false), count: Limits.batchEventCountMax + 1))
        }
        try await withThrowingTaskGroup(of: [EventResult].self) { group in
            // The writer is not running yet, so this submission waits in the inbox.
            group.addTask { try await writer.submit(Traffic.accounts(8)) }
            while writer.queuedEventCount < 8 { await Task.yield() }
            await #expect(throws: WriterError.busy) { try await writer.submit(Traffic.accounts(3)) }
            group.addTask {
                try await writer.run(); return []
            }
            let first = try await group.next()!
            #expect(first.count == 8)
            writer.shutdown()
            try await group.waitForAll()
        }
        await #expect(throws: WriterError.stopped) { try await writer.submit(Traffic.accounts(1)) }
    }

    /// Cancelling the task that runs the writer stops it (after draining what is queued): a
    /// harness whose body throws cancels its group and must never wait on the writer.
    @Test func cancellingTheWriterTaskStopsTheWriter() async throws {
        let writer = LedgerWriter(store: InMemoryLedgerStore())
        let running = Task { try await writer.run() }
        _ = try await writer.submit(Traffic.accounts(2))
        running.cancel()
        try await withTimeLimit(seconds: 10) { try await running.value }
        await #expect(throws: WriterError.stopped) { try await writer.submit(Traffic.accounts(1)) }
    }

    @Test func concurrentSubmissionsShareCommitsAndAllSucceed() async throws {
        let store = InMemoryLedgerStore()
        try await Self.withWriter(store) { writer in
            _ = try await writer.submit(Traffic.accounts(2))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<20 {
                    group.addTask {
                        let id = UInt128(100 + client)
                        let results = try await writer.submit([
                            .createTransfer(
                                Transfer(
                                    id: id, debitAccountID: 1, creditAccountID: 2, amount: 1, ledger: 1, code: 1))
                        ])
                        #expect(results == [.transfer(.ok)])
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.account(id: 2)?.creditsPosted == 20)
        }
        #expect(await store.commitCount <= 21)
    }

    static func withWriter<S: LedgerStore>(
        _ store: S, clock: ManualClock? = nil, _ body: @Sendable (LedgerWriter<S>) async throws -> Void
    ) async throws {
        let writer =
            clock.map { clock in
                LedgerWriter(store: store, clock: { clock.now() }, expiryPollMilliseconds: 10)
            } ?? LedgerWriter(store: store)
        try await writer.whileRunning { try await body(writer) }
    }
}
