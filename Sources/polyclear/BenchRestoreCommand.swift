import ArgumentParser
import Foundation
import PolyclearBench
import PolyclearCore
import PolyclearSQLite
import PolyclearStorage
import PolyclearWorkload

/// `polyclear bench restore`: the time from opening a hub database to a restored hub, and the
/// memory it then holds, for histories of several lengths (each written first, durably).
struct BenchRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Measure restart time and memory against the length of a hub's history.")

    @Option(help: "History lengths in payments, comma-separated.") var payments = "1000000"
    @Option(help: "Payments per batch.") var batchSize = 8_000
    @Option(help: "Close a cycle every N batches (members confirm the one before).") var closeEvery = 5
    @Option(help: "Directory for the history databases.")
    var databaseDirectory = FileManager.default.temporaryDirectory.path
    @Flag(help: "Keep the history databases (and reuse one that exists).") var keep = false
    @Option(help: "ECB reference-rate file.") var fx = "Data/fx/eurofxref-latest.csv"
    @Option(help: "Trade matrix file.") var trade = "Data/trade/trade_matrix.csv"
    @Option(help: .hidden) var measure: String?
    @Option(help: .hidden) var build: String?
    @Flag(help: .hidden) var wholeLog = false

    func run() async throws {
        let currencies = try CurrencyTable()
        let configuration = HubConfiguration(currencies: currencies)
        if let measure {  // the child: a fresh process, as a restart is
            let restored = try await RestoreBench.restore(
                database: measure, configuration: configuration, snapshots: wholeLog ? .none : .newestValid)
            printFlushed(restored.line)
            return
        }
        let lengths = payments.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if let build {  // the child that writes a history (its memory at the end is the writer's)
            let built = try await RestoreBench.build(
                database: build, payments: lengths.first ?? 0, history: try history(currencies),
                configuration: configuration)
            printFlushed(built.line)
            return
        }
        guard !lengths.isEmpty, lengths.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--payments: positive counts, comma-separated")
        }
        _ = try history(currencies)  // the files read, before any history is written
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; batches of \(batchSize), a cycle every \(closeEvery)"
        )
        for length in lengths {
            let database = URL(fileURLWithPath: databaseDirectory).appendingPathComponent("restore-\(length).sqlite")
                .path
            if !(keep && FileManager.default.fileExists(atPath: database)) {
                Self.remove(database)
                let built = try buildInChild(database, payments: length)
                printFlushed(
                    "history of \(built.paymentCount) payments written in \(String(format: "%.1f", built.seconds)) s; "
                        + "the writer then held \(built.residentPaymentCount) payments in memory (the rest archived), "
                        + "resident \(built.residentBytes >> 20) MiB, peak \(built.peakResidentBytes >> 20) MiB")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: database)[.size] as? Int) ?? 0
            let replayed = try Self.measureInChild(database, wholeLog: true)
            printFlushed("\(replayed.paymentCount) payments of history (\(size >> 20) MiB file):")
            Self.report("replaying the whole log", replayed)
            let snapshot = try await RestoreBench.snapshot(database: database, configuration: configuration)
            printFlushed(
                String(format: "  snapshot at the end of the log: %.2f s to encode and store, ", snapshot.seconds)
                    + "\(snapshot.bytes >> 20) MiB")
            Self.report("from the snapshot", try Self.measureInChild(database, wholeLog: false))
            if !keep { Self.remove(database) }
        }
    }

    func history(_ currencies: CurrencyTable) throws -> HubHistory {
        guard let fxText = try? String(contentsOfFile: fx, encoding: .utf8),
            let tradeText = try? String(contentsOfFile: trade, encoding: .utf8)
        else { exitWithError("not_found", "cannot read \(fx) or \(trade)") }
        let union = try SampleUnion(
            ecbDay: ECBReferenceRates.parse(fxText)[0], participantsPerMember: 3, capUnitMinor: 1_000_000_000_000,
            quotaUnitMinor: 1_000_000_000_000_000, effectiveFrom: 0, currencies: currencies)
        return HubHistory(
            union: union, trade: try TradeMatrix.parse(tradeText), currencies: currencies, batchSize: batchSize,
            closeEvery: closeEvery)
    }

    /// Writes a history in a fresh process, so that its memory is the writer's alone.
    func buildInChild(_ database: String, payments: Int) throws -> RestoreBench.Built {
        let text = try Self.runChild([
            "--build", database, "--payments", "\(payments)", "--batch-size", "\(batchSize)",
            "--close-every", "\(closeEvery)", "--fx", fx, "--trade", trade,
        ])
        guard let built = text.split(separator: "\n").compactMap(RestoreBench.Built.init(line:)).first else {
            exitWithError("build_failed", "writing the history into \(database) failed: \(text)")
        }
        return built
    }

    /// Restores in a fresh process, as a restart does.
    static func measureInChild(_ database: String, wholeLog: Bool) throws -> RestoreBench.Restored {
        let text = try runChild(["--measure", database] + (wholeLog ? ["--whole-log"] : []))
        guard let restored = text.split(separator: "\n").compactMap(RestoreBench.Restored.init(line:)).first else {
            exitWithError("restore_failed", "the restore of \(database) failed: \(text)")
        }
        return restored
    }

    /// Runs `polyclear bench restore` with these arguments in a child process; its output.
    static func runChild(_ arguments: [String]) throws -> String {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["bench", "restore"] + arguments
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        return text
    }

    static func report(_ how: String, _ restored: RestoreBench.Restored) {
        let perPaymentMicroseconds = restored.seconds * 1e6 / Double(max(1, restored.paymentCount))
        printFlushed(
            "  \(how): restored in "
                + String(format: "%.2f s (%.2f µs per payment of history)", restored.seconds, perPaymentMicroseconds)
                + ", \(restored.replayedRows) log rows replayed; resident \(restored.residentBytes >> 20) MiB, "
                + "peak \(restored.peakResidentBytes >> 20) MiB (target: under 3 s, independent of history)")
    }

    static func remove(_ database: String) {
        for file in SQLiteLedgerStore.files(ofDatabase: database) { try? FileManager.default.removeItem(atPath: file) }
    }
}
