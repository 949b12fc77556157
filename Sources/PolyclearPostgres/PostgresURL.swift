import Foundation
import PostgresNIO

/// `postgres://user[:password]@host[:port]/database` → a connection configuration (TLS off:
/// use a Unix socket or a private network, or terminate TLS in front).
enum PostgresURL {
    static func configuration(_ url: String) -> PostgresConnection.Configuration? {
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql",
              let user = components.user, let host = components.host, !host.isEmpty
        else { return nil }
        let database = String(components.path.drop { $0 == "/" })
        return PostgresConnection.Configuration(host: host, port: components.port ?? 5432, username: user, password: components.password,
                                                database: database.isEmpty ? user : database, tls: .disable)
    }
}

extension PostgresConnection {
    /// Runs `body` on this connection and closes it afterwards, whatever happens.
    func closing<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            try? await close()
            return result
        } catch {
            try? await close()
            throw error
        }
    }
}
