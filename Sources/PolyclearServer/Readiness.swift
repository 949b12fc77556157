import Synchronization

/// Whether this process is ready for traffic beyond its writer running: `serve` holds
/// `/readyz` at 503 while it applies its start-up setup (the union file, the archive start),
/// so a load balancer or a client that waits for readiness never meets a hub without its
/// members and banks. Ready from the start unless a setup marks it otherwise.
public final class Readiness: Sendable {
    private let settingUp = Atomic<Bool>(false)

    public init() {}

    /// From now until `setUpDone()`, `/readyz` answers 503 `not_ready`.
    public func settingUpBegins() { settingUp.store(true, ordering: .sequentiallyConsistent) }

    public func setUpDone() { settingUp.store(false, ordering: .sequentiallyConsistent) }

    var isSettingUp: Bool { settingUp.load(ordering: .sequentiallyConsistent) }
}
