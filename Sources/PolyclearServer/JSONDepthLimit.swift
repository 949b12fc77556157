import Hummingbird

/// Refuses request bodies nested deeper than `depthMax` arrays and objects before any decoder
/// sees them: our documents nest three levels at most, and a deep one costs the decoder
/// stack and time for nothing. One pass over the bytes, strings skipped (escapes honoured).
struct JSONDepthLimitMiddleware: RouterMiddleware {
    typealias Context = PolyclearRequestContext
    static let depthMax = 32

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post || request.method == .put || request.method == .patch else { return try await next(request, context) }
        // XML bodies have their own depth limit in the ISO 20022 parser.
        if request.headers[.contentType]?.contains("xml") == true { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        if Self.depth(of: body.readableBytesView) > Self.depthMax {
            throw APIError(.badRequest, code: "json_too_deep", "the body nests more than \(Self.depthMax) arrays and objects")
        }
        return try await next(request, context)
    }

    /// The deepest nesting of `[` and `{` outside strings.
    static func depth(of bytes: some Sequence<UInt8>) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
