/// A payment's lifecycle as a pure state machine: given a status change, it says whether the
/// change is allowed and what must happen with it. `HubStateMachine.transition` is the only
/// place that changes a payment's status, and it does exactly what this returns, so the
/// rules (which changes exist, what each one touches) are written once and tested alone.
///
///     received ─┬─> held ──> received (released) | rejected | cancelled
///               ├─> queued ──> reserved | accepted | rejected | cancelled
///               ├─> reserved ──> accepted | rejected | expired
///               ├─> accepted            (final)
///               └─> rejected            (final; so are cancelled and expired)
enum PaymentLifecycle {
    /// What a status change must do besides setting the status and recording its event.
    struct Effects: OptionSet, Equatable {
        let rawValue: UInt8
        /// Leaves the queue: the count of queued payments falls.
        static let leaveQueue = Effects(rawValue: 1 << 0)
        /// Joins the queue: the count of queued payments rises.
        static let joinQueue = Effects(rawValue: 1 << 1)
        /// Booked for good: it joins the open cycle's totals.
        static let joinOpenCycle = Effects(rawValue: 1 << 2)
        /// Admitted: its quote (if any) is spent. A payment rejected by a check leaves its
        /// quote usable (check, then apply).
        static let spendQuote = Effects(rawValue: 1 << 3)
        /// Ends the payment: it carries its reason.
        static let setReason = Effects(rawValue: 1 << 4)
    }

    /// The effects of moving from `status` to `next`, or nil if the lifecycle has no such move.
    static func effects(from status: PaymentStatus, to next: PaymentStatus) -> Effects? {
        guard allows(from: status, to: next) else { return nil }
        var effects: Effects = []
        if status == .queued { effects.insert(.leaveQueue) }
        if next == .queued { effects.insert(.joinQueue) }
        if next == .accepted { effects.insert(.joinOpenCycle) }
        if status == .received && next != .rejected { effects.insert(.spendQuote) }
        if isFinal(next) && next != .accepted { effects.insert(.setReason) }
        return effects
    }

    static func allows(from status: PaymentStatus, to next: PaymentStatus) -> Bool {
        switch (status, next) {
        case (.received, .held), (.received, .queued), (.received, .reserved), (.received, .accepted),
            (.received, .rejected):
            true
        case (.held, .received), (.held, .rejected), (.held, .cancelled): true
        case (.queued, .reserved), (.queued, .accepted), (.queued, .rejected), (.queued, .cancelled): true
        case (.reserved, .accepted), (.reserved, .rejected), (.reserved, .expired): true
        default: false
        }
    }

    /// A final status: nothing moves a payment out of it.
    static func isFinal(_ status: PaymentStatus) -> Bool {
        switch status {
        case .accepted, .rejected, .cancelled, .expired: true
        case .received, .held, .queued, .reserved: false
        }
    }
}
