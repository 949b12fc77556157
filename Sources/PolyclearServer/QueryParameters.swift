import Hummingbird
import PolyclearCore

/// Query parameters read strictly: a value out of range or not understood is a 400 with a
/// code naming the parameter, never silently clamped or ignored.
extension PolyclearAPI {
    /// The integer `name`, nil when absent; 400 `malformed_query` unless an integer in `range`.
    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Int(String(text)), range.contains(value) else {
            let bounds =
                range.upperBound == .max ? "at least \(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw APIError(.badRequest, code: "malformed_query", "\(name) must be an integer, \(bounds)")
        }
        return value
    }

    static func positiveInteger(_ request: Request, _ name: String) throws -> Int? {
        try integer(request, name, in: 1...Int.max)
    }

    /// The value named by `name`'s text among `choices`, nil when absent; 400 otherwise.
    static func choice<T>(_ request: Request, _ name: String, _ choices: [(String, T)]) throws -> T? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let match = choices.first(where: { $0.0 == text }) else {
            throw APIError(
                .badRequest, code: "malformed_query",
                "\(name) must be one of: \(choices.map(\.0).joined(separator: ", "))")
        }
        return match.1
    }

    /// The text `name`, nil when absent; 400 `malformed_query` when empty or longer than
    /// `lengthMax` characters (Unicode scalars, as the OpenAPI document's `maxLength` counts).
    static func text(_ request: Request, _ name: String, lengthMax: Int) throws -> String? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard !text.isEmpty, text.unicodeScalars.count <= lengthMax else {
            throw APIError(.badRequest, code: "malformed_query", "\(name) must be 1 to \(lengthMax) characters")
        }
        return String(text)
    }

    /// The BIC `name`, nil when absent; 400 `malformed_query` unless 8 or 11 BIC characters.
    static func bic(_ request: Request, _ name: String) throws -> BIC? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let bic = BIC(String(text)) else {
            throw APIError(.badRequest, code: "malformed_query", "\(name) must be a BIC (8 or 11 characters)")
        }
        return bic
    }

    /// The `format` asked for: one of `allowed`, or nil when absent; 400 otherwise.
    static func format(_ request: Request, allowed: [String]) throws -> String? {
        guard let text = request.uri.queryParameters["format"] else { return nil }
        guard allowed.contains(String(text)) else {
            throw APIError(
                .badRequest, code: "malformed_query", "format must be one of: \(allowed.joined(separator: ", "))")
        }
        return String(text)
    }
}
