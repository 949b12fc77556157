public import Foundation

/// The data bundled into the binary, so that the demo, the simulator and the benchmarks run
/// from any directory: the ECB reference rates of one day and the 2022 trade matrix
/// (`Resources/README.md` says where each comes from).
public enum BundledData {
    public enum Resource: String, Sendable {
        case ecbReferenceRates = "eurofxref-latest"
        case tradeMatrix = "trade_matrix"
        /// The twelve-member sample union's definition (a union file).
        case sampleUnion = "sample-union"

        var fileExtension: String { self == .sampleUnion ? "toml" : "csv" }

        /// The file name, for messages.
        public var fileName: String { rawValue + "." + fileExtension }
    }

    /// The resource's file (for a child process given a path). A missing resource is a
    /// broken installation.
    public static func url(_ resource: Resource) -> URL {
        guard let url = Bundle.module.url(forResource: resource.rawValue, withExtension: resource.fileExtension) else {
            preconditionFailure("the bundled \(resource.fileName) is missing from this build")
        }
        return url
    }

    /// The resource's text.
    public static func text(_ resource: Resource) -> String {
        guard let text = try? String(contentsOf: url(resource), encoding: .utf8) else {
            preconditionFailure("the bundled \(resource.fileName) cannot be read")
        }
        return text
    }
}
