extension Writer {
    /// Runs the writer around `body` — what every tool, benchmark and test that drives a
    /// writer needs: starts it, runs `body`, then shuts it down and waits until it has drained
    /// (everything submitted is committed or answered). If `body` throws, the writer is shut
    /// down too and the error rethrown — the writer's own if it stopped on one (a store
    /// failure), not the `stopped` its submitters met; it never outlives the call.
    public func whileRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            let result: T
            do { result = try await body() } catch {
                shutdown()
                // A body that failed because the writer stopped (`stopped`) says why it stopped:
                // the writer's own error (a store failure) is the one worth reporting.
                try await group.waitForAll()
                throw error
            }
            shutdown()
            try await group.waitForAll()
            return result
        }
    }
}
