package import PostgresNIO
import Synchronization

/// Deadlines for PostgreSQL work: a connection killed at the wrong moment (or a server that
/// vanished) must not hang the writer.
package enum PostgresDeadline {
    /// Runs `body`, or throws `DeadlineExceeded` (after `onTimeout`) if it takes longer — or if
    /// the closure handed to `abandon` is called first, or — when `givesUpWhenCancelled` — the
    /// calling task is cancelled (then `CancellationError`, at once: a restore for a server or
    /// a test that is stopping must not wait out its 300 s); a body that ignores cancellation
    /// is left behind rather than waited for. `lateResult` gets a value the body produced after
    /// the deadline (to close a connection). Other work does not give up when cancelled: a
    /// writer drains what is queued when cancelled, and its reads and commits must run.
    ///
    /// With `watching`, the body also gives up (`ConnectionClosed`) as soon as that connection
    /// is seen closed (checked every 100 ms): postgres-nio never answers a statement sent on a
    /// connection the server has ended (a session ended for idling in its transaction, say), so
    /// the body would otherwise wait out the whole deadline. A body that picks its connection
    /// itself (the writer's, connecting if need be) puts it in a `WatchedConnection` instead.
    package static func withDeadline<T: Sendable>(
        seconds: Double, givesUpWhenCancelled: Bool = false, onTimeout: @escaping @Sendable () -> Void,
        lateResult: @escaping @Sendable (T) -> Void = { _ in },
        abandon: (@Sendable (@escaping @Sendable () -> Void) -> Void)? = nil,
        watching connection: PostgresConnection? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withDeadline(
            seconds: seconds, givesUpWhenCancelled: givesUpWhenCancelled, onTimeout: onTimeout, lateResult: lateResult,
            abandon: abandon, watching: connection.map(WatchedConnection.init), body)
    }

    package static func withDeadline<T: Sendable>(
        seconds: Double, givesUpWhenCancelled: Bool = false, onTimeout: @escaping @Sendable () -> Void,
        lateResult: @escaping @Sendable (T) -> Void = { _ in },
        abandon: (@Sendable (@escaping @Sendable () -> Void) -> Void)? = nil,
        watching watched: WatchedConnection?,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = DeadlineRace()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let work = Task {
                    do {
                        let value = try await body()
                        if race.settle() { continuation.resume(returning: value) } else { lateResult(value) }
                    } catch {
                        if race.settle() { continuation.resume(throwing: error) }
                    }
                }
                let giveUp: @Sendable (any Error) -> Void = { reason in
                    if race.settle() {
                        work.cancel()
                        onTimeout()
                        continuation.resume(throwing: reason)
                    }
                }
                abandon? { giveUp(DeadlineExceeded()) }
                race.arm(
                    timer: Task {
                        if let watched {
                            let end = ContinuousClock.now + .seconds(seconds)
                            while ContinuousClock.now < end {
                                try await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
                                if watched.isClosed { return giveUp(ConnectionClosed()) }
                            }
                        } else {
                            try await Task.sleep(for: .seconds(seconds))
                        }
                        giveUp(DeadlineExceeded())
                    }, onCancel: { giveUp(CancellationError()) })
            }
        } onCancel: {
            if givesUpWhenCancelled { race.cancel() }
        }
    }
}

/// The connection a body under a deadline works on, once it has one: the deadline gives up as
/// soon as it is seen closed.
package final class WatchedConnection: Sendable {
    private let connection: Mutex<PostgresConnection?>

    package init(_ connection: PostgresConnection? = nil) { self.connection = Mutex(connection) }

    /// Watch this connection from now on.
    package func watch(_ connection: PostgresConnection) { self.connection.withLock { $0 = connection } }

    var isClosed: Bool { connection.withLock { $0?.isClosed ?? false } }
}

/// Who ends a deadline race first (the body, the timer, an abandon, the caller's
/// cancellation); the loser's timer is stopped so a finished read leaves no sleeping task.
private final class DeadlineRace: Sendable {
    private struct State {
        var settled = false
        var cancelled = false
        var timer: Task<Void, any Error>?
        var onCancel: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    /// True for the first caller only; stops the timer.
    func settle() -> Bool {
        let (first, timer) = state.withLock { state in
            defer { state.settled = true }
            return (!state.settled, state.settled ? nil : state.timer)
        }
        timer?.cancel()
        return first
    }

    /// Installs the timer and what cancellation does; a cancellation that came first acts now.
    func arm(timer: Task<Void, any Error>, onCancel: @escaping @Sendable () -> Void) {
        let (actNow, stopTimer) = state.withLock { state in
            if state.settled { return (false, true) }
            state.timer = timer
            state.onCancel = onCancel
            return (state.cancelled, false)
        }
        if stopTimer { timer.cancel() }
        if actNow { onCancel() }
    }

    func cancel() {
        let action = state.withLock { state in
            state.cancelled = true
            return state.onCancel
        }
        action?()
    }
}

/// An attempt given up at its deadline (or abandoned).
package struct DeadlineExceeded: Error {}

/// An attempt given up because its connection closed under it (the server ended it).
package struct ConnectionClosed: Error, CustomStringConvertible {
    package var description: String { "the connection was closed (the server ended the session)" }
}

/// True for the first caller of `claim()` only.
final class OnceFlag: Sendable {
    private let done = Mutex(false)
    func claim() -> Bool {
        done.withLock { done in
            defer { done = true }; return !done
        }
    }
}
