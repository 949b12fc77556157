import Hummingbird
import PolyclearCore
import PolyclearStorage

/// Settlement cycles: the list, a closed cycle's report, closing, members' confirmations, and
/// each bank's statement for a cycle.
enum CycleRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/cycles") { _, context -> [CycleDTO] in
            try AccessPolicy.require(try context.requireCaller(), .readCycles)
            // Archived cycles are listed from what memory keeps of them (no store read).
            return try await api.read { hub in
                hub.closedCycleListing.map(CycleDTO.init) + [CycleDTO(openNumber: hub.openCycleNumber)]
            }
        }
        router.get("/v1/cycles/:number") { _, context -> CycleReportDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .readCycles)
            let number = try context.parameters.require("number", as: UInt32.self)
            guard var report = try await PolyclearAPI.readCycle(api.writer, number, { report, _ in report }) else {
                throw APIError(.notFound, code: "not_found", "no such closed cycle")
            }
            if case .member(let id) = caller {
                // A member sees its own banks and instructions; the union-level figures stay.
                report.participants = report.participants.filter {
                    $0.currency == report.members.first { $0.id == id }?.currency
                }
                report.instructions = report.instructions.filter { $0.member == id }
            }
            return try CycleReportDTO(report, money: api.money)
        }
        router.post("/v1/cycles/:number/close") { _, context -> CycleDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .closeCycle)
            let number = try context.parameters.require("number", as: UInt32.self)
            let (result, cycle) = try await PolyclearAPI.submit(api.writer, [.closeCycle(number: number)], by: caller) {
                results, hub in
                (results.first, hub.cycles.last.map(CycleDTO.init) ?? CycleDTO(openNumber: hub.openCycleNumber))
            }
            if case .refused(let rejection) = result { throw APIError.refused(rejection, "the cycle cannot be closed") }
            return cycle
        }
        router.post("/v1/cycles/:number/confirm") { _, context -> CycleDTO in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .confirmSettlement)
            guard case .member(let id) = caller else { throw APIError.unexpectedResult }
            let number = try context.parameters.require("number", as: UInt32.self)
            let command = HubCommand.confirmSettlement(
                cycle: number, member: id, instructionIndex: nil, amountMinor: nil, actor: .member(id))
            return try await confirm(command, cycle: number, by: caller, refusal: "nothing to confirm", api)
        }
        router.post("/v1/cycles/:number/instructions/:index/confirm") { request, context -> CycleDTO in
            try await confirmInstruction(request, context, api)
        }
        router.post("/v1/cycles/:number/excess-settlements/:member/confirm") { request, context -> CycleDTO in
            try await confirmExcess(request, context, api)
        }
        router.get("/v1/statements/:bic/cycles/:number") { request, context -> Response in
            let caller = try context.requireCaller()
            guard let bic = BIC(try context.parameters.require("bic")) else {
                throw APIError(.badRequest, code: "malformed_bic", "not a BIC")
            }
            let number = try context.parameters.require("number", as: UInt32.self)
            let asked = try PolyclearAPI.format(request, allowed: ["json", "csv"])
            let statement = try await statement(of: bic, cycle: number, caller: caller, api).statement
            if asked == "csv" {
                let exponent = try api.currency(statement.currency).exponent
                return Response(
                    status: .ok, headers: [.contentType: "text/csv"],
                    body: .init(byteBuffer: ByteBuffer(string: statement.csv(exponent: exponent))))
            }
            let notes = try await api.readPayments(ids: statement.entries.map(\.reference)) { view in
                StatementDTO.notes(statement, in: view)
            }
            return try StatementDTO(statement, money: api.money, notes: notes).response(from: request, context: context)
        }
    }

    /// A bank's statement for a closed cycle, if the caller may see it (the bank, its central
    /// bank, the operator; others get the same 404 as a missing one), and the cycle's close time.
    static func statement<A: HubAccess>(
        of bic: BIC, cycle number: UInt32, caller: Caller,
        _ api: RouteDependencies<A>
    ) async throws -> (statement: ParticipantStatement, closedAt: UInt64) {
        let (report, previous, account, transfers) = try await statementInputs(cycle: number, api) { hub in
            guard let participant = hub.participant(bic), AccessPolicy.maySeeBank(caller, bic, of: participant.memberID)
            else { return nil }
            return hub.positionAccountID(of: bic)
        }
        return (
            ParticipantStatement(
                cycle: report, previous: previous, bic: bic, positionAccountID: account, transfers: transfers),
            report.closedAt
        )
    }

    /// What a statement is made of: the closed cycle, the one before, the account `account`
    /// names (nil: 404, whether missing or not the caller's) and its transfers in the cycle.
    static func statementInputs<A: HubAccess>(
        cycle number: UInt32, _ api: RouteDependencies<A>,
        account: @escaping @Sendable (HubStateMachine) -> UInt128?
    ) async throws -> (CycleReport, CycleReport?, UInt128, [StoredTransfer]) {
        let found = try await PolyclearAPI.readCycle(api.writer, number, previous: true) {
            report, view -> (CycleReport, CycleReport?, UInt128)? in
            guard let report, let id = account(view.hub) else { return nil }
            return (report, number > 1 ? view.cycle(number - 1) : nil, id)
        }
        guard let (report, previous, id) = found else {
            throw APIError(.notFound, code: "not_found", "no such statement")
        }
        let transfers = try await api.writer.transfers(
            accountID: id, timestamps: report.firstLedgerTimestamp..<(report.lastLedgerTimestamp + 1),
            limit: api.limits.statementEntryCountMax)
        return (report, previous, id, transfers)
    }

    /// A member's central bank confirms one of its instructions, with the amount it moved (in
    /// the instruction's currency) as a check. Another member's instruction answers 404.
    static func confirmInstruction<A: HubAccess>(
        _ request: Request, _ context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> CycleDTO {
        let caller = try context.requireCaller()
        try AccessPolicy.require(caller, .confirmSettlement)
        guard case .member(let id) = caller else { throw APIError.unexpectedResult }
        let number = try context.parameters.require("number", as: UInt32.self)
        let index = try context.parameters.require("index", as: Int.self)
        let body = try await request.decode(as: ConfirmationDTO.self, context: context)
        let currency = try await PolyclearAPI.readCycle(api.writer, number) { report, _ -> CurrencyCode? in
            guard let report, report.instructions.indices.contains(index), report.instructions[index].member == id
            else { return nil }
            return report.instructions[index].currency
        }
        guard let currency else { throw APIError(.notFound, code: "not_found", "no such instruction of yours") }
        let amount = try amountMinor(body.amount, try api.currency(currency))
        let command = HubCommand.confirmSettlement(
            cycle: number, member: id, instructionIndex: index, amountMinor: amount, actor: .member(id))
        return try await confirm(
            command, cycle: number, by: caller, refusal: "the instruction cannot be confirmed", api)
    }

    /// The operator confirms that the union received a member's excess settlement, or paid it
    /// out, with the amount in the unit as a check.
    static func confirmExcess<A: HubAccess>(
        _ request: Request, _ context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> CycleDTO {
        let caller = try context.requireCaller()
        try AccessPolicy.require(caller, .confirmExcessSettlement)
        let number = try context.parameters.require("number", as: UInt32.self)
        guard let member = CountryCode(alpha3: try context.parameters.require("member")) else {
            throw APIError(.badRequest, code: "malformed_member", "members are ISO 3166 alpha-3 codes")
        }
        let body = try await request.decode(as: ConfirmationDTO.self, context: context)
        let amount = try amountMinor(body.amount, api.currencies.unit, lengthMax: 19)
        let command = HubCommand.confirmExcessSettlement(
            cycle: number, member: member, amountUnitMinor: amount, actor: caller.actor)
        return try await confirm(command, cycle: number, by: caller, refusal: "nothing to confirm", api)
    }

    /// A positive decimal of at most `lengthMax` characters, as the OpenAPI document says
    /// (`Amount`: 14; `UnitAmount`: 19, 14 digits and 4 decimals).
    static func amountMinor(_ text: String, _ currency: Currency, lengthMax: Int = 14) throws(APIError) -> Int64 {
        guard text.utf8.count <= lengthMax, let money = try? Money(parsing: text, currency: currency, sign: .positive)
        else {
            throw APIError(
                .badRequest, code: "malformed_amount",
                "amount is a positive decimal in \(currency.code) with at most \(currency.exponent) decimals")
        }
        return money.minorUnits
    }

    static func confirm<A: HubAccess>(
        _ command: HubCommand, cycle number: UInt32, by caller: Caller, refusal: String, _ api: RouteDependencies<A>
    ) async throws -> CycleDTO {
        let result = try await PolyclearAPI.submit(api.writer, [command], by: caller).first
        if case .refused(let rejection) = result { throw APIError.refused(rejection, refusal) }
        // Read after the commit: a cycle that settled may have left memory for the archive.
        return try await PolyclearAPI.readCycle(api.writer, number) { report, view in
            report.map(CycleDTO.init) ?? CycleDTO(openNumber: view.hub.openCycleNumber)
        }
    }
}
