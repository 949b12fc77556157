public import PolyclearStorage
public import ServiceLifecycle

/// The single writer as a service: runs until graceful shutdown, then drains what is queued.
public struct WriterService<Store: StateMachineStore>: Service {
    public let writer: Writer<Store>

    public init(writer: Writer<Store>) { self.writer = writer }

    public func run() async throws {
        // Cancellation too (the group cancels us when another service fails, e.g. the server
        // cannot bind): otherwise the process would wait for a shutdown signal forever.
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await writer.run()
            } onGracefulShutdown: {
                writer.shutdown()
            }
        } onCancel: {
            writer.shutdown()
        }
    }
}
