/// Who may give an attributed command, and maker–checker: under governance rules, operator
/// actions that change limits wait for a second operator (`decideApproval`), and a member's
/// central bank may set its own banks' caps only up to the cap the union last set, and may
/// suspend its banks but not reinstate them.
extension HubStateMachine {
    public var allApprovals: [Approval] { approvals }

    public func approval(_ number: UInt32) -> Approval? {
        number >= 1 && Int(number) <= approvals.count ? approvals[Int(number) - 1] : nil
    }

    /// A command given by `actor`, checked for what that actor may do alone.
    mutating func performAttributed(actor: Actor, _ command: HubCommand) -> HubResult {
        switch actor {
        case .operatorUser(let name):
            if requiresProposal(command) { return .refused(.proposalRequired) }
            if let action = approvalAction(for: command) { return requestApproval(action, command, maker: name) }
            return perform(command)
        case .member(let id):
            guard case .updateParticipant(let bic, let cap, let status) = command else { return perform(command) }
            guard let index = participantIndexByBIC.value(for: UInt128(bic.packed)) else {
                return .refused(.participantNotFound)
            }
            guard members[participants[index].memberIndex].member.id == id else { return .refused(.notAllowedForActor) }
            if let cap, cap > participants[index].capCeilingMinor { return .refused(.capAboveCeiling) }
            // A central bank suspends its banks; reinstating one is the union's (the operator's).
            if status == .active, participants[index].participant.status == .suspended {
                return .refused(.notAllowedForActor)
            }
            return updateParticipant(bic: bic, netDebitCapMinor: cap, status: status, setsCeiling: false)
        case .participant, .system:
            return perform(command)
        }
    }

    /// The maker–checker action `command` is, if the rules in force put it under approval.
    mutating func approvalAction(for command: HubCommand) -> ApprovalAction? {
        guard let rules = governance, !rules.approvalRequired.isEmpty else { return nil }
        let action: ApprovalAction
        switch command {
        case .updateParticipant(_, .some, _): action = .participantCap
        case .setScreeningList: action = .screeningList
        case .decideHeldPayment(let id, true, _, _):
            guard heldUnitValue(id) > rules.heldReleaseApprovalAboveUnitMinor else { return nil }
            action = .heldPaymentRelease
        default: return nil
        }
        return rules.approvalRequired.contains(action) ? action : nil
    }

    /// A held payment's value in the unit at the fixing in force; a payment within one
    /// member, or one that cannot be converted, counts as above any threshold.
    private mutating func heldUnitValue(_ id: UInt128) -> Int64 {
        guard let index = paymentIndexByID.value(for: id), payments[index].status == .held else { return 0 }
        if case .success(let amounts) = convert(index), amounts.unit > 0 { return amounts.unit }
        return .max
    }

    private mutating func requestApproval(_ action: ApprovalAction, _ command: HubCommand, maker: String) -> HubResult {
        // Refuse now what could never be applied, so no one approves a dead request.
        switch command {
        case .updateParticipant(let bic, let cap, _):
            guard participantIndexByBIC.value(for: UInt128(bic.packed)) != nil else {
                return .refused(.participantNotFound)
            }
            if let cap, cap < 0 { return .refused(.negativeLimit) }
        case .decideHeldPayment(let id, _, _, _):
            guard let index = paymentIndexByID.value(for: id) else { return .refused(.paymentNotFound) }
            guard payments[index].status == .held else { return .refused(.paymentStateForbidsThis) }
        default: break
        }
        guard pendingApprovalCount < Limits.pendingApprovalsMax else { return .refused(.tooManyPending) }
        pendingApprovalCount += 1
        let number = UInt32(approvals.count + 1)
        approvals.append(Approval(number: number, action: action, command: command, maker: maker, requestedAt: now))
        return .approvalPending(number)
    }

    mutating func decideApproval(number: UInt32, approve: Bool, actor: Actor) -> HubResult {
        guard case .operatorUser(let checker) = actor else { return .refused(.notAllowedForActor) }
        guard let approval = approval(number) else { return .refused(.approvalNotFound) }
        guard approval.status == .pending else { return .refused(.approvalAlreadyDecided) }
        guard approval.maker != checker else { return .refused(.approvalBySameOperator) }
        let index = Int(number) - 1
        pendingApprovalCount -= 1
        approvals[index].checker = checker
        approvals[index].decidedAt = now
        guard approve else {
            approvals[index].status = .declined
            return .ok
        }
        approvals[index].status = .approved
        let result = perform(approval.command)
        approvals[index].outcome = if case .refused(let rejection) = result { rejection.code } else { "ok" }
        // The action itself, in the maker's name, right after the checker's approval.
        recordAudit(actor: .operatorUser(approval.maker), command: approval.command, result: result)
        return result
    }
}
