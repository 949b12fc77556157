/// One state-changing action of an operator or central bank, with who did it and how the hub
/// answered. The trail is part of the hub's state (rebuilt from the log) and each record is
/// also an event, so it is stored with the audit events of its commit.
public struct AuditRecord: Hashable, Sendable, Codable {
    /// Hub time, nanoseconds since 1970.
    public var time: UInt64
    public var actor: Actor
    /// Stable snake_case name of the command, e.g. `close_cycle`.
    public var action: String
    /// What it acted on, e.g. `cycle 3` or a funds request id; never personal data.
    public var subject: String
    /// `ok`, or the stable code of the hub's refusal.
    public var outcome: String

    public init(time: UInt64, actor: Actor, action: String, subject: String, outcome: String) {
        self.time = time
        self.actor = actor
        self.action = action
        self.subject = subject
        self.outcome = outcome
    }
}

extension HubStateMachine {
    /// Those in memory, oldest first: all of them unless archiving is on (then the newest;
    /// `residentAuditRecords(_:)` and the store's archive give any position).
    public var auditRecords: ContiguousArray<AuditRecord> { auditTrail }

    mutating func recordAudit(actor: Actor, command: HubCommand, result: HubResult) {
        let outcome =
            switch result {
            case .refused(let rejection): rejection.code
            case .approvalPending(let number): "approval_pending \(number)"
            default: "ok"
            }
        let (action, subject) = command.auditDescription
        let record = AuditRecord(time: now, actor: actor, action: action, subject: subject, outcome: outcome)
        auditTrail.append(record)
        self.record(.audited(record))
    }
}

extension HubCommand {
    /// (action, subject) for the audit trail.
    public var auditDescription: (String, String) {
        switch self {
        case .registerMember(let member): ("register_member", member.id.alpha3)
        case .updateMember(let id, _, _): ("update_member", id.alpha3)
        case .registerParticipant(let participant): ("register_participant", participant.bic.description)
        case .updateParticipant(let bic, _, _): ("update_participant", bic.description)
        case .publishFixing(let fixing):
            (
                "publish_fixing",
                "version \(fixing.version)"
                    + (fixing.checks?.largeMoveConfirmed == true ? ", large move confirmed" : "")
            )
        case .defineUnit(let amounts, let checks):
            (
                "define_unit",
                amounts.byCurrency.keys.map(\.description).sorted().joined(separator: ",")
                    + (checks?.largeMoveConfirmed == true ? ", large move confirmed" : "")
            )
        case .issueQuote(let id, _, _, _): ("issue_quote", UUIDText.format(id))
        case .submitPayment(let instruction):
            (
                "submit_payment",
                UUIDText.format(instruction.id)
                    + (instruction.condition.map { " on condition sha256 \($0.sha256Hex)" } ?? "")
            )
        case .commitPayment(let id, _): ("commit_payment", UUIDText.format(id))
        case .fulfilCondition(let id, let digest, _):
            ("fulfil_condition", "\(UUIDText.format(id)) sha256 \(digest.prefix(64))")
        case .rejectPayment(let id, _): ("reject_payment", UUIDText.format(id))
        case .cancelPayment(let id, _): ("cancel_payment", UUIDText.format(id))
        case .decideHeldPayment(let id, let release, _, let reason):
            (
                release ? "release_held_payment" : "reject_held_payment",
                UUIDText.format(id) + (reason.map { ": \($0)" } ?? "")
            )
        case .requestFunds(let id, let bic, _, let direction):
            (direction == .into ? "request_funds_in" : "request_funds_out", "\(UUIDText.format(id)) \(bic)")
        case .confirmFunds(let id): ("confirm_funds", UUIDText.format(id))
        case .cancelFunds(let id): ("cancel_funds", UUIDText.format(id))
        case .setScreeningList: ("set_screening_list", "")
        case .setAlarmThresholds(let thresholds):
            ("set_alarm_thresholds", thresholds.map(String.init).joined(separator: ","))
        case .applyCycleEndQueuePolicy: ("apply_cycle_end_queue_policy", "")
        case .endYear: ("end_year", "")
        case .recordUnionDefinition: ("record_union_definition", "")
        case .closeCycle(let number): ("close_cycle", "cycle \(number)")
        case .setCycleTriggers: ("set_cycle_triggers", "")
        case .confirmSettlement(let cycle, let member, let index, _, _):
            ("confirm_settlement", "cycle \(cycle) \(member.alpha3)" + (index.map { " instruction \($0)" } ?? ""))
        case .setImbalanceRules: ("set_imbalance_rules", "")
        case .resolveGridlock: ("resolve_gridlock", "")
        case .setGridlockPolicy: ("set_gridlock_policy", "")
        case .setOffObligations(let runID, let obligations):
            ("set_off_obligations", "\(UUIDText.format(runID)) \(obligations.count) obligations")
        case .confirmExcessSettlement(let cycle, let member, _, _):
            ("confirm_excess_settlement", "cycle \(cycle) \(member.alpha3)")
        case .setQueuePolicy(let policy): ("set_queue_policy", policy == .carryOver ? "carry_over" : "return_to_payer")
        case .setGovernanceRules: ("set_governance_rules", "")
        case .requestRecall(let r):
            (
                "request_recall",
                "\(UUIDText.format(r.id)) payment \(UUIDText.format(r.paymentID)) reason \(r.reasonCode)"
            )
        case .answerRecall(let id, let accept, let reason, _):
            (
                (accept ? "accept_recall" : "reject_recall"),
                "\(UUIDText.format(id))" + (reason.isEmpty ? "" : " reason \(reason)")
            )
        case .acknowledgeDeliveries(let bic, let through, _): ("acknowledge_deliveries", "\(bic) through \(through)")
        case .setDeliveryEndpoint(let bic, let endpoint, _):
            (
                "set_delivery_endpoint",
                "\(bic) " + (endpoint.map { "\($0.format.rawValue) \($0.url.prefix(100))" } ?? "none")
            )
        case .setPaymentRules(let rules):
            (
                "set_payment_rules",
                "trade reference \(rules.tradeReferenceRequired ? "required" : "optional")"
                    + (rules.personalDataRetentionDays.map { ", personal data kept \($0) days" } ?? "")
            )
        case .erasePersonalData: ("erase_personal_data", "")
        case .propose(let change, _, _, _):
            ("propose", change.kind + (change.subject.map { " \($0.alpha3)" } ?? ""))
        case .vote(let number, let member, let choice, _):
            ("vote", "proposal \(number) \(member.alpha3) \(choice.code)")
        case .decideApproval(let number, let approve, _): (approve ? "approve" : "decline", "approval \(number)")
        case .issueAPIKey(let grant, _): ("issue_api_key", "\(UUIDText.format(grant.id)) \(grant.holder.auditName)")
        case .rotateAPIKey(let oldID, let grant, let overlap, _):
            ("rotate_api_key", "\(UUIDText.format(oldID)) to \(UUIDText.format(grant.id)) overlap \(overlap)s")
        case .revokeAPIKey(let id, _): ("revoke_api_key", UUIDText.format(id))
        case .attributed(_, let command): command.auditDescription
        case .message(let sender, let messageID, let commands):
            ("message", "\(sender) \(messageID.prefix(35)) \(commands.count) commands")
        case .startPaymentArchive: ("start_payment_archive", "")
        case .startAuditArchive: ("start_audit_archive", "")
        case .startCycleArchive: ("start_cycle_archive", "")
        case .restoreArchivedPayments(let records): ("restore_archived_payments", "\(records.count) payments")
        case .returnPayment(let instruction):
            ("return_payment", "\(UUIDText.format(instruction.id)) of \(UUIDText.format(instruction.originalID))")
        }
    }
}

extension Actor {
    /// How the audit trail names an actor in a subject.
    var auditName: String {
        switch self {
        case .system: "system"
        case .operatorUser(let name): "operator \(name)"
        case .member(let id): "member \(id.alpha3)"
        case .participant(let bic): "participant \(bic)"
        }
    }
}
