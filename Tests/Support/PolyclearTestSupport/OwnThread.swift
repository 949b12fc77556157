import Foundation

/// Runs `body` — a blocking wait: a child process, a script, a port coming up — on a thread
/// of its own and resumes with its result.
///
/// Never on the cooperative pool (two threads on a 2-core machine): a test blocking there
/// starved every other test's database commits past their deadlines, and a wait that polls
/// with `Task.sleep` instead is starved in turn by CPU-bound tests, so its deadline passes
/// before it looks. On its own thread the wait measures its deadline truly and occupies no
/// one else's thread; only its resumption is scheduled.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
