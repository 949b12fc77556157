import Hummingbird
import PolyclearCore
import PolyclearISO20022
import PolyclearStorage

/// ISO 20022 out: a bank's statement (camt.053), a cycle's settlement instructions to a member
/// (pacs.009), a payment's notification to either bank (camt.054).
extension ISO20022Routes {
    static func statement<A: HubAccess>(
        context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> Response {
        let caller = try context.requireCaller()
        guard let bic = BIC(try context.parameters.require("bic")) else {
            throw APIError(.badRequest, code: "malformed_bic", "not a BIC")
        }
        let number = try context.parameters.require("number", as: UInt32.self)
        let (statement, closedAt) = try await CycleRoutes.statement(of: bic, cycle: number, caller: caller, api)
        return xmlResponse(ISOMessage(header: nil, document: .statement(try await report(statement, closedAt, api))))
    }

    /// A bank's camt.053, each payment's entry with its parties, purpose and remittance.
    static func report<A: HubAccess>(
        _ statement: ParticipantStatement, _ closedAt: UInt64, _ api: RouteDependencies<A>
    ) async throws -> AccountReport {
        let exponent = try api.currency(statement.currency).exponent
        let references = Set(statement.entries.map(\.reference))
        let (details, uetrs) = try await api.readPayments(ids: Array(references)) { view in
            var found: [UInt128: EntryDetails] = [:]
            var uetrs: [UInt128: UInt128] = [:]
            for id in references {
                uetrs[id] = view.paymentUETR(id)
                guard let data = view.paymentData(id), let parties = view.paymentParties(id) else { continue }
                found[id] = EntryDetails(
                    texts: data.texts, details: data.details, payer: parties.payer, payee: parties.payee)
            }
            return (found, uetrs)
        }
        return ISOReports.statement(statement, closedAt: closedAt, exponent: exponent, details: details, uetrs: uetrs)
    }

    static func instructions<A: HubAccess>(
        context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> Response {
        let caller = try context.requireCaller()
        let number = try context.parameters.require("number", as: UInt32.self)
        guard let member = CountryCode(alpha3: try context.parameters.require("member")) else {
            throw APIError(.badRequest, code: "malformed_member", "members are ISO 3166 alpha-3 codes")
        }
        guard AccessPolicy.maySeeMember(caller, member) else {
            throw APIError(.notFound, code: "not_found", "no such instructions")
        }
        let found = try await PolyclearAPI.readCycle(api.writer, number) { report, view -> (CycleReport, Member)? in
            guard let report, let record = view.hub.member(member) else { return nil }
            return (report, record)
        }
        guard let (report, record) = found, report.instructions.contains(where: { $0.member == member }) else {
            throw APIError(.notFound, code: "not_found", "no settlement instructions for this member in this cycle")
        }
        let exponent = try api.currency(record.currency).exponent
        return xmlResponse(
            ISOMessage(
                header: nil,
                document: .institutionCreditTransfer(
                    ISOReports.instructions(report, member: record, exponent: exponent))))
    }

    static func notification<A: HubAccess>(
        _ request: Request, context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> Response {
        let caller = try context.requireCaller()
        guard let id = UUIDText.parse(try context.parameters.require("id")) else {
            throw APIError(.badRequest, code: "malformed_id", "payment ids are UUIDs")
        }
        let asked = try WireChoice.decode(
            request.uri.queryParameters["side"].map(String.init), field: "side", ["payer": true, "payee": false],
            absent: true)
        let found = try await api.readPayments(ids: [id]) {
            view -> (
                PaymentState, BIC, BIC, CurrencyCode, CurrencyCode, (now: UInt64, booked: UInt64?), UInt128,
                EntryDetails?
            )? in
            let hub = view.hub
            guard let state = view.payment(id), let parties = view.paymentParties(id), let uetr = view.paymentUETR(id),
                let payer = hub.participant(parties.payer), let payee = hub.participant(parties.payee),
                let payerCurrency = hub.member(payer.memberID)?.currency,
                let payeeCurrency = hub.member(payee.memberID)?.currency
            else { return nil }
            let details = view.paymentData(id).map {
                EntryDetails(texts: $0.texts, details: $0.details, payer: parties.payer, payee: parties.payee)
            }
            let times = (now: hub.currentTime, booked: view.bookingTime(of: id))
            return (state, parties.payer, parties.payee, payerCurrency, payeeCurrency, times, uetr, details)
        }
        guard let (state, payer, payee, payerCurrency, payeeCurrency, times, uetr, details) = found else {
            throw APIError(.notFound, code: "not_found", "no such payment")
        }
        // The payer bank is notified of its debit, the payee bank of its credit; the
        // operator picks a side (default the payer's).
        guard let isPayer = AccessPolicy.notificationSide(caller, payer: payer, payee: payee, asked: asked) else {
            throw APIError(.notFound, code: "not_found", "no such payment")
        }
        guard state.status == .accepted else {
            throw APIError(.conflict, code: "not_booked", "only a booked payment has a notification")
        }
        let notification = ISOReports.notification(
            state, uetr: uetr, account: isPayer ? payer : payee, currency: isPayer ? payerCurrency : payeeCurrency,
            debit: isPayer,
            exponent: try api.currency(isPayer ? payerCurrency : payeeCurrency).exponent, now: times.now,
            bookedAt: times.booked, details: details)
        return xmlResponse(ISOMessage(header: nil, document: .notification(notification)))
    }
}
