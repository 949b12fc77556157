import Synchronization

/// `body` ran longer than its time limit (it may still be running, abandoned).
public struct TimeLimitExceeded: Error, CustomStringConvertible {
    public let seconds: Int
    public var description: String { "still running after \(seconds) s" }
}

/// Runs `body` and answers with its result, or throws `TimeLimitExceeded` after `seconds` —
/// also when `body` ignores cancellation (it is left running), so that a test of "this ends
/// promptly" fails instead of hanging the whole run.
public func withTimeLimit<T: Sendable>(seconds: Int, _ body: @escaping @Sendable () async throws -> T) async throws -> T
{
    let body = Task { try await body() }
    defer { body.cancel() }
    return try await withCheckedThrowingContinuation { (answer: CheckedContinuation<T, any Error>) in
        let answered = Mutex(false)
        let resume: @Sendable (Result<T, any Error>) -> Void = { result in
            guard
                answered.withLock({ done in
                    defer { done = true }; return !done
                })
            else { return }
            answer.resume(with: result)
        }
        Task { resume(await body.result) }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            resume(.failure(TimeLimitExceeded(seconds: seconds)))
        }
    }
}
