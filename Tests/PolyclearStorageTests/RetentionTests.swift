import Foundation
import GRDB
import PolyclearCore
import PolyclearPostgres
@testable import PolyclearSQLite
import PolyclearStorage
import PolyclearTestSupport
import PolyclearWorkload
import PostgresNIO
import Testing

/// Retention on every store: a run erases the personal data of payments settled longer ago
/// than the union keeps it (not of newer, unsettled or unacknowledged ones); amounts, ids and
/// trade references remain; the store rewrites the logged instructions, so the names are gone
/// from the database itself; and the rewritten log restores exactly the same hub (ledger,
/// payments, deliveries), which still reconciles.
@Suite struct RetentionTests {
    typealias Kind = HubStoreTests.Kind

    static func secret(_ id: UInt128) -> String { "Secret Debtor <\(id)>" }

    static func payment(_ workload: inout HubWorkload, _ id: UInt128) -> HubCommand {
        var payment = workload.nextPayment(id: id)
        payment.debtorName = secret(id)
        payment.creditorName = "Private Creditor \(id)"
        payment.trade.hsCode = "120190"
        payment.details = PaymentDetails(
            debtor: Party(
                account: PartyAccount(iban: "GB82WEST12345698765432"),
                address: PostalAddress(streetName: "Hidden Street <\(id)>", townName: "London", country: "GB")),
            ultimateCreditor: Party(name: "Ultimate Secret \(id)<"),
            remittance: Remittance(lines: ["for \(secret(id))"], creditorReferences: ["RF18539007547034"]),
            trade: TradeDetails(invoiceDate: "2026-11-20", incoterm: "FOB"))
        return .submitPayment(payment)
    }

    @Test(arguments: Kind.available)
    func aRetentionRunErasesPersonalDataEverywhereAndTheHubStillReplays(kind: Kind) async throws {
        let directory = TemporaryDirectory()
        let (store, reopen) = try await HubStoreTests.makeStore(kind, directory: directory)
        // Caps and quotas large enough that the forty payments are booked, not queued.
        let (union, trade) = try HubStoreTests.roomyUnion(capUnitMinor: 1_000_000_000_000)
        var workload = HubWorkload(
            union: union, trade: trade, currencies: HubStoreTests.configuration.currencies, seed: 5)
        let (hub, erasedCount) = try await Self.history(store: store, union: union, workload: &workload)
        try await Self.check(
            hub: hub, erasedCount: erasedCount, kind: kind, store: store, reopen: reopen, union: union,
            directory: directory)
    }

    /// Forty payments with personal data (one held by screening, then released), the cycle
    /// closed and settled, every delivery acknowledged, five more payments, 31 days, a run.
    static func history<S: HubStore>(
        store: S, union: SampleUnion, workload: inout HubWorkload
    ) async throws -> (HubStateMachine, Int) {
        let clock = ManualClock()
        let writer = Writer(store: store, clock: { clock.now() })
        let first = (1...40).map { Self.payment(&workload, UInt128($0)) }
        let later = (41...45).map { Self.payment(&workload, UInt128($0)) }
        return try await writer.whileRunning { () -> (HubStateMachine, Int) in
            let ops = Actor.operatorUser("ops")
            _ = try await writer.submit(
                union.setupCommands + [
                    .setPaymentRules(PaymentRules(tradeReferenceRequired: true, personalDataRetentionDays: 30)),
                    .setScreeningList(ScreeningList(names: [Self.secret(5)], bics: [], countriesAlpha2: [])),
                ])
            _ = try await writer.submit(first)
            let held = try await writer.read { $0.payment(5)?.status }
            #expect(held == .held)
            _ = try await writer.submit([
                .attributed(
                    actor: ops, command: .decideHeldPayment(id: 5, release: true, actor: ops, reason: "checked")),
                .attributed(actor: ops, command: .closeCycle(number: 1)),
            ])
            _ = try await writer.submit(
                union.memberDefinitions.map {
                    .confirmSettlement(
                        cycle: 1, member: $0.id, instructionIndex: nil, amountMinor: nil, actor: .member($0.id))
                })
            // Every bank takes its deliveries, but for the payments after the close.
            let cursors = try await writer.read { hub in
                union.participants.map { ($0.bic, hub.deliveries(for: $0.bic, after: 0, limit: 0)!.last) }
            }
            _ = try await writer.submit(
                cursors.map { .acknowledgeDeliveries(participant: $0.0, through: $0.1, actor: .system) })
            _ = try await writer.submit(later)
            // A snapshot holding the personal data the run is about to erase.
            let snapshots = store as? any HubSnapshotStore
            if let snapshots, let mark = try await snapshots.lastLogRow() {
                let state = try await writer.read { $0 }
                let snapshot = try HubSnapshot(of: state, sequence: mark.sequence, logRowDigest: mark.digest)
                try await snapshots.storeSnapshot(snapshot, keep: 2)
                #expect(try await snapshots.snapshotSequences() == [mark.sequence])
            }
            clock.advance(seconds: 31 * 86_400)
            let results = try await writer.submit([.attributed(actor: ops, command: .erasePersonalData)])
            guard case .personalDataErased(let count) = results.first else { throw CancellationError() }
            if let snapshots {
                #expect(try await snapshots.snapshotSequences().isEmpty, "a snapshot still holds erased data")
            }
            return (try await writer.read { $0 }, count)
        }
    }

    static func check(
        hub: HubStateMachine, erasedCount: Int, kind: Kind, store: any HubStore,
        reopen: @Sendable () throws -> any HubStore, union: SampleUnion, directory: TemporaryDirectory
    ) async throws {
        let finalStatuses: Set<PaymentStatus> = [.accepted, .rejected, .cancelled, .expired]
        let settledIDs = (1...40).map({ UInt128($0) }).filter { finalStatuses.contains(hub.payment($0)!.status) }
        #expect(settledIDs.count >= 30, "most payments of the closed cycle are booked")
        #expect(hub.cycles.first?.state == .settled)
        #expect(erasedCount == settledIDs.count)
        for id in settledIDs {
            let data = try #require(hub.paymentData(id))
            #expect(data.texts.isErased, "payment \(id)")
            #expect(data.texts.debtorName == nil && data.texts.creditorName == nil)
            #expect(
                data.details?.debtor == nil && data.details?.ultimateCreditor == nil
                    && data.details?.remittance?.lines == nil)
            // What is not personal stays: the trade reference, its details, the references.
            #expect(data.texts.trade.hsCode == "120190" && data.details?.trade?.incoterm == "FOB")
            #expect(data.details?.remittance?.creditorReferences == ["RF18539007547034"])
        }
        #expect(hub.paymentData(41)?.texts.debtorName == Self.secret(41), "a payment of the open cycle is kept")
        #expect(hub.checkInvariants() == nil)

        // The rewritten log restores the same hub.
        let restored = try await reopen().restore()
        #expect(restored.ledgerState.makeSnapshot() == hub.ledgerState.makeSnapshot())
        #expect(restored.allPaymentStates == hub.allPaymentStates)
        for id in (1...45).map({ UInt128($0) }) {
            #expect(restored.paymentData(id)?.texts == hub.paymentData(id)?.texts)
        }
        for bic in union.participants.map(\.bic) {
            #expect(
                restored.deliveries(for: bic, after: 0, limit: Int.max)?.items
                    == hub.deliveries(for: bic, after: 0, limit: Int.max)?.items)
        }
        #expect(restored.auditRecords.contains { $0.action == "erase_personal_data" })

        // Nothing personal of an erased payment is left in what the store holds.
        let stored = try await Self.storedText(kind, store: store, directory: directory)
        #expect(stored.contains(Self.secret(41)), "the search would see a name (a kept payment's)")
        for id in settledIDs {
            // Payment 5's debtor is on the screening list: the list (the operator's, not the
            // payment's) keeps the name; the payment's own address must still be gone.
            #expect(id == 5 || !stored.contains(Self.secret(id)), "payment \(id)")
            #expect(
                !stored.contains("Hidden Street <\(id)>") && !stored.contains("Ultimate Secret \(id)<"), "payment \(id)"
            )
        }
    }

    /// Everything the store holds as text (SQLite: the database and WAL files' bytes).
    static func storedText(_ kind: Kind, store: any HubStore, directory: TemporaryDirectory) async throws -> String {
        switch kind {
        case .inMemory:
            let log = await (store as! InMemoryHubStore).storedLog
            return String(decoding: try JSONEncoder().encode(log), as: UTF8.self)
        case .sqlite:
            var bytes = Data()
            for suffix in ["", "-wal", "-snapshots", "-snapshots-wal"] {
                bytes += FileManager.default.contents(atPath: directory.path("hub.sqlite" + suffix)) ?? Data()
            }
            return String(decoding: bytes, as: UTF8.self)
        case .postgres:
            let restored = try await (store as! PostgresHubStore).logEntries()
            return String(decoding: try JSONEncoder().encode(restored), as: UTF8.self)
        }
    }
}
