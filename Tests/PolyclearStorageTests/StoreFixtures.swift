import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearPostgres
import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// The stores every store test runs against. PostgreSQL joins this list in its own issue.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case inMemory, sqlite, postgres
    var testDescription: String { rawValue }

    /// PostgreSQL only when a server is given (see `PostgresTestServer`).
    static var available: [StoreKind] { PostgresTestServer.isConfigured ? allCases : [.inMemory, .sqlite] }

    func makeStore(in directory: TemporaryDirectory) async throws -> any LedgerStore {
        switch self {
        case .inMemory: InMemoryLedgerStore()
        case .sqlite: try SQLiteLedgerStore(path: directory.path("ledger.sqlite"))
        case .postgres: try PostgresLedgerStore(url: try await PostgresTestServer.newDatabase(), limits: .storeSuites)
        }
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let nanoseconds: Mutex<UInt64>
    init(_ start: UInt64 = 1_700_000_000_000_000_000) { nanoseconds = Mutex(start) }
    func now() -> UInt64 { nanoseconds.withLock { $0 } }
    func advance(seconds: UInt64) { nanoseconds.withLock { $0 += seconds * 1_000_000_000 } }
}

import Synchronization

/// Random but valid-and-invalid mixed traffic over a few accounts (see the Core property tests).
enum Traffic {
    static func accounts(_ count: Int = 8) -> [LedgerEvent] {
        (1...count).map { id in
            .createAccount(
                Account(
                    id: UInt128(id), ledger: 1, code: 1,
                    flags: id % 4 == 0 ? .debitsMustNotExceedCredits : [], userReference: UInt128(id) << 70))
        }
    }

    static func batch(_ random: inout SeededRandom, size: Int, idBase: UInt128) -> [LedgerEvent] {
        (0..<size).map { i in
            let id = idBase + UInt128(i)
            let debit = UInt128(1 + random.next() % 8), credit = UInt128(1 + random.next() % 8)
            let amount =
                random.next() % 20 == 0 ? UInt128(Int64.max) + UInt128(random.next()) : UInt128(1 + random.next() % 500)
            switch random.next() % 6 {
            case 0:
                return .createTransfer(
                    Transfer(
                        id: id, debitAccountID: debit, creditAccountID: credit, amount: amount,
                        ledger: 1, code: 2, flags: .pending, timeoutSeconds: UInt32(random.next() % 3)))
            case 1:
                return .createTransfer(
                    Transfer(
                        id: id, debitAccountID: 0, creditAccountID: 0, amount: 0, ledger: 0, code: 0,
                        flags: .postPendingTransfer, pendingID: idBase - 1 - UInt128(random.next() % 30)))
            case 2:
                return .createTransfer(
                    Transfer(
                        id: id, debitAccountID: 0, creditAccountID: 0, amount: 0, ledger: 0, code: 0,
                        flags: .voidPendingTransfer, pendingID: idBase - 1 - UInt128(random.next() % 30)))
            default:
                return .createTransfer(
                    Transfer(
                        id: id, debitAccountID: debit, creditAccountID: credit, amount: amount,
                        ledger: 1, code: 3, flags: random.next() % 5 == 0 ? .linked : [],
                        userReference: UInt128(random.next())))
            }
        }
    }
}

/// The PostgreSQL server the store tests use: `POLYCLEAR_TEST_POSTGRES_URL` (a superuser URL;
/// each test gets a database of its own). `.ci/run` starts one and sets
/// `POLYCLEAR_REQUIRE_POSTGRES=1`, so that a missing server fails CI instead of skipping.
enum PostgresTestServer {
    static var url: String? { ProcessInfo.processInfo.environment["POLYCLEAR_TEST_POSTGRES_URL"] }
    static var isConfigured: Bool { ExternalTool.postgres.runs }

    struct NotConfigured: Error, CustomStringConvertible {
        var description: String {
            "POLYCLEAR_REQUIRE_POSTGRES=1 but POLYCLEAR_TEST_POSTGRES_URL is not set (scripts/postgres-cluster.sh start DIR PORT)"
        }
    }

    static func newDatabase() async throws -> String {
        guard let url else { throw NotConfigured() }
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        return try await PostgresAdmin.createDatabase("polyclear_test_\(suffix)", adminURL: url)
    }
}

/// The store suites take their stores from `available` lists, which leave PostgreSQL out when
/// no server is given: this test makes that visible as a skip with its reason (and, with a
/// server, proves every list includes it).
@Suite struct StoreSuitesOnPostgreSQLTests {
    @Test(
        .enabled(
            if: ExternalTool.postgres.runs,
            "\(ExternalTool.postgres.skipReason): the store suites run on in-memory and SQLite only"))
    func everyStoreSuiteRunsOnPostgreSQL() {
        #expect(StoreKind.available.contains(.postgres))
        #expect(HubStoreTests.Kind.available.contains(.postgres))
        #expect(PaymentArchiveStoreTests.Kind.available.contains(.postgres))
    }
}

extension StoreLimits {
    /// The store suites check behaviour, not deadlines (the tests of deadlines set their own):
    /// beside the whole suite on two cores a connection, a commit or its retries can take
    /// longer than production's 5 s, 10 s and 30 s (CI: `DeadlineExceeded` in a store suite; a
    /// slow evening: "commit 8 failed after 2 attempts in 30 s"), so they get room. The limits
    /// still end a hang.
    static let storeSuites = StoreLimits(
        commitDeadlineSeconds: 60, retryBudgetSeconds: 120, connectDeadlineSeconds: 30)

    /// These limits with `change` made.
    func with(_ change: (inout StoreLimits) -> Void) -> StoreLimits {
        var limits = self
        change(&limits)
        return limits
    }
}
