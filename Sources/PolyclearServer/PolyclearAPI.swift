public import Hummingbird
import Foundation
public import Logging
public import PolyclearCore
import PolyclearConsole
import PolyclearISO20022
public import ServiceLifecycle
import PolyclearStorage

/// The JSON API, version 1. Reads go through the writer between batches (committed state);
/// writes are hub commands submitted to the single writer.
public enum PolyclearAPI {
    /// The most payments one `POST /v1/payments/batch` may carry.
    public static var batchPaymentCountMax: Int { ServerLimits.default.batchPaymentCountMax }
    /// The most movements one statement lists.
    public static var statementEntryCountMax: Int { ServerLimits.default.statementEntryCountMax }

    /// - Parameters: limits: rates, streams, cache sizes (`ServerLimits`).
    public static func router<A: HubAccess>(
        writer: A, keys: APIKeyStore, currencies: CurrencyTable, events: EventBroadcaster = EventBroadcaster(),
        metrics: ServerMetrics = ServerMetrics(), limits: ServerLimits = .default,
        deliverySigning: DeliverySigning = .ephemeral(), readiness: Readiness = Readiness()
    ) -> Router<PolyclearRequestContext> {
        let router = Router(context: PolyclearRequestContext.self)
        let limiter = RateLimiter<Caller>(
            ratePerSecond: Double(limits.requestsPerSecond), burst: Double(limits.requestBurst))
        events.startDelivering(resolve: EventAudience.resolver(writer))
        // Method and path at debug level, each line with Hummingbird's request id; never
        // headers or bodies (keys, names and account details stay out of the logs).
        router.add(middleware: LogRequestsMiddleware(.debug))
        // Outermost but logging: every answer, errors included, carries the security headers.
        router.add(middleware: SecurityHeadersMiddleware<PolyclearRequestContext>())
        let routes = RouteList()
        router.add(middleware: ErrorAnswerMiddleware(routes: routes))
        router.add(middleware: MetricsMiddleware<PolyclearRequestContext>(metrics: metrics))
        router.add(
            middleware: WriteForwardingMiddleware(
                hub: writer,
                forwarder: HTTPForwarder(limits: limits)))
        router.add(
            middleware: AuthenticationMiddleware(
                keys: keys,
                hubKeys: { digest in
                    let now = SystemClock.nanosecondsSinceEpoch()
                    let actor = try? await writer.read { hub in hub.apiKeyHolder(digestHex: digest, at: now) }
                    return actor.flatMap { Caller(actor: $0) }
                }, limiter: limiter,
                failures: RateLimiter(
                    ratePerSecond: Double(limits.failedAuthenticationsPerSecond),
                    burst: Double(limits.failedAuthenticationBurst))))
        router.add(middleware: JSONShapeMiddleware(depthMax: limits.jsonDepthMax))
        router.add(
            middleware: IdempotencyMiddleware(
                cache: IdempotencyCache(
                    bytesMax: limits.idempotencyBytesMax, bytesPerCallerMax: limits.idempotencyBytesPerCallerMax,
                    retentionSeconds: limits.idempotencyRetentionSeconds), hub: writer))
        let api = RouteDependencies(
            writer: writer, currencies: currencies, limits: limits, limiter: limiter, events: events, metrics: metrics,
            readiness: readiness)
        // One group per resource; each adds its own routes.
        OperatorRoutes.add(to: router, api)
        UnionRoutes.add(to: router, api)
        PaymentRoutes.add(to: router, api)
        FXRoutes.add(to: router, api)
        CycleRoutes.add(to: router, api)
        ControlRoutes.add(to: router, api)
        AdminRoutes.add(to: router, api)
        GovernanceRoutes.add(to: router, api)
        OverviewRoutes.add(to: router, api)
        APIKeyRoutes.add(to: router, api)
        TradeStatisticsRoutes.add(to: router, api)
        FundsRoutes.add(to: router, api)
        SetOffRoutes.add(to: router, api)
        EventRoutes.add(to: router, api)
        ISO20022Routes.add(to: router, api)
        DeliveryRoutes.add(to: router, api, signing: deliverySigning)
        RecallRoutes.add(to: router, api)
        SessionRoutes.add(to: router, api)
        Console.add(to: router)
        routes.set(router.routes.map { ($0.method, $0.path.description) })
        return router
    }

    /// Whether `path` is one of the console's pages (served without a key, not in the API's
    /// OpenAPI document).
    public static func isConsolePath(_ path: String) -> Bool { Console.isPublic(path: path) }

    /// The service that pushes banks' deliveries to their endpoints (`DeliveryPusher`),
    /// signed with `signing`; it acts only while this process holds the writer role.
    public static func deliveryPusher<A: HubAccess>(
        writer: A, currencies: CurrencyTable, limits: ServerLimits = .default, signing: DeliverySigning,
        logger: Logger
    ) -> some Service {
        let api = RouteDependencies(
            writer: writer, currencies: currencies, limits: limits,
            limiter: RateLimiter<Caller>(ratePerSecond: 1, burst: 1), events: EventBroadcaster(),
            metrics: ServerMetrics(), readiness: Readiness())
        return DeliveryPusher(api: api, signing: signing, logger: logger)
    }

    /// The service that applies the union's retention rule on a schedule (`RetentionScheduler`).
    public static func retentionScheduler<A: HubAccess>(
        writer: A, limits: ServerLimits = .default, logger: Logger
    ) -> some Service {
        RetentionScheduler(writer: writer, intervalSeconds: limits.retentionRunSeconds, logger: logger)
    }
}
