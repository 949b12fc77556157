@testable import PolyclearCore
import PolyclearTestSupport
import PolyclearWorkload
import Testing

/// The hub's payment table kept in chunks: it answers as one array would (a model of plain
/// arrays, over random appends, changes, archiving and stragglers across many chunks), its
/// snapshot bytes are those of one array, and a copy of it (a snapshot's) shares every chunk
/// the writer does not touch afterwards.
@Suite struct PaymentTableTests {
    static let size = PaymentTable.chunkSize

    static func record(_ number: Int) -> PaymentRecord {
        PaymentRecord(
            id: UInt128(number + 1), uetr: UInt128(number) << 64, fingerprint: UInt64(number) &* 0x9E37_79B9,
            status: .received, payerIndex: ParticipantIndex(raw: UInt32(number % 7)),
            payeeIndex: ParticipantIndex(raw: UInt32(number % 5)), priority: .normal,
            amountMinor: Int64(number) * 100 + 1, amountSide: .payerDebit, isTwoPhase: number % 3 == 0,
            immediateOrReject: false, timeoutSeconds: 0)
    }

    static func texts(_ number: Int) -> PaymentTexts {
        guard
            case .submitPayment(let instruction) = HubFixture.payment(
                UInt128(number + 1), from: BIC("BKAAAE22")!, to: BIC("BKAAIN22")!, amountMinor: 1,
                debtorName: number % 2 == 0 ? "Debtor \(number)" : nil, invoice: "INV-\(number)")
        else { preconditionFailure() }
        return PaymentTexts(instruction)
    }

    /// The model: the window as one array, the stragglers as a dictionary.
    struct Model {
        var base = 0
        var window: [(PaymentRecord, PaymentTexts)] = []
        var stragglers: [Int: (PaymentRecord, PaymentTexts)] = [:]
        var count: Int { base + window.count }
    }

    static func expectSame(_ table: PaymentTable, _ model: Model, _ note: String) {
        #expect(table.count == model.count && table.windowCount == model.window.count, "\(note)")
        #expect(table.residentCount == model.window.count + model.stragglers.count, "\(note)")
        #expect(table.front?.record.id == model.window.first?.0.id, "\(note)")
        for (offset, (record, texts)) in model.window.enumerated() {
            let index = PaymentIndex(raw: UInt32(model.base + offset))
            guard table[index].id == record.id, table[index].status == record.status, table.texts(index) == texts
            else {
                Issue.record("\(note): window payment \(index.raw) differs")
                return
            }
        }
        for (number, (record, texts)) in model.stragglers {
            let index = PaymentIndex(raw: UInt32(number))
            #expect(table.isResident(index) && table[index].id == record.id && table.texts(index) == texts, "\(note)")
        }
    }

    @Test(arguments: [1, 2, 3])
    func aChunkedTableAnswersAsOneArray(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var table = PaymentTable()
        var model = Model()
        for step in 0..<12 {
            for _ in 0..<Int(random.next() % UInt64(2 * Self.size)) {
                let number = model.count
                table.append(Self.record(number), texts: Self.texts(number))
                model.window.append((Self.record(number), Self.texts(number)))
            }
            for _ in 0..<200 where !model.window.isEmpty {  // changes anywhere in the window
                let offset = Int(random.next() % UInt64(model.window.count))
                let index = PaymentIndex(raw: UInt32(model.base + offset))
                table[index].status = .accepted
                table.modifyTexts(index) { $0.isErased = true }
                model.window[offset].0.status = .accepted
                model.window[offset].1.isErased = true
            }
            // The front leaves, across chunk ends; some of it stays as stragglers.
            for _ in 0..<Int(random.next() % UInt64(Self.size + Self.size / 2)) where !model.window.isEmpty {
                if random.next() % 50 == 0 {
                    model.stragglers[model.base] = model.window.removeFirst()
                    table.keepFrontAsStraggler()
                } else {
                    let taken = table.dropFront()
                    let expected = model.window.removeFirst()
                    #expect(taken.record.id == expected.0.id && taken.texts == expected.1)
                }
                model.base += 1
            }
            if let number = model.stragglers.keys.min(), random.next() % 2 == 0 {
                #expect(
                    table.removeStraggler(PaymentIndex(raw: UInt32(number)))?.record.id
                        == model.stragglers[number]?.0.id)
                model.stragglers[number] = nil
            }
            Self.expectSame(table, model, "seed \(seed) step \(step)")
            // What a snapshot writes reads back to the same table.
            let read = try BinaryCodec.decode(PaymentTable.self, from: BinaryCodec.encode(table))
            Self.expectSame(read, model, "seed \(seed) step \(step), read back")
        }
    }

    /// The bytes a snapshot holds are those of the table as one array per field (the format
    /// from before the chunks: old snapshots read, new ones the same).
    @Test func theSnapshotBytesAreThoseOfOneArray() throws {
        struct OneArray: Encodable {
            enum CodingKeys: String, CodingKey { case base, window, windowTexts, stragglerIndices, stragglers }
            var base: UInt32
            var window: ContiguousArray<PaymentRecord>
            var windowTexts: ContiguousArray<PaymentTexts>
            var stragglerIndices: [UInt32]
            var stragglers: [PaymentTable.Resident]
        }
        var table = PaymentTable()
        let total = 2 * Self.size + 123
        for number in 0..<total { table.append(Self.record(number), texts: Self.texts(number)) }
        table.keepFrontAsStraggler()
        for _ in 0..<(Self.size + 7) { _ = table.dropFront() }
        let first = Self.size + 8
        let expected = OneArray(
            base: UInt32(first), window: ContiguousArray((first..<total).map(Self.record)),
            windowTexts: ContiguousArray((first..<total).map(Self.texts)), stragglerIndices: [0],
            stragglers: [PaymentTable.Resident(record: Self.record(0), texts: Self.texts(0))])
        #expect(try BinaryCodec.encode(table) == BinaryCodec.encode(expected))
    }

    /// A copy of the table (a snapshot's) and the table the writer goes on changing share
    /// every chunk but the one changed: copy-on-write copies a chunk, not the window.
    @Test func aCopyShareTheChunksTheWriterDoesNotTouch() {
        var table = PaymentTable()
        for number in 0..<(3 * Self.size + 10) { table.append(Self.record(number), texts: Self.texts(number)) }
        let snapshot = table
        table.append(Self.record(3 * Self.size + 10), texts: Self.texts(3 * Self.size + 10))
        table[PaymentIndex(raw: UInt32(3 * Self.size + 1))].status = .accepted
        func address(_ t: PaymentTable, _ chunk: Int) -> UnsafeRawPointer? {
            t.chunks[chunk].records.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        }
        for chunk in 0..<3 { #expect(address(table, chunk) == address(snapshot, chunk), "chunk \(chunk) shared") }
        #expect(address(table, 3) != address(snapshot, 3), "the changed chunk is the writer's own")
        #expect(snapshot[PaymentIndex(raw: UInt32(3 * Self.size + 1))].status == .received)
        #expect(snapshot.count == 3 * Self.size + 10 && table.count == 3 * Self.size + 11)
    }
}
