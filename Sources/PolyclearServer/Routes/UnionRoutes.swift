import Hummingbird
import PolyclearCore
import PolyclearStorage

/// The union as each caller may see it: members, participant banks, positions, the queue.
enum UnionRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/members") { _, context -> [MemberDTO] in
            _ = try context.requireCaller()
            let money = api.money
            return try await api.read { hub in hub.allMembers.map { MemberDTO($0, money: money) } }
        }
        router.get("/v1/participants") { _, context -> [ParticipantDTO] in
            let caller = try context.requireCaller()
            let visible = try await api.read { hub in
                hub.allParticipants.filter { AccessPolicy.maySeeBank(caller, $0.bic, of: $0.memberID) }.compactMap {
                    participant in hub.member(participant.memberID).map { (participant, $0.currency) }
                }
            }
            return try visible.map { (participant, currency) throws(APIError) in
                try ParticipantDTO(participant, currency: currency, money: api.money)
            }
        }
        router.get("/v1/queue") { _, context -> [String] in
            let caller = try context.requireCaller()
            return try await api.read { hub in
                hub.allParticipants.filter { AccessPolicy.maySeeBank(caller, $0.bic, of: $0.memberID) }
                    .flatMap { hub.queuedPayments(of: $0.bic) }.map(UUIDCoding.encode)
            }
        }
        router.get("/v1/positions") { _, context -> [PositionDTO] in
            let caller = try context.requireCaller()
            let (banks, members) = try await api.read { hub in
                let banks = hub.allParticipants.filter { AccessPolicy.maySeeBank(caller, $0.bic, of: $0.memberID) }
                    .compactMap { participant in
                        hub.member(participant.memberID).map {
                            (participant, $0.currency, hub.position(of: participant.bic) ?? 0)
                        }
                    }
                let members = hub.allMembers.filter { AccessPolicy.maySeeMember(caller, $0.id) }.map {
                    ($0, hub.unionPosition(of: $0.id) ?? 0)
                }
                return (banks, members)
            }
            var positions: [PositionDTO] = []
            for (participant, code, positionMinor) in banks {
                let currency = try api.currency(code)
                positions.append(
                    PositionDTO(
                        holder: participant.bic.description, kind: "participant",
                        amount: Money(minorUnits: positionMinor, currency: currency).decimalString,
                        currency: code.description,
                        limit: Money(minorUnits: participant.netDebitCapMinor, currency: currency).decimalString))
            }
            let unit = api.currencies.unit
            for (member, positionMinor) in members {
                positions.append(
                    PositionDTO(
                        holder: member.id.alpha3, kind: "member_union",
                        amount: Money(minorUnits: positionMinor, currency: unit).decimalString,
                        currency: unit.code.description,
                        limit: Money(minorUnits: member.quotaUnitMinor, currency: unit).decimalString))
            }
            return positions
        }
    }
}
