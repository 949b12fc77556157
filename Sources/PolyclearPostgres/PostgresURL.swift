import Foundation
import NIOSSL
package import PostgresNIO

/// `postgres://user[:password]@host[:port]/database[?sslmode=…&sslrootcert=FILE]` → a
/// connection configuration. TLS as libpq names it: `sslmode=disable` (the default here),
/// `require` (encrypted, the server's certificate not checked), `verify-ca` (signed by a
/// trusted authority) or `verify-full` (and issued for this host name or IP address);
/// `sslrootcert` is the authorities' PEM file (default: the system's trust store).
package enum PostgresURL {
    package static let hint =
        "postgres://user:password@host:port[,host2:port2…]/database[?sslmode=disable|require|verify-ca|verify-full&sslrootcert=FILE]"

    /// Several hosts (`host1:port1,host2:port2`, as libpq takes them): each connection goes to
    /// the first that accepts writes — a primary, not a standby — so that after a standby is
    /// promoted the nodes find it without being repointed. One host: that server, as it is.
    package static func servers(_ url: String) -> PostgresServers? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return nil }
        let hosts = authority[authority.index(after: at)...].split(separator: ",", omittingEmptySubsequences: false)
        var candidates: [PostgresConnection.Configuration] = []
        for host in hosts {
            let single = String(url[..<schemeEnd.upperBound]) + authority[...at] + host + afterScheme[authorityEnd...]
            guard !host.isEmpty, let configuration = configuration(single) else { return nil }
            candidates.append(configuration)
        }
        guard !candidates.isEmpty, candidates.count <= 8 else { return nil }
        return PostgresServers(candidates: candidates)
    }

    static func configuration(_ url: String) -> PostgresConnection.Configuration? {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let user = components.user, let host = components.host, !host.isEmpty
        else { return nil }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value, query[item.name] == nil, ["sslmode", "sslrootcert"].contains(item.name) else {
                return nil
            }
            query[item.name] = value
        }
        let tls: PostgresConnection.Configuration.TLS
        switch query["sslmode"] ?? "disable" {
        case "disable":
            guard query["sslrootcert"] == nil else { return nil }
            tls = .disable
        case let mode where ["require", "verify-ca", "verify-full"].contains(mode):
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification =
                switch mode {
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
        return PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? user : database, tls: tls)
    }
}

/// The servers a URL names, in order (see `PostgresURL.servers`).
package struct PostgresServers: Sendable {
    package let candidates: [PostgresConnection.Configuration]
    /// Several hosts: only a server that accepts writes will do.
    package var requiresPrimary: Bool { candidates.count > 1 }
}

extension PostgresConnection {
    /// Runs `body` on this connection and closes it afterwards, whatever happens.
    func closing<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        // Not awaited: a close postgres-nio never finishes (seen on a connection the server
        // had ended) must not hang the caller; the connection goes either way.
        defer { Task { [self] in try? await close() } }
        return try await body(self)
    }
}
