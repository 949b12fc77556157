import Foundation
import PolyclearTOML
import Logging
public import PolyclearServer
public import PolyclearStorage
import TOMLKit

/// What `polyclear serve` runs with. Each setting comes from, in this order: its flag, the
/// environment (`POLYCLEAR_` + the key in capitals), the `--config` TOML file, the default.
/// Unknown keys in the file are errors (a typo must not silently fall back to a default).
public struct ServeSettings: Equatable, Sendable {
    public var db = "polyclear.sqlite"
    public var host = "127.0.0.1"
    public var port = 8080
    public var apiKeys: [String] = []
    public var sampleUnion = false
    /// A union file (`union.toml`): the union this database is (or was) started from.
    public var union: String?
    public var idleTimeoutSeconds = 60
    public var logLevel = "info"
    /// "sqlite" (the file `db`) or "postgres" (the server at `postgres_url`).
    public var store = "sqlite"
    public var postgresURL: String?
    /// With PostgreSQL, several `serve` processes form a cluster: the writer holds a lease of
    /// this many seconds (a dead writer's role passes on after it runs out).
    public var leaseSeconds = 3
    /// How the other nodes reach this one (default: `host`, or 127.0.0.1 for a wildcard host).
    public var advertiseHost: String?
    /// The most PostgreSQL connections statement reads hold at once (the writer and the
    /// follower's log replay have one each besides).
    public var postgresPoolSize = 4
    /// The API's bounds (rates, streams, cache sizes, fixing checks): file and environment only.
    public var limits = ServerLimits()
    /// How long SIGTERM waits for connections before cutting them.
    public var shutdownGraceSeconds = 10
    /// The file holding the Ed25519 key that signs pushed deliveries (created if missing).
    /// Default: `<db>.delivery-key` beside the SQLite file; a PostgreSQL cluster's nodes must
    /// share one file (without it each node signs with a key of its own process).
    public var deliveryKey: String?
    /// A hub snapshot after this many commands (0: none; restarts then replay the whole log),
    /// and how many are kept (`SnapshotPolicy`).
    public var snapshotEveryCommands = 500_000
    public var snapshotsKept = 2

    /// The defaults (what `resolve` starts from).
    public init() {}

    /// When the writer takes hub snapshots (nil: never).
    public var snapshotPolicy: SnapshotPolicy? {
        snapshotEveryCommands == 0 ? nil : SnapshotPolicy(everyCommands: snapshotEveryCommands, keep: snapshotsKept)
    }

    /// The integer settings of `limits`, by key; the least each may be.
    static var limitKeys: [(key: String, path: WritableKeyPath<ServerLimits, Int>, least: Int)] {
        [
            ("rate_limit_per_second", \.requestsPerSecond, 1), ("rate_limit_burst", \.requestBurst, 1),
            ("failed_auth_per_second", \.failedAuthenticationsPerSecond, 1),
            ("failed_auth_burst", \.failedAuthenticationBurst, 1),
            ("event_streams_per_caller", \.eventStreamsPerCaller, 0),
            ("event_heartbeat_seconds", \.eventHeartbeatSeconds, 1),
            ("idempotency_cache_bytes", \.idempotencyBytesMax, 1 << 20),
            ("idempotency_cache_bytes_per_caller", \.idempotencyBytesPerCallerMax, 1 << 16),
            ("fixing_horizon_seconds", \.fixingHorizonSeconds, 0),
            ("rate_move_factor_max", \.rateMoveFactorMax, 1),
            ("push_batch_deliveries", \.pushBatchDeliveryCountMax, 1),
            ("push_timeout_seconds", \.pushTimeoutSeconds, 1), ("push_retry_seconds_max", \.pushRetrySecondsMax, 1),
            ("retention_run_seconds", \.retentionRunSeconds, 1),
            ("push_allow_private_network", \.pushAllowPrivateNetwork, 0),
        ]
    }

    /// `advertiseHost`, or what it defaults to.
    public var advertisedHost: String { advertiseHost ?? (host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host) }

    /// The file's keys (snake_case), documented in the README with their defaults.
    public static let keys = Set(
        [
            "db", "host", "port", "api_keys", "sample_union", "union", "idle_timeout_seconds", "log_level",
            "store",
            "postgres_url",
            "lease_seconds", "advertise_host", "postgres_pool_size", "shutdown_grace_seconds", "delivery_key",
            "snapshot_every_commands", "snapshots_kept",
        ] + limitKeys.map(\.key))

    /// Settings given on the command line (nil: not given).
    public struct Flags: Sendable {
        public var db: String?, host: String?, port: Int?, apiKeys: [String] = [], sampleUnion = false
        public var idleTimeoutSeconds: Int?, logLevel: String?, store: String?, postgresURL: String?
        public var leaseSeconds: Int?, advertiseHost: String?, postgresPoolSize: Int?
        public var union: String?
        public init(
            db: String? = nil, host: String? = nil, port: Int? = nil, apiKeys: [String] = [], sampleUnion: Bool = false,
            idleTimeoutSeconds: Int? = nil, logLevel: String? = nil, store: String? = nil,
            postgresURL: String? = nil,
            leaseSeconds: Int? = nil, advertiseHost: String? = nil, postgresPoolSize: Int? = nil, union: String? = nil
        ) {
            self.union = union
            (self.db, self.host, self.port, self.apiKeys, self.sampleUnion) = (db, host, port, apiKeys, sampleUnion)
            (self.idleTimeoutSeconds, self.logLevel, self.store, self.postgresURL) = (
                idleTimeoutSeconds, logLevel, store, postgresURL
            )
            (self.leaseSeconds, self.advertiseHost, self.postgresPoolSize) = (
                leaseSeconds, advertiseHost, postgresPoolSize
            )
        }
    }

    public static func resolve(
        flags: Flags, environment: [String: String], configText: String?
    ) throws(SettingsError) -> ServeSettings {
        var settings = ServeSettings()
        if let configText { try settings.apply(file: configText) }
        try settings.apply(environment: environment)
        if let db = flags.db { settings.db = db }
        if let host = flags.host { settings.host = host }
        if let port = flags.port { settings.port = port }
        if !flags.apiKeys.isEmpty { settings.apiKeys = flags.apiKeys }
        if flags.sampleUnion { settings.sampleUnion = true }
        if let union = flags.union { settings.union = union }
        if let seconds = flags.idleTimeoutSeconds { settings.idleTimeoutSeconds = seconds }
        if let level = flags.logLevel { settings.logLevel = level }
        if let store = flags.store { settings.store = store }
        if let url = flags.postgresURL { settings.postgresURL = url }
        if let seconds = flags.leaseSeconds { settings.leaseSeconds = seconds }
        if let advertise = flags.advertiseHost { settings.advertiseHost = advertise }
        if let size = flags.postgresPoolSize { settings.postgresPoolSize = size }
        try settings.validate()
        return settings
    }

    public func validate() throws(SettingsError) {
        guard !apiKeys.isEmpty else {
            throw SettingsError(
                "give at least one API key (--api-key, api_keys, POLYCLEAR_API_KEYS): otherwise nobody could call the API"
            )
        }
        guard (1...65_535).contains(port) else { throw SettingsError("port must be 1...65535") }
        guard union == nil || !sampleUnion else { throw SettingsError("use union or sample_union, not both") }
        guard idleTimeoutSeconds > 0 else { throw SettingsError("idle_timeout_seconds must be positive") }
        guard (1...60).contains(leaseSeconds) else { throw SettingsError("lease_seconds must be 1...60") }
        guard (1...100).contains(postgresPoolSize) else { throw SettingsError("postgres_pool_size must be 1...100") }
        guard (1...600).contains(shutdownGraceSeconds) else {
            throw SettingsError("shutdown_grace_seconds must be 1...600")
        }
        guard (0...1_000_000_000).contains(snapshotEveryCommands) else {
            throw SettingsError("snapshot_every_commands must be 0 (no snapshots) ... 1000000000")
        }
        guard (1...100).contains(snapshotsKept) else { throw SettingsError("snapshots_kept must be 1...100") }
        for (key, path, least) in Self.limitKeys where limits[keyPath: path] < least {
            throw SettingsError("\(key) must be at least \(least)")
        }
        if let advertiseHost {
            guard !advertiseHost.isEmpty, !advertiseHost.contains("/") else {
                throw SettingsError("advertise_host must be a host name or address")
            }
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw SettingsError("log_level must be trace, debug, info, notice, warning, error or critical")
        }
        guard store == "sqlite" || store == "postgres" else {
            throw SettingsError("store must be \"sqlite\" or \"postgres\"")
        }
        if store == "postgres" {
            guard let postgresURL, postgresURL.hasPrefix("postgres://") || postgresURL.hasPrefix("postgresql://") else {
                throw SettingsError(
                    "store = \"postgres\" needs postgres_url = \"postgres://user:password@host:port/database\"")
            }
        }
    }

    private mutating func apply(file text: String) throws(SettingsError) {
        if let problem = TOMLText.problem(in: text) {
            throw SettingsError("config: \(problem.reason) (line \(problem.line))")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw SettingsError("config: \(error.description) (line \(error.source.begin.line))")
        } catch { throw SettingsError("config: not TOML") }
        for key in table.keys where !Self.keys.contains(key) {
            throw SettingsError("config: unknown key '\(key)' (known: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws(SettingsError) -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw SettingsError("config: \(key) must be a string") }
            return text
        }
        func integer(_ key: String) throws(SettingsError) -> Int? {
            guard let value = table[key] else { return nil }
            guard let number = value.int else { throw SettingsError("config: \(key) must be an integer") }
            return number
        }
        if let value = try string("db") { db = value }
        if let value = try string("host") { host = value }
        if let value = try integer("port") { port = value }
        if let value = table["api_keys"] {
            guard let array = value.array, array.allSatisfy({ $0.string != nil }) else {
                throw SettingsError("config: api_keys must be an array of strings")
            }
            apiKeys = array.compactMap(\.string)
        }
        if let value = table["sample_union"] {
            guard let flag = value.bool else { throw SettingsError("config: sample_union must be true or false") }
            sampleUnion = flag
        }
        if let value = try string("union") { union = value }
        if let value = try integer("idle_timeout_seconds") { idleTimeoutSeconds = value }
        if let value = try string("log_level") { logLevel = value }
        if let value = try string("store") { store = value }
        if let value = try string("postgres_url") { postgresURL = value }
        if let value = try integer("lease_seconds") { leaseSeconds = value }
        if let value = try string("advertise_host") { advertiseHost = value }
        if let value = try integer("postgres_pool_size") { postgresPoolSize = value }
        if let value = try integer("shutdown_grace_seconds") { shutdownGraceSeconds = value }
        if let value = try string("delivery_key") { deliveryKey = value }
        if let value = try integer("snapshot_every_commands") { snapshotEveryCommands = value }
        if let value = try integer("snapshots_kept") { snapshotsKept = value }
        for (key, path, _) in Self.limitKeys { if let value = try integer(key) { limits[keyPath: path] = value } }
    }

    private mutating func apply(environment: [String: String]) throws(SettingsError) {
        func integer(_ name: String) throws(SettingsError) -> Int? {
            guard let text = environment[name] else { return nil }
            guard let number = Int(text) else { throw SettingsError("\(name) must be an integer") }
            return number
        }
        if let value = environment["POLYCLEAR_DB"] { db = value }
        if let value = environment["POLYCLEAR_HOST"] { host = value }
        if let value = try integer("POLYCLEAR_PORT") { port = value }
        // Comma-separated: key specifications contain no commas.
        if let value = environment["POLYCLEAR_API_KEYS"] {
            apiKeys = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let value = environment["POLYCLEAR_SAMPLE_UNION"] {
            guard let flag = ["true": true, "false": false][value] else {
                throw SettingsError("POLYCLEAR_SAMPLE_UNION must be true or false")
            }
            sampleUnion = flag
        }
        if let value = environment["POLYCLEAR_UNION"] { union = value }
        if let value = try integer("POLYCLEAR_IDLE_TIMEOUT_SECONDS") { idleTimeoutSeconds = value }
        if let value = environment["POLYCLEAR_LOG_LEVEL"] { logLevel = value }
        if let value = environment["POLYCLEAR_STORE"] { store = value }
        if let value = environment["POLYCLEAR_POSTGRES_URL"] { postgresURL = value }
        if let value = try integer("POLYCLEAR_LEASE_SECONDS") { leaseSeconds = value }
        if let value = environment["POLYCLEAR_ADVERTISE_HOST"] { advertiseHost = value }
        if let value = try integer("POLYCLEAR_POSTGRES_POOL_SIZE") { postgresPoolSize = value }
        if let value = try integer("POLYCLEAR_SHUTDOWN_GRACE_SECONDS") { shutdownGraceSeconds = value }
        if let value = environment["POLYCLEAR_DELIVERY_KEY"] { deliveryKey = value }
        if let value = try integer("POLYCLEAR_SNAPSHOT_EVERY_COMMANDS") { snapshotEveryCommands = value }
        if let value = try integer("POLYCLEAR_SNAPSHOTS_KEPT") { snapshotsKept = value }
        for (key, path, _) in Self.limitKeys {
            if let value = try integer("POLYCLEAR_" + key.uppercased()) { limits[keyPath: path] = value }
        }

    }
}

/// A setting that cannot be used: what is wrong, said for the person who set it.
public struct SettingsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
