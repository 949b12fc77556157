import Foundation
public import PolyclearCore
public import PolyclearSQLite
public import PolyclearStorage
public import PolyclearWorkload
import Synchronization

/// What the benchmark counts from the hub's audit events.
public struct BenchHubCounts: Sendable {
    public init() {}

    public private(set) var queued = 0, released = 0, rejected = 0
    private var waiting = Set<UInt128>()

    public mutating func add(_ events: ContiguousArray<HubEvent>) {
        for event in events {
            guard case .paymentStatus(let id, let status, _, _) = event.kind else { continue }
            switch status {
            case .queued: queued += 1; waiting.insert(id)
            case .accepted: if waiting.remove(id) != nil { released += 1 }
            case .rejected: rejected += 1
            default: break
            }
        }
    }

}

/// The banks' liquidity management in the benchmark: a bank whose payments queued gets a
/// prefunding from its central bank (funds in, confirmed) in the next batch, worth what
/// queued plus its cap. Real banks do this intraday; without it, net importers' banks would
/// sit at their caps and every later payment of theirs would queue.
public struct BenchLiquidity {
    private let capByBIC: [BIC: Int64]
    private var paymentByID: [UInt128: (payer: BIC, amountMinor: Int64)] = [:]
    private var shortfallByBIC: [BIC: Int64] = [:]
    private var nextFundsID: UInt128 = UInt128(1) << 100

    public init(setup: BenchHubSetup) {
        capByBIC = Dictionary(uniqueKeysWithValues: setup.union.participants.map { ($0.bic, $0.netDebitCapMinor) })
    }

    public mutating func remember(_ payment: PaymentInstruction) {
        paymentByID[payment.id] = (payment.payer, payment.amountMinor)
    }

    /// The next batch: funds for the shortfalls observed so far, then payments up to `size`.
    public mutating func fillBatch(
        _ batch: inout [HubCommand], size: Int, workload: inout HubWorkload, nextID: inout UInt128, lastID: UInt128
    ) {
        fundingCommands(into: &batch)
        while batch.count < size && nextID <= lastID {
            let payment = workload.nextPayment(id: nextID)
            remember(payment)
            batch.append(.submitPayment(payment))
            nextID += 1
        }
    }

    public mutating func observe(_ results: ContiguousArray<HubResult>) {
        for case .payment(let state) in results {
            guard let payment = paymentByID.removeValue(forKey: state.id), state.status == .queued else { continue }
            shortfallByBIC[payment.payer, default: capByBIC[payment.payer]!] += payment.amountMinor
        }
    }

    public mutating func fundingCommands(into batch: inout [HubCommand]) {
        for (bic, amount) in shortfallByBIC.sorted(by: { $0.key.packed < $1.key.packed }) {
            nextFundsID += 1
            batch.append(.requestFunds(id: nextFundsID, participant: bic, amountMinor: amount, direction: .into))
            batch.append(.confirmFunds(id: nextFundsID))
        }
        shortfallByBIC.removeAll()
    }
}

/// Time for the SQLite run: strictly increasing, a millisecond per batch.
public final class BenchClock: Sendable {
    private let value: Mutex<UInt64>
    public init(start: UInt64) { value = Mutex(start) }
    public func next() -> UInt64 {
        value.withLock {
            $0 += 1_000_000; return $0
        }
    }
}

public struct BenchHubSetup: Sendable {
    /// What `bench hub` and `bench cycle` choose: the run's size, the banks, caps and quotas
    /// (in units of account), and the rate and trade files.
    public struct Options: Sendable {
        public var payments: Int
        public var participantsPerMember: Int
        public var capUnits: Int64
        public var quotaUnits: Int64
        public var fx: String
        public var trade: String

        public init(
            payments: Int, participantsPerMember: Int, capUnits: Int64, quotaUnits: Int64, fx: String, trade: String
        ) {
            self.payments = payments
            self.participantsPerMember = participantsPerMember
            self.capUnits = capUnits
            self.quotaUnits = quotaUnits
            self.fx = fx
            self.trade = trade
        }
    }

    /// The rate or trade file cannot be read.
    public struct UnreadableFile: Error, CustomStringConvertible {
        public let description: String
    }

    public let configuration: HubConfiguration
    public let currencies: CurrencyTable
    public let union: SampleUnion
    public let trade: TradeMatrix
    public let startTime: UInt64 = 1_798_000_000_000_000_000

    public init(_ options: Options) throws {
        currencies = try CurrencyTable()
        var configuration = HubConfiguration(currencies: currencies)
        configuration.expectedPaymentCount = options.payments
        self.configuration = configuration
        guard let fxText = try? String(contentsOfFile: options.fx, encoding: .utf8),
            let tradeText = try? String(contentsOfFile: options.trade, encoding: .utf8)
        else {
            throw UnreadableFile(
                description:
                    "cannot read \(options.fx) or \(options.trade) (run from the repository root, or pass --fx/--trade)"
            )
        }
        let day = try ECBReferenceRates.parse(fxText)[0]
        union = try SampleUnion(
            ecbDay: day, participantsPerMember: options.participantsPerMember, capUnitMinor: options.capUnits * 10_000,
            quotaUnitMinor: options.quotaUnits * 10_000, effectiveFrom: startTime - 1, currencies: currencies)
        trade = try TradeMatrix.parse(tradeText)
    }

    public func newHub() -> HubStateMachine {
        var hub = HubStateMachine(configuration: configuration)
        for command in union.setupCommands {
            precondition(hub.apply(command, now: startTime) == .ok, "union setup failed: \(command)")
        }
        hub.outcomeCommitted()
        return hub
    }

    public func workload(seed: UInt64) -> HubWorkload {
        HubWorkload(union: union, trade: trade, currencies: currencies, seed: seed)
    }

    /// Runs `body` against a writer on a new SQLite hub (set up with the union) in `directory`;
    /// shuts the writer down and deletes the file afterwards.
    public func withDurableHub<T: Sendable>(
        in directory: String, name: String, _ body: (Writer<SQLiteHubStore>, SQLiteHubStore) async throws -> T
    ) async throws -> T {
        let path = directory + "/polyclear-bench-\(name)-\(getpid()).sqlite"
        defer {
            for file in SQLiteLedgerStore.files(ofDatabase: path) { try? FileManager.default.removeItem(atPath: file) }
        }
        let store = try SQLiteHubStore(path: path, configuration: configuration)
        return try await withDurableHub(store: store, body)
    }

    /// The hub through the writer on `store`, set up with the union.
    public func withDurableHub<S: HubStore, T: Sendable>(
        store: S, _ body: (Writer<S>, S) async throws -> T
    ) async throws -> T {
        let clock = BenchClock(start: startTime)
        let writer = Writer(store: store, clock: { clock.next() })
        return try await writer.whileRunning {
            _ = try await writer.submit(union.setupCommands)
            return try await body(writer, store)
        }
    }
}
