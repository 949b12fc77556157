import Synchronization

/// Where a test store's commits wait until the test lets them through, one at a time: `open`
/// lets the waiting one go, or the next to arrive if none waits.
final class CommitGate: Sendable {
    private let state = Mutex<(waiting: [CheckedContinuation<Void, any Error>], passes: Int)>(([], 0))

    /// Commits waiting at the gate.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Called by a commit: returns once the gate lets it through, or throws if it is failed.
    func pass() async throws {
        try await withCheckedThrowingContinuation { (gate: CheckedContinuation<Void, any Error>) in
            let through = state.withLock { state in
                if state.passes > 0 {
                    state.passes -= 1
                    return true
                }
                state.waiting.append(gate)
                return false
            }
            if through { gate.resume() }
        }
    }

    func open() {
        let gate = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiting.isEmpty {
                state.passes += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        gate?.resume()
    }

    /// Fails the commit waiting longest.
    func fail(with error: any Error) {
        state.withLock { $0.waiting.removeFirst() }.resume(throwing: error)
    }
}
