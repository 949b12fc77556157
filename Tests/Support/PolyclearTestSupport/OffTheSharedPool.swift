import Foundation
public import Testing

/// Runs each test of a suite on threads of the tests' own (`.offTheSharedPool`), not on the
/// shared cooperative pool.
///
/// For CPU-bound tests — most of them synchronous, so they never yield. The pool has one
/// thread per core (two here); a dozen such tests held both threads for 20–40 s at the start of
/// a CI run, so no other test's awaits resumed: database connections sat idle in their
/// transactions until the server ended them (a 5 s limit), and HTTP deadlines passed. On these
/// threads the kernel shares the cores, and the awaiting tests go on.
public struct OffTheSharedPool: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// Each test case (not the suite around them) runs with the preference.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(TestThreadsExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffTheSharedPool {
    /// See `OffTheSharedPool`.
    public static var offTheSharedPool: Self { OffTheSharedPool() }
}

/// Two threads of the test process's own, taking jobs in arrival order from one queue.
final class TestThreadsExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = TestThreadsExecutor(threadCount: 2)

    /// Guards `jobs`; signalled when one arrives.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init(threadCount: Int) {
        for index in 0..<threadCount {
            let thread = Thread { [self] in runJobs() }
            thread.name = "polyclear-test-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
