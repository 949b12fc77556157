import Foundation
import PostgresNIO

/// Small administrative actions on a PostgreSQL server: a database per node set or per test,
/// and one-off statements (fault drills, maintenance).
public enum PostgresAdmin {
    /// Runs one statement on the database at `url`.
    public static func execute(_ sql: String, url: String) async throws {
        try await withConnection(url) { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: connection.logger)
        }
    }

    /// Runs a query and counts the rows it returns.
    public static func count(_ sql: String, url: String) async throws -> Int {
        try await withConnection(url) { connection in
            var rows = 0
            for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: connection.logger) {
                rows += 1
            }
            return rows
        }
    }

    /// Creates database `name` (letters, digits, underscores) next to the one at `url` and
    /// returns its URL.
    public static func createDatabase(_ name: String, adminURL url: String) async throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw PostgresAdminError.badName(name)
        }
        try await execute("CREATE DATABASE \(name)", url: url)
        guard var components = URLComponents(string: url) else { throw PostgresAdminError.badURL }
        components.path = "/" + name
        return components.string!
    }

    /// One short connection for `body`, closed afterwards (no pool: nothing outlives the call).
    /// Connecting and the statement each have a deadline: a connection whose TLS handshake
    /// failed was seen never to finish connecting, and a statement on a connection the server
    /// ended never to answer (postgres-nio), which hung the caller for ever.
    static func withConnection<T: Sendable>(
        _ url: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        guard let configuration = PostgresURL.configuration(url) else { throw PostgresAdminError.badURL }
        var logger = Logger(label: "polyclear.postgres.admin")
        logger.logLevel = .critical
        // The server gives up a statement too (a DROP DATABASE waiting for a stuck backend).
        let connection = try await PostgresDatabase.connect(
            configuration, id: 0, deadlineSeconds: connectDeadlineSeconds, logger: logger
        ).configured("SET statement_timeout = 60000", logger: logger)
        defer { Task { try? await connection.close() } }
        return try await PostgresDeadline.withDeadline(
            seconds: statementDeadlineSeconds, onTimeout: { Task { try? await connection.close() } },
            watching: connection
        ) { try await body(connection) }
    }

    static let connectDeadlineSeconds = 10.0
    /// Long enough for a `CREATE DATABASE` on a loaded machine.
    static let statementDeadlineSeconds = 120.0
}

public enum PostgresAdminError: Error, Hashable, Sendable {
    case badURL
    case badName(String)
}
