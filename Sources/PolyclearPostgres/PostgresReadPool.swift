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
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            release(connection, reusable: true)
            return result
        } catch {
            release(connection, reusable: false)
            throw error
        }
    }

    private enum Next { case use(PostgresConnection), open, wait }

    private func acquire() async throws -> PostgresConnection {
        while true {
            let next: Next = state.withLock { state in
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
                        if !state.idle.isEmpty || state.openCount < size { return true }
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

    /// Closes the idle connections; busy ones close when they are released.
    func close() {
        let idle = state.withLock { state in
            state.isClosed = true
            state.openCount -= state.idle.count
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { Task { try? await connection.close() } }
    }
}
