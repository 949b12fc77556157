import ArgumentParser

/// The command line (`Main` runs it).
struct Polyclear: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "polyclear",
        abstract: "A multilateral clearing and settlement hub for trade in national currencies.",
        subcommands: [
            DemoCommand.self, ServeCommand.self, SimulateCommand.self, BenchCommand.self, LedgerCommand.self,
            HubCommandGroup.self, NetCommand.self, UnionCommand.self, StatsCommand.self, RetentionCommand.self,
            BackupCommand.self, RestoreCommand.self, FuzzCommand.self,
        ]
    )
}

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput, latency and memory (build with -c release).",
        subcommands: [
            BenchLedgerCommand.self, BenchHubCommand.self, BenchCycleCommand.self, BenchNetCommand.self,
            BenchHTTPCommand.self, BenchFailoverCommand.self, BenchISOCommand.self, BenchSimulateCommand.self,
            BenchRestoreCommand.self,
        ]
    )
}

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Inspect and exercise a stored ledger.",
        subcommands: [LedgerCheckCommand.self, LedgerLoadCommand.self]
    )
}
