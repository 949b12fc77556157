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
    static var operations: Set<String> { Set(statuses.keys) }

    /// The response statuses the document lists for each operation ("METHOD /path" → {"200", …}).
    static var statuses: [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        var path: String?
        var operation: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("  /") {
                path = String(line.dropFirst(2).dropLast())
                operation = nil
            } else if let current = path, line.hasPrefix("    "), !line.hasPrefix("     "),
                let method = ["get", "post", "put", "delete", "patch"].first(where: { line == "    \($0):" })
            {
                operation = "\(method.uppercased()) \(current)"
                result[operation!] = []
            } else if !line.hasPrefix(" ") {
                path = nil
                operation = nil
            } else if let operation, line.hasPrefix("        \""), !line.hasPrefix("         ") {
                let status = line.dropFirst(9).prefix(3)
                if status.count == 3, status.allSatisfy(\.isNumber) { result[operation]?.insert(String(status)) }
            }
        }
        return result
    }
}
