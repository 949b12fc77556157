import PolyclearBench
import Testing

/// The one percentile definition of every benchmark, pinned: nearest rank.
@Suite struct LatencySummaryTests {
    @Test func percentilesAreNearestRank() {
        let summary = LatencySummary(nanoseconds: (1...100).map { UInt64($0) * 1_000_000 }.shuffled())
        #expect(summary.percentileNanoseconds(0.5) == 50_000_000)
        #expect(summary.percentileNanoseconds(0.99) == 99_000_000)
        #expect(summary.percentileNanoseconds(0.991) == 100_000_000)
        #expect(summary.percentileNanoseconds(1.0) == 100_000_000)
        #expect(summary.percentileNanoseconds(0.001) == 1_000_000)
        #expect(summary.text() == "p50 50.0 ms  p99 99.0 ms  max 100.0 ms")
    }

    @Test func fewSamplesAndNone() {
        let two = LatencySummary(nanoseconds: [3_000_000, 1_000_000])
        #expect(two.percentileNanoseconds(0.5) == 1_000_000)
        #expect(two.percentileNanoseconds(0.99) == 3_000_000)
        let none = LatencySummary(nanoseconds: [])
        #expect(none.percentileNanoseconds(0.5) == nil && none.milliseconds(0.5) == "-")
    }
}
