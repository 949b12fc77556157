import Hummingbird
import PolyclearCore
import PolyclearStorage

/// Health and readiness (no key), the OpenAPI document (no key), and the operator's views of
/// the service: metrics, node status, the audit trail.
enum OperatorRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/healthz") { _, _ in "ok" }
        router.get("/readyz") { _, _ -> String in
            if api.readiness.isSettingUp {
                throw APIError(.serviceUnavailable, code: "not_ready", "the hub is applying its start-up setup")
            }
            do { return try await api.writer.read { _ in "ready" } } catch {
                throw APIError(.serviceUnavailable, code: "not_ready", "the writer is not running")
            }
        }
        router.get("/openapi.yaml") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
        router.get("/metrics") { _, context -> Response in
            try AccessPolicy.require(try context.requireCaller(), .readMetrics)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: api.metrics.text)))
        }
        router.get("/v1/node") { _, context -> NodeStatusDTO in
            try AccessPolicy.require(try context.requireCaller(), .readNodeStatus)
            return NodeStatusDTO(api.writer.nodeStatus)
        }
        router.get("/v1/audit") { request, context -> AuditPageDTO in
            try AccessPolicy.require(try context.requireCaller(), .readAuditTrail)
            let limit = try PolyclearAPI.integer(request, "limit", in: 1...api.limits.pageSizeMax) ?? 100
            let after = try PolyclearAPI.integer(request, "after", in: 0...Int.max) ?? 0
            let actor = try PolyclearAPI.text(request, "actor", lengthMax: 80)
            let action = try PolyclearAPI.text(request, "action", lengthMax: 80)
            guard actor != nil || action != nil else {
                let records = try await PolyclearAPI.readAudit(api.writer, after: after, limit: limit)
                return AuditPageDTO(
                    records: records.records.map(AuditRecordDTO.init),
                    next: records.end < records.total ? records.end : nil)
            }
            // Filtered: scan a bounded window and keep up to `limit` matches; `next` resumes
            // after the last record looked at (a page may be short, or empty, and still go on).
            let window = try await PolyclearAPI.readAudit(
                api.writer, after: after, limit: api.limits.auditFilterScanMax)
            var kept: [AuditRecordDTO] = []
            var next = window.end
            for (offset, record) in window.records.enumerated() {
                let described = AuditRecordDTO(record)
                guard actor.map({ $0 == described.actor }) ?? true, action.map({ $0 == described.action }) ?? true
                else { continue }
                if kept.count == limit {
                    next = after + offset
                    break
                }
                kept.append(described)
            }
            return AuditPageDTO(records: kept, next: next < window.total ? next : nil)
        }
    }
}
