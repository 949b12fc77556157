import PostgresNIO
import Synchronization

/// The connections a store reads on (statements, checks, the commit's read-back): at most
/// `size` open at once, idle ones kept for the next read. A read waits for a connection
/// when all are busy, so a burst of statement requests cannot exhaust the server's
/// `max_connections`. The writer's own connection is not part of it.
final class PostgresReadPool: Sendable {
    struct State {
        var idle: [PostgresConnection] = []
        var openCount = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var isClosed = false
    }

    let size: Int
    private let state = Mutex(State())
    private let connect: @Sendable (Int) async throws -> PostgresConnection
    private let connectionCounter = Atomic<Int>(1_000_000)  // ids for logs, apart from the writer's

    /// - Parameter connect: opens a connection with the given id.
    init(size: Int, connect: @escaping @Sendable (Int) async throws -> PostgresConnection) {
        precondition(size >= 1)
        self.size = size
        self.connect = connect
    }

    /// Runs `body` on a pooled connection; a connection that failed is closed, not reused.
    /// A read that has not finished after `deadlineSeconds` is abandoned: its connection is
    /// closed and leaves the pool at once, so that a read stuck on a connection the server
    /// killed (postgres-nio may never answer a query sent as the connection closes) neither
    /// hangs its caller nor holds a pool slot for ever.
    func withConnection<T: Sendable>(
        deadlineSeconds: Double = 300, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await acquire()
        let settled = OnceFlag()  // the read's end or its deadline, whichever comes first, releases
        do {
            let result = try await PostgresDeadline.withDeadline(
                seconds: deadlineSeconds,
                onTimeout: { if settled.claim() { self.release(connection, reusable: false) } }, watching: connection
            ) { try await body(connection) }
            if settled.claim() { release(connection, reusable: true) }
            return result
        } catch {
            if settled.claim() { release(connection, reusable: false) }
            throw error
        }
    }

    private enum Next { case use(PostgresConnection), open, wait, closed }

    /// A read asked of a pool that is closed (its store is closing): refused at once, never
    /// left waiting for a connection that no one will release.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the store is closed: no more reads" }
    }

    private func acquire() async throws -> PostgresConnection {
        while true {
            let next: Next = state.withLock { state in
                if state.isClosed { return .closed }
                while let connection = state.idle.popLast() {
                    if !connection.isClosed { return .use(connection) }
                    state.openCount -= 1
                }
                if state.openCount < size {
                    state.openCount += 1
                    return .open
                }
                return .wait
            }
            switch next {
            case .closed: throw Closed()
            case .use(let connection): return connection
            case .open:
                do { return try await connect(connectionCounter.add(1, ordering: .relaxed).newValue) } catch {
                    state.withLock { $0.openCount -= 1 }
                    wakeOne()
                    throw error
                }
            case .wait:
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if state.isClosed || !state.idle.isEmpty || state.openCount < size { return true }
                        state.waiters.append(waiter)
                        return false
                    }
                    if resumeNow { waiter.resume() }
                }
            }
        }
    }

    private func release(_ connection: PostgresConnection, reusable: Bool) {
        let keep = state.withLock { state in
            if reusable && !connection.isClosed && !state.isClosed {
                state.idle.append(connection)
                return true
            }
            state.openCount -= 1
            return false
        }
        if !keep { Task { try? await connection.close() } }
        wakeOne()
    }

    private func wakeOne() {
        state.withLock { $0.waiters.isEmpty ? nil : $0.waiters.removeFirst() }?.resume()
    }

    /// Closes the idle connections; busy ones close when they are released. Reads waiting for
    /// a connection are woken and refused (`Closed`): before, they waited for ever, and so did
    /// whatever awaited them.
    func close() {
        let (idle, waiters) = state.withLock { state in
            state.isClosed = true
            state.openCount -= state.idle.count
            defer {
                state.idle.removeAll()
                state.waiters.removeAll()
            }
            return (state.idle, state.waiters)
        }
        for connection in idle { Task { try? await connection.close() } }
        for waiter in waiters { waiter.resume() }
    }
}
