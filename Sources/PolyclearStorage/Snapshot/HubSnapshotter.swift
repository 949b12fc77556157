import Foundation
public import PolyclearCore
import Synchronization

/// Work the writer hands the committed state to between batches: called whenever everything
/// applied has been committed (with the number of commands committed since the last call) and
/// once when it drains at shutdown. Whatever takes long must run elsewhere: the next batch
/// waits for `afterCommit` to return.
public struct CommitFollowUp<Machine>: Sendable {
    /// Whether `afterCommit`, told of this many more committed commands, would act: the writer
    /// then lets its commit land before applying more, so that the call comes soon. With
    /// commits pipelined, a busy writer otherwise calls `afterCommit` only when it idles.
    public var wantsState: @Sendable (Int) -> Bool
    public var afterCommit: @Sendable (Machine, Int) async -> Void
    public var atShutdown: @Sendable (Machine) async -> Void

    public init(
        wantsState: @escaping @Sendable (Int) -> Bool = { _ in true },
        afterCommit: @escaping @Sendable (Machine, Int) async -> Void,
        atShutdown: @escaping @Sendable (Machine) async -> Void
    ) {
        self.wantsState = wantsState
        self.afterCommit = afterCommit
        self.atShutdown = atShutdown
    }
}

/// When to take hub snapshots and how many to keep.
public struct SnapshotPolicy: Sendable, Equatable {
    /// A snapshot once this many commands have been committed since the last one.
    public var everyCommands: Int
    /// Snapshots kept (older ones are deleted once a newer one is stored).
    public var keep: Int
    /// Whether a drain at shutdown takes one (if anything was committed since the last).
    public var atShutdown: Bool

    public init(everyCommands: Int = 500_000, keep: Int = 2, atShutdown: Bool = true) {
        self.everyCommands = everyCommands
        self.keep = keep
        self.atShutdown = atShutdown
    }
}

/// Takes hub snapshots beside the log without stopping intake: after a commit that makes one
/// due it notes the log row just committed and copies the state (a copy-on-write value: the
/// writer's next changes copy what they touch), then encodes and stores it on another task.
/// One at a time; a failure is reported and the next one is tried at the next due commit.
public final class HubSnapshotter<Store: HubSnapshotStore>: Sendable {
    let store: Store
    let policy: SnapshotPolicy
    let warn: @Sendable (String) -> Void

    struct State {
        var commandsSinceLast = 0
        var running: Task<Void, Never>?
        var isRunning = false
        /// The last snapshot's size: the next one reserves a little more.
        var lastFramedCount = 1 << 20
    }
    private let state = Mutex(State())

    public init(store: Store, policy: SnapshotPolicy, warn: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.policy = policy
        self.warn = warn
    }

    /// The writer's follow-up that drives this snapshotter.
    public var followUp: CommitFollowUp<HubStateMachine> {
        CommitFollowUp(
            wantsState: { [self] commands in isDue(afterMore: commands) },
            afterCommit: { [self] hub, commands in await afterCommit(hub, commands: commands) },
            atShutdown: { [self] hub in await atShutdown(hub) })
    }

    /// Whether a snapshot would start once this many more commands are committed.
    func isDue(afterMore commands: Int) -> Bool {
        state.withLock { $0.commandsSinceLast + commands >= policy.everyCommands && !$0.isRunning }
    }

    func afterCommit(_ hub: HubStateMachine, commands: Int) async {
        let due = state.withLock { state in
            state.commandsSinceLast += commands
            return state.commandsSinceLast >= policy.everyCommands && !state.isRunning
        }
        guard due else { return }
        let mark: LogRowMark
        do {
            guard let last = try await store.lastLogRow() else { return }
            mark = last
        } catch {
            warn("snapshot skipped: cannot read the last log row: \(error)")
            return
        }
        state.withLock { state in
            state.commandsSinceLast = 0
            state.isRunning = true
            state.running = Task.detached(priority: .utility) { [self] in
                await take(hub, after: mark)
                self.state.withLock { $0.isRunning = false }
            }
        }
    }

    func atShutdown(_ hub: HubStateMachine) async {
        let (running, pending) = state.withLock { ($0.running, $0.commandsSinceLast) }
        await running?.value
        guard policy.atShutdown, pending > 0 else { return }
        do {
            guard let mark = try await store.lastLogRow() else { return }
            await take(hub, after: mark)
            state.withLock { $0.commandsSinceLast = 0 }
        } catch {
            warn("snapshot at shutdown skipped: cannot read the last log row: \(error)")
        }
    }

    /// Encodes and stores one snapshot (waited for by tests through `atShutdown`).
    func take(_ hub: HubStateMachine, after mark: LogRowMark) async {
        do {
            let reserving = state.withLock { $0.lastFramedCount + $0.lastFramedCount / 8 }
            let snapshot = try await Self.encodeOnOwnThread(hub, after: mark, reserving: reserving)
            state.withLock { $0.lastFramedCount = snapshot.framed.count }
            try await store.storeSnapshot(snapshot, keep: policy.keep)
        } catch {
            warn("snapshot at log row \(mark.sequence) not stored: \(error)")
        }
    }

    /// Encoding a large hub takes seconds of CPU: on a thread of its own, not the shared
    /// cooperative pool (two threads on two cores), where it would hold up the writer's
    /// commits — long enough, on PostgreSQL, for the server to end a transaction left idle.
    static func encodeOnOwnThread(
        _ hub: HubStateMachine, after mark: LogRowMark, reserving: Int
    ) async throws -> HubSnapshot {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result {
                        try HubSnapshot(
                            of: hub, sequence: mark.sequence, logRowDigest: mark.digest, reserving: reserving)
                    })
            }
            thread.name = "polyclear-snapshot"
            thread.start()
        }
    }
}
