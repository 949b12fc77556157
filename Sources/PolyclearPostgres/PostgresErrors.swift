import Foundation
import PolyclearStorage
import PostgresNIO

/// How the stores read PostgreSQL's failures: which are worth another attempt, which are the
/// store's own refusals, and how each is said (never with a password or a query's values).
package enum PostgresErrors {
    struct NoPrimary: Error, CustomStringConvertible {
        let tried: Int
        var description: String { "none of the \(tried) servers accepts writes (all standbys, or unreachable)" }
    }

    /// Dropped connections (no answer, class 08, or the server's 57P0x "terminating
    /// connection"), serialisation failures (40001) and deadlocks (40P01) are worth another
    /// attempt; anything else (a constraint, a bug) is not.
    /// The store's own refusal inside a transaction (e.g. `fenced`), if that is what failed.
    static func storeError(in error: any Error) -> StoreError? {
        if let store = error as? StoreError { return store }
        if let transaction = error as? PostgresTransactionError {
            return transaction.closureError.flatMap(storeError(in:))
        }
        return nil
    }

    /// A unique constraint refused a row (23505): for a retried commit, its own earlier attempt.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        var candidates: [any Error] = [error]
        if let transaction = error as? PostgresTransactionError {
            candidates += [transaction.beginError, transaction.closureError, transaction.commitError].compactMap { $0 }
        }
        return candidates.contains { ($0 as? PSQLError)?.serverInfo?[.sqlState] == "23505" }
    }

    static func isRetryable(_ error: any Error) -> Bool {
        // No server accepts writes: a standby is being promoted, or the primary restarts.
        if error is DeadlineExceeded || error is ConnectionClosed || error is NoPrimary { return true }
        var candidates: [any Error] = [error]
        if let transaction = error as? PostgresTransactionError {
            candidates += [transaction.beginError, transaction.closureError, transaction.commitError].compactMap { $0 }
        }
        for candidate in candidates {
            guard let psql = candidate as? PSQLError else { continue }
            if let state = psql.serverInfo?[.sqlState] {
                return state == "40001" || state == "40P01" || state.hasPrefix("08") || state.hasPrefix("57P0")
            }
            return true  // no server answer: the connection failed
        }
        return false
    }

    /// The URL without its password, for messages and logs.
    package static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(unparsable URL)" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "(unparsable URL)"
    }

    package static func describe(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError {
            let inner = [transaction.beginError, transaction.closureError, transaction.commitError].compactMap { $0 }
                .first
            return inner.map(describe) ?? "transaction failed"
        }
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return "\(message) (\(psql.serverInfo?[.sqlState] ?? ""))" }
            // No answer from the server: say what failed (the connection), not postgres-nio's
            // generic text; the underlying socket error carries no query or credentials.
            return "no answer from the server (\(psql.code)\(psql.underlying.map { ": \($0)" } ?? ""))"
        }
        return String(describing: error).prefix(300).description
    }
}
