import Hummingbird
import Logging
import NIOCore
import PolyclearCore
import PolyclearSQLite
import PolyclearServer
import PolyclearStorage

/// The hub's HTTP server in this process — SQLite store, the single writer (a service of the
/// application, so it drains on shutdown), the API router, Hummingbird — as `serve`, `demo`
/// and `bench http` run it.
struct HubServer<Store: HubStore> {
    let writer: Writer<Store>
    let application: Application<RouterResponder<PolyclearRequestContext>>

    /// - Parameter onRunning: called with the bound port once the server accepts connections
    ///   (`port` 0 binds any free port).
    init(store: Store, host: String, port: Int, keys: APIKeyStore, currencies: CurrencyTable, idleTimeoutSeconds: Int = 60,
         logger: Logger, onRunning: @escaping @Sendable (Int) -> Void = { _ in }) {
        let events = EventBroadcaster()
        let metrics = ServerMetrics()
        writer = Writer(store: store, onCommit: { outcome in events.publish(outcome.events); metrics.record(committed: outcome.events) })
        let router = PolyclearAPI.router(writer: writer, keys: keys, currencies: currencies, events: events, metrics: metrics)
        application = Application(
            router: router, server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleTimeoutSeconds)))),
            configuration: .init(address: .hostname(host, port: port), serverName: "polyclear"),
            services: [WriterService(writer: writer)],
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

extension HubServer where Store == SQLiteHubStore {
    /// On the embedded SQLite database at `db`.
    init(db: String, host: String, port: Int, keys: APIKeyStore, currencies: CurrencyTable, idleTimeoutSeconds: Int = 60,
         logger: Logger, onRunning: @escaping @Sendable (Int) -> Void = { _ in }) throws(StoreError) {
        self.init(store: try SQLiteHubStore(path: db, configuration: HubConfiguration(currencies: currencies)), host: host, port: port, keys: keys,
                  currencies: currencies, idleTimeoutSeconds: idleTimeoutSeconds, logger: logger, onRunning: onRunning)
    }
}
