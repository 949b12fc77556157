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

    /// Money on the wire (`WireMoney`): decimal strings, never a guessed exponent.
    var money: WireMoney { WireMoney(currencies: currencies) }

    /// A currency the hub names (500 `unknown_currency` if the table lacks it).
    func currency(_ code: CurrencyCode) throws(APIError) -> Currency { try money.currency(code) }

    /// Reads the committed state (between batches).
    func read<T: Sendable>(_ body: @escaping @Sendable (HubStateMachine) -> T) async throws -> T {
        try await PolyclearAPI.read(writer, body)
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
        try await submit(writer, commands, by: caller) { results, hub in
            let states = results.compactMap { result -> PaymentState? in
                if case .payment(let state) = result { state } else { nil }
            }
            var described = PaymentDTO.describe(states, in: hub, currencies: currencies).makeIterator()
            return results.map { result in
                if case .payment = result, let payment = described.next() { .payment(payment) } else { .other(result) }
            }
        }
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
