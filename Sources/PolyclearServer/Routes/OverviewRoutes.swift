import Hummingbird
import PolyclearCore
import PolyclearStorage

/// What members and the operator read about the union as a whole: the live overview (each
/// member's union position against its quota), a closed cycle's overview as CSV, and a
/// member's statement (its union account, in the unit) for a closed cycle.
enum OverviewRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/union/overview") { _, context -> UnionOverviewDTO in
            try AccessPolicy.require(try context.requireCaller(), .readUnionOverview)
            let unit = api.currencies.unit
            return try await api.read { hub in UnionOverviewDTO(hub, unit: unit) }
        }
        router.get("/v1/cycles/:number/union-overview") { _, context -> Response in
            try AccessPolicy.require(try context.requireCaller(), .readUnionOverview)
            let number = try context.parameters.require("number", as: UInt32.self)
            let unit = api.currencies.unit
            let csv = try await PolyclearAPI.readCycle(api.writer, number) { report, _ in
                report?.unionOverviewCSV(unitExponent: unit.exponent)
            }
            guard let csv else { throw APIError(.notFound, code: "not_found", "no such closed cycle") }
            return Response(
                status: .ok, headers: [.contentType: "text/csv"], body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
        router.get("/v1/members/:member/statements/:number") { request, context -> Response in
            let caller = try context.requireCaller()
            try AccessPolicy.require(caller, .readUnionOverview)
            let member = try WireAmount.member(try context.parameters.require("member"))
            let number = try context.parameters.require("number", as: UInt32.self)
            let asked = try PolyclearAPI.format(request, allowed: ["json", "csv"])
            let statement = try await memberStatement(member, cycle: number, caller: caller, api)
            let unit = api.currencies.unit
            if asked == "csv" {
                var lines = ["cycle,member,timestamp,kind,reference,amount"]
                for entry in statement.entries {
                    lines.append(
                        "\(statement.cycle),\(member.alpha3),\(entry.timestamp),\(entry.kind),"
                            + "\(UUIDCoding.encode(entry.reference)),"
                            + Money(minorUnits: entry.amountMinor, currency: unit).decimalString)
                }
                return Response(
                    status: .ok, headers: [.contentType: "text/csv"],
                    body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\n") + "\n")))
            }
            return try MemberStatementDTO(statement, unit: unit).response(from: request, context: context)
        }
    }

    /// A member's statement for a closed cycle: the member itself and the operator; another
    /// member's answers 404 like a missing one.
    static func memberStatement<A: HubAccess>(
        _ member: CountryCode, cycle number: UInt32, caller: Caller, _ api: RouteDependencies<A>
    ) async throws -> MemberStatement {
        let (report, previous, account, transfers) = try await CycleRoutes.statementInputs(cycle: number, api) {
            hub in AccessPolicy.maySeeMember(caller, member) ? hub.unionAccountID(of: member) : nil
        }
        return MemberStatement(
            cycle: report, previous: previous, member: member, unionAccountID: account, transfers: transfers)
    }
}

/// The union now: each member's union position against its quota (negative: it owes the
/// union), its utilisation in percent of quota, and the fixing in force.
struct UnionOverviewDTO: ResponseCodable {
    struct Row: Codable {
        var member: String, name: String, currency: String, status: String, quota: String, position: String
        var utilisationPercent: Int
    }
    var unit: String, fixingVersion: UInt32?, openCycle: UInt32, members: [Row]

    init(_ hub: HubStateMachine, unit: Currency) {
        let text = { (minor: Int64) in Money(minorUnits: minor, currency: unit).decimalString }
        self.unit = unit.code.description
        fixingVersion = hub.currentFixing?.version
        openCycle = hub.openCycleNumber
        members = hub.allMembers.map { member in
            let position = hub.unionPosition(of: member.id) ?? 0
            // Debit use of the quota, in whole percent (rounded down; 0 for creditors).
            let used =
                position < 0 && member.quotaUnitMinor > 0
                ? Int(min(Int128(-position) * 100 / Int128(member.quotaUnitMinor), 100_000)) : 0
            return Row(
                member: member.id.alpha3, name: member.name, currency: member.currency.description,
                status: member.status == .active ? "active" : "suspended", quota: text(member.quotaUnitMinor),
                position: text(position), utilisationPercent: used)
        }
    }
}

/// A member's union account over a closed cycle, in the unit.
struct MemberStatementDTO: ResponseCodable {
    var cycle: UInt32, member: String, unit: String, opening: String, closing: String, reconciles: Bool
    var entries: [StatementDTO.Entry]

    init(_ statement: MemberStatement, unit: Currency) {
        func text(_ minor: Int64) -> String { Money(minorUnits: minor, currency: unit).decimalString }
        cycle = statement.cycle; member = statement.member.alpha3; self.unit = unit.code.description
        opening = text(statement.openingMinor); closing = text(statement.closingMinor)
        reconciles = statement.reconciles
        entries = statement.entries.map {
            StatementDTO.Entry(
                transferId: String($0.transferID, radix: 16), timestamp: $0.timestamp, kind: $0.kind,
                reference: UUIDCoding.encode($0.reference), amount: text($0.amountMinor))
        }
    }
}
