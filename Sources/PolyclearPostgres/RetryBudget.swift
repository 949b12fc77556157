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

/// The deadline of a step that may legitimately take long on a loaded server (a projection
/// step writing a large commit's rows while the machine is busy): a step that ran out of time
/// is retried with twice the time, up to `maxSeconds`, so a slow step is finished rather than
/// abandoned for ever at the same deadline; a finished step halves it back towards the base.
/// The deadline still catches a step hung on a dead server — later, each time it grows.
struct GrowingDeadline {
    let baseSeconds: Double
    let maxSeconds: Double
    private(set) var seconds: Double

    init(baseSeconds: Double, maxSeconds: Double) {
        self.baseSeconds = baseSeconds
        self.maxSeconds = max(maxSeconds, baseSeconds)
        self.seconds = baseSeconds
    }

    /// After a step that ran out of time: false if it had the longest deadline already.
    mutating func ranOut() -> Bool {
        guard seconds < maxSeconds else { return false }
        seconds = min(seconds * 2, maxSeconds)
        return true
    }

    mutating func finished() { seconds = max(seconds / 2, baseSeconds) }
}
