import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import PolyclearCore
import PolyclearPostgres
import PolyclearSQLite
import PolyclearServer
import PolyclearStorage

/// `polyclear serve`: the HTTP API over a hub database, until SIGINT/SIGTERM (then it stops
/// accepting, drains the writer and closes the store).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the hub's HTTP API.")

    @Option(help: "A TOML configuration file (keys in the README); flags and POLYCLEAR_* environment variables override it.")
    var config: String?
    @Option(help: "The hub database, created if missing (default polyclear.sqlite).") var db: String?
    @Option(help: "Address to bind (default 127.0.0.1).") var host: String?
    @Option(help: "Port to bind (default 8080).") var port: Int?
    @Option(help: "An API key: operator:NAME:SECRET, member:ISO3:SECRET or participant:BIC:SECRET (repeatable; secrets ≥ 16 characters).")
    var apiKey: [String] = []
    @Flag(help: "Set up the bundled 12-member sample union (members, 3 banks each, fixing) if it is not there yet.")
    var sampleUnion = false
    @Option(help: "ECB rates for --sample-union (default Data/fx/eurofxref-latest.csv).") var fx: String?
    @Option(help: "Close a connection that sends nothing for this many seconds (default 60).")
    var idleTimeoutSeconds: Int?
    @Option(help: "Log level: trace, debug (one line per request, with its id), info (default), notice, warning, error, critical.")
    var logLevel: String?
    @Option(help: "Where the hub lives: sqlite (the file --db, default) or postgres (--postgres-url).") var store: String?
    @Option(help: "PostgreSQL URL for --store postgres: postgres://user:password@host:port/database.") var postgresURL: String?
    @Option(help: "With --store postgres: seconds of the writer lease among the nodes on one database (default 3).") var leaseSeconds: Int?
    @Option(help: "With --store postgres: how the other nodes reach this one (default: --host, or 127.0.0.1 for 0.0.0.0).") var advertiseHost: String?
    @Option(help: "With --store postgres: the most connections statement reads hold at once (default 4).") var postgresPoolSize: Int?

    func settings() throws(ValidationError) -> ServeSettings {
        var configText: String?
        if let config {
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else { throw ValidationError("cannot read the configuration file \(config)") }
            configText = text
        }
        let flags = ServeSettings.Flags(db: db, host: host, port: port, apiKeys: apiKey, sampleUnion: sampleUnion, fx: fx,
                                        idleTimeoutSeconds: idleTimeoutSeconds, logLevel: logLevel, store: store, postgresURL: postgresURL,
                                        leaseSeconds: leaseSeconds, advertiseHost: advertiseHost, postgresPoolSize: postgresPoolSize)
        return try ServeSettings.resolve(flags: flags, environment: ProcessInfo.processInfo.environment, configText: configText)
    }

    func validate() throws { _ = try settings() }

    func run() async throws {
        let settings = try settings()
        let (db, host, port, fx) = (settings.db, settings.host, settings.port, settings.fx)
        var keys = APIKeyStore()
        for specification in settings.apiKeys {
            do { try keys.add(specification: specification) } catch { throw ValidationError(error.description) }
        }
        let currencies = try CurrencyTable()
        var logger = Logger(label: "polyclear.serve")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        let onRunning: @Sendable (Int) -> Void = { bound in printFlushed("serving http://\(host):\(bound)") }
        do {
            if settings.store == "postgres", let url = settings.postgresURL {
                // Every node on the database is a cluster node: the first takes the writer
                // role, the others follow and forward writes to it.
                try await serve(HubServer(postgresURL: url, leaseSeconds: Double(settings.leaseSeconds), readPoolSize: settings.postgresPoolSize,
                                          advertiseHost: settings.advertisedHost,
                                          host: host, port: port, keys: keys, currencies: currencies, limits: settings.limits,
                                          idleTimeoutSeconds: settings.idleTimeoutSeconds, logger: logger, onRunning: onRunning),
                                settings: settings, currencies: currencies, fx: fx)
            } else {
                try await serve(HubServer(db: db, host: host, port: port, keys: keys, currencies: currencies, limits: settings.limits,
                                          idleTimeoutSeconds: settings.idleTimeoutSeconds, logger: logger, onRunning: onRunning),
                                settings: settings, currencies: currencies, fx: fx)
            }
        } catch let error as StoreError {
            exitWithError(error.code.name, error.description)
        }
    }

    func serve<Access: HubAccess>(_ server: HubServer<Access>, settings: ServeSettings, currencies: CurrencyTable, fx: String) async throws {

        let hub = server.hub
        if settings.sampleUnion {
            guard let text = try? String(contentsOfFile: fx, encoding: .utf8) else { exitWithError("not_found", "cannot read \(fx)") }
            let union = try SampleUnion(ecbDay: ECBReferenceRates.parse(text)[0], participantsPerMember: 3, capUnitMinor: 10_000_000_000,
                                        quotaUnitMinor: 1_000_000_000_000, effectiveFrom: 0, currencies: currencies)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.serviceGroup(graceSeconds: settings.shutdownGraceSeconds).run() }
                // Refused as existing after the first start: harmless. A cluster node waits
                // (up to a minute) until it knows the writer; if that is another node, the
                // union is set up there.
                let deadline = ContinuousClock.now + .seconds(60)
                while true {
                    do {
                        _ = try await hub.submit(union.setupCommands)
                        printFlushed("sample union ready (\(union.participants.count) banks)")
                        break
                    } catch WriterError.notWriter {
                        if case .forward = hub.writeRoute { printFlushed("sample union: another node holds the writer role"); break }
                        if ContinuousClock.now > deadline { printFlushed("sample union: no writer within a minute; not set up"); break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }

                try await group.waitForAll()
            }
        } else {
            try await server.serviceGroup(graceSeconds: settings.shutdownGraceSeconds).run()
        }
    }
}
