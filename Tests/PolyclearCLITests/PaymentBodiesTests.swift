import NIOCore
import PolyclearBench
import Testing

/// The load generator counts the statuses of every answer it gets (what the benchmark calls
/// acknowledged): every payment's status, and rejections by reason; keys inside text do not count.
@Suite struct PaymentBodiesTests {
    @Test func everyStatusAndRejectionReasonIsCounted() {
        let answer =
            #"[{"id":"a","status":"accepted","note":"status"},{"id":"b","status":"rejected","rejection":"limit_exceeded"},"#
            + #"{"id":"c","status":"queued"},{"id":"d","status":"accepted","payer":"\"status\""},"#
            + #"{"id":"e","status":"rejected","rejection":"limit_exceeded"}]"#
        var statuses: [String: Int] = ["accepted": 1]
        let counted = PaymentBodies.countStatuses(ByteBuffer(string: answer), into: &statuses)
        #expect(counted == 5)
        #expect(
            statuses == [
                "accepted": 3, "rejected": 2, "queued": 1, "rejected: limit_exceeded": 2,
            ])
    }
}
