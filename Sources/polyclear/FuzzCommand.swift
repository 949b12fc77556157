import PolyclearBench
import ArgumentParser
import Foundation

/// `polyclear fuzz replay TARGET PATH...` runs files (or every file of directories) through a
/// fuzz target in a normal build — the seed corpus test, and the way to replay a crash the
/// fuzzer found; `polyclear fuzz seeds DIR` writes the generated seeds. Fuzzing itself is a
/// separate build: `scripts/fuzz.sh TARGET SECONDS`.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz", abstract: "Replay inputs through a fuzz target (fuzzing itself: scripts/fuzz.sh).",
        subcommands: [Replay.self, Seeds.self])

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay", abstract: "Run files through a fuzz target; exit 0 if every one keeps the invariant."
        )
        @Argument(help: "The target: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")).") var target:
            String
        @Argument(help: "Files or directories of inputs.") var paths: [String]

        func run() throws {
            guard let fuzzTarget = FuzzTarget(rawValue: target) else {
                throw ValidationError("unknown target \(target)")
            }
            var files: [String] = []
            for path in paths {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    throw ValidationError("no such file: \(path)")
                }
                if isDirectory.boolValue {
                    files += try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
                } else {
                    files.append(path)
                }
            }
            var accepted = 0, refusals: [String: Int] = [:]
            for file in files {
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
                fuzzTarget.check(bytes)  // traps on a broken invariant, naming the target
                let outcome = fuzzTarget.run(bytes)
                if outcome.contains(where: { $0 == nil }) { accepted += 1 }
                for code in outcome.compactMap({ $0 }) { refusals[code, default: 0] += 1 }
            }
            let codes = refusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            printFlushed(
                "\(target): \(files.count) inputs, \(accepted) accepted by some reader; refusals: \(codes.isEmpty ? "none" : codes)"
            )
        }
    }

    struct Seeds: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seeds",
            abstract: "Write the generated seeds (binary hub log entries, investigation messages) under DIR/TARGET/.")
        @Argument(help: "The corpus directory.") var directory: String

        func run() throws {
            for seed in try FuzzTarget.generatedSeeds() {
                let folder = directory + "/" + seed.target.rawValue
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try Data(seed.bytes).write(to: URL(fileURLWithPath: folder + "/" + seed.name))
            }
        }
    }
}
