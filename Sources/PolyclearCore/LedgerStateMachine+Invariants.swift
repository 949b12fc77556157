/// A broken ledger invariant: always a bug, never bad input.
public struct LedgerInvariantViolation: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Totals of one ledger, as `ledger check` reports them.
public struct LedgerTotals: Hashable, Sendable {
    public var ledger: UInt32
    public var accountCount = 0
    public var debitsPending: UInt128 = 0
    public var debitsPosted: UInt128 = 0
    public var creditsPending: UInt128 = 0
    public var creditsPosted: UInt128 = 0
}

extension LedgerStateMachine {
    /// Per-ledger totals, sorted by ledger. Sums wrap at 2^128, which leaves the equality
    /// check exact modulo 2^128 (no realistic ledger gets near it).
    public func totalsByLedger() -> [LedgerTotals] {
        var totals: [UInt32: LedgerTotals] = [:]
        for account in accounts {
            var entry = totals[account.ledger] ?? LedgerTotals(ledger: account.ledger)
            entry.accountCount += 1
            entry.debitsPending &+= account.debitsPending
            entry.debitsPosted &+= account.debitsPosted
            entry.creditsPending &+= account.creditsPending
            entry.creditsPosted &+= account.creditsPosted
            totals[account.ledger] = entry
        }
        return totals.values.sorted { $0.ledger < $1.ledger }
    }

    /// Checks what must hold after every batch:
    /// - on every ledger, debits equal credits, posted and pending separately;
    /// - every account's pending balances equal the sum of its pending transfers;
    /// - balance-limit flags hold; the id index agrees with the account array.
    public func checkInvariants() -> LedgerInvariantViolation? {
        for totals in totalsByLedger() {
            if totals.debitsPosted != totals.creditsPosted {
                return .init(
                    description:
                        "ledger \(totals.ledger): posted debits \(totals.debitsPosted) != posted credits \(totals.creditsPosted)"
                )
            }
            if totals.debitsPending != totals.creditsPending {
                return .init(
                    description:
                        "ledger \(totals.ledger): pending debits \(totals.debitsPending) != pending credits \(totals.creditsPending)"
                )
            }
        }
        var debitsPending = ContiguousArray<UInt128>(repeating: 0, count: accounts.count)
        var creditsPending = ContiguousArray<UInt128>(repeating: 0, count: accounts.count)
        var pendingStatusMismatch = false
        pendingByID.forEach { id, pending in
            debitsPending[Int(pending.debitAccountIndex)] &+= pending.amount
            creditsPending[Int(pending.creditAccountIndex)] &+= pending.amount
            if transferStatus(id: id) != .pending { pendingStatusMismatch = true }
        }
        if pendingStatusMismatch { return .init(description: "a pending transfer's index status is not pending") }
        if accountIndexByID.count != accounts.count { return .init(description: "account index size mismatch") }
        for (index, account) in accounts.enumerated() {
            if accountIndexByID.value(for: account.id) != UInt32(index) {
                return .init(description: "account index does not point at account #\(index)")
            }
            if account.debitsPending != debitsPending[index] || account.creditsPending != creditsPending[index] {
                return .init(description: "account #\(index): pending balances differ from its pending transfers")
            }
            if account.flags.contains(.debitsMustNotExceedCredits)
                && account.debitsPending + account.debitsPosted > account.creditsPosted
            {
                return .init(description: "account #\(index): debits exceed credits")
            }
            if account.flags.contains(.creditsMustNotExceedDebits)
                && account.creditsPending + account.creditsPosted > account.debitsPosted
            {
                return .init(description: "account #\(index): credits exceed debits")
            }
        }
        return nil
    }
}
