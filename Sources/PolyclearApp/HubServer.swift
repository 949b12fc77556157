public import Hummingbird
public import Logging
import NIOCore
public import PolyclearCore
public import PolyclearCluster
import PolyclearPostgres
public import PolyclearSQLite
public import PolyclearServer
public import PolyclearStorage
public import ServiceLifecycle

/// The hub's HTTP server in this process — the hub (a single writer over a store, or a node
/// of a PostgreSQL cluster), the service that runs it (so it drains on shutdown), the API
/// router, Hummingbird — as `serve`, `demo` and `bench http` run it.
public struct HubServer<Access: HubAccess>: HubServing {
    public let hub: Access
    public let application: Application<RouterResponder<PolyclearRequestContext>>
    public let events: EventBroadcaster
    public let logger: Logger
    /// The API's routes, as the application serves them: "METHOD /path".
    public let routes: Set<String>
    /// Held "setting up" by `serve` while it applies the union file (`/readyz` 503 meanwhile).
    public let readiness = Readiness()

    /// How long a graceful shutdown may take before the server's connections are cut (event
    /// streams and slow clients cannot keep the process, and its database, for ever).
    public static var shutdownGraceSecondsDefault: Int { 10 }

    /// The services that run this server until SIGTERM or SIGINT: the application, then
    /// `others`, then the closer of event streams — stopped in reverse order, so streams end
    /// first and the HTTP server can drain. Past `graceSeconds` the rest is cancelled (the
    /// writer still drains what is queued on cancellation), and cancellation itself is bounded.
    public func serviceGroup(
        others: [ServiceGroupConfiguration.ServiceConfiguration] = [], graceSeconds: Int = shutdownGraceSecondsDefault
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: application)] + others + [.init(service: EventStreamCloser(events: events))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(graceSeconds)
        configuration.maximumCancellationDuration = .seconds(graceSeconds)
        return ServiceGroup(configuration: configuration)
    }

    /// - Parameter onRunning: called with the bound port once the server accepts connections
    ///   (`port` 0 binds any free port).
    public init(
        hub: Access, service: some Service, events: EventBroadcaster, metrics: ServerMetrics, host: String, port: Int,
        keys: APIKeyStore,
        currencies: CurrencyTable, limits: ServerLimits = .default, idleTimeoutSeconds: Int, logger: Logger,
        deliverySigning: DeliverySigning, onRunning: @escaping @Sendable (Int) -> Void
    ) {
        self.hub = hub
        self.events = events
        self.logger = logger
        let router = PolyclearAPI.router(
            writer: hub, keys: keys, currencies: currencies, events: events, metrics: metrics, limits: limits,
            deliverySigning: deliverySigning, readiness: readiness)
        let pusher = PolyclearAPI.deliveryPusher(
            writer: hub, currencies: currencies, limits: limits, signing: deliverySigning, logger: logger)
        // The API's routes: the console's pages are served beside them, outside the document.
        routes = Set(
            router.routes.filter { !PolyclearAPI.isConsolePath("\($0.path)") }.map { "\($0.method) \($0.path)" })
        application = Application(
            router: router, server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleTimeoutSeconds)))),
            configuration: .init(address: .hostname(host, port: port), serverName: "polyclear"),
            services: [
                service, pusher, PolyclearAPI.retentionScheduler(writer: hub, limits: limits, logger: logger),
            ],
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// This process is the only writer, on `store`.
    public init<Store: HubStore>(
        store: Store, host: String, port: Int, keys: APIKeyStore, currencies: CurrencyTable,
        limits: ServerLimits = .default, idleTimeoutSeconds: Int = 60,
        logger: Logger, deliverySigning: DeliverySigning = .ephemeral(),
        followUp: CommitFollowUp<HubStateMachine>? = nil,
        onRunning: @escaping @Sendable (Int) -> Void = { _ in }
    ) where Access == Writer<Store> {
        let events = EventBroadcaster(bufferedEventCountMax: limits.eventBufferEventCountMax)
        let metrics = ServerMetrics()
        let writer = Writer(
            store: store,
            onCommit: { outcome in
                events.publish(outcome.events); metrics.record(committed: outcome.events)
            }, followUp: followUp)
        self.init(
            hub: writer, service: DrainingService(writer: writer), events: events, metrics: metrics, host: host,
            port: port, keys: keys,
            currencies: currencies, limits: limits, idleTimeoutSeconds: idleTimeoutSeconds, logger: logger,
            deliverySigning: deliverySigning, onRunning: onRunning)
    }
}

extension HubServer where Access == Writer<SQLiteHubStore> {
    /// On the embedded SQLite database at `db`, with snapshots beside its log as `snapshots`
    /// says (nil: none). What a restore passed over, and a snapshot that failed, are warnings.
    public init(
        db: String, host: String, port: Int, keys: APIKeyStore, currencies: CurrencyTable,
        limits: ServerLimits = .default, idleTimeoutSeconds: Int = 60,
        logger: Logger, deliverySigning: DeliverySigning = .ephemeral(),
        snapshots: SnapshotPolicy? = SnapshotPolicy(),
        onRunning: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws(StoreError) {
        let warn: @Sendable (String) -> Void = { logger.warning("\($0)") }
        let store = try SQLiteHubStore(path: db, configuration: HubConfiguration(currencies: currencies), warn: warn)
        self.init(
            store: store, host: host, port: port, keys: keys,
            currencies: currencies, limits: limits, idleTimeoutSeconds: idleTimeoutSeconds, logger: logger,
            deliverySigning: deliverySigning,
            followUp: snapshots.map { HubSnapshotter(store: store, policy: $0, warn: warn).followUp },
            onRunning: onRunning)
    }
}

extension HubServer where Access == PostgresClusterNode {
    /// A node of a cluster on one PostgreSQL database: the writer while it holds the lease,
    /// otherwise a follower that forwards writes. `advertiseHost` is how the other nodes reach
    /// this one (with the bound port).
    public init(
        postgresURL: String, storeLimits: StoreLimits = .default, advertiseHost: String, host: String,
        port: Int, keys: APIKeyStore, currencies: CurrencyTable,
        limits: ServerLimits = .default, idleTimeoutSeconds: Int = 60, logger: Logger,
        deliverySigning: DeliverySigning = .ephemeral(), snapshots: SnapshotPolicy? = SnapshotPolicy(),
        onRunning: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws(StoreError) {
        let events = EventBroadcaster(bufferedEventCountMax: limits.eventBufferEventCountMax)
        let metrics = ServerMetrics()
        let node = try PostgresClusterNode(
            url: postgresURL, configuration: HubConfiguration(currencies: currencies), limits: storeLimits,
            logger: logger, snapshots: snapshots,
            onCommit: { committed in
                events.publish(committed); metrics.record(committed: committed)
            })
        self.init(
            hub: node, service: DrainingService(run: { try await node.run() }, stop: { node.shutdown() }),
            events: events, metrics: metrics, host: host, port: port, keys: keys,
            currencies: currencies, limits: limits, idleTimeoutSeconds: idleTimeoutSeconds, logger: logger,
            deliverySigning: deliverySigning,
            onRunning: { bound in
                node.serving(host: advertiseHost, port: bound); onRunning(bound)
            })
    }
}

/// A hub's HTTP server, whatever runs the hub behind it (`HubServer` over a single writer or
/// a cluster node).
public protocol HubServing: Sendable {
    associatedtype Access: HubAccess
    var hub: Access { get }
    var readiness: Readiness { get }
    func serviceGroup(others: [ServiceGroupConfiguration.ServiceConfiguration], graceSeconds: Int) -> ServiceGroup
}
