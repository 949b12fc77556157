import PolyclearStorage
public import Testing

/// Runs each test of a suite on threads of the tests' own (`.offTheSharedPool`), not on the
/// shared cooperative pool.
///
/// For CPU-bound tests — most of them synchronous, so they never yield. The pool has one
/// thread per core (two here); a dozen such tests held both threads for 20–40 s at the start of
/// a CI run, so no other test's awaits resumed: database connections sat idle in their
/// transactions until the server ended them (a 5 s limit), and HTTP deadlines passed. On these
/// threads the kernel shares the cores, and the awaiting tests go on.
public struct OffTheSharedPool: SuiteTrait, TestTrait, TestScoping {
    /// Two threads, taking the tests' jobs in arrival order.
    static let threads = ThreadTaskExecutor(name: "polyclear-test", threadCount: 2, stackBytes: 8 << 20)

    public var isRecursive: Bool { true }

    /// Each test case (not the suite around them) runs with the preference.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(Self.threads) { try await function() }
    }
}

extension Trait where Self == OffTheSharedPool {
    /// See `OffTheSharedPool`.
    public static var offTheSharedPool: Self { OffTheSharedPool() }
}
