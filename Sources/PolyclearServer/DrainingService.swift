public import PolyclearStorage
public import ServiceLifecycle

/// Something that runs until told to stop, then finishes its work (drains) and returns — the
/// single writer, or a cluster node — as a service of the application: it stops on graceful
/// shutdown, and also when the group cancels it (e.g. the server cannot bind), otherwise the
/// process would wait for a shutdown signal forever.
public struct DrainingService: Service {
    let body: @Sendable () async throws -> Void
    let stop: @Sendable () -> Void

    public init(run body: @escaping @Sendable () async throws -> Void, stop: @escaping @Sendable () -> Void) {
        self.body = body
        self.stop = stop
    }

    /// The single writer: runs until graceful shutdown, then drains what is queued.
    public init<Store: StateMachineStore>(writer: Writer<Store>) {
        self.init(run: { try await writer.run() }, stop: { writer.shutdown() })
    }

    public func run() async throws {
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await body()
            } onGracefulShutdown: {
                stop()
            }
        } onCancel: {
            stop()
        }
    }
}
