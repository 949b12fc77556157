import Foundation
import PolyclearCore
import PolyclearStorage

/// Writes the ledger's tables from the redo log off the commit path, on a thread of its own
/// (SQLite writes block), and lets readers wait until the tables hold what they must see.
///
/// The single writer numbers its redo rows (`nextSequence`), reports each commit
/// (`didCommit`); the thread projects until it has caught up, and leaves after a second with
/// nothing to do (the next commit starts it again). Waiting, the lag bound and failure are
/// `ProjectionProgress`'s. A failed projection fails the store: every waiter and every later
/// commit.
final class SQLiteProjector: @unchecked Sendable {
    /// Guards every `var` below.
    private let condition = NSCondition()
    private var progress: ProjectionProgress
    private var isThreadRunning = false
    /// Tests hold the projection back to see a store whose tables trail its log.
    private var isHeld = false
    /// The outcomes committed and not yet projected, in sequence order (at most the lag bound).
    private var committed: [CommittedRedo] = []
    /// The projection's recent time per commit (seconds; a moving average over its steps).
    private var secondsPerCommit: Double = 0
    /// When the last commit was let through (pacing spaces them by `secondsPerCommit`).
    private var lastAdmission = ContinuousClock.now

    /// One projection step (a few redo rows, one transaction) given the outcomes committed
    /// since the last: answers the projected sequence.
    private let project: @Sendable (ArraySlice<CommittedRedo>) throws -> Int64

    init(
        projected: Int64, written: Int64, lagCommitsMax: Int,
        project: @escaping @Sendable (ArraySlice<CommittedRedo>) throws -> Int64
    ) {
        progress = ProjectionProgress(projected: projected, written: written, lagCommitsMax: lagCommitsMax)
        self.project = project
    }

    /// The sequence of the next redo row (only the single writer commits).
    func nextSequence() throws -> Int64 {
        condition.lock()
        defer { condition.unlock() }
        return try progress.nextSequence()
    }

    func didCommit(_ sequence: Int64, _ outcome: LedgerOutcome) {
        condition.lock()
        defer { condition.unlock() }
        progress.didCommit(sequence)
        committed.append(CommittedRedo(sequence: sequence, outcome: outcome))
        if !isThreadRunning && progress.isBehind {
            isThreadRunning = true
            let thread = Thread { [self] in runThread() }
            thread.name = "polyclear.projection"
            thread.start()
        }
        condition.signal()
    }

    /// Returns once the tables hold every commit made before the call.
    func waitForCommitted() async throws { try await waitUntilProjected(through: \.committedGoal) }

    /// Returns once a commit may be added without the lag passing its bound — paced: past half
    /// the bound, commits are spaced by a share of the projection's recent time per commit that
    /// grows with the lag (none at half, the whole of it at 90%), so the lag settles short of
    /// the bound at the projection's speed. Without pacing a writer faster than the projection
    /// fills the lag at full speed and then waits a whole step for every few commits (a step
    /// frees a few at once): the same throughput, but every few batches waits the length of a
    /// step, which is what the batch p99 was made of.
    func waitForRoom() async throws {
        let pause = pacingPause()
        if pause > 0 { try await Task.sleep(nanoseconds: UInt64(pause * 1e9)) }
        try await waitUntilProjected(through: \.roomGoal)
    }

    private func pacingPause() -> Double {
        condition.lock()
        defer { condition.unlock() }
        let now = ContinuousClock.now
        let share = max(0, (progress.lagShare - 0.5) * 2.5)
        let spacing = min(share * secondsPerCommit, Self.pacingPauseSecondsMax)
        let pause = max(0, spacing - (now - lastAdmission) / .seconds(1))
        lastAdmission = now + .seconds(pause)
        return pause
    }

    /// A pause never longer than this (a step slowed by a checkpoint must not slow every commit).
    static let pacingPauseSecondsMax = 0.25

    private func waitUntilProjected(through goal: KeyPath<ProjectionProgress, Int64>) async throws {
        try await withCheckedThrowingContinuation { (continuation: ProjectionProgress.Waiter) in
            condition.lock()
            let answer = progress.wait(until: progress[keyPath: goal], continuation)
            condition.unlock()
            if let answer { continuation.resume(with: answer) }
        }
    }

    /// Holds the projection (tests: the state a crash leaves when it lands before a projection),
    /// or lets it go on.
    func hold(_ held: Bool) {
        condition.lock()
        isHeld = held
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the thread after the step it is in (what is left stays in the redo log: the next
    /// open projects it) and fails whoever still waits.
    func stop() {
        condition.lock()
        let orphans = progress.stop()
        condition.broadcast()
        while isThreadRunning { condition.wait() }
        condition.unlock()
        for waiter in orphans { waiter.resume(throwing: ProjectionProgress.closed) }
    }

    private func runThread() {
        while true {
            condition.lock()
            while !progress.isBehind || isHeld {
                if progress.failure != nil || progress.isStopping { break }
                if !condition.wait(until: Date(timeIntervalSinceNow: 1)) && !progress.isBehind { break }
            }
            if !progress.isBehind || isHeld {
                isThreadRunning = false
                condition.broadcast()
                condition.unlock()
                return
            }
            let before = progress.projected
            let pending = committed[...]
            condition.unlock()
            let started = ContinuousClock.now
            let result = Result { try project(pending) }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            condition.lock()
            var ready: [ProjectionProgress.Waiter] = []
            var failed: [ProjectionProgress.Waiter] = []
            switch result {
            case .success(let now) where now > before:
                let perCommit = seconds / Double(now - before)
                secondsPerCommit = secondsPerCommit == 0 ? perCommit : 0.7 * secondsPerCommit + 0.3 * perCommit
                ready = progress.advance(to: now)
                committed.removeAll { $0.sequence <= now }
            case .success:
                failed = progress.fail(
                    StoreError(.corruptDatabase, "the ledger's redo log ends before sequence \(progress.written)"))
            case .failure(let error):
                failed = progress.fail(error as? StoreError ?? StoreError(.ioFailure, "projection failed: \(error)"))
            }
            let failure = progress.failure
            condition.unlock()
            for continuation in ready { continuation.resume() }
            for continuation in failed { continuation.resume(throwing: failure!) }
        }
    }
}
