import ArgumentParser
import PolyclearCore
import PolyclearWorkload
import PolyclearSQLite
import PolyclearStorage

/// `polyclear ledger load`: a load generator writing transfers through the real writer into
/// a real database, printing `ack <batch>` once each batch is durably committed. The crash
/// test runs it, kills it with SIGKILL, and checks that every acknowledged batch survived.
struct LedgerLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Write batches of transfers into a ledger database, acknowledging each on stdout."
    )

    @Option(name: .long, help: "The ledger database file (created if missing).")
    var db: String

    @Option(name: .long, help: "Accounts to create (ids 1...N; existing ones are kept).")
    var accounts = 1_000

    @Option(name: .long, help: "Number of the first batch; transfer ids encode it.")
    var firstBatch = 1

    @Option(name: .long, help: "How many batches to write (0: until killed).")
    var batches = 0

    @Option(name: .long, help: "Transfers per batch.")
    var batchSize = 1_000

    @Option(name: .long, help: "Clients submitting concurrently (their batches share commits).")
    var concurrency = 4

    @Option(name: .long, help: "Seed of the workload.")
    var seed: UInt64 = 1

    func validate() throws {
        guard accounts >= 2 else { throw ValidationError("--accounts must be at least 2") }
        guard (1...Limits.batchEventCountMax).contains(batchSize) else {
            throw ValidationError("--batch-size must be 1...\(Limits.batchEventCountMax)")
        }
        guard firstBatch >= 1, batches >= 0, (1...64).contains(concurrency) else {
            throw ValidationError("--first-batch >= 1, --batches >= 0, --concurrency 1...64")
        }
    }

    func run() async throws {
        let store: SQLiteLedgerStore
        do { store = try SQLiteLedgerStore(path: db) } catch {
            exitWithError(error.code.name, error.description)
        }
        let writer = LedgerWriter(store: store)
        let workload = LedgerWorkload(accountCount: accounts, seed: seed)
        try await writer.whileRunning {
            for batch in workload.accountBatches() {
                let results = try await writer.submit(batch)
                guard results.allSatisfy({ $0 == .account(.ok) || $0 == .account(.exists) }) else {
                    exitWithError("accounts_rejected", "could not create the load accounts")
                }
            }
            printFlushed("ready")
            try await submitBatches(writer)
        }
    }

    private func submitBatches(_ writer: LedgerWriter<SQLiteLedgerStore>) async throws {
        let last = batches == 0 ? Int.max : firstBatch + batches - 1
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<concurrency {
                group.addTask {
                    var workload = LedgerWorkload(accountCount: accounts, seed: seed)
                    var events: [LedgerEvent] = []
                    var batchNumber = firstBatch + client
                    while batchNumber <= last {
                        workload.fillTransferBatch(&events, batchNumber: batchNumber, count: batchSize)
                        let results = try await writer.submit(events)
                        let rejected = results.filter { $0 != .transfer(.ok) && $0 != .transfer(.exists) }
                        guard rejected.isEmpty else {
                            exitWithError("transfer_rejected", "batch \(batchNumber): \(rejected[0])")
                        }
                        printFlushed("ack \(batchNumber)")
                        batchNumber += concurrency
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
