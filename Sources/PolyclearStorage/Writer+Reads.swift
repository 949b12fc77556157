import Synchronization

extension Writer {
    struct ReadRequest: Sendable {
        let run: @Sendable (Machine) -> Void
        let refuse: @Sendable () -> Void
        /// A reference read (`readReference`).
        let isReference: Bool
    }

    /// Runs `body` on the state machine between batches, after the last commit: a read sees
    /// committed state only, and never a half-applied batch.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Machine) -> T) async throws(WriterError) -> T {
        try await read(isReference: false, body)
    }

    /// A read of reference data only (for the hub: its banks, members and their currencies;
    /// `BatchOutcome.keepsReferenceData`), which `body` must not look past. It sees what a
    /// read after the last commit would see, but need not wait for the commit in flight when
    /// that batch's commands keep reference data — so a client's read before each batch (a
    /// bank's currency) does not stop the writer's pipeline.
    public func readReference<T: Sendable>(_ body: @escaping @Sendable (Machine) -> T) async throws(WriterError) -> T {
        try await read(isReference: true, body)
    }

    private func read<T: Sendable>(
        isReference: Bool, _ body: @escaping @Sendable (Machine) -> T
    ) async throws(WriterError) -> T {
        let result = await withCheckedContinuation { (reply: CheckedContinuation<Result<T, WriterError>, Never>) in
            let refused = inbox.withLock { inbox in
                if inbox.isStopped { return true }
                inbox.reads.append(
                    ReadRequest(
                        run: { machine in reply.resume(returning: .success(body(machine))) },
                        refuse: { reply.resume(returning: .failure(.stopped)) }, isReference: isReference))
                inbox.writerWaiting.take()?.resume()
                return false
            }
            if refused { reply.resume(returning: .failure(.stopped)) }
        }
        return try result.get()
    }

    func serveReads(_ machine: Machine) {
        let reads = inbox.withLock { inbox in
            defer { inbox.reads.removeAll() }
            return inbox.reads
        }
        for read in reads { read.run(machine) }
    }

    /// Serves the reference reads waiting, on a state whose only uncommitted batch kept the
    /// reference data: they see what they would after its commit. Other reads stay queued.
    func serveReferenceReads(_ machine: Machine) {
        let reads = inbox.withLock { inbox -> [ReadRequest] in
            guard inbox.reads.contains(where: \.isReference) else { return [] }
            defer { inbox.reads.removeAll(where: \.isReference) }
            return inbox.reads.filter(\.isReference)
        }
        for read in reads { read.run(machine) }
    }

}
