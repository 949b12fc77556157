import Foundation

/// Latency percentiles, with the one definition every benchmark uses: nearest rank — the
/// p-th percentile of n samples is the ⌈p·n⌉-th smallest (p = 1 is the maximum).
public struct LatencySummary: Sendable {
    public let sortedNanoseconds: [UInt64]

    public init(nanoseconds: [UInt64]) { sortedNanoseconds = nanoseconds.sorted() }

    /// The p-th percentile (0 < p ≤ 1), nil without samples.
    public func percentileNanoseconds(_ p: Double) -> UInt64? {
        guard !sortedNanoseconds.isEmpty else { return nil }
        let rank = Int((Double(sortedNanoseconds.count) * p).rounded(.up))
        return sortedNanoseconds[min(sortedNanoseconds.count, max(1, rank)) - 1]
    }

    /// The p-th percentile in milliseconds with `decimals` decimals ("-" without samples).
    public func milliseconds(_ p: Double, decimals: Int = 1) -> String {
        guard let value = percentileNanoseconds(p) else { return "-" }
        return String(format: "%.\(decimals)f", Double(value) / 1e6)
    }

    /// "p50 x ms  p99 y ms  max z ms", as every benchmark prints it.
    public func text(decimals: Int = 1) -> String {
        "p50 \(milliseconds(0.5, decimals: decimals)) ms  p99 \(milliseconds(0.99, decimals: decimals)) ms  "
            + "max \(milliseconds(1.0, decimals: decimals)) ms"
    }
}
