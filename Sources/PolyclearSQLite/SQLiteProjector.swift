import Foundation
import PolyclearCore
import PolyclearStorage

/// Writes the ledger's tables from the redo log off the commit path, on a thread of its own
/// (SQLite writes block), and lets readers wait until the tables hold what they must see.
///
/// The single writer numbers its redo rows (`nextSequence`), reports each commit
/// (`didCommit`); the thread projects until it has caught up, and leaves after a second with
/// nothing to do (the next commit starts it again). A commit waits while more than
/// `lagCommitsMax` commits are unprojected, so the lag — and what a reader may wait for — is
/// bounded. A failed projection fails the store: every waiter and every later commit.
final class SQLiteProjector: @unchecked Sendable {
    /// Guards every `var` below.
    private let condition = NSCondition()
    private var written: Int64
    private var projected: Int64
    private var failure: StoreError?
    private var isThreadRunning = false
    private var isStopping = false
    /// Tests hold the projection back to see a store whose tables trail its log.
    private var isHeld = false
    private var waiters: [(target: Int64, continuation: CheckedContinuation<Void, any Error>)] = []

    /// A committed outcome kept for the projection, so that it need not be read back.
    struct Committed: Sendable {
        var sequence: Int64
        var outcome: LedgerOutcome
    }
    /// The outcomes committed and not yet projected, in sequence order (at most the lag bound).
    private var committed: [Committed] = []

    private let lagCommitsMax: Int64
    /// One projection step (a few redo rows, one transaction) given the outcomes committed
    /// since the last: answers the projected sequence.
    private let project: @Sendable (ArraySlice<Committed>) throws -> Int64

    init(
        projected: Int64, written: Int64, lagCommitsMax: Int,
        project: @escaping @Sendable (ArraySlice<Committed>) throws -> Int64
    ) {
        self.projected = projected
        self.written = written
        self.lagCommitsMax = Int64(max(1, lagCommitsMax))
        self.project = project
    }

    /// The sequence of the next redo row (only the single writer commits).
    func nextSequence() throws -> Int64 {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        return written + 1
    }

    func didCommit(_ sequence: Int64, _ outcome: LedgerOutcome) {
        condition.lock()
        defer { condition.unlock() }
        written = sequence
        committed.append(Committed(sequence: sequence, outcome: outcome))
        if !isThreadRunning && !isStopping && failure == nil {
            isThreadRunning = true
            let thread = Thread { [self] in runThread() }
            thread.name = "polyclear.projection"
            thread.start()
        }
        condition.signal()
    }

    /// Returns once the tables hold every commit made before the call.
    func waitForCommitted() async throws {
        try await waitUntilProjected(through: { $0.written })
    }

    /// Returns once a commit may be added without the lag passing its bound.
    func waitForRoom() async throws {
        try await waitUntilProjected(through: { [lagCommitsMax] in $0.written - lagCommitsMax + 1 })
    }

    private func waitUntilProjected(through target: (SQLiteProjector) -> Int64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            defer { condition.unlock() }
            let goal = target(self)
            if let failure {
                continuation.resume(throwing: failure)
            } else if projected >= goal {
                continuation.resume()
            } else if isStopping {
                continuation.resume(throwing: StoreError(.ioFailure, "the store is closed"))
            } else {
                waiters.append((goal, continuation))
            }
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
        isStopping = true
        condition.broadcast()
        while isThreadRunning { condition.wait() }
        let orphans = waiters
        waiters.removeAll()
        condition.unlock()
        for waiter in orphans { waiter.continuation.resume(throwing: StoreError(.ioFailure, "the store is closed")) }
    }

    private func runThread() {
        while true {
            condition.lock()
            while (projected >= written || isHeld) && !isStopping && failure == nil {
                if !condition.wait(until: Date(timeIntervalSinceNow: 1)) && projected >= written { break }
            }
            if projected >= written || isHeld || isStopping || failure != nil {
                isThreadRunning = false
                condition.broadcast()
                condition.unlock()
                return
            }

            let before = projected
            let pending = committed[...]
            condition.unlock()
            let result = Result { try project(pending) }
            condition.lock()
            var ready: [CheckedContinuation<Void, any Error>] = []
            var failed: [CheckedContinuation<Void, any Error>] = []
            switch result {
            case .success(let now) where now > before:
                projected = now
                committed.removeAll { $0.sequence <= now }
                ready = waiters.filter { $0.target <= now }.map(\.continuation)
                waiters.removeAll { $0.target <= now }
            case .success:
                failure = StoreError(.corruptDatabase, "the ledger's redo log ends before sequence \(written)")
            case .failure(let error):
                failure = error as? StoreError ?? StoreError(.ioFailure, "projection failed: \(error)")
            }
            if failure != nil {
                failed = waiters.map(\.continuation)
                waiters.removeAll()
            }
            let failure = self.failure
            condition.unlock()
            for continuation in ready { continuation.resume() }
            for continuation in failed { continuation.resume(throwing: failure!) }
        }
    }
}
