import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import PolyclearCore
@testable import PolyclearServer
import PolyclearStorage
import Synchronization
import Testing

/// A node that does not hold the writer role sends writes to the one that does (over real
/// HTTP), answers reads itself, and refuses writes while no node holds the role.
@Suite struct WriteForwardingTests {
    /// The hub of a node whose route for writes the test sets; reads and (local) writes go to
    /// a real writer.
    final class RoutedHub: HubAccess {
        let writer: Writer<InMemoryHubStore>
        let route: Mutex<WriteRoute>
        /// Reads of the store's archives fail (a damaged or unreachable archive).
        let archiveFails: Bool
        init(writer: Writer<InMemoryHubStore>, route: WriteRoute, archiveFails: Bool = false) {
            self.writer = writer
            self.route = Mutex(route)
            self.archiveFails = archiveFails
        }
        func read<T: Sendable>(_ body: @escaping @Sendable (HubStateMachine) -> T) async throws(WriterError) -> T {
            try await writer.read(body)
        }
        func readReference<T: Sendable>(
            _ body: @escaping @Sendable (HubStateMachine) -> T
        ) async throws(WriterError) -> T {
            try await writer.readReference(body)
        }
        func submit<T: Sendable>(
            _ commands: [HubCommand], idempotency mark: IdempotencyMark<HubResult>?,
            answering body: @escaping @Sendable ([HubResult], HubStateMachine) -> T
        ) async throws(WriterError) -> T {
            guard route.withLock({ $0 }) == .local else { throw .notWriter }
            return try await writer.submit(commands, idempotency: mark, answering: body)
        }
        func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord? {
            try await writer.idempotencyRecord(caller: caller, key: key)
        }
        func storeIdempotencyAnswer(
            caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64
        ) async throws {
            try await writer.storeIdempotencyAnswer(
                caller: caller, key: key, answer: answer, expiringBefore: expiringBefore)
        }
        func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment] {
            try await writer.archivedPayments(lookups)
        }
        func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord] {
            try await writer.archivedAuditRecords(positions)
        }

        func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle] {
            if archiveFails { throw StoreError(.ioFailure, "the archive is unreachable") }
            return try await writer.archivedCycles(numbers)
        }

        func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
            try await writer.transfers(accountID: accountID, timestamps: timestamps, limit: limit)
        }
        var writeRoute: WriteRoute { route.withLock { $0 } }
        var nodeStatus: HubNodeStatus {
            HubNodeStatus(
                role: writeRoute == .local ? .writer : .follower, nodeID: "test", writer: nil, appliedSequence: nil)
        }
    }

    /// The writer node live on a port, a follower node (router tester) whose route is set by
    /// `route(writerPort)`; both on one hub state (as a follower's replica would be).
    static func withNodes(
        route: @escaping @Sendable (Int) -> WriteRoute,
        _ body:
            @Sendable (_ writer: any TestClientProtocol, _ follower: any TestClientProtocol, _ hub: RoutedHub)
            async throws -> Void
    ) async throws {
        let writer = Writer(store: InMemoryHubStore(configuration: HubConfiguration(currencies: APITests.currencies)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            _ = try await writer.submit(try Self.setup())
            let writerApp = Application(
                router: PolyclearAPI.router(
                    writer: RoutedHub(writer: writer, route: .local), keys: try APITests.keyStore(),
                    currencies: APITests.currencies))
            try await writerApp.test(.live) { writerClient in
                let hub = RoutedHub(writer: writer, route: route(writerClient.port!))
                let followerApp = Application(
                    router: PolyclearAPI.router(
                        writer: hub, keys: try APITests.keyStore(), currencies: APITests.currencies))
                try await followerApp.test(.router) { followerClient in
                    try await body(writerClient, followerClient, hub)
                }
            }
            writer.shutdown()
            try await group.waitForAll()
        }
    }

    static func setup() throws -> [HubCommand] {
        [
            .registerMember(
                Member(
                    id: APITests.bra, name: "Banco Central do Brasil", currency: CurrencyCode("BRL")!,
                    quotaUnitMinor: 1_000_000_000)),
            .registerMember(
                Member(
                    id: APITests.chn, name: "People's Bank of China", currency: CurrencyCode("CNY")!,
                    quotaUnitMinor: 1_000_000_000)),
            .registerParticipant(
                Participant(
                    bic: APITests.brBank, name: "Bank BR", memberID: APITests.bra, netDebitCapMinor: 100_000_000)),
            .registerParticipant(
                Participant(
                    bic: APITests.cnBank, name: "Bank CN", memberID: APITests.chn, netDebitCapMinor: 100_000_000)),
            .publishFixing(
                Fixing(
                    version: 1, effectiveFrom: 0, sourceDate: CivilDate("2026-10-30")!,
                    ratesPerUnit: [
                        CurrencyCode("BRL")!: DecimalNumber("4.0752")!, CurrencyCode("CNY")!: DecimalNumber("4.99066")!,
                    ])),
        ]
    }

    @Test func aFollowerForwardsWritesAndRelaysTheWritersAnswer() async throws {
        try await Self.withNodes(route: { .forward(host: "127.0.0.1", port: $0) }) { writer, follower, _ in
            var headers = APITests.headers("brBank")
            headers[HTTPField.Name("Idempotency-Key")!] = "forwarded-1"
            let body = APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-00000000f001")
            let first = try await follower.execute(uri: "/v1/payments", method: .post, headers: headers, body: body)
            #expect(first.status == .created, "\(String(buffer: first.body))")
            // The writer answered (and remembers the key): the same request again is replayed.
            let again = try await follower.execute(uri: "/v1/payments", method: .post, headers: headers, body: body)
            #expect(again.status == .created && String(buffer: again.body) == String(buffer: first.body))
            let stored = try await writer.execute(
                uri: "/v1/payments/0d9e2b6c-1f00-4a00-8000-00000000f001", method: .get,
                headers: APITests.headers("brBank"))
            #expect(stored.status == .ok)
            // The writer authenticates: a bad key is refused there, and the refusal relayed.
            let refused = try await follower.execute(
                uri: "/v1/payments", method: .post,
                headers: [.authorization: "Bearer not-a-key-at-all-000", .contentType: "application/json"], body: body)
            #expect(refused.status == .unauthorized)
            // A request another node already forwarded is not forwarded again.
            var forwarded = APITests.headers("brBank")
            forwarded[HTTPField.Name("Polyclear-Forwarded")!] = "1"
            let loop = try await follower.execute(
                uri: "/v1/payments", method: .post, headers: forwarded,
                body: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-00000000f002"))
            #expect(loop.status == .serviceUnavailable && String(buffer: loop.body).contains("no_writer"))
        }
    }

    /// Hostile requests to a follower: a body over the limit is refused there (413) and never
    /// sent on; hop-by-hop headers a client sends (Connection, Transfer-Encoding, Host) are not
    /// passed to the writer, which still answers.
    @Test func aFollowerRefusesOversizedBodiesAndDropsHopByHopHeaders() async throws {
        try await Self.withNodes(route: { .forward(host: "127.0.0.1", port: $0) }) { writer, follower, hub in
            let before = try await hub.read { $0.paymentCount }
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: ServerLimits.default.requestBodyBytesMax + 1)
            let tooLarge = try await follower.execute(
                uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"), body: huge)
            #expect(tooLarge.status == .contentTooLarge)
            var hostile = APITests.headers("brBank")
            hostile[.connection] = "close"
            hostile[HTTPField.Name("Host")!] = "evil.example"
            hostile[HTTPField.Name("Proxy-Authorization")!] = "Basic c2VjcmV0"
            let answered = try await follower.execute(
                uri: "/v1/payments", method: .post, headers: hostile,
                body: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-00000000f004"))
            #expect(answered.status == .created, "\(String(buffer: answered.body))")
            #expect(try await hub.read { $0.paymentCount } == before + 1)
        }
    }

    @Test func withoutAWriterWritesAreRefusedAndReadsStillAnswered() async throws {
        // No port listens at 1: the writer's address is known but unreachable.
        for route in [WriteRoute.unavailable, .forward(host: "127.0.0.1", port: 1)] {
            try await Self.withNodes(route: { _ in route }) { _, follower, _ in
                let write = try await follower.execute(
                    uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                    body: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-00000000f003"))
                #expect(write.status == .serviceUnavailable, "\(route)")
                #expect(write.headers[.retryAfter] == "1" && String(buffer: write.body).contains("\"no_writer\""))
                let read = try await follower.execute(
                    uri: "/v1/members", method: .get, headers: APITests.headers("brBank"))
                #expect(read.status == .ok)
            }
        }
    }

    /// A node that loses the writer role right after each commit (another node took the lease):
    /// from then on it has no state to read, as a cluster node between stepping down and
    /// reloading its replica.
    final class DeposedAfterCommitHub: HubAccess {
        let writer: Writer<InMemoryHubStore>
        let deposed = Atomic<Bool>(false)
        init(writer: Writer<InMemoryHubStore>) { self.writer = writer }
        func read<T: Sendable>(_ body: @escaping @Sendable (HubStateMachine) -> T) async throws(WriterError) -> T {
            if deposed.load(ordering: .acquiring) { throw .stopped }
            return try await writer.read(body)
        }
        func readReference<T: Sendable>(
            _ body: @escaping @Sendable (HubStateMachine) -> T
        ) async throws(WriterError) -> T {
            if deposed.load(ordering: .acquiring) { throw .stopped }
            return try await writer.readReference(body)
        }
        func submit<T: Sendable>(
            _ commands: [HubCommand], idempotency mark: IdempotencyMark<HubResult>?,
            answering body: @escaping @Sendable ([HubResult], HubStateMachine) -> T
        ) async throws(WriterError) -> T {
            if deposed.load(ordering: .acquiring) { throw .notWriter }
            defer { deposed.store(true, ordering: .releasing) }
            return try await writer.submit(commands, idempotency: mark, answering: body)
        }
        func idempotencyRecord(caller: String, key: String) async throws -> IdempotencyRecord? { nil }
        func storeIdempotencyAnswer(
            caller: String, key: String, answer: IdempotencyAnswer, expiringBefore: UInt64
        ) async throws {}
        func archivedPayments(_ lookups: PaymentReadView.ArchiveLookups) async throws -> [ArchivedPayment] {
            try await writer.archivedPayments(lookups)
        }
        func archivedAuditRecords(_ positions: Range<Int>) async throws -> [ArchivedAuditRecord] {
            try await writer.archivedAuditRecords(positions)
        }

        func archivedCycles(_ numbers: ClosedRange<UInt32>) async throws -> [ArchivedCycle] {
            try await writer.archivedCycles(numbers)
        }

        func transfers(accountID: UInt128, timestamps: Range<UInt64>, limit: Int) async throws -> [StoredTransfer] {
            []
        }
        var writeRoute: WriteRoute { .local }
        var nodeStatus: HubNodeStatus {
            HubNodeStatus(role: .writer, nodeID: "test", writer: nil, appliedSequence: nil)
        }
    }

    /// A committed write is answered as committed even when the node cannot read any more right
    /// after (it stepped down): the answer is built on the state the commit was made in, not by
    /// a later read. (A later read made a stored batch answer 503 in a two-node benchmark.)
    @Test func aCommittedWriteIsAnsweredAsCommittedWhenTheNodeStepsDownRightAfter() async throws {
        let writer = Writer(store: InMemoryHubStore(configuration: HubConfiguration(currencies: APITests.currencies)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            _ = try await writer.submit(try Self.setup())
            let hub = DeposedAfterCommitHub(writer: writer)
            let app = Application(
                router: PolyclearAPI.router(writer: hub, keys: try APITests.keyStore(), currencies: APITests.currencies)
            )
            try await app.test(.router) { client in
                func write(
                    _ uri: String, _ role: String, _ body: ByteBuffer?
                ) async throws -> (HTTPResponse.Status, String) {
                    hub.deposed.store(false, ordering: .releasing)  // a writer again (the test's next round)
                    let response = try await client.execute(
                        uri: uri, method: .post, headers: APITests.headers(role), body: body)
                    return (response.status, String(buffer: response.body))
                }
                let single = try await write(
                    "/v1/payments", "brBank", APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-00000000f101"))
                #expect(
                    single.0 == .created && single.1.contains("\"payerAmount\":\"1000.00\"")
                        && single.1.contains("\"payeeAmount\""), "\(single)")
                let items = (2...4).map {
                    String(buffer: APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-00000000f10\($0)"))
                }
                let batch = try await write(
                    "/v1/payments/batch", "brBank", ByteBuffer(string: "[" + items.joined(separator: ",") + "]"))
                #expect(batch.0 == .ok && batch.1.components(separatedBy: "\"payeeAmount\"").count == 4, "\(batch)")
                // Beyond the bank's net debit cap: queued, then cancelled.
                let queued = try await write(
                    "/v1/payments", "brBank",
                    APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-00000000f106", amount: "2000000.00"))
                #expect(queued.0 == .created && queued.1.contains("queued"), "\(queued)")
                let cancelled = try await write(
                    "/v1/payments/0d9e2b6c-1f00-4a00-8000-00000000f106/cancel", "brBank", nil)
                #expect(
                    cancelled.0 == .ok && cancelled.1.contains("\"status\":\"cancelled\"")
                        && cancelled.1.contains("00000000f106"), "\(cancelled)")
                let unit = try await write(
                    "/v1/unit", "operator", ByteBuffer(string: #"{"amountsPerUnit":{"BRL":"1.2","CNY":"0.8"}}"#))
                #expect(unit.0 == .ok && unit.1.contains("\"BRL\":\"1.2\""), "\(unit)")
                let closed = try await write("/v1/cycles/1/close", "operator", nil)
                #expect(closed.0 == .ok && closed.1.contains("\"number\":1"), "\(closed)")
                // The node really cannot read after a commit: a read now is refused.
                _ = try await write(
                    "/v1/payments", "brBank", APITests.paymentBody(id: "0d9e2b6c-1f00-4a00-8000-00000000f105"))
                let read = try await client.execute(
                    uri: "/v1/members", method: .get, headers: APITests.headers("brBank"))
                #expect(read.status == .serviceUnavailable)
            }
            writer.shutdown()
            try await group.waitForAll()
        }
    }
}
