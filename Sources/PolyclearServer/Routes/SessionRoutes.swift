import Hummingbird
import PolyclearCore
import PolyclearStorage

/// Who a key speaks for and what it may do (`GET /v1/session`): the console signs in with it
/// and shows only the actions the access policy allows this caller.
enum SessionRoutes {
    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.get("/v1/session") { _, context -> SessionDTO in
            let caller = try context.requireCaller()
            return try await api.read { hub in SessionDTO(caller, hub) }
        }
    }
}

/// `GET /v1/session`: the caller's role and subject (the operator's name, the member's
/// three-letter code, the bank's BIC), its member and that member's currency where it has
/// one, and the operations it may do (`AccessPolicy.capabilities`).
struct SessionDTO: ResponseCodable {
    var role: String
    var subject: String
    var name: String?
    var member: String?
    var currency: String?
    var may: [String]

    init(_ caller: Caller, _ hub: HubStateMachine) {
        may = AccessPolicy.capabilities(of: caller)
        switch caller {
        case .operatorUser(let operatorName):
            role = "operator"; subject = operatorName
        case .member(let id):
            role = "member"; subject = id.alpha3; member = id.alpha3
            let known = hub.member(id)
            name = known?.name; currency = known?.currency.description
        case .participant(let bic):
            role = "participant"; subject = bic.description
            let participant = hub.participant(bic)
            name = participant?.name; member = participant?.memberID.alpha3
            currency = participant.flatMap { hub.member($0.memberID) }?.currency.description
        }
    }
}
