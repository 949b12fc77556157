/// The payment queue: FIFO per payer, urgent before normal, released by inflows.
extension HubStateMachine {
    mutating func hasQueueAhead(payer: UInt32, priority: PaymentPriority) -> Bool {  // mutating: see `convert`
        let urgentWaiting = participants[Int(payer)].urgentHead < participants[Int(payer)].urgentQueue.count
        return priority == .urgent ? urgentWaiting : participants[Int(payer)].hasQueue
    }

    mutating func enqueue(_ index: UInt32) {
        let payment = payments[Int(index)]
        let payer = payment.payerIndex
        if payment.priority == .urgent {
            participants[Int(payer)].urgentQueue.append(index)
        } else {
            participants[Int(payer)].normalQueue.append(index)
        }
        if !participants[Int(payer)].isListedAsQueuedPayer {
            participants[Int(payer)].isListedAsQueuedPayer = true
            members[Int(participants[Int(payer)].memberIndex)].queuedPayers.append(payer)
        }
        setStatus(index, .queued, actor: .system)
    }

    /// After a command that may have queued payments: the policy's queue-length trigger.
    mutating func afterQueueGrew() { resolveGridlockIfQueueIsLong() }

    /// The payer's first queued payment still waiting, dropping cancelled ones from the front.
    mutating func queueHead(_ payer: UInt32) -> UInt32? {
        while true {
            let index: UInt32
            let urgentHead = participants[Int(payer)].urgentHead, normalHead = participants[Int(payer)].normalHead
            if urgentHead < participants[Int(payer)].urgentQueue.count {
                index = participants[Int(payer)].urgentQueue[urgentHead]
                if payments[Int(index)].status != .queued { participants[Int(payer)].urgentHead += 1; continue }
            } else if normalHead < participants[Int(payer)].normalQueue.count {
                index = participants[Int(payer)].normalQueue[normalHead]
                if payments[Int(index)].status != .queued { participants[Int(payer)].normalHead += 1; continue }
            } else {
                compactQueues(payer)
                return nil
            }
            return index
        }
    }

    private mutating func popQueueHead(_ payer: UInt32) {
        if participants[Int(payer)].urgentHead < participants[Int(payer)].urgentQueue.count {
            participants[Int(payer)].urgentHead += 1
        } else {
            participants[Int(payer)].normalHead += 1
        }
    }

    /// An empty queue gives its memory back to the buffer and leaves its member's list.
    private mutating func compactQueues(_ payer: UInt32) {
        participants[Int(payer)].urgentQueue.removeAll(keepingCapacity: true)
        participants[Int(payer)].urgentHead = 0
        participants[Int(payer)].normalQueue.removeAll(keepingCapacity: true)
        participants[Int(payer)].normalHead = 0
        if participants[Int(payer)].isListedAsQueuedPayer {
            participants[Int(payer)].isListedAsQueuedPayer = false
            let member = Int(participants[Int(payer)].memberIndex)
            if let position = members[member].queuedPayers.firstIndex(of: payer) {
                members[member].queuedPayers.remove(at: position)
            }
        }
    }

    /// Money arrived at `payee` (and, across members, at its member's union position): first
    /// release the payee's own queue (the inflow may fund it), then its member's queued payers.
    mutating func afterInflow(payee: UInt32, crossMember: Bool) {
        checkAlarm(participant: payee)
        let member = participants[Int(payee)].memberIndex
        if crossMember { checkAlarm(member: member) }
        guard participants[Int(payee)].hasQueue || (crossMember && !members[Int(member)].queuedPayers.isEmpty) else {
            return
        }
        releaseWorklist.removeAll(keepingCapacity: true)
        if crossMember { releaseWorklist.append(contentsOf: members[Int(member)].queuedPayers) }
        releaseWorklist.append(payee)  // popped first: entry-disposition offsetting
        drainReleaseWorklist()
    }

    mutating func afterOutflow(payer: UInt32) {
        checkAlarm(participant: payer)
        checkAlarm(member: participants[Int(payer)].memberIndex)
    }

    /// Tries the queues of these participants and of every queued payer of these members.
    mutating func releaseQueued(participants list: [UInt32], members memberList: [UInt32]) {
        releaseWorklist.removeAll(keepingCapacity: true)
        for member in memberList { releaseWorklist.append(contentsOf: members[Int(member)].queuedPayers) }
        releaseWorklist.append(contentsOf: list)
        drainReleaseWorklist()
    }

    /// Releases queue heads while they fit. Every release is an inflow to its payee (and its
    /// member), whose queues join the worklist. Ends because each release empties a slot.
    private mutating func drainReleaseWorklist() {
        while let payer = releaseWorklist.popLast() {
            while let head = queueHead(payer) {
                let payment = payments[Int(head)]
                let payeeMember = participants[Int(payment.payeeIndex)].memberIndex
                let crossMember = participants[Int(payer)].memberIndex != payeeMember
                let wasQueued = payments[Int(head)].status
                if process(head, mayQueue: false) {
                    popQueueHead(payer)
                    afterOutflow(payer: payer)
                    if payments[Int(head)].status == .accepted {
                        checkAlarm(participant: payment.payeeIndex)
                        if crossMember { checkAlarm(member: payeeMember) }
                        // The inflow it made: its payee and the payee's member may now release.
                        if crossMember { releaseWorklist.append(contentsOf: members[Int(payeeMember)].queuedPayers) }
                        releaseWorklist.append(payment.payeeIndex)
                    }
                } else if payments[Int(head)].status != wasQueued {
                    popQueueHead(payer)  // rejected on release (fixing gone, too large...)
                } else {
                    break  // still does not fit: FIFO, the rest waits behind it
                }
            }
        }
    }

    mutating func cancelPayment(id: UInt128, actor: Actor) -> HubResult {
        guard let index = paymentIndexByID.value(for: id) else { return .refused(.paymentNotFound) }
        let payment = payments[Int(index)]
        guard payment.status == .queued || payment.status == .held else { return .refused(.paymentStateForbidsThis) }
        switch actor {
        case .operatorUser: break
        case .participant(let bic) where bic.packed == participants[Int(payment.payerIndex)].participant.bic.packed:
            break
        default: return .refused(.notAllowedForActor)
        }
        let wasQueued = payment.status == .queued
        finish(index, .cancelled, .cancelledByPayer, actor: actor)
        // The payments behind a cancelled head may fit now.
        if wasQueued { releaseQueued(participants: [payment.payerIndex], members: []) }
        return .payment(payments[Int(index)].state)
    }

    /// Ends every queue: each waiting payment is returned (rejected, `returnedAtCycleEnd`).
    mutating func returnAllQueued() {
        for payer in participants.indices {
            while let head = queueHead(UInt32(payer)) { finish(head, .rejected, .returnedAtCycleEnd, actor: .system) }
        }
    }

    /// Every queued payment in queue order per payer: for tests and the API.
    public func queuedPayments(of bic: BIC) -> [UInt128] {
        guard let payer = participantIndexByBIC.value(for: UInt128(bic.packed)) else { return [] }
        let record = participants[Int(payer)]
        let waiting = record.urgentQueue[record.urgentHead...] + record.normalQueue[record.normalHead...]
        return waiting.filter { payments[Int($0)].status == .queued }.map { payments[Int($0)].id }
    }
}
