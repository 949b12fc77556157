/// How long the stores keep retrying an operation whose failure is worth another attempt (a
/// dropped connection, a server shutting down, a serialisation failure): attempts go on, with
/// a pause growing from 0.1 s to at most 1 s, until `seconds` have passed since the first —
/// long enough to ride out a server restart, a standby's promotion or a burst of killed
/// connections, and bounded, so that a lasting outage is reported rather than waited out.
struct RetryBudget {
    let seconds: Double
    private let started = ContinuousClock.now
    /// Attempts made so far.
    private(set) var attempts = 0

    init(seconds: Double) { self.seconds = seconds }

    /// After a failed attempt: false if the budget is spent; otherwise pauses and returns true.
    mutating func pauseBeforeNextAttempt() async throws -> Bool {
        attempts += 1
        guard ContinuousClock.now - started < .seconds(seconds) else { return false }
        try await Task.sleep(for: .milliseconds(min(50 << min(attempts, 5), 1_000)))
        return true
    }
}
