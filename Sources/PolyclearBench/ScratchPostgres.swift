import Foundation
import PolyclearPostgres

/// A PostgreSQL database made for one benchmark run and dropped after it, on every path.
public enum ScratchPostgres {
    /// Creates a database with a unique name next to `adminURL`'s (which must be allowed to
    /// create databases), runs `body` with its URL, then drops it (`WITH (FORCE)`: a node that
    /// is still connected does not keep it alive), also when `body` throws.
    public static func withDatabase<T: Sendable>(
        prefix: String, adminURL: String, _ body: (String) async throws -> T
    ) async throws -> T {
        let name = "\(prefix)_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let url = try await PostgresAdmin.createDatabase(name, adminURL: adminURL)
        do {
            let result = try await body(url)
            try? await PostgresAdmin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", url: adminURL)
            return result
        } catch {
            try? await PostgresAdmin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", url: adminURL)
            throw error
        }
    }
}
