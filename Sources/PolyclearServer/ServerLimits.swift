import PolyclearCore

/// Every bound the HTTP API enforces, in one place (the ledger's own are `Limits` in Core).
/// `polyclear serve` reads each from its configuration (README: "Limits"); the defaults suit
/// one hub on one machine. A bound is a defence: every one of them has a test that crosses it.
public struct ServerLimits: Sendable, Equatable {
    /// Rounds a payment read makes when payments leave memory between its archive fetch and
    /// its read (each round fetches again).
    static let archiveReadRoundsMax = 4
    /// Each caller's sustained request rate (token bucket; 429 beyond). A batch costs one
    /// token per item, so batching buys no extra throughput past the limit.
    public var requestsPerSecond = 2_000
    /// The most a caller may send at once (the bucket's size).
    public var requestBurst = 4_000
    /// Failed authentications allowed per source address and second (429 beyond), so that
    /// guessing keys costs time; and at once.
    public var failedAuthenticationsPerSecond = 5
    public var failedAuthenticationBurst = 20
    /// Live event streams (`/v1/events`) one caller may hold open at once (429 beyond).
    public var eventStreamsPerCaller = 4
    /// How often an event stream sends a comment line when it has nothing else: proxies keep
    /// it open, and a client that went away is noticed (the write fails) and its slot freed.
    public var eventHeartbeatSeconds = 15
    /// Bytes of kept answers the idempotency cache may hold, overall and per caller (the
    /// oldest answers are dropped first when either is full).
    public var idempotencyBytesMax = 256 << 20
    public var idempotencyBytesPerCallerMax = 32 << 20
    /// Events waiting for one `/v1/events` subscriber (and committed batches waiting for the
    /// dispatcher): a client too slow to read loses its oldest events beyond this, rather
    /// than growing the server's memory.
    public var eventBufferEventCountMax = 10_000
    /// Arrays and objects a JSON body may nest (ours nest three levels at most).
    public var jsonDepthMax = 32
    /// How long a quote locks its fixing when the request does not say (at most
    /// `Limits.quoteValiditySecondsMax`).
    public var quoteValiditySecondsDefault: UInt32 = 60
    /// How long a follower waits for the writer's answer to a forwarded write, and how long
    /// it keeps an idle connection to the writer for the next one (process-wide: the
    /// forwarding client is one per process, built with the defaults).
    public var forwardTimeoutSeconds = 30
    public var forwardIdleSecondsMax = 20
    /// The largest writer's answer a follower relays (a batch of 1,000 results is far below).
    public var forwardAnswerBytesMax = 64 << 20
    /// Names, BICs and countries a screening list may hold (each), and the longest name in
    /// characters (Unicode code points).
    public var screeningEntryCountMax = 10_000
    /// Hub-managed API keys that may work at once for one holder (rotation overlaps count).
    public var apiKeysPerHolderMax = 16
    /// The longest a rotated key may keep working next to its successor, and the longest
    /// lifetime a key may be given, in seconds.
    public var apiKeyOverlapSecondsMax = 30 * 86_400
    public var apiKeyLifetimeSecondsMax = 2 * 366 * 86_400
    public var screeningNameLengthMax = 140
    /// How long a kept idempotent answer is replayed.
    public var idempotencyRetentionSeconds = 86_400
    /// Request bodies above this are refused (413) before they are read in full.
    public var requestBodyBytesMax = 4 << 20
    /// The most payments one `POST /v1/payments/batch` may carry.
    public var batchPaymentCountMax = 1_000
    /// The most movements one statement lists.
    public var statementEntryCountMax = 100_000
    /// The largest page of a list (`limit`).
    public var pageSizeMax = 1_000
    /// The most deliveries one push carries (the bank acknowledges them together).
    public var pushBatchDeliveryCountMax = 100
    /// How long the hub waits for a bank's push endpoint, and the longest pause between
    /// retries (they back off from one second, doubling).
    public var pushTimeoutSeconds = 10
    public var pushRetrySecondsMax = 60
    /// 1: banks may register push endpoints on loopback or private networks (tests, a gateway
    /// beside the hub). 0 (the default): only https to public hosts, so no bank's key can make
    /// the hub call services on its own network.
    public var pushAllowPrivateNetwork = 0
    /// How often `serve` applies the union's personal-data retention rule (a logged command,
    /// only when the rule sets a period and this process holds the writer role).
    public var retentionRunSeconds = 86_400
    /// The most payments one page of `GET /v1/payments` reads to fill itself: a page costs at
    /// most this, whatever the history (a caller who sees few payments gets short pages and
    /// continues from `nextCursor`).
    public var paymentPageScanMax = 100_000
    /// The most audit records one filtered audit page (`actor`, `action`) looks at.
    public var auditFilterScanMax = 10_000
    /// How far ahead a fixing may take effect, and by what factor a rate or basket amount may
    /// move from the one in force without `confirmLargeMove` (`RateChecks`).
    public var fixingHorizonSeconds = Int(RateChecks.horizonSecondsDefault)
    public var rateMoveFactorMax = Int(RateChecks.moveFactorMaxDefault)

    func rateChecks(confirmed: Bool) -> RateChecks {
        RateChecks(
            horizonSeconds: UInt64(max(0, fixingHorizonSeconds)),
            moveFactorMax: UInt32(clamping: max(1, rateMoveFactorMax)), largeMoveConfirmed: confirmed)
    }

    public init() {}

    public static let `default` = ServerLimits()
}
