import Foundation

/// A task executor with a thread of its own. Tasks that prefer it (`Task(executorPreference:)`)
/// do not wait for the shared cooperative pool, which CPU-heavy work can hold for a while (the
/// writer applying a large batch, requests being decoded; on two cores in a debug build,
/// seconds). The cluster node renews its writer lease on one, so that a busy process does not
/// let its own lease run out.
///
/// It lives as long as the process (one thread each); jobs run in the order they arrive.
final class ThreadTaskExecutor: TaskExecutor, @unchecked Sendable {
    /// Guards `jobs`; signalled when one arrives.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    static let lease = ThreadTaskExecutor(name: "polyclear-lease")

    private init(name: String) {
        let thread = Thread { [self] in runJobs() }
        thread.name = name
        thread.start()
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
            let ready = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
