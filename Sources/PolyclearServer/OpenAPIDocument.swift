import Foundation

/// The committed OpenAPI 3.1 document (`Sources/PolyclearServer/openapi.yaml`), served as is.
enum OpenAPIDocument {
    static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.1.0\n" }
        return text
    }()

    /// "METHOD /path" for every operation (paths as the router describes them: `{param}`).
    static var operations: Set<String> {
        var result = Set<String>()
        var path: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("  /") {
                path = String(line.dropFirst(2).dropLast())
            } else if let current = path, line.hasPrefix("    "), !line.hasPrefix("     "),
                let method = ["get", "post", "put", "delete", "patch"].first(where: { line == "    \($0):" })
            {
                result.insert("\(method.uppercased()) \(current)")
            } else if !line.hasPrefix(" ") {
                path = nil
            }
        }
        return result
    }
}
