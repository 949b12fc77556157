import ArgumentParser
import Foundation
import Logging
import PolyclearApp
import PolyclearCore
import PolyclearStorage

/// `polyclear serve`: the HTTP API over a hub database, until SIGINT/SIGTERM (then it stops
/// accepting, drains the writer and closes the store). Parses its options; `HubComposition`
/// builds and runs the hub.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the hub's HTTP API and its web console (/console).")

    @Option(
        help: "A TOML configuration file (keys in the README); flags and POLYCLEAR_* environment variables override it."
    )
    var config: String?
    @Option(help: "The hub database, created if missing (default polyclear.sqlite).") var db: String?
    @Option(help: "Address to bind (default 127.0.0.1).") var host: String?
    @Option(help: "Port to bind (default 8080).") var port: Int?
    @Option(
        help:
            "An API key: operator:NAME:SECRET, member:ISO3:SECRET or participant:BIC:SECRET (repeatable; secrets ≥ 16 characters)."
    )
    var apiKey: [String] = []
    @Flag(help: "Set up the bundled 12-member sample union (members, 3 banks each, fixing) if it is not there yet.")
    var sampleUnion = false
    @Option(
        help:
            "A union file (union.toml): sets the union up on a new database; the same file again changes nothing; another is refused."
    )
    var union: String?
    @Option(help: "Close a connection that sends nothing for this many seconds (default 60).")
    var idleTimeoutSeconds: Int?
    @Option(
        help:
            "Log level: trace, debug (one line per request, with its id), info (default), notice, warning, error, critical."
    )
    var logLevel: String?
    @Option(help: "Where the hub lives: sqlite (the file --db, default) or postgres (--postgres-url).") var store:
        String?
    @Option(help: "PostgreSQL URL for --store postgres: postgres://user:password@host:port/database.") var postgresURL:
        String?
    @Option(help: "With --store postgres: seconds of the writer lease among the nodes on one database (default 3).")
    var leaseSeconds: Int?
    @Option(
        help: "With --store postgres: how the other nodes reach this one (default: --host, or 127.0.0.1 for 0.0.0.0).")
    var advertiseHost: String?
    @Option(help: "With --store postgres: the most connections statement reads hold at once (default 4).")
    var postgresPoolSize: Int?

    func settings() throws(ValidationError) -> ServeSettings {
        var configText: String?
        if let config {
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
                throw ValidationError("cannot read the configuration file \(config)")
            }
            configText = text
        }
        let flags = ServeSettings.Flags(
            db: db, host: host, port: port, apiKeys: apiKey, sampleUnion: sampleUnion,
            idleTimeoutSeconds: idleTimeoutSeconds, logLevel: logLevel, store: store, postgresURL: postgresURL,
            leaseSeconds: leaseSeconds, advertiseHost: advertiseHost, postgresPoolSize: postgresPoolSize, union: union)
        do {
            let settings = try ServeSettings.resolve(
                flags: flags, environment: ProcessInfo.processInfo.environment, configText: configText)
            _ = try HubComposition.keys(settings)
            return settings
        } catch {
            throw ValidationError(error.description)
        }
    }

    func validate() throws { _ = try settings() }

    func run() async throws {
        let settings = try settings()
        var logger = Logger(label: "polyclear.serve")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        let host = settings.host
        do {
            try await HubComposition.serve(
                settings, currencies: try CurrencyTable(), logger: logger,
                onRunning: { bound in printFlushed("serving http://\(host):\(bound)") }, say: { printFlushed($0) })
        } catch let error as StoreError {
            exitWithError(error.code.name, error.description)
        } catch let error as SettingsError {
            exitWithError("not_found", error.description)
        } catch let error as UnionStartError {
            exitWithError(error.code, error.description)
        }
    }
}
