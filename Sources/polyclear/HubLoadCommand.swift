import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearSQLite
import PolyclearStorage

/// `polyclear hub load`: drives a sample union through the real writer into a hub database —
/// trade-matrix payments, a cycle close every few batches, members confirming the previous
/// cycle's settlement — printing `ack <batch>` once each batch is durably committed. The hub
/// crash test kills it with SIGKILL and checks what the database holds.
struct HubLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Write payments, cycle closes and settlements into a hub database, acknowledging each batch.")

    @Option(help: "The hub database file (created if missing).") var db: String
    @Option(help: "Number of the first batch (resubmitting earlier ones is harmless).") var firstBatch = 1
    @Option(help: "How many batches (0: until killed).") var batches = 0
    @Option(help: "Payments per batch.") var batchSize = 200
    @Option(help: "Close the open cycle every N batches.") var closeEvery = 3
    @Option(help: "Banks per member.") var participantsPerMember = 3
    @Option(help: "ECB reference-rate file.") var fx = "Data/fx/eurofxref-latest.csv"
    @Option(help: "Trade matrix file.") var trade = "Data/trade/trade_matrix.csv"
    @Option(help: "Take a hub snapshot every N commands, as serve does (0: none).") var snapshotEvery = 0
    /// Crash drills: the ledger's tables are left to trail the log, so that a kill lands with
    /// commits not yet projected (the reopened store must project them).
    @Flag(help: .hidden) var holdProjection = false

    func validate() throws {
        guard firstBatch >= 1, batches >= 0, (1...Limits.batchEventCountMax - 64).contains(batchSize), closeEvery >= 1,
            snapshotEvery >= 0
        else {
            throw ValidationError(
                "need --first-batch >= 1, --batches >= 0, 1 <= --batch-size < \(Limits.batchEventCountMax - 64), --close-every >= 1, --snapshot-every >= 0"
            )
        }
    }

    func run() async throws {
        let currencies = try CurrencyTable()
        let configuration = HubConfiguration(currencies: currencies)
        guard let fxText = try? String(contentsOfFile: fx, encoding: .utf8),
            let tradeText = try? String(contentsOfFile: trade, encoding: .utf8)
        else {
            exitWithError("not_found", "cannot read \(fx) or \(trade)")
        }
        let union = try SampleUnion(
            ecbDay: ECBReferenceRates.parse(fxText)[0], participantsPerMember: participantsPerMember,
            capUnitMinor: 1_000_000_000_000, quotaUnitMinor: 1_000_000_000_000_000, effectiveFrom: 0,
            currencies: currencies)
        let store: SQLiteHubStore
        do {
            store = try SQLiteHubStore(
                path: db, configuration: configuration,
                projectionLagCommitsMax: holdProjection ? 100_000 : StoreLimits.default.sqliteProjectionLagCommitsMax)
        } catch {
            exitWithError(error.code.name, error.description)
        }
        if holdProjection { store.ledgerStore.holdProjection(true) }
        let snapshots = snapshotEvery == 0 ? nil : SnapshotPolicy(everyCommands: snapshotEvery, keep: 2)
        let writer = Writer(
            store: store,
            followUp: snapshots.map {
                HubSnapshotter(store: store, policy: $0, warn: SQLiteHubStore.warnOnStandardError).followUp
            })
        let history = HubHistory(
            union: union, trade: try TradeMatrix.parse(tradeText), currencies: currencies, batchSize: batchSize,
            closeEvery: closeEvery)
        try await writer.whileRunning {
            _ = try await writer.submit(union.setupCommands)  // refused as existing after a restart: harmless
            printFlushed("ready")
            let last = batches == 0 ? Int.max : firstBatch + batches - 1
            var batchNumber = firstBatch
            while batchNumber <= last {
                _ = try await writer.submit(history.batch(batchNumber))
                printFlushed("ack \(batchNumber)")
                batchNumber += 1
            }
        }
    }

}

struct HubCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub", abstract: "Exercise a clearing hub database.", subcommands: [HubLoadCommand.self])
}
