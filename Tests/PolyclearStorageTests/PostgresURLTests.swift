@testable import PolyclearPostgres
import Testing

/// Connection URLs: one server, or several in libpq's `host1:port1,host2:port2` form (each
/// connection then goes to the first that accepts writes).
@Suite struct PostgresURLTests {
    @Test func severalHostsAreTriedInOrderForAPrimary() throws {
        let servers = try #require(
            PostgresURL.servers("postgres://polyclear:secret@10.0.0.1:5432,10.0.0.2:5433/hub?sslmode=require"))
        #expect(servers.candidates.count == 2 && servers.requiresPrimary)
        #expect(
            servers.candidates.map(\.database) == ["hub", "hub"]
                && servers.candidates.map(\.password) == ["secret", "secret"])
        let one = try #require(PostgresURL.servers("postgres://polyclear@127.0.0.1:5432/hub"))
        #expect(one.candidates.count == 1 && !one.requiresPrimary)
    }

    @Test(arguments: [
        "postgres://polyclear@127.0.0.1:5432,/hub", "postgres://polyclear@,127.0.0.1/hub",
        "postgres://127.0.0.1:5432,127.0.0.2/hub",
        "postgres://polyclear@a,b,c,d,e,f,g,h,i/hub", "postgres:/polyclear@127.0.0.1/hub",
        "mysql://polyclear@127.0.0.1/hub",
        "postgres://polyclear@127.0.0.1:5432,127.0.0.2:x/hub",
    ])
    func aBadListOfServersIsRefused(_ url: String) {
        #expect(PostgresURL.servers(url) == nil)
    }
}
