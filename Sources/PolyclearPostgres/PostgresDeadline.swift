import Synchronization

/// Deadlines for PostgreSQL work: a connection killed at the wrong moment (or a server that
/// vanished) must not hang the writer.
enum PostgresDeadline {
    /// Runs `body`, or throws `DeadlineExceeded` (after `onTimeout`) if it takes longer — or if
    /// the closure handed to `abandon` is called first; a body that ignores cancellation is
    /// left behind rather than waited for. `lateResult` gets a value the body produced after
    /// the deadline (to close a connection).
    static func withDeadline<T: Sendable>(
        seconds: Double, onTimeout: @escaping @Sendable () -> Void,
        lateResult: @escaping @Sendable (T) -> Void = { _ in },
        abandon: (@Sendable (@escaping @Sendable () -> Void) -> Void)? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let once = OnceFlag()
        return try await withCheckedThrowingContinuation { continuation in
            let work = Task {
                do {
                    let value = try await body()
                    if once.claim() { continuation.resume(returning: value) } else { lateResult(value) }
                } catch {
                    if once.claim() { continuation.resume(throwing: error) }
                }
            }
            let giveUp: @Sendable () -> Void = {
                if once.claim() {
                    work.cancel()
                    onTimeout()
                    continuation.resume(throwing: DeadlineExceeded())
                }
            }
            abandon?(giveUp)
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                giveUp()
            }
        }
    }
}

/// An attempt given up at its deadline (or abandoned).
struct DeadlineExceeded: Error {}

/// True for the first caller of `claim()` only.
final class OnceFlag: Sendable {
    private let done = Mutex(false)
    func claim() -> Bool {
        done.withLock { done in
            defer { done = true }; return !done
        }
    }
}
