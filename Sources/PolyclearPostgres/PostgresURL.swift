import Foundation
import NIOSSL
import PostgresNIO

/// `postgres://user[:password]@host[:port]/database[?sslmode=…&sslrootcert=FILE]` → a
/// connection configuration. TLS as libpq names it: `sslmode=disable` (the default here),
/// `require` (encrypted, the server's certificate not checked), `verify-ca` (signed by a
/// trusted authority) or `verify-full` (and issued for this host name or IP address);
/// `sslrootcert` is the authorities' PEM file (default: the system's trust store).
enum PostgresURL {
    static let hint = "postgres://user:password@host:port/database[?sslmode=disable|require|verify-ca|verify-full&sslrootcert=FILE]"

    static func configuration(_ url: String) -> PostgresConnection.Configuration? {
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql",
              let user = components.user, let host = components.host, !host.isEmpty
        else { return nil }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value, query[item.name] == nil, ["sslmode", "sslrootcert"].contains(item.name) else { return nil }
            query[item.name] = value
        }
        let tls: PostgresConnection.Configuration.TLS
        switch query["sslmode"] ?? "disable" {
        case "disable":
            guard query["sslrootcert"] == nil else { return nil }
            tls = .disable
        case let mode where ["require", "verify-ca", "verify-full"].contains(mode):
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = switch mode {
            case "require": .none
            case "verify-ca": .noHostnameVerification
            default: .fullVerification
            }
            if let file = query["sslrootcert"] {
                guard FileManager.default.isReadableFile(atPath: file) else { return nil }
                settings.trustRoots = .file(file)
            }
            guard let context = try? NIOSSLContext(configuration: settings) else { return nil }
            tls = .require(context)
        default:
            return nil
        }
        let database = String(components.path.drop { $0 == "/" })
        return PostgresConnection.Configuration(host: host, port: components.port ?? 5432, username: user, password: components.password,
                                                database: database.isEmpty ? user : database, tls: tls)
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
