import Hummingbird
import NIOCore
import Synchronization

/// The router's routes, filled in once they are all added (the middleware that needs them is
/// added before them, as Hummingbird requires).
final class RouteList: Sendable {
    private let routes = Mutex<[(method: HTTPRequest.Method, path: [Substring])]>([])

    func set(_ all: [(method: HTTPRequest.Method, path: String)]) {
        routes.withLock { $0 = all.map { ($0.method, $0.path.split(separator: "/")) } }
    }

    /// The methods of the routes the router would reach for `path`: segment by segment, a
    /// literal segment wins over a parameter (as in Hummingbird's trie: `/v1/payments/batch`
    /// is the batch route's path, never a payment id).
    func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let methods = routes.withLock { routes in
            var candidates = routes.filter { $0.path.count == segments.count }
            for (index, segment) in segments.enumerated() {
                let literal = candidates.filter { $0.path[index] == segment }
                candidates =
                    literal.isEmpty
                    ? candidates.filter { $0.path[index].hasPrefix(":") || $0.path[index].hasPrefix("{") } : literal
            }
            return candidates.map(\.method.rawValue)
        }
        return Array(Set(methods)).sorted()
    }
}

/// Every error leaves the server as `{"code","message"}` — also those raised by Hummingbird
/// itself (a path parameter that does not parse, an undecodable body, a body over the limit,
/// no such route), which would otherwise leak its own `{"error":{...}}` or an empty body.
/// A path that exists with other methods answers 405 with `Allow`, not 404.
struct ErrorAnswerMiddleware: RouterMiddleware {
    typealias Context = PolyclearRequestContext
    let routes: RouteList

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw answer(status: error.status, message: error.body, request: request)
        } catch is NIOTooManyBytesError {
            throw APIError(
                .contentTooLarge, code: "body_too_large", "the body is larger than \(context.maxUploadSize) bytes")
        } catch let error as any HTTPResponseError {
            throw answer(status: error.status, message: nil, request: request)
        }
    }

    private func answer(status: HTTPResponse.Status, message: String?, request: Request) -> APIError {
        switch status {
        case .notFound:
            let allowed = routes.allowedMethods(for: request.uri.path)
            guard allowed.isEmpty else {
                var error = APIError(
                    .methodNotAllowed, code: "method_not_allowed",
                    "\(request.method) is not allowed here; allowed: \(allowed.joined(separator: ", "))")
                error.allow = allowed.joined(separator: ", ")
                return error
            }
            return APIError(.notFound, code: "not_found", message ?? "no such route")
        case .badRequest:
            return APIError(.badRequest, code: "malformed_request", message ?? "the request cannot be read")
        case .contentTooLarge:
            return APIError(.contentTooLarge, code: "body_too_large", message ?? "the body is too large")
        case .unsupportedMediaType:
            return APIError(
                .unsupportedMediaType, code: "unsupported_media_type", message ?? "unsupported Content-Type")
        default: return APIError(status, code: "http_\(status.code)", message ?? status.reasonPhrase)
        }
    }
}
