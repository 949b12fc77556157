import Hummingbird
import HummingbirdTesting
import Testing

@testable import PolyclearServer

/// `/readyz` stays 503 `not_ready` while `serve` applies its start-up setup (the union file):
/// a client that waits for readiness never meets a hub without its members and banks (the
/// console's browser tests did, between readiness and the sample union).
@Suite struct ReadinessTests {
    @Test func readinessWaitsForTheStartUpSetup() async throws {
        try await APITests.withAPIAndHub { _, _, hub in
            let readiness = Readiness()
            let router = PolyclearAPI.router(
                writer: hub, keys: try APITests.keyStore(), currencies: APITests.currencies, readiness: readiness)
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
                readiness.settingUpBegins()
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(String(buffer: response.body).contains("not_ready"))
                }
                readiness.setUpDone()
                try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            }
        }
    }
}
