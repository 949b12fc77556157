@testable import PolyclearCore
import PolyclearWorkload
import Testing

@Suite struct CostScalingTests {
    /// Property: the price update may stop its search at any distance (nodes past it take the
    /// bound) and the flow stays ε-optimal: the solve still ends 1-optimal with exact
    /// potentials, at the optimum of the independent method.
    @Test(arguments: 1...30 as ClosedRange<UInt64>)
    func aPriceUpdateCutShortKeepsTheFlowOptimal(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let parties = 4 + Int(random.next() % 8)
        let shape = ObligationShape.allCases[Int(seed) % ObligationShape.allCases.count]
        let obligations = shape.generate(parties: parties, obligations: 10 + Int(random.next() % 40), seed: seed)
        let instance = try SetOffInstance(partyCount: parties, obligations: obligations)
        let optimum = SetOffTests.referenceOptimum(partyCount: parties, obligations: obligations)
        for bound in [0, 1, 2, 3, 4 * parties + 4] {
            var circulation = CostScalingCirculation(
                nodeCount: parties, tails: instance.pairDebtor, heads: instance.pairCreditor,
                capacities: instance.pairAmount, costs: [Int32](repeating: 1, count: instance.pairCount))
            circulation.distanceBound = bound
            circulation.solve()
            #expect(circulation.exactPotentials() != nil, "seed \(seed) bound \(bound)")
            let setOff = instance.pairAmount.indices.reduce(Int64(0)) {
                $0 + instance.pairAmount[$1] - circulation.flow(onArc: $1)
            }
            #expect(setOff == optimum, "seed \(seed) bound \(bound)")
        }
    }
}
