import Foundation
import PolyclearTestSupport
import Testing

/// Every fuzz target keeps its invariant on its seed corpus — the test fixtures and every
/// crash the fuzzer ever found (kept in Tests/Fuzz/seeds/TARGET) — in a normal build, so the
/// targets compile and a fixed crash stays fixed. Fuzzing itself: scripts/fuzz.sh.
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let seeds = root.appendingPathComponent("Tests/Fuzz/seeds").path
    static let isoSamples = root.appendingPathComponent("Tests/PolyclearISO20022Tests/Fixtures/iso20022/samples").path

    @Test(arguments: [
        "xml", "iso20022", "json", "toml_serve", "toml_rules", "toml_union", "trade_csv", "obligation_csv", "hub_log",
    ])
    func everyTargetKeepsItsInvariantOnItsSeeds(target: String) async throws {
        var paths = [Self.seeds + "/" + target]
        if target == "xml" { paths = [Self.seeds + "/xml", Self.isoSamples] }
        if target == "iso20022" { paths = [Self.seeds + "/xml", Self.seeds + "/iso20022", Self.isoSamples] }
        let run = try await ChildProcess.run(["fuzz", "replay", target] + paths)
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.hasPrefix("\(target): "), "\(run.output)")
    }

    @Test func theHubLogTargetKeepsItsInvariantOnGeneratedAndDamagedEntries() async throws {
        let directory = TemporaryDirectory()
        let seeds = try await ChildProcess.run(["fuzz", "seeds", directory.url.path])
        #expect(seeds.status == 0, "\(seeds.error)")
        // Damaged copies: truncated, a flipped byte, trailing garbage — each refused, none a crash.
        let original = try Data(contentsOf: directory.url.appendingPathComponent("hub_log/sample-union-setup"))
        var flipped = original
        flipped[flipped.count / 2] ^= 0xFF
        for (name, bytes) in [
            ("truncated", original.prefix(original.count / 3)), ("flipped", flipped),
            ("trailing", original + Data([1, 2, 3])),
        ] {
            try Data(bytes).write(to: directory.url.appendingPathComponent("hub_log/\(name)"))
        }
        let run = try await ChildProcess.run(["fuzz", "replay", "hub_log", directory.url.path + "/hub_log"])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("5 inputs") && run.output.contains("corrupt_database"), "\(run.output)")
    }

    /// The `json` target reads every body type a route decodes: a new route's body cannot be
    /// left out of fuzzing unnoticed.
    @Test func theJSONTargetReadsEveryBodyARouteDecodes() throws {
        let server = Self.root.appendingPathComponent("Sources/PolyclearServer")
        func types(after marker: String, in text: String) -> Set<String> {
            var found = Set<String>()
            var rest = Substring(text)
            while let range = rest.range(of: marker) {
                let tail = rest[range.upperBound...]
                if let end = tail.range(of: ".self") { found.insert(String(tail[..<end.lowerBound])) }
                rest = tail
            }
            return found
        }
        var decoded = Set<String>()
        let files = FileManager.default.enumerator(at: server, includingPropertiesForKeys: nil)!
        for case let file as URL in files where file.pathExtension == "swift" {
            decoded.formUnion(types(after: "decode(as: ", in: try String(contentsOf: file, encoding: .utf8)))
        }
        let fuzzing = try String(
            contentsOf: server.appendingPathComponent("RequestFuzzing.swift"), encoding: .utf8)
        let read = types(after: "read(", in: fuzzing).filter { !$0.contains("<") && !$0.contains(" ") }
        #expect(decoded.count >= 28)
        #expect(decoded.subtracting(read).isEmpty, "not fuzzed: \(decoded.subtracting(read).sorted())")
    }
}
