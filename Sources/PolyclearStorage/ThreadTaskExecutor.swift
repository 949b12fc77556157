import Foundation

/// A task executor with threads of its own. Tasks that prefer it (`Task(executorPreference:)`,
/// `withTaskExecutorPreference`) do not wait for the shared cooperative pool, which CPU-heavy
/// work can hold for a while (the writer applying a large batch, requests being decoded; on
/// two cores in a debug build, seconds). The cluster node renews its writer lease on one, so
/// that a busy process does not let its own lease run out; the tests run CPU-bound suites on
/// one, so that they do not starve the others.
///
/// It lives as long as the process (its threads never end); jobs run in the order they arrive.
public final class ThreadTaskExecutor: TaskExecutor, @unchecked Sendable {
    /// Guards `jobs`; signalled when one arrives.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(name: String, threadCount: Int = 1, stackBytes: Int = 1 << 20) {
        precondition(threadCount >= 1)
        for index in 0..<threadCount {
            let thread = Thread { [self] in runJobs() }
            thread.name = threadCount == 1 ? name : "\(name)-\(index)"
            thread.stackSize = stackBytes
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
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
