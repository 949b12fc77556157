/// Gridlock resolution on the hub's queue: snapshot every queued payment (queue order per
/// payer), let `GridlockResolver` pick a set that fits every cap and quota when settled
/// together, book them all in this one command (intermediate states are never visible),
/// then let the normal release logic try what is left.
extension HubStateMachine {
    mutating func resolveGridlock() -> GridlockOutcome {
        var indices: [PaymentIndex] = [], amounts: [Amounts] = [], snapshotPayments: [QueueSnapshot.Payment] = []
        for payer in participants.hubIndices {
            let record = participants[payer]
            // Two-phase payments stay out: their credit is not money until committed, so they
            // cannot fund the others in the set. The payer's later payments wait behind them (FIFO).
            var blocked = false
            for index in record.urgentQueue[record.urgentHead...] + record.normalQueue[record.normalHead...]
            where isQueued(index) && !blocked {
                if payments[index].isTwoPhase { blocked = true; continue }
                // rejected when released
                guard case .success(let converted) = convert(index) else { blocked = true; continue }
                indices.append(index)
                amounts.append(converted)
                snapshotPayments.append(
                    .init(
                        payer: Int32(payments[index].payerIndex.raw), payee: Int32(payments[index].payeeIndex.raw),
                        payerAmount: converted.payer, payeeAmount: converted.payee, unitAmount: converted.unit,
                        value: converted.unit != 0 ? converted.unit : converted.payer))
            }
        }
        let queuedBefore = queuedCount
        guard !indices.isEmpty else {
            return GridlockOutcome(queuedBefore: queuedBefore, released: 0, releasedValue: 0)
        }
        let snapshot = QueueSnapshot(
            participantRoom: participants.hubIndices.map {
                Int64(positionBalance(participant: $0)) &+ participants[$0].participant.netDebitCapMinor
            },
            participantMember: participants.map { Int32($0.memberIndex.raw) },
            memberRoom: members.hubIndices.map {
                // A quota that does not stop payments leaves room for any amount.
                imbalanceRules.enforcesQuota(isInDefault: members[$0].overdueExcessCount > 0)
                    ? Int64(unionBalance(member: $0)) &+ members[$0].member.quotaUnitMinor : Int64.max / 4
            },
            payments: snapshotPayments)
        let selected = GridlockResolver.resolve(snapshot)
        var released = 0, value: Int64 = 0
        for position in indices.indices where selected[position] {
            let index = indices[position]
            guard book(index, amounts[position]) else { continue }  // a balance overflow: it stays queued
            released += 1
            value += snapshotPayments[position].value
            enterBooked(index)
        }
        for participant in participants.hubIndices { checkAlarm(participant: participant) }
        for member in members.hubIndices { checkAlarm(member: member) }
        // The released inflows may let the remaining queue heads go on their own.
        releaseQueued(participants: Array(participants.hubIndices), members: [])
        return GridlockOutcome(queuedBefore: queuedBefore, released: released, releasedValue: value)
    }

    /// Runs gridlock resolution when the policy says so (called after a payment queues).
    mutating func resolveGridlockIfQueueIsLong() {
        guard let threshold = gridlockPolicy.queueLengthThreshold, queuedCount >= threshold, !isResolvingGridlock else {
            return
        }
        isResolvingGridlock = true
        defer { isResolvingGridlock = false }
        let outcome = resolveGridlock()
        record(.gridlockResolved(outcome))
    }
}
