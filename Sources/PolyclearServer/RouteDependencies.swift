import Hummingbird
import PolyclearCore
import PolyclearStorage

/// What every route group is built with: the hub (through the writer), the currencies, the
/// server's limits, the per-caller rate limiter (batches charge it per item), the event
/// broadcaster and the metrics.
struct RouteDependencies<A: HubAccess>: Sendable {
    let writer: A
    let currencies: CurrencyTable
    let limits: ServerLimits
    let limiter: RateLimiter<Caller>
    let events: EventBroadcaster
    let metrics: ServerMetrics
    let readiness: Readiness

    /// Money on the wire (`WireMoney`): decimal strings, never a guessed exponent.
    var money: WireMoney { WireMoney(currencies: currencies) }

    /// A currency the hub names (500 `unknown_currency` if the table lacks it).
    func currency(_ code: CurrencyCode) throws(APIError) -> Currency { try money.currency(code) }

    /// Reads the committed state (between batches).
    func read<T: Sendable>(_ body: @escaping @Sendable (HubStateMachine) -> T) async throws -> T {
        try await PolyclearAPI.read(writer, body)
    }

    /// Reads payments (by id, by UETR, a page) in memory or archived (`PolyclearAPI.readPayments`).
    func readPayments<T: Sendable>(
        ids: [UInt128] = [], uetrs: [UInt128] = [], page: PaymentPageScan? = nil,
        _ body: @escaping @Sendable (PaymentReadView) -> T
    ) async throws -> T {
        try await PolyclearAPI.readPayments(writer, ids: ids, uetrs: uetrs, page: page, body)
    }

    func submit(_ commands: [HubCommand], by caller: Caller) async throws -> [HubResult] {
        try await PolyclearAPI.submit(writer, commands, by: caller)
    }

    /// Submits one command and answers its result, or throws the refusal (`message` said).
    func submitOne(_ command: HubCommand, by caller: Caller, refusal message: String) async throws -> HubResult {
        let result = try await PolyclearAPI.submit(writer, [command], by: caller).first
        if case .refused(let rejection) = result { throw APIError.refused(rejection, message) }
        guard let result else { throw APIError.unexpectedResult }
        return result
    }

    func submitPayments(_ commands: [HubCommand], by caller: Caller) async throws -> [PolyclearAPI.PaymentAnswer] {
        try await PolyclearAPI.submitPayments(writer, commands, by: caller, currencies: currencies)
    }

    func submitPaymentSheets(
        _ commands: [HubCommand], by caller: Caller
    ) async throws -> [PolyclearAPI.PaymentSheetAnswer] {
        try await PolyclearAPI.submitPaymentSheets(writer, commands, by: caller)
    }
}

/// Where a page of payments starts and how many positions it may read.
struct PaymentPageScan: Sendable {
    var cursor: Int
    var scanMax: Int
}

/// The hub behind the API: reads of the committed state, commands through the single writer.
extension PolyclearAPI {
    static func read<A: HubAccess, T: Sendable>(
        _ writer: A, _ body: @escaping @Sendable (HubStateMachine) -> T
    ) async throws -> T {
        do { return try await writer.read(body) } catch {
            throw APIError(.serviceUnavailable, code: "stopped", "the hub's state is not available on this node yet")
        }
    }

    /// A read of the hub's reference data only (`HubAccess.readReference`): banks, members
    /// and their currencies.
    static func readReference<A: HubAccess, T: Sendable>(
        _ writer: A, _ body: @escaping @Sendable (HubStateMachine) -> T
    ) async throws -> T {
        do { return try await writer.readReference(body) } catch {
            throw APIError(.serviceUnavailable, code: "stopped", "the hub's state is not available on this node yet")
        }
    }

    static func submit<A: HubAccess>(
        _ writer: A, _ commands: [HubCommand], by caller: Caller
    ) async throws -> [HubResult] {
        try await submit(writer, commands, by: caller) { results, _ in results }
    }

    /// A committed command's answer: its payment as committed, or any other result.
    enum PaymentAnswer: Sendable {
        case payment(PaymentDTO)
        case other(HubResult)
    }

    /// Submits payment commands; each answer describes its payment from the state it was
    /// committed in (not from a later read, which could fail after the commit).
    static func submitPayments<A: HubAccess>(
        _ writer: A, _ commands: [HubCommand], by caller: Caller,
        currencies: CurrencyTable
    ) async throws -> [PaymentAnswer] {
        try await submitPaymentSheets(writer, commands, by: caller).map { answer in
            switch answer {
            case .payment(let sheet): .payment(PaymentDTO(sheet, currencies: currencies))
            case .other(let result): .other(result)
            }
        }
    }

    /// A committed command's answer, its text not made yet: its payment's sheet, or any other result.
    enum PaymentSheetAnswer: Sendable {
        case payment(PaymentSheet)
        case other(HubResult)
    }

    /// `submitPayments`, answering sheets: gathered on the writer's turn, their text made by
    /// the caller after it.
    static func submitPaymentSheets<A: HubAccess>(
        _ writer: A, _ commands: [HubCommand], by caller: Caller
    ) async throws -> [PaymentSheetAnswer] {
        try await submit(writer, commands, by: caller) { results, hub in
            let states = results.compactMap { result -> PaymentState? in
                if case .payment(let state) = result { state } else { nil }
            }
            // Just committed: in memory (nothing is archived in the batch that decided it).
            var sheets = PaymentSheet.gather(states, in: PaymentReadView(hub: hub)).makeIterator()
            return results.map { result in
                if case .payment = result, let sheet = sheets.next() { .payment(sheet) } else { .other(result) }
            }
        }
    }

    /// Reads payments through a `PaymentReadView`: asks the hub what the read needs from the
    /// archive, fetches it from the store, then runs `body` on the committed state with it.
    /// A payment archived between the fetch and the read sends it round again (rare: it must
    /// leave memory in that moment); the last round answers as it stands.
    static func readPayments<A: HubAccess, T: Sendable>(
        _ writer: A, ids: [UInt128] = [], uetrs: [UInt128] = [], page: PaymentPageScan? = nil,
        _ body: @escaping @Sendable (PaymentReadView) -> T
    ) async throws -> T {
        var round = 0
        while true {
            round += 1
            let isLast = round >= ServerLimits.archiveReadRoundsMax
            let lookups = try await read(writer) { hub in
                hub.archiveLookups(ids: ids, uetrs: uetrs, page: page.map { ($0.cursor, $0.scanMax) })
            }
            let fetched = try await fromArchive("payment") {
                lookups.isEmpty ? [] : try await writer.archivedPayments(lookups)
            }
            let answer: T? = try await read(writer) { hub in
                let view = PaymentReadView(hub: hub, archived: fetched, lookups: lookups)
                return view.isComplete || isLast ? body(view) : nil
            }
            if let answer { return answer }
        }
    }

    /// The audit records at positions `after..<after + limit` (clamped to the trail), from
    /// memory and — for the oldest, once archived — from the store's archive; `end` is the
    /// position after the last, `total` the trail's length. Positions below what the hub had
    /// archived when it was read are committed to the archive, so one fetch suffices; a
    /// missing one is a damaged archive.
    static func readAudit<A: HubAccess>(
        _ writer: A, after: Int, limit: Int
    ) async throws -> (records: [AuditRecord], end: Int, total: Int) {
        let (archivedCount, end, total, resident) = try await read(writer) { hub in
            let total = hub.auditRecordCount
            // `after` may be anything up to Int.max: never add it to the limit unchecked.
            let end = after >= total ? total : min(total, after + limit)
            return (hub.archivedAuditRecordCount, end, total, Array(hub.residentAuditRecords(after..<max(after, end))))
        }
        guard after < min(archivedCount, end) else { return (resident, end, total) }
        let positions = after..<min(archivedCount, end)
        let archived = try await fromArchive("audit") { try await writer.archivedAuditRecords(positions) }
        guard archived.map(\.position) == Array(positions) else {
            throw archiveLacks("audit", "records \(positions.lowerBound)..<\(positions.upperBound)")
        }
        return (archived.map(\.record) + resident, end, total)
    }

    /// A read of the store's archive (`what`: payment, audit, cycle); any failure answers 503
    /// `archive_unavailable`.
    static func fromArchive<T>(_ what: String, _ read: () async throws -> T) async throws(APIError) -> T {
        do { return try await read() } catch {
            throw APIError(.serviceUnavailable, code: "archive_unavailable", "the \(what) archive cannot be read")
        }
    }

    /// The archive lacks what the hub says it archived (committed with it): damage.
    static func archiveLacks(_ what: String, _ missing: String) -> APIError {
        APIError(.serviceUnavailable, code: "archive_unavailable", "the \(what) archive lacks \(missing)")
    }

    /// Commands of the operator and of central banks go into the audit trail with who gave
    /// them (`HubCommand.attributed`); banks' own payment commands carry their actor already.
    /// The answer is built by `body` on the state the commands were committed in.
    static func submit<A: HubAccess, T: Sendable>(
        _ writer: A, _ commands: [HubCommand], by caller: Caller,
        answering body: @escaping @Sendable ([HubResult], HubStateMachine) -> T
    ) async throws -> T {
        let attributed =
            caller.isParticipant ? commands : commands.map { .attributed(actor: caller.actor, command: $0) }
        var mark: IdempotencyMark<HubResult>?
        switch IdempotencyScope.current?.take() {
        case .recover(let results):
            // Executed and committed before: answered from its recorded results, not run again.
            return try await read(writer) { hub in body(results, hub) }
        case .record(let recording): mark = recording
        case nil: break
        }
        do {
            return try await writer.submit(attributed, idempotency: mark, answering: body)
        } catch .busy {
            throw APIError(.serviceUnavailable, code: "busy", "the hub is busy: retry shortly")
        } catch .batchTooLarge {
            throw APIError(.contentTooLarge, code: "batch_too_large", "too many items")
        } catch .notWriter {
            throw APIError(
                .serviceUnavailable, code: "no_writer",
                "no node holds the writer role at the moment (failover): retry shortly")
        } catch {
            throw APIError(.serviceUnavailable, code: "stopped", "the writer is not running")
        }
    }
}
