import Hummingbird
import PolyclearCore
import PolyclearStorage

/// Health and readiness (no key), the OpenAPI document (no key), and the operator's views of
/// the service: metrics, node status, the audit trail.
enum OperatorRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/healthz") { _, _ in "ok" }
        router.get("/readyz") { _, _ -> String in
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
            let records = try await PolyclearAPI.readAudit(api.writer, after: after, limit: limit)
            return AuditPageDTO(
                records: records.records.map(AuditRecordDTO.init), next: records.end < records.total ? records.end : nil
            )
        }
    }
}
