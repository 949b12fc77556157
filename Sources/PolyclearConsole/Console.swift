import HTTPTypes
public import Hummingbird

/// The union's web console, served by the hub itself at `/console`: one HTML page, a style
/// sheet and a few ES modules, embedded in the binary (`PackageResources`, SwiftPM's
/// `embedInCode`), no CDN, no build chain. The page holds no data: its scripts sign in with an
/// API key (kept in `sessionStorage`, sent as a bearer header) and use only the public JSON
/// API and `/v1/events`, so what a role sees and may do is exactly what the API allows it.
public enum Console {
    /// An embedded file and its media type.
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
    }

    static let page = Asset(bytes: PackageResources.console_html, contentType: "text/html; charset=utf-8")

    /// `/console/assets/<name>`: everything the page loads.
    static let assets: [String: Asset] = {
        let script = "text/javascript; charset=utf-8"
        return [
            "console.css": Asset(bytes: PackageResources.console_css, contentType: "text/css; charset=utf-8"),
            "app.js": Asset(bytes: PackageResources.app_js, contentType: script),
            "api.js": Asset(bytes: PackageResources.api_js, contentType: script),
            "dom.js": Asset(bytes: PackageResources.dom_js, contentType: script),
            "format.js": Asset(bytes: PackageResources.format_js, contentType: script),
            "union-views.js": Asset(bytes: PackageResources.union_views_js, contentType: script),
            "payment-views.js": Asset(bytes: PackageResources.payment_views_js, contentType: script),
            "cycle-views.js": Asset(bytes: PackageResources.cycle_views_js, contentType: script),
            "admin-views.js": Asset(bytes: PackageResources.admin_views_js, contentType: script),
            "favicon.svg": Asset(bytes: PackageResources.favicon_svg, contentType: "image/svg+xml"),
        ]
    }()

    /// The console's pages and assets, and `/` (which links to them): served without a key,
    /// since they hold no data.
    public static func isPublic(path: String) -> Bool {
        path == "/" || path == "/console" || path == "/console/" || path.hasPrefix("/console/assets/")
    }

    /// What the page may load and do: its own scripts, styles and API only; no inline code,
    /// no frames, no form posts elsewhere.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// Adds `/`, `/console` and `/console/assets/:name` to `router`.
    public static func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/") { _, _ -> Response in
            serve(Asset(bytes: Array(Self.landing.utf8), contentType: "text/html; charset=utf-8"))
        }
        // Also answers `/console/` (the router ignores a trailing slash).
        router.get("/console") { _, _ -> Response in serve(page) }
        router.get("/console/assets/:name") { _, context -> Response in
            guard let name = context.parameters.get("name"), let asset = assets[name] else {
                // Answered, not thrown: a thrown 404 on a matched route would read as 405.
                return Response(
                    status: .notFound, headers: [.contentType: "application/json"],
                    body: .init(
                        byteBuffer: ByteBuffer(string: #"{"code":"not_found","message":"no such console asset"}"#)))
            }
            return serve(asset)
        }
    }

    /// The hub's front door: where the console and the API's document are.
    static let landing = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Polyclear hub</title>
        <link rel="stylesheet" href="/console/assets/console.css"></head>
        <body><main class="landing"><h1>Polyclear hub</h1>
        <p>A multilateral clearing and settlement hub.</p>
        <ul><li><a href="/console">The union's console</a> (sign in with an API key)</li>
        <li><a href="/openapi.yaml">The API's OpenAPI document</a></li>
        <li><a href="/readyz">Readiness</a></li></ul></main></body></html>

        """

    static func serve(_ asset: Asset) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType, .cacheControl: "no-cache",
                .contentSecurityPolicy: contentSecurityPolicy,
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}

/// Headers every answer carries, the API's included: no MIME sniffing, no referrer, never in
/// a frame, and (unless the route set its own) a policy that lets a JSON or CSV answer opened
/// in a browser run and load nothing.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do { response = try await next(request, context) } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            // What no inner layer turned into an answer is a 500, with the headers all the same.
            context.logger.error("unhandled error", metadata: ["error": "\(String(describing: type(of: error)))"])
            response = Response(
                status: .internalServerError, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"code":"internal_error","message":"internal error"}"#)))
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        }
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
