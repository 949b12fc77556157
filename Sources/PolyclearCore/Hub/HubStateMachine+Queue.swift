/// The payment queue: FIFO per payer, urgent before normal, released by inflows.
extension HubStateMachine {
    // `mutating`: see `convert`.
    mutating func hasQueueAhead(payer: ParticipantIndex, priority: PaymentPriority) -> Bool {
        let urgentWaiting = participants[payer].urgentHead < participants[payer].urgentQueue.count
        return priority == .urgent ? urgentWaiting : participants[payer].hasQueue
    }

    mutating func enqueue(_ index: PaymentIndex) {
        let payment = payments[index]
        let payer = payment.payerIndex
        if payment.priority == .urgent {
            participants[payer].urgentQueue.append(index)
        } else {
            participants[payer].normalQueue.append(index)
        }
        if !participants[payer].isListedAsQueuedPayer {
            participants[payer].isListedAsQueuedPayer = true
            members[participants[payer].memberIndex].queuedPayers.append(payer)
        }
        transition(index, to: .queued, actor: .system)
    }

    /// Queues keep the indices of payments that left them (cancelled, rejected) until their
    /// head passes; such a payment may be archived by then, so a queue asks this.
    func isQueued(_ index: PaymentIndex) -> Bool { payments.isResident(index) && payments[index].status == .queued }

    /// After a command that may have queued payments: the policy's queue-length trigger.
    mutating func afterQueueGrew() { resolveGridlockIfQueueIsLong() }

    /// The payer's first queued payment still waiting, dropping cancelled ones from the front.
    mutating func queueHead(_ payer: ParticipantIndex) -> PaymentIndex? {
        while true {
            let index: PaymentIndex
            let urgentHead = participants[payer].urgentHead, normalHead = participants[payer].normalHead
            if urgentHead < participants[payer].urgentQueue.count {
                index = participants[payer].urgentQueue[urgentHead]
                if !isQueued(index) { participants[payer].urgentHead += 1; continue }
            } else if normalHead < participants[payer].normalQueue.count {
                index = participants[payer].normalQueue[normalHead]
                if !isQueued(index) { participants[payer].normalHead += 1; continue }
            } else {
                compactQueues(payer)
                return nil
            }
            return index
        }
    }

    private mutating func popQueueHead(_ payer: ParticipantIndex) {
        if participants[payer].urgentHead < participants[payer].urgentQueue.count {
            participants[payer].urgentHead += 1
        } else {
            participants[payer].normalHead += 1
        }
    }

    /// An empty queue gives its memory back to the buffer and leaves its member's list.
    private mutating func compactQueues(_ payer: ParticipantIndex) {
        participants[payer].urgentQueue.removeAll(keepingCapacity: true)
        participants[payer].urgentHead = 0
        participants[payer].normalQueue.removeAll(keepingCapacity: true)
        participants[payer].normalHead = 0
        if participants[payer].isListedAsQueuedPayer {
            participants[payer].isListedAsQueuedPayer = false
            let member = participants[payer].memberIndex
            if let position = members[member].queuedPayers.firstIndex(of: payer) {
                members[member].queuedPayers.remove(at: position)
            }
        }
    }

    /// Money arrived at `payee` (and, across members, at its member's union position): first
    /// release the payee's own queue (the inflow may fund it), then its member's queued payers.
    mutating func afterInflow(payee: ParticipantIndex, crossMember: Bool) {
        checkAlarm(participant: payee)
        let member = participants[payee].memberIndex
        if crossMember { checkAlarm(member: member) }
        guard participants[payee].hasQueue || (crossMember && !members[member].queuedPayers.isEmpty) else {
            return
        }
        releaseWorklist.removeAll(keepingCapacity: true)
        if crossMember { releaseWorklist.append(contentsOf: members[member].queuedPayers) }
        releaseWorklist.append(payee)  // popped first: entry-disposition offsetting
        drainReleaseWorklist()
    }

    mutating func afterOutflow(payer: ParticipantIndex) {
        checkAlarm(participant: payer)
        checkAlarm(member: participants[payer].memberIndex)
    }

    /// Tries the queues of these participants and of every queued payer of these members.
    mutating func releaseQueued(participants list: [ParticipantIndex], members memberList: [MemberIndex]) {
        releaseWorklist.removeAll(keepingCapacity: true)
        for member in memberList { releaseWorklist.append(contentsOf: members[member].queuedPayers) }
        releaseWorklist.append(contentsOf: list)
        drainReleaseWorklist()
    }

    /// Releases queue heads while they fit. Every release is an inflow to its payee (and its
    /// member), whose queues join the worklist. Ends because each release empties a slot.
    private mutating func drainReleaseWorklist() {
        while let payer = releaseWorklist.popLast() {
            while let head = queueHead(payer) {
                let payment = payments[head]
                let payeeMember = participants[payment.payeeIndex].memberIndex
                let crossMember = participants[payer].memberIndex != payeeMember
                let wasQueued = payments[head].status
                if process(head, mayQueue: false) {
                    popQueueHead(payer)
                    afterOutflow(payer: payer)
                    if payments[head].status == .accepted {
                        checkAlarm(participant: payment.payeeIndex)
                        if crossMember { checkAlarm(member: payeeMember) }
                        // The inflow it made: its payee and the payee's member may now release.
                        if crossMember { releaseWorklist.append(contentsOf: members[payeeMember].queuedPayers) }
                        releaseWorklist.append(payment.payeeIndex)
                    }
                } else if payments[head].status != wasQueued {
                    popQueueHead(payer)  // rejected on release (fixing gone, too large...)
                } else {
                    break  // still does not fit: FIFO, the rest waits behind it
                }
            }
        }
    }

    mutating func cancelPayment(id: UInt128, actor: Actor) -> HubResult {
        guard let index = paymentIndexByID.value(for: id) else { return .refused(.paymentNotFound) }
        let payment = payments[index]
        guard payment.status == .queued || payment.status == .held else { return .refused(.paymentStateForbidsThis) }
        switch actor {
        case .operatorUser: break
        case .participant(let bic) where bic.packed == participants[payment.payerIndex].participant.bic.packed:
            break
        default: return .refused(.notAllowedForActor)
        }
        let wasQueued = payment.status == .queued
        transition(index, to: .cancelled, .cancelledByPayer, actor: actor)
        // The payments behind a cancelled head may fit now.
        if wasQueued { releaseQueued(participants: [payment.payerIndex], members: []) }
        return .payment(payments[index].state)
    }

    /// Ends every queue: each waiting payment is returned (rejected, `returnedAtCycleEnd`).
    mutating func returnAllQueued() {
        for payer in participants.hubIndices {
            while let head = queueHead(payer) { transition(head, to: .rejected, .returnedAtCycleEnd, actor: .system) }
        }
    }

    /// Every queued payment in queue order per payer: for tests and the API.
    public func queuedPayments(of bic: BIC) -> [UInt128] {
        guard let payer = participantIndexByBIC.value(for: UInt128(bic.packed)) else { return [] }
        let record = participants[payer]
        let waiting = record.urgentQueue[record.urgentHead...] + record.normalQueue[record.normalHead...]
        return waiting.filter { isQueued($0) }.map { payments[$0].id }
    }
}
