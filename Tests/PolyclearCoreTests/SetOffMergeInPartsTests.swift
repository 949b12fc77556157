import Dispatch
@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// The merge in parts gives the one-piece merge exactly: the same pairs in the same order,
/// the same pair of every obligation, the same balances; and the same first error.
@Suite struct SetOffMergeInPartsTests {
    static func equal(_ a: SetOffInstance, _ b: SetOffInstance) -> Bool {
        a.pairDebtor == b.pairDebtor && a.pairCreditor == b.pairCreditor && a.pairAmount == b.pairAmount
            && a.pairOf == b.pairOf && a.balance == b.balance && a.grossMinor == b.grossMinor
            && a.needMinor == b.needMinor && a.partyCount == b.partyCount
    }

    static func atOnceBackwards(_ count: Int, _ body: @Sendable (Int) -> Void) {
        DispatchQueue.concurrentPerform(iterations: count) { body(count - 1 - $0) }
    }

    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func partsMergeLikeOnePiece(seed: UInt64) throws {
        let shape = ObligationShape.allCases[Int(seed) % ObligationShape.allCases.count]
        let parties = 4 + Int(seed * 37 % 300)
        let obligations = shape.generate(parties: parties, obligations: 500 + Int(seed * 131 % 3_000), seed: seed)
        let whole = try SetOffInstance(partyCount: parties, obligations: obligations)
        for partCount in [2, 3, 7] {
            let parts = try SetOffInstance(
                partyCount: parties, obligations: obligations, partCount: partCount, minimumPerPart: 64,
                perform: Self.atOnceBackwards)
            #expect(Self.equal(whole, parts), "seed \(seed) parts \(partCount)")
        }
    }

    @Test func aBadObligationIsNamedAsInOnePiece() throws {
        let good = ObligationShape.dense.generate(parties: 50, obligations: 2_000, seed: 4)
        let damages: [(Int, Obligation)] = [
            (700, Obligation(debtor: 3, creditor: 3, amountMinor: 5)),
            (1_200, Obligation(debtor: 1, creditor: 50, amountMinor: 5)),
            (1_999, Obligation(debtor: 1, creditor: 2, amountMinor: 0)),
            (1, Obligation(debtor: 1, creditor: 2, amountMinor: .max)),
        ]
        for (index, damage) in damages {
            var obligations = good
            obligations[index] = damage
            // A later bad row must not hide this one.
            obligations[1_500] = Obligation(debtor: -1, creditor: 2, amountMinor: 5)
            var wholeError: SetOffError?, partsError: SetOffError?
            do { _ = try SetOffInstance(partyCount: 50, obligations: obligations) } catch { wholeError = error }
            do {
                _ = try SetOffInstance(
                    partyCount: 50, obligations: obligations, partCount: 4, minimumPerPart: 64,
                    perform: Self.atOnceBackwards)
            } catch { partsError = error }
            #expect(wholeError != nil && wholeError == partsError, "damage at \(index)")
        }
    }
}
