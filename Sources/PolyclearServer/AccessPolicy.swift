import PolyclearCore

/// Every role decision of the API, in one place; the route × role table test
/// (`APITests.everyRouteAnswersEveryRoleAsAgreed`) specifies it.
///
/// Two kinds of rule. What a role may *do* (`require`): a caller who may not gets 403 with
/// the reason. What a caller may *see* (`maySee…`): what it may not see answers 404 exactly
/// like what does not exist, so no caller learns of another bank's payments or statements.
enum AccessPolicy {
    /// Operations reserved to some roles.
    enum Operation {
        case readMetrics, readNodeStatus, readAuditTrail, readSetOffRuns
        case publishFixing, defineUnit, closeCycle, runSetOff
        /// Cycle reports and lists: members and the operator.
        case readCycles
        /// Confirming a cycle's settlement instructions: a member's central bank (its own).
        case confirmSettlement
        /// Confirming or cancelling funds in or out: members and the operator.
        case decideFunds
        /// Submitting (alone or in a batch), cancelling, or asking a quote for a payment of `payer`.
        case submitPayment(payer: BIC), cancelPayment(payer: BIC), askQuote(payer: BIC)
        /// ISO 20022 messages in: a bank, with its own key.
        case sendISOMessage
        /// The union's settings: read by members and the operator, changed by the operator.
        case readSettings, changeSettings
        /// Gridlock resolution on demand; decisions on payments held by screening; confirming
        /// that the union received or paid an excess settlement: the operator.
        case resolveGridlock, decideHeldPayment, confirmExcessSettlement
        /// Registering and changing members and participants: the operator.
        case administerReference
        /// A bank's cap and status: the operator, or the bank's own central bank.
        case updateParticipant
        /// Maker–checker approvals: operators (a second one decides).
        case readApprovals, decideApproval
        /// Proposals: read and made by members and the operator (as the rules allow); votes
        /// by members.
        case readProposals, propose, vote
        /// Hub-managed API keys: the operator (members' and banks'), a central bank (its banks').
        case manageAPIKeys
        /// The union overview and member statements: members and the operator.
        case readUnionOverview
        /// Trade statistics: members (their own flows) and the operator.
        case readTradeStatistics
        /// Presenting the document of a trade-conditional payment: a bank (the payee, which
        /// the hub checks).
        case fulfilCondition
        /// A bank's outbox and its push endpoint: the bank itself (its own key).
        case receiveDeliveries
    }

    static func allows(_ caller: Caller, _ operation: Operation) -> Bool {
        switch (operation, caller) {
        case (_, .operatorUser): operation.isOpenToOperator
        case (.readCycles, .member), (.decideFunds, .member), (.confirmSettlement, .member), (.readSettings, .member),
            (.updateParticipant, .member), (.readProposals, .member), (.propose, .member), (.vote, .member),
            (.manageAPIKeys, .member), (.readUnionOverview, .member), (.readTradeStatistics, .member):
            true
        case (.submitPayment(let payer), .participant(let bic)), (.cancelPayment(let payer), .participant(let bic)),
            (.askQuote(let payer), .participant(let bic)):
            payer == bic
        case (.sendISOMessage, .participant), (.fulfilCondition, .participant), (.receiveDeliveries, .participant): true
        default: false
        }
    }

    /// Nothing, or 403 with why.
    static func require(_ caller: Caller, _ operation: Operation) throws(APIError) {
        guard allows(caller, operation) else { throw APIError(.forbidden, code: "forbidden", operation.refusal) }
    }

    /// A payment: its payer and payee banks, their members' central banks, the operator.
    static func maySeePayment(_ caller: Caller, payer: BIC, payee: BIC, memberOf: (BIC) -> CountryCode?) -> Bool {
        switch caller {
        case .operatorUser: true
        case .participant(let bic): payer == bic || payee == bic
        case .member(let id): memberOf(payer) == id || memberOf(payee) == id
        }
    }

    /// The payments a caller may list: the same rule as `maySeePayment`, as a filter the hub
    /// applies while it pages.
    static func paymentFilter(_ caller: Caller, status: PaymentStatus?) -> PaymentFilter {
        switch caller {
        case .operatorUser: PaymentFilter(status: status)
        case .participant(let bic): PaymentFilter(status: status, party: bic)
        case .member(let id): PaymentFilter(status: status, member: id)
        }
    }

    /// A bank's details, position and statements: the bank, its member's central bank, the operator.
    static func maySeeBank(_ caller: Caller, _ bic: BIC, of member: CountryCode) -> Bool {
        switch caller {
        case .operatorUser: true
        case .member(let id): member == id
        case .participant(let own): own == bic
        }
    }

    /// A member's union position and settlement instructions: that member, the operator.
    static func maySeeMember(_ caller: Caller, _ member: CountryCode) -> Bool {
        switch caller {
        case .operatorUser: true
        case .member(let id): member == id
        case .participant: false
        }
    }

    /// Funds in or out of a bank: its member's central bank or the operator (not the bank).
    static func mayManageFunds(_ caller: Caller, of member: CountryCode) -> Bool {
        maySeeMember(caller, member)
    }

    /// Which side's notification (camt.054) a caller reads: a bank its own side, the operator
    /// the side it asks for (the payer's by default); nil (404) for anyone else.
    static func notificationSide(_ caller: Caller, payer: BIC, payee: BIC, asked: Bool?) -> Bool? {
        switch caller {
        case .participant(let bic): bic == payer ? true : (bic == payee ? false : nil)
        case .operatorUser: asked ?? true
        case .member: nil
        }
    }
}

extension AccessPolicy.Operation {
    /// The operator may do everything but act as a member or speak ISO 20022 for a bank.
    var isOpenToOperator: Bool {
        switch self {
        case .confirmSettlement, .sendISOMessage, .vote, .fulfilCondition, .receiveDeliveries: false
        default: true
        }
    }

    /// Why a caller who may not is refused (the 403's message).
    var refusal: String {
        switch self {
        case .readMetrics: "metrics are for the operator"
        case .readNodeStatus: "node status is for the operator"
        case .readAuditTrail: "the audit trail is the operator's"
        case .readSetOffRuns: "set-off runs are the operator's"
        case .publishFixing: "the operator publishes fixings"
        case .defineUnit: "the operator records the union's unit definition"
        case .closeCycle: "only the operator closes cycles"
        case .runSetOff: "the operator runs set-off"
        case .readCycles: "cycles are for members and the operator"
        case .confirmSettlement: "a member's central bank confirms its own instructions"
        case .decideFunds: "members and the operator decide funds"
        case .submitPayment: "only the payer bank or the operator may submit a payment"
        case .cancelPayment: "only the payer bank or the operator cancels a payment"
        case .askQuote: "only the payer or the operator asks for a quote"
        case .sendISOMessage: "banks send ISO 20022 payment messages with their own key"
        case .readSettings: "the union's settings are for members and the operator"
        case .changeSettings: "the operator changes the union's settings"
        case .resolveGridlock: "the operator resolves gridlock"
        case .decideHeldPayment: "the operator decides payments held by screening"
        case .confirmExcessSettlement: "the operator confirms excess settlements"
        case .administerReference: "the operator registers and changes members and participants"
        case .updateParticipant: "the operator or the bank's central bank changes a bank's cap or status"
        case .readApprovals: "approvals are for operators"
        case .decideApproval: "a second operator decides approvals"
        case .readProposals: "proposals are for members and the operator"
        case .propose: "members and the operator propose rule changes"
        case .vote: "members' central banks vote"
        case .manageAPIKeys: "the operator and central banks manage API keys"
        case .readUnionOverview: "the union overview is for members and the operator"
        case .fulfilCondition: "only the payee bank presents the document"
        case .readTradeStatistics: "trade statistics are for members and the operator"
        case .receiveDeliveries: "a bank receives its own deliveries, with its own key"
        }
    }
}

extension Caller {
    var isParticipant: Bool { if case .participant = self { true } else { false } }
}

extension AccessPolicy {
    /// Every operation by the name `GET /v1/session` gives it; the payment operations are
    /// asked for the caller's own bank (a bank may act only as payer of its own payments).
    static func namedOperations(ownBank: BIC) -> KeyValuePairs<String, Operation> {
        [
            "readMetrics": .readMetrics, "readNodeStatus": .readNodeStatus, "readAuditTrail": .readAuditTrail,
            "readSetOffRuns": .readSetOffRuns, "publishFixing": .publishFixing, "defineUnit": .defineUnit,
            "closeCycle": .closeCycle, "runSetOff": .runSetOff, "readCycles": .readCycles,
            "confirmSettlement": .confirmSettlement, "decideFunds": .decideFunds,
            "submitPayment": .submitPayment(payer: ownBank), "cancelPayment": .cancelPayment(payer: ownBank),
            "askQuote": .askQuote(payer: ownBank), "sendISOMessage": .sendISOMessage,
            "readSettings": .readSettings, "changeSettings": .changeSettings, "resolveGridlock": .resolveGridlock,
            "decideHeldPayment": .decideHeldPayment, "confirmExcessSettlement": .confirmExcessSettlement,
            "administerReference": .administerReference, "updateParticipant": .updateParticipant,
            "readApprovals": .readApprovals, "decideApproval": .decideApproval, "readProposals": .readProposals,
            "propose": .propose, "vote": .vote, "manageAPIKeys": .manageAPIKeys,
            "readUnionOverview": .readUnionOverview, "readTradeStatistics": .readTradeStatistics,
            "fulfilCondition": .fulfilCondition, "receiveDeliveries": .receiveDeliveries,
        ]
    }

    /// The names of the operations `caller` may do, from the same rule `require` applies: the
    /// console shows an action only if its name is here.
    static func capabilities(of caller: Caller) -> [String] {
        let ownBank: BIC
        switch caller {
        case .participant(let bic): ownBank = bic
        // A payer the caller is not: only a role that may act for any bank is allowed it.
        case .operatorUser, .member: ownBank = BIC("AAAAADAA")!
        }
        return namedOperations(ownBank: ownBank).filter { allows(caller, $0.value) }.map(\.key)
    }
}
