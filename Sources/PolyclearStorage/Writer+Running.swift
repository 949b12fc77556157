extension Writer {
    /// Runs the writer around `body` — what every tool, benchmark and test that drives a
    /// writer needs: starts it, runs `body`, then shuts it down and waits until it has drained
    /// (everything submitted is committed or answered). If `body` throws, the writer is shut
    /// down too and the error rethrown; it never outlives the call.
    public func whileRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            let result: T
            do { result = try await body() } catch {
                shutdown()
                throw error
            }
            shutdown()
            try await group.waitForAll()
            return result
        }
    }
}
