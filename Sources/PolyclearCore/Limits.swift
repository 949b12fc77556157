/// Every bound the ledger enforces, in one place. Changing one is a configuration decision
/// with memory and latency consequences; the benchmarks use these defaults.
public enum Limits {
    /// Events one batch may carry (TigerBeetle's figure: 8,190 transfers fill a 1 MiB message).
    public static let batchEventCountMax = 8_190
    /// Events the writer's inbox may hold before it answers "busy, retry".
    public static let inboxEventCountMax = 8 * batchEventCountMax
    /// Queued events worth applying behind a commit in flight. A batch applied there is
    /// committed as soon as that commit lands; a few single payments would make every commit
    /// small (an fsync each, measured: 13% fewer single POSTs per second) — below this the
    /// writer lets them gather until the commit lands, as without pipelining.
    public static let pipelinedEventCountMin = 256
    /// The longest a pending transfer may reserve funds: a year covers any settlement cycle.
    public static let pendingTimeoutSecondsMax: UInt32 = 366 * 24 * 3_600
    /// The longest a quote locks a fixing for its payment: a day.
    public static let quoteValiditySecondsMax: UInt32 = 86_400
    /// Proposals one proposer may have open at once (votes are a union's slow business; a
    /// member flooding the agenda is refused).
    public static let openProposalsPerProposerMax = 16
    /// Operator actions that may wait for approval at once.
    public static let pendingApprovalsMax = 1_024
    /// Payments one archive pass takes out of memory (a pass runs after a batch): bounds the
    /// rows a commit writes to the archive; a settled cycle of 40,000 payments leaves in 3.
    public static let paymentsArchivedPerPassMax = 16_384
    /// Audit records the hub keeps in memory once archiving is on; beyond it, a pass archives
    /// the oldest down to half of it (`HubStateMachine+AuditArchive`).
    public static let auditRecordsResidentMax = 4_096
    /// Closed cycles the hub keeps in memory once archiving is on; beyond it, a pass archives
    /// the oldest finished ones down to half of it (`HubStateMachine+CycleArchive`).
    public static let cycleReportsResidentMax = 64
}
