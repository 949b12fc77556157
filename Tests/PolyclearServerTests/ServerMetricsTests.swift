import PolyclearCore
@testable import PolyclearServer
import PolyclearWorkload
import Testing

/// `/metrics` counts exactly the payment status changes the commits carried, per status.
@Suite struct ServerMetricsTests {
    @Test func statusChangesAreCountedExactlyPerStatusOverManyCommits() {
        let metrics = ServerMetrics()
        var random = SeededRandom(seed: 11)
        var expected: [PaymentStatus: Int] = [:]
        for commit in 0..<20 {
            let events = (0..<Int(random.next() % 300)).map { index -> HubEvent in
                if random.next() % 5 == 0 {
                    return HubEvent(
                        timestamp: UInt64(index),
                        kind: .utilisationAlarm(
                            subject: .member(CountryCode(alpha3: "BRA")!), thresholdPercent: 80,
                            utilisationPerMille: 810))
                }
                let status = PaymentStatus.allCases[Int(random.next() % UInt64(PaymentStatus.allCases.count))]
                expected[status, default: 0] += 1
                return HubEvent(
                    timestamp: UInt64(commit * 1_000 + index),
                    kind: .paymentStatus(id: UInt128(index), status: status, rejection: nil, actor: .system))
            }
            metrics.record(committed: events)
        }
        let text = metrics.text
        for status in PaymentStatus.allCases {
            let line = "polyclear_payment_status_changes_total{status=\"\(status)\"} \(expected[status, default: 0])"
            #expect(text.contains(line + "\n"), "\(line) not in:\n\(text)")
        }
        #expect(text.contains("polyclear_commits_total 20\n"), "\(text)")
    }
}
