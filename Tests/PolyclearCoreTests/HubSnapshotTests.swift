@testable import PolyclearCore
import PolyclearWorkload
import PolyclearTestSupport
import Testing

/// Hub snapshots (`snapshotState`): a hub read back from one carries on exactly as the hub
/// that never stopped — same results, same state to the byte — over random histories, and a
/// damaged one is refused, never trusted and never a crash.
@Suite(.offTheSharedPool) struct HubSnapshotTests {
    typealias F = HubFixture
    static let configuration = HubConfiguration(currencies: try! CurrencyTable())

    /// Random payment streams with cycles, funds, gridlock runs and (on even seeds) imbalance
    /// charges. Now and then the follower is replaced by what a snapshot of it reads back as;
    /// it takes every command at the same time as the original and must answer the same.
    @Test(arguments: 1...16 as ClosedRange<UInt64>)
    func aHubReadBackFromASnapshotCarriesOnExactlyAsTheOriginal(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var f = F(capMinor: 1_000_000, quotaUnitMinor: 5_000_000)
        if seed % 2 == 0 { f.expectOK(.setImbalanceRules(.standard)) }
        var follower = try HubStateMachine(configuration: Self.configuration, snapshotState: f.hub.snapshotState())
        var nextID: UInt128 = 1
        var readBacks = 0
        for step in 0..<500 {
            let command = HubPropertyTests.randomCommandWithCycles(
                &random, nextID: &nextID, hub: f.hub, cycleEventsOneIn: 25)
            let result = f.apply(command, advancingNanoseconds: random.next() % 60_000_000_000)
            #expect(follower.apply(command, now: f.now) == result, "step \(step) (seed \(seed)): \(command)")
            _ = follower.sealOutcome()
            follower.outcomeCommitted()
            if random.next() % 40 == 0 {
                let state = try follower.snapshotState()
                follower = try HubStateMachine(configuration: Self.configuration, snapshotState: state)
                #expect(try follower.snapshotState() == state, "reading back and writing again changes nothing")
                readBacks += 1
            }
        }
        #expect(readBacks > 3)
        #expect(follower.checkInvariants() == nil)
        #expect(follower.ledgerState.makeSnapshot() == f.hub.ledgerState.makeSnapshot())
        #expect(follower.cycles == f.hub.cycles && follower.allPaymentStates == f.hub.allPaymentStates)
        #expect(try follower.snapshotState() == f.hub.snapshotState(), "seed \(seed): the states differ")
    }

    /// The same state written twice gives the same bytes, whatever order its dictionaries and
    /// sets hold their entries in (which differs between processes).
    @Test func aSnapshotOfTheSameStateIsTheSameBytes() throws {
        var f = F()
        for id in 1...40 as ClosedRange<UInt128> {
            _ = f.apply(F.payment(id, from: F.brBank1, to: F.cnBank1, amountMinor: 1_000 + Int64(id)))
        }
        _ = f.apply(.closeCycle(number: f.hub.openCycleNumber))
        let replayed = f.log.reduce(into: HubStateMachine(configuration: Self.configuration)) { hub, entry in
            _ = hub.apply(entry.0, now: entry.1)
            _ = hub.sealOutcome()
            hub.outcomeCommitted()
        }
        #expect(try replayed.snapshotState() == f.hub.snapshotState())
    }

    /// Damage never traps: a snapshot cut short, or with bytes changed, is refused with an
    /// error or (where the change happens to be well-formed) read as some other state — which
    /// is why the store frames every snapshot with a checksum (`HubSnapshot`).
    @Test func damagedSnapshotStateIsRefusedOrReadNeverTraps() throws {
        var f = F()
        for id in 1...20 as ClosedRange<UInt128> {
            _ = f.apply(F.payment(id, from: F.inBank1, to: F.idBank1, amountMinor: 50_000 + Int64(id)))
        }
        let state = try f.hub.snapshotState()
        var random = SeededRandom(seed: 7)
        var refused = 0
        for trial in 0..<300 {
            var damaged = state
            if trial % 3 == 0 {
                damaged.removeLast(1 + Int(random.next() % UInt64(damaged.count - 1)))
            } else {
                for _ in 0..<(1 + random.next() % 4) {
                    damaged[Int(random.next() % UInt64(damaged.count))] ^= UInt8(1 + random.next() % 255)
                }
            }
            if (try? HubStateMachine(configuration: Self.configuration, snapshotState: damaged)) == nil { refused += 1 }
        }
        #expect(refused > 100, "most damage is caught by the format itself (\(refused) of 300)")
        #expect(throws: (any Error).self) {
            try HubStateMachine(configuration: Self.configuration, snapshotState: Array(state.dropLast()))
        }
    }

    /// A snapshot is taken between commits only, and read back only under its own unit.
    @Test func aSnapshotIsOfCommittedStateUnderItsOwnUnit() throws {
        var f = F()
        _ = f.hub.apply(F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 100), now: f.now + 1)
        #expect(throws: HubSnapshotError.outcomeNotCommitted) { try f.hub.snapshotState() }
        _ = f.hub.sealOutcome()
        f.hub.outcomeCommitted()
        let state = try f.hub.snapshotState()
        let otherUnit = HubConfiguration(
            currencies: try CurrencyTable(unit: Currency(code: CurrencyCode("XQU")!, exponent: 4)))
        #expect(throws: HubSnapshotError.otherUnit) {
            try HubStateMachine(configuration: otherUnit, snapshotState: state)
        }
    }
}

/// The codec on its own: every shape a hub's records use comes back as it went in.
@Suite struct BinaryCodecTests {
    enum Shape: Codable, Equatable {
        case empty
        case one(Int64)
        case named(text: String, values: [UInt32]?)
    }

    struct Record: Codable, Equatable {
        var id: UInt128
        var signed: Int128
        var optional: Int?
        var absent: String?
        var flag: Bool
        var shapes: [Shape]
        var byKey: [String: Int16]
        var byNumber: [UInt64: Shape]
        var set: Set<String>
        var nested: [[UInt8]]
        var plain: ContiguousArray<UInt128>
        var ratio: Double
    }

    @Test func everyShapeRoundTrips() throws {
        let record = Record(
            id: UInt128.max - 5, signed: Int128.min + 7, optional: -3, absent: nil, flag: true,
            shapes: [.empty, .one(-9), .named(text: "ação ✓", values: nil), .named(text: "", values: [1, 2])],
            byKey: ["b": 2, "a": -1], byNumber: [9: .empty, 3: .one(3)], set: ["x", "y", "z"],
            nested: [[], [0, 255]], plain: [1, 2, UInt128.max], ratio: -0.125)
        let bytes = try BinaryCodec.encode(record)
        #expect(try BinaryCodec.decode(Record.self, from: bytes) == record)
        #expect(try BinaryCodec.encode([record, record]).count < 2 * bytes.count, "key names are written once")
        #expect(throws: (any Error).self) { try BinaryCodec.decode(Record.self, from: bytes + [0]) }
        #expect(throws: (any Error).self) { try BinaryCodec.decode([Int32].self, from: bytes) }
    }
}

/// The records written by hand (`SnapshotRecord`) write every stored property: one added to
/// the type and not to its snapshot fails here.
@Suite struct SnapshotRecordTests {
    typealias F = HubFixture

    @Test func everyHandWrittenRecordCoversEveryField() throws {
        var f = F()
        _ = f.apply(F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 10_000))
        let payment = try #require(f.hub.payments.records.first)
        let texts = f.hub.payments.texts(PaymentIndex(raw: 0))
        let delivery = try #require(f.hub.participants.lazy.flatMap(\.outbox.items).first)
        #expect(Mirror(reflecting: payment).children.count == PaymentRecord.snapshotFieldCount)
        #expect(Mirror(reflecting: texts).children.count == PaymentTexts.snapshotFieldCount)
        #expect(Mirror(reflecting: texts.trade).children.count == 4, "TradeReference: see PaymentTexts.write")
        #expect(Mirror(reflecting: delivery).children.count == Delivery.snapshotFieldCount)
    }
}
