import Foundation
public import Logging
public import PolyclearCore
import PolyclearWorkload
import PolyclearPostgres
public import PolyclearServer
import PolyclearStorage

/// The one composition root: a running hub from its settings, as `polyclear serve` runs it
/// (and `demo`, `bench http`, `bench failover` and the tests through `HubServer`).
public enum HubComposition {
    /// The API keys the settings name, or what is wrong with one of them.
    public static func keys(_ settings: ServeSettings) throws(SettingsError) -> APIKeyStore {
        var keys = APIKeyStore()
        for specification in settings.apiKeys {
            do { try keys.add(specification: specification) } catch { throw SettingsError(error.description) }
        }
        return keys
    }

    /// Serves the hub `settings` describe until SIGTERM or SIGINT: a single writer on the
    /// SQLite file, or a node of a cluster on one PostgreSQL database (the first takes the
    /// writer role, the others follow and forward writes). With `sampleUnion`, the bundled
    /// sample union is set up once a writer is known.
    /// - Parameter onRunning: called with the bound port once the server accepts connections.
    public static func serve(
        _ settings: ServeSettings, currencies: CurrencyTable, logger: Logger,
        onRunning: @escaping @Sendable (Int) -> Void, say: @escaping @Sendable (String) -> Void
    ) async throws {
        let keys = try keys(settings)
        if settings.store == "postgres", let url = settings.postgresURL {
            try await run(
                HubServer(
                    postgresURL: url,
                    storeLimits: StoreLimits(
                        readConnectionCountMax: settings.postgresPoolSize, leaseSeconds: Double(settings.leaseSeconds)),
                    advertiseHost: settings.advertisedHost, host: settings.host, port: settings.port, keys: keys,
                    currencies: currencies, limits: settings.limits, idleTimeoutSeconds: settings.idleTimeoutSeconds,
                    logger: logger, deliverySigning: try signing(settings.deliveryKey, logger: logger),
                    snapshots: settings.snapshotPolicy, onRunning: onRunning),
                settings: settings, currencies: currencies, say: say)
        } else {
            try await run(
                HubServer(
                    db: settings.db, host: settings.host, port: settings.port, keys: keys, currencies: currencies,
                    limits: settings.limits, idleTimeoutSeconds: settings.idleTimeoutSeconds, logger: logger,
                    deliverySigning: try signing(settings.deliveryKey ?? settings.db + ".delivery-key", logger: logger),
                    snapshots: settings.snapshotPolicy, onRunning: onRunning),
                settings: settings, currencies: currencies, say: say)
        }
    }

    /// The key that signs pushed deliveries: the file's (created if missing), or without a
    /// file (a cluster node not given one) a key of this process, said in the log.
    static func signing(_ path: String?, logger: Logger) throws -> DeliverySigning {
        guard let path else {
            logger.warning("no delivery_key: pushed deliveries are signed with a key of this process only")
            return .ephemeral()
        }
        do { return try DeliverySigning.load(path: path) } catch {
            throw SettingsError("delivery_key \(path): cannot read or create the key file (\(error))")
        }
    }

    static func run(
        _ server: some HubServing, settings: ServeSettings, currencies: CurrencyTable,
        say: @escaping @Sendable (String) -> Void
    ) async throws {
        if let path = settings.union {
            let (definition, fixing) = try UnionStart.load(path: path, currencies: currencies)
            try await serve(server, settings: settings) { hub in
                try await setUp(on: hub, say: say) { try await startPaymentArchive(on: hub, say: say) }
                try await setUp(on: hub, say: say) {
                    try await UnionStart.apply(definition, fixing: fixing, unionFile: path, on: hub, say: say)
                }
            }
            return
        }
        guard settings.sampleUnion else {
            try await serve(server, settings: settings) { hub in
                try await setUp(on: hub, say: say) { try await startPaymentArchive(on: hub, say: say) }
            }
            return
        }
        // The bundled sample union file, applied as any union file is.
        let (definition, fixing) = try UnionStart.loadSample(currencies: currencies)
        try await serve(server, settings: settings) { hub in
            try await setUp(on: hub, say: say) { try await startPaymentArchive(on: hub, say: say) }
            try await setUp(on: hub, say: say) {
                try await UnionStart.apply(
                    definition, fixing: fixing, unionFile: "sample-union.toml", on: hub, say: say)
            }
            say("sample union ready (\(definition.participants.count) banks)")
        }
    }

    /// Serves, and runs `setUp` on the hub once it is serving; if `setUp` throws, the server
    /// stops and the error is what `serve` throws.
    static func serve<Server: HubServing>(
        _ server: Server, settings: ServeSettings, setUp: @escaping @Sendable (Server.Access) async throws -> Void
    ) async throws {
        let hub = server.hub
        // Not ready until set up: no client meets a hub without its union's members and banks.
        server.readiness.settingUpBegins()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.serviceGroup(others: [], graceSeconds: settings.shutdownGraceSeconds).run()
            }
            do { try await setUp(hub) } catch {
                group.cancelAll()
                throw error
            }
            server.readiness.setUpDone()
            try await group.waitForAll()
        }
    }

    /// Payments of settled cycles, old audit records and finished old cycles leave memory for
    /// the store's archive from now on, once per database (logged commands: the log says from
    /// where; a database from before the audit or cycle archive starts it at its next start);
    /// on a cluster, by the writer's node.
    static func startPaymentArchive(on hub: some HubAccess, say: @Sendable (String) -> Void) async throws {
        guard case .local = hub.writeRoute else { return }  // the writer's node does it
        let (payments, audit, cycles, isAvailable) = try await hub.read {
            (
                $0.isArchivingPayments, $0.isArchivingAudit, $0.isArchivingCycles,
                $0.configuration.paymentArchiveAvailable
            )
        }
        let commands: [HubCommand] =
            (payments ? [] : [.startPaymentArchive]) + (audit ? [] : [.startAuditArchive])
            + (cycles ? [] : [.startCycleArchive])
        guard isAvailable, !commands.isEmpty else { return }
        let results = try await hub.submit(commands)
        guard results.allSatisfy({ $0 == .ok }) else {
            throw UnionStartError(
                code: "archive_refused", description: "the hub refused to archive payments: \(results)")
        }
        say(
            "payments of settled cycles, old audit records and finished cycles are archived (memory bounded by open work)"
        )
    }

    /// Runs a union's setup. A cluster node waits (up to a minute) until it has state to read
    /// and knows the writer; if that is another node, the union is set up there.
    static func setUp(
        on hub: some HubAccess, say: @Sendable (String) -> Void, apply: () async throws -> Void
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                try await apply()
                return
            } catch let error as WriterError where error == .notWriter || error == .stopped {
                // Starting: no writer role yet, or no state yet to read.
                if case .forward = hub.writeRoute { say("union: another node holds the writer role"); return }
                if ContinuousClock.now > deadline { say("union: no writer within a minute; not set up"); return }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
