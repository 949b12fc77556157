import Foundation
import PolyclearCore
import PolyclearPostgres
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// TLS to PostgreSQL, chosen by `sslmode` in the URL as libpq names it. `.ci/run` starts its
/// servers with a self-signed certificate for 127.0.0.1 (`POLYCLEAR_TEST_POSTGRES_CA`).
@Suite(.enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)")) struct PostgresTLSTests {
    static var certificate: String? { ProcessInfo.processInfo.environment["POLYCLEAR_TEST_POSTGRES_CA"] }

    static func with(_ url: String, _ query: String) -> String { url + (url.contains("?") ? "&" : "?") + query }

    /// Whether this connection is encrypted, as the server sees it.
    static func isEncrypted(_ url: String) async throws -> Bool {
        try await PostgresAdmin.count("SELECT 1 FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl", url: url) == 1
    }

    @Test func theURLChoosesTLSAndVerifiesTheServer() async throws {
        let url = try await PostgresTestServer.newDatabase()
        guard let certificate = Self.certificate else {
            // A server without TLS (started by hand): only the plain connection is checked.
            #expect(!ExternalTool.postgres.isRequired, "CI must give the servers' certificate")
            #expect(try await Self.isEncrypted(url) == false)
            return
        }
        #expect(try await Self.isEncrypted(url) == false)  // sslmode=disable is the default
        #expect(try await Self.isEncrypted(Self.with(url, "sslmode=require")))
        #expect(try await Self.isEncrypted(Self.with(url, "sslmode=verify-ca&sslrootcert=\(certificate)")))
        let verified = Self.with(url, "sslmode=verify-full&sslrootcert=\(certificate)")
        #expect(try await Self.isEncrypted(verified))
        // Not trusted: the system's authorities did not sign the test certificate.
        await #expect(throws: (any Error).self) {
            _ = try await Self.isEncrypted(Self.with(url, "sslmode=verify-full"))
        }

        // The hub store over verified TLS: a commit, a restore, a check.
        let configuration = HubStoreTests.configuration
        // A restore stuck on a connection the server ended while this process was busy
        // (postgres-nio may never answer on it) is retried after 30 s, not the default 300.
        let limits = StoreLimits(restoreDeadlineSeconds: 30, retryBudgetSeconds: 100)
        let store = try PostgresHubStore(url: verified, configuration: configuration, limits: limits)
        let writer = Writer(store: store)
        let batches = try HubStoreTests.batches(try HubStoreTests.union())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            for batch in batches.prefix(3) { _ = try await writer.submit(batch) }
            writer.shutdown()
            try await group.waitForAll()
        }
        store.close()
        let (ledger, _, logRows, _) = try await PostgresHubStore(
            url: verified, configuration: configuration, limits: limits
        ).check()
        #expect(logRows == 3 && ledger.transferCount > 0)
    }

    @Test(arguments: [
        "sslmode=allow", "sslmode=verify-full&sslrootcert=/no/such/file.crt",
        "sslmode=disable&sslrootcert=/etc/hostname",
        "sslmode=require&sslmode=disable", "sslcert=client.crt",
    ])
    func aURLWithBadTLSOptionsIsRefused(_ query: String) throws {
        #expect(throws: StoreError.self) {
            _ = try PostgresHubStore(
                url: Self.with("postgres://polyclear@127.0.0.1:5432/polyclear", query),
                configuration: HubStoreTests.configuration)
        }
    }
}
