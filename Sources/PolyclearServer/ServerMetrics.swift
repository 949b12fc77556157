import Hummingbird
public import PolyclearCore
import Prometheus

/// The server's metrics, in Prometheus' text format at `/metrics` (operator only). Dimensions
/// are bounded: HTTP status classes, payment statuses.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let paymentStatus: [PaymentStatus: Counter]
    private let commits: Counter
    private let httpByClass: [String: Counter]

    public init() {
        var byStatus: [PaymentStatus: Counter] = [:]
        for status in [PaymentStatus.received, .held, .queued, .reserved, .accepted, .rejected, .cancelled, .expired] {
            byStatus[status] = registry.makeCounter(
                descriptor: .init(
                    namespace: "polyclear", metricName: "payment_status_changes", unitName: "total",
                    helpText: "Payment status changes committed"),
                labels: [("status", String(describing: status))])
        }
        paymentStatus = byStatus
        commits = registry.makeCounter(
            descriptor: .init(
                namespace: "polyclear", metricName: "commits", unitName: "total",
                helpText: "Durable commits of the writer"))
        var byClass: [String: Counter] = [:]
        for statusClass in ["2xx", "3xx", "4xx", "5xx"] {
            byClass[statusClass] = registry.makeCounter(
                descriptor: .init(
                    namespace: "polyclear", metricName: "http_responses", unitName: "total", helpText: "HTTP responses"),
                labels: [("class", statusClass)])
        }
        httpByClass = byClass
    }

    /// One tally slot per status raw value.
    private static let statusSlots = Int(PaymentStatus.allCases.map(\.rawValue).max() ?? 0) + 1

    /// Called after each commit with its events.
    public func record(committed events: some Sequence<HubEvent>) {
        commits.increment()
        // Tallied here, each counter then moved once: a commit carries thousands of events, and
        // a lookup and an atomic increment for each cost 0.7% of a loaded writer's CPU.
        var changes = [Int](repeating: 0, count: Self.statusSlots)
        for event in events {
            if case .paymentStatus(_, let status, _, _) = event.kind { changes[Int(status.rawValue)] += 1 }
        }
        for status in PaymentStatus.allCases where changes[Int(status.rawValue)] > 0 {
            paymentStatus[status]?.increment(by: Int64(changes[Int(status.rawValue)]))
        }
    }

    func record(httpStatus code: Int) {
        httpByClass["\(min(max(code / 100, 2), 5))xx"]?.increment()
    }

    var text: String { registry.emitToString() }
}

/// Counts every response by status class, errors included.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.record(httpStatus: response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            metrics.record(httpStatus: error.status.code)
            throw error
        } catch {
            metrics.record(httpStatus: 500)
            throw error
        }
    }
}
