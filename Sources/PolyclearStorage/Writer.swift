public import PolyclearCore
import Synchronization

/// Why a submission got no results. Raw values are stable codes: append only.
public enum WriterError: UInt16, Error, Sendable {
    /// The inbox is full: retry later (HTTP 503 with Retry-After).
    case busy = 1
    /// More events than `Limits.batchEventCountMax` in one submission.
    case batchTooLarge = 2
    /// The writer is not running (shut down, or stopped after a store failure).
    case stopped = 3
    /// This node does not hold the writer role (another does, or none during a failover).
    case notWriter = 4
}

/// The single writer for the ledger alone.
public typealias LedgerWriter<Store: LedgerStore> = Writer<Store>

/// The single writer: the one task that owns the state machine (the ledger, or the hub).
///
/// Callers `submit` batches into a bounded inbox. `run()` restores the ledger from the store,
/// then repeatedly takes every queued submission (up to one batch's worth of events), applies
/// each in turn, commits all their changes in one store transaction, and only then replies
/// (group commit: one fsync serves many callers). A store failure stops the writer: the
/// in-memory state may then be ahead of the store, and only a restart makes them agree.
///
/// Commits are pipelined one deep: while a batch's commit runs (its encoding, its fsync) on
/// another task, the writer may apply the next queued batch — but it releases nothing of a
/// batch (answers, statistics, the commit hook) before that batch's commit has landed, starts
/// no commit before the previous one has landed, and serves reads and follow-ups only when
/// nothing applied is uncommitted — except reference reads (`readReference`) behind a commit
/// whose commands kept the reference data.
public final class Writer<Store: StateMachineStore>: Sendable {
    public typealias Machine = Store.Machine

    struct Submission: Sendable {
        var events: [Machine.Command]
        /// Recorded with the commit that executes it (`IdempotencyRecord`).
        var mark: IdempotencyMark<Machine.CommandResult>? = nil
        /// Computes the caller's answer on the state its batch commits; the closure it returns
        /// hands the answer over, once that commit has landed.
        let answer: @Sendable ([Machine.CommandResult], Machine) -> Delivery
        let fail: @Sendable (WriterError) -> Void
    }

    typealias Delivery = @Sendable () -> Void

    /// A batch applied and answered, its commit running on a task of its own.
    struct InFlightCommit: Sendable {
        let task: Task<Void, any Error>
        /// Per submission, in order: its answer, or its failure.
        let deliveries: [Delivery]
        let failures: [@Sendable (WriterError) -> Void]
        let stats: MachineStatistics
        let commandCount: Int
        /// The commit moves state into the store (the hub's archive), which the next batch's
        /// preparation may have to read back: that batch waits until it has landed.
        let movesStateToStore: Bool
        /// Its commands left the reference data as it was: reference reads need not wait.
        let keepsReferenceData: Bool
    }

    /// What applying a batch made: the sealed outcome and, per submission, its results.
    struct AppliedBatch {
        let taken: [Submission]
        let replies: [Result<[Machine.CommandResult], WriterError>]
        let idempotency: [IdempotencyRecord]
        let outcome: Machine.Outcome
        let stats: MachineStatistics
    }

    struct Inbox: Sendable {
        var submissions: [Submission] = []
        /// Reads waiting to run on the committed state, between batches.
        var reads: [ReadRequest] = []
        var queuedEventCount = 0
        var writerWaiting: CheckedContinuation<Void, Never>? = nil
        /// The commit in flight has finished (landed or failed): the writer can land it.
        var commitFinished = false
        var isStopping = false
        var isStopped = false
        var stats = MachineStatistics()
    }

    public let store: Store
    let inbox = Mutex(Inbox())
    private let clock: @Sendable () -> UInt64
    private let inboxEventCountMax: Int
    private let expiryPollMilliseconds: Int
    private let pipelinedEventCountMin: Int
    private let onCommit: @Sendable (Machine.Outcome) -> Void
    private let followUp: CommitFollowUp<Machine>?

    /// - Parameters:
    ///   - clock: nanoseconds since the Unix epoch; the ledger's only source of time.
    ///   - onCommit: called with each outcome once it is durably committed (never before).
    ///   - expiryPollMilliseconds: how often an idle writer checks for pending transfers to expire.
    ///   - followUp: work on the committed state between batches (hub snapshots).
    ///   - pipelinedEventCountMin: queued events worth applying behind a commit in flight
    ///     (`Limits.pipelinedEventCountMin`).
    public init(
        store: Store, clock: @escaping @Sendable () -> UInt64 = SystemClock.nanosecondsSinceEpoch,
        inboxEventCountMax: Int = Limits.inboxEventCountMax, expiryPollMilliseconds: Int = 100,
        onCommit: @escaping @Sendable (Machine.Outcome) -> Void = { _ in },
        followUp: CommitFollowUp<Machine>? = nil, pipelinedEventCountMin: Int = Limits.pipelinedEventCountMin
    ) {
        self.pipelinedEventCountMin = pipelinedEventCountMin
        self.onCommit = onCommit
        self.followUp = followUp
        self.store = store
        self.clock = clock
        self.inboxEventCountMax = inboxEventCountMax
        self.expiryPollMilliseconds = expiryPollMilliseconds
    }

    /// Queues a batch and waits until it is applied and durably committed.
    public func submit(_ events: [Machine.Command]) async throws(WriterError) -> [Machine.CommandResult] {
        try await submit(events) { results, _ in results }
    }

    /// Queues a batch, waits until it is applied and durably committed, and answers with
    /// `body` run on the state it was committed in (in the same turn of the writer, before
    /// the next batch). The answer to a committed batch thus needs no later read — which
    /// could fail if this process stopped writing in between, and turn a committed write into
    /// an error answer.
    ///
    /// - Parameter mark: an idempotency key to record with the commit (the store must keep
    ///   idempotency records: the hub stores do).
    public func submit<T: Sendable>(
        _ events: [Machine.Command], idempotency mark: IdempotencyMark<Machine.CommandResult>? = nil,
        answering body: @escaping @Sendable ([Machine.CommandResult], Machine) -> T
    ) async throws(WriterError) -> T {
        guard events.count <= Limits.batchEventCountMax else { throw .batchTooLarge }
        let result = await withCheckedContinuation { (reply: CheckedContinuation<Result<T, WriterError>, Never>) in
            let submission = Submission(
                events: events, mark: mark,
                answer: { results, machine in
                    let answer = body(results, machine)
                    return { reply.resume(returning: .success(answer)) }
                },
                fail: { reply.resume(returning: .failure($0)) })
            let refusal: WriterError? = inbox.withLock { inbox in
                if inbox.isStopping || inbox.isStopped { return .stopped }
                if inbox.queuedEventCount + events.count > inboxEventCountMax && !inbox.submissions.isEmpty {
                    return .busy
                }
                inbox.submissions.append(submission)
                inbox.queuedEventCount += events.count
                inbox.writerWaiting.take()?.resume()
                return nil
            }
            if let refusal { submission.fail(refusal) }
        }
        return try result.get()
    }

    /// Events waiting in the inbox.
    public var queuedEventCount: Int { inbox.withLock { $0.queuedEventCount } }

    /// Counts and memory of the ledger as of the last commit.
    public var stats: MachineStatistics { inbox.withLock { $0.stats } }

    /// Stops taking submissions; `run()` finishes what is queued and returns.
    public func shutdown() {
        inbox.withLock { inbox in
            inbox.isStopping = true
            inbox.writerWaiting.take()?.resume()
        }
    }

    /// Restores the ledger from the store and writes until `shutdown()`, or until the task
    /// running it is cancelled (which shuts it down the same way: what is queued is drained).
    /// A harness whose body throws cancels its task group, and so never waits on a writer.
    public func run() async throws {
        try await withTaskCancellationHandler {
            try await restoreAndWrite()
        } onCancel: {
            shutdown()
        }
    }

    private func restoreAndWrite() async throws {
        let ledger: Machine
        do {
            ledger = try await store.restore()
        } catch {
            markStopped()  // nobody waits for a writer that will never start
            throw error
        }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { [self] in
                // Wakes an idle writer so that pending transfers expire on time without traffic,
                // and runs the store's upkeep beside the commits.
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .milliseconds(expiryPollMilliseconds)) } catch { return }
                    wake()
                    try? await store.performMaintenance()
                }
            }
            defer { group.cancelAll() }
            try await writeLoop(ledger)
        }
    }

    private func writeLoop(_ restored: Machine) async throws {
        var ledger = restored
        var results = ContiguousArray<Machine.CommandResult>()
        results.reserveCapacity(Limits.batchEventCountMax)
        var inFlight: InFlightCommit? = nil
        var landedSinceFollowUp = 0  // commands committed since the follow-up last saw the state
        while true {
            if let pending = inFlight {
                await waitForWorkBehindCommit()
                if pending.keepsReferenceData {
                    serveReferenceReads(ledger)
                    // Woken for those reads alone: back to waiting behind the commit.
                    if !inbox.withLock({ isReadyBehindCommit($0) }) { continue }
                }
            }
            if let pending = inFlight, !mayApply(behind: pending, landedSinceFollowUp) {
                inFlight = nil
                try await land(pending)
                landedSinceFollowUp += pending.commandCount
                // Nothing applied behind it: the state is exactly that of the last commit.
                await followUp?.afterCommit(ledger, landedSinceFollowUp)
                landedSinceFollowUp = 0
            }
            let taken: [Submission]
            if inFlight == nil {
                serveReads(ledger)
                let next = await nextSubmissions()
                serveReads(ledger)
                if next.taken.isEmpty && next.isStopping { break }
                taken = next.taken
                if taken.isEmpty {
                    let now = clock()
                    guard let due = ledger.nextDeadline, due <= now else { continue }
                    ledger.advance(now: now)
                }
            } else {
                taken = inbox.withLock { Self.take(from: &$0) }
            }
            let applied: AppliedBatch
            do {
                applied = try await apply(taken, to: &ledger, results: &results)
            } catch {
                if let pending = inFlight { try? await land(pending) }
                markStopped()
                for submission in taken { submission.fail(.stopped) }
                throw error
            }
            if let pending = inFlight {
                inFlight = nil
                do { try await land(pending) } catch {
                    for submission in taken { submission.fail(.stopped) }
                    throw error
                }
                landedSinceFollowUp += pending.commandCount
            }
            inFlight = startCommit(applied, on: ledger)
        }
        serveReads(ledger)
        await followUp?.atShutdown(ledger)
        markStopped()
    }

    /// Whether the writer may apply the next batch before the commit in flight has landed:
    /// only for enough queued events (`pipelinedEventCountMin`), with no read waiting (reads
    /// see committed state only), no stop, no follow-up due, and no archive the next batch may
    /// need from the store.
    private func mayApply(behind pending: InFlightCommit, _ landedSinceFollowUp: Int) -> Bool {
        guard !pending.movesStateToStore else { return false }
        if let followUp, followUp.wantsState(landedSinceFollowUp + pending.commandCount) { return false }
        return inbox.withLock {
            !$0.commitFinished && !$0.submissions.isEmpty && $0.queuedEventCount >= pipelinedEventCountMin
                && $0.reads.isEmpty && !$0.isStopping
        }
    }

    /// Waits until the commit in flight has finished or something arrives to do behind it or
    /// instead (`isReadyBehindCommit`).
    private func waitForWorkBehindCommit() async {
        while !inbox.withLock({ isReadyBehindCommit($0) }) {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let resumeNow = inbox.withLock { inbox in
                    if isReadyBehindCommit(inbox) { return true }
                    inbox.writerWaiting = waiter
                    return false
                }
                if resumeNow { waiter.resume() }
            }
        }
    }

    /// Applies the submissions (after what the store says they need first) and whatever
    /// deferred work is due, and seals the outcome. A store failure throws.
    private func apply(
        _ taken: [Submission], to ledger: inout Machine, results: inout ContiguousArray<Machine.CommandResult>
    ) async throws -> AppliedBatch {
        try await prepare(&ledger, for: taken)
        var replies: [Result<[Machine.CommandResult], WriterError>] = []  // per submission
        replies.reserveCapacity(taken.count)
        var marks: [IdempotencyRecord] = []
        for submission in taken {
            do {
                let now = clock()
                try ledger.apply(submission.events, now: now, results: &results)
                replies.append(.success(Array(results)))
                if let mark = submission.mark {
                    marks.append(
                        IdempotencyRecord(
                            caller: mark.caller, key: mark.key, digest: mark.digest, createdAt: now,
                            results: mark.encode(Array(results))))
                }
            } catch {
                replies.append(.failure(.batchTooLarge))
            }
        }
        if ledger.hasDeferredWork { ledger.advance(now: clock()) }
        #if DEBUG
            if let violation = ledger.checkInvariants() { preconditionFailure("ledger invariant: \(violation)") }
        #endif
        let outcome = ledger.sealOutcome()
        // The sealed copy keeps the buffers; the machine starts new ones.
        ledger.outcomeCommitted()
        return AppliedBatch(
            taken: taken, replies: replies, idempotency: marks, outcome: outcome, stats: ledger.statistics)
    }

    /// Starts the batch's commit on a task of its own, then computes its answers on `machine`
    /// (the state it commits) while the commit runs. An outcome with nothing in it executed
    /// nothing: no commit, and its idempotency records need no keeping (a retry runs again,
    /// to the same refusal).
    private func startCommit(_ applied: AppliedBatch, on machine: Machine) -> InFlightCommit {
        let outcome = applied.outcome
        let idempotency = applied.idempotency
        inbox.withLock { $0.commitFinished = false }
        let task = Task { [self, store, onCommit] in
            defer {
                inbox.withLock { inbox in
                    inbox.commitFinished = true
                    inbox.writerWaiting.take()?.resume()
                }
            }
            guard !outcome.isEmpty else { return }
            if idempotency.isEmpty {
                try await store.commit(outcome)
            } else {
                try await store.commit(outcome, idempotency: idempotency)
            }
            onCommit(outcome)  // committed: safe to publish (live event feeds)
        }
        let deliveries = zip(applied.taken, applied.replies).map { submission, reply -> Delivery in
            switch reply {
            case .success(let results): return submission.answer(results, machine)
            case .failure(let error): return { submission.fail(error) }
            }
        }
        return InFlightCommit(
            task: task, deliveries: deliveries, failures: applied.taken.map(\.fail), stats: applied.stats,
            commandCount: applied.taken.reduce(0) { $0 + $1.events.count },
            movesStateToStore: outcome.movesStateToStore, keepsReferenceData: outcome.keepsReferenceData)
    }

    /// Waits for the commit in flight; then releases its answers, or, if it failed, stops the
    /// writer and fails its submissions.
    private func land(_ pending: InFlightCommit) async throws {
        do {
            try await pending.task.value
        } catch {
            markStopped()
            for fail in pending.failures { fail(.stopped) }
            throw error
        }
        inbox.withLock { $0.stats = pending.stats }
        for deliver in pending.deliveries { deliver() }
    }

    /// Something to do behind the commit in flight (enough queued events to apply, a read) or
    /// instead of waiting (the commit finished, a stop). A few queued events are not: they
    /// wait for the commit and go with whatever joins them meanwhile.
    private func isReadyBehindCommit(_ inbox: Inbox) -> Bool {
        inbox.commitFinished || inbox.queuedEventCount >= pipelinedEventCountMin || !inbox.reads.isEmpty
            || inbox.isStopping
    }

    /// Applies what the store says these submissions need first (archived state they name).
    /// Its results answer nobody: the submissions' own results say what happened.
    private func prepare(_ machine: inout Machine, for taken: [Submission]) async throws {
        guard !taken.isEmpty else { return }
        let preparation = try await store.preparation(for: taken.map(\.events), on: machine)
        guard !preparation.isEmpty else { return }
        var scratch = ContiguousArray<Machine.CommandResult>()
        try machine.apply(preparation, now: clock(), results: &scratch)
    }

    /// Takes the queued submissions, up to one batch's worth of events (at least one).
    private static func take(from inbox: inout Inbox) -> [Submission] {
        var eventCount = 0
        var takeCount = 0
        for submission in inbox.submissions {
            if takeCount > 0 && eventCount + submission.events.count > Limits.batchEventCountMax { break }
            eventCount += submission.events.count
            takeCount += 1
        }
        let taken = Array(inbox.submissions.prefix(takeCount))
        inbox.submissions.removeFirst(takeCount)
        inbox.queuedEventCount -= eventCount
        return taken
    }

    private func nextSubmissions() async -> (taken: [Submission], isStopping: Bool) {
        while true {
            let taken: (taken: [Submission], isStopping: Bool)? = inbox.withLock { inbox in
                guard !inbox.submissions.isEmpty else {
                    if inbox.isStopping { return ([], true) }
                    return inbox.reads.isEmpty ? nil : ([], false)
                }
                return (Self.take(from: &inbox), false)
            }
            if let taken { return taken }
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let resumeNow = inbox.withLock { inbox in
                    if !inbox.submissions.isEmpty || inbox.isStopping || !inbox.reads.isEmpty { return true }
                    inbox.writerWaiting = waiter
                    return false
                }
                if resumeNow { waiter.resume() }
            }
            // A wake with nothing queued is a tick: let the caller check expiries.
            let isIdle = inbox.withLock { $0.submissions.isEmpty && !$0.isStopping }
            if isIdle { return ([], false) }
        }
    }

    private func wake() {
        inbox.withLock { $0.writerWaiting.take()?.resume() }
    }

    private func markStopped() {
        let orphans: [Submission] = inbox.withLock { inbox in
            inbox.isStopped = true
            defer { inbox.submissions.removeAll() }
            return inbox.submissions
        }
        for orphan in orphans { orphan.fail(.stopped) }
        let reads = inbox.withLock { inbox in
            defer { inbox.reads.removeAll() }
            return inbox.reads
        }
        for read in reads { read.refuse() }
    }
}
