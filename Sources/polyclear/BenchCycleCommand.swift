import PolyclearBench
import ArgumentParser
import Foundation
import PolyclearCore
import PolyclearSQLite
import PolyclearStorage

/// `polyclear bench cycle`: how long closing a cycle takes — netting, settlement instructions,
/// pay-out reservations, and (durable mode) the commit — after N payments in it.
struct BenchCycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cycle", abstract: "Benchmark closing a clearing cycle of many payments.")

    @OptionGroup var hub: BenchHubCommand
    @Flag(help: "Also close through the writer into SQLite (fsync), not only in memory.")
    var durable = false

    func run() async throws {
        let setup = BenchHubCommand.setup(hub.setupOptions)
        printFlushed(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; a cycle of \(hub.payments) payments, "
                + "\(setup.union.memberDefinitions.count) members x \(hub.participantsPerMember) banks")
        var hubState = setup.newHub()
        var workload = setup.workload(seed: hub.seed)
        var results = ContiguousArray<HubResult>()
        var batch: [HubCommand] = []
        var nextID: UInt128 = 1
        var now = setup.startTime
        while nextID <= UInt128(hub.payments) {
            batch.removeAll(keepingCapacity: true)
            while batch.count < hub.batchSize && nextID <= UInt128(hub.payments) {
                batch.append(.submitPayment(workload.nextPayment(id: nextID)))
                nextID += 1
            }
            now += 1_000_000
            try hubState.apply(batch, now: now, results: &results)
            hubState.outcomeCommitted()
        }
        let start = ProcessMetrics.monotonicNanoseconds()
        let result = hubState.apply(.closeCycle(number: hubState.openCycleNumber), now: now + 1_000_000)
        let outcome = hubState.sealOutcome()
        let elapsed = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e6
        guard result == .ok, let report = hubState.cycles.last else { throw ValidationError("close failed: \(result)") }
        printFlushed(
            String(
                format:
                    "memory  close of %d payments: %.2f ms (%d instructions, %d ledger transfers, overall efficiency %.2f%%)",
                report.paymentCount, elapsed, report.instructions.count, outcome.ledger.createdTransfers.count,
                Double(report.overallEfficiency?.efficiencyPartsPerMillion ?? 0) / 10_000))
        if durable { try await runDurable(setup) }
    }

    /// The same cycle through the writer: the close is acknowledged after its fsync.
    private func runDurable(_ setup: BenchHubSetup) async throws {
        try await setup.withDurableHub(in: hub.databaseDirectory, name: "cycle") { writer, _ in
            var workload = setup.workload(seed: hub.seed)
            var nextID: UInt128 = 1
            while nextID <= UInt128(hub.payments) {
                var batch: [HubCommand] = []
                while batch.count < hub.batchSize && nextID <= UInt128(hub.payments) {
                    batch.append(.submitPayment(workload.nextPayment(id: nextID)))
                    nextID += 1
                }
                _ = try await writer.submit(batch)
            }
            let start = ProcessMetrics.monotonicNanoseconds()
            let result = try await writer.submit([.closeCycle(number: 1)])
            let elapsed = Double(ProcessMetrics.monotonicNanoseconds() - start) / 1e6
            printFlushed(
                String(
                    format: "sqlite  close of the cycle, acknowledged after fsync: %.2f ms (%@)", elapsed,
                    "\(result[0])"))
        }
    }
}
