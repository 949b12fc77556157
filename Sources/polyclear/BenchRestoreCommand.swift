import ArgumentParser
import Foundation
import PolyclearBench
import PolyclearCore
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

    func run() async throws {
        let currencies = try CurrencyTable()
        let configuration = HubConfiguration(currencies: currencies)
        if let measure {  // the child: a fresh process, as a restart is
            printFlushed(try await RestoreBench.restore(database: measure, configuration: configuration).line)
            return
        }
        let lengths = payments.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !lengths.isEmpty, lengths.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--payments: positive counts, comma-separated")
        }
        guard let fxText = try? String(contentsOfFile: fx, encoding: .utf8),
            let tradeText = try? String(contentsOfFile: trade, encoding: .utf8)
        else { exitWithError("not_found", "cannot read \(fx) or \(trade)") }
        let union = try SampleUnion(
            ecbDay: ECBReferenceRates.parse(fxText)[0], participantsPerMember: 3, capUnitMinor: 1_000_000_000_000,
            quotaUnitMinor: 1_000_000_000_000_000, effectiveFrom: 0, currencies: currencies)
        let history = HubHistory(
            union: union, trade: try TradeMatrix.parse(tradeText), currencies: currencies, batchSize: batchSize,
            closeEvery: closeEvery)
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; batches of \(batchSize), a cycle every \(closeEvery)"
        )
        for length in lengths {
            let database = URL(fileURLWithPath: databaseDirectory).appendingPathComponent("restore-\(length).sqlite")
                .path
            if !(keep && FileManager.default.fileExists(atPath: database)) {
                Self.remove(database)
                let seconds = try await RestoreBench.build(
                    database: database, payments: length, history: history, configuration: configuration)
                printFlushed("history of \(length) payments written in \(String(format: "%.1f", seconds)) s")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: database)[.size] as? Int) ?? 0
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            child.arguments = ["bench", "restore", "--measure", database]
            let output = Pipe()
            child.standardOutput = output
            try child.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            guard let restored = text.split(separator: "\n").compactMap(RestoreBench.Restored.init(line:)).first else {
                exitWithError("restore_failed", "the restore of \(database) failed: \(text)")
            }
            let perPaymentMicroseconds = restored.seconds * 1e6 / Double(max(1, restored.paymentCount))
            printFlushed(
                "\(restored.paymentCount) payments of history (\(size >> 20) MiB file): restored in "
                    + String(format: "%.2f s (%.1f µs per payment)", restored.seconds, perPaymentMicroseconds)
                    + "; resident \(restored.residentBytes >> 20) MiB, peak \(restored.peakResidentBytes >> 20) MiB "
                    + "(target: under 3 s, independent of history)")
            if !keep { Self.remove(database) }
        }
    }

    static func remove(_ database: String) {
        for suffix in ["", "-wal", "-shm", "-lock"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }
}
