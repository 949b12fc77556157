/// Gridlock resolution on the hub's queue: snapshot every queued payment (queue order per
/// payer), let `GridlockResolver` pick a set that fits every cap and quota when settled
/// together, book them all in this one command (intermediate states are never visible),
/// then let the normal release logic try what is left.
extension HubStateMachine {
    mutating func resolveGridlock() -> GridlockOutcome {
        var indices: [UInt32] = [], amounts: [Amounts] = [], snapshotPayments: [QueueSnapshot.Payment] = []
        for payer in participants.indices {
            let record = participants[payer]
            // Two-phase payments stay out: their credit is not money until committed, so they
            // cannot fund the others in the set. The payer's later payments wait behind them (FIFO).
            var blocked = false
            for index in record.urgentQueue[record.urgentHead...] + record.normalQueue[record.normalHead...]
            where payments[Int(index)].status == .queued && !blocked {
                if payments[Int(index)].isTwoPhase { blocked = true; continue }
                // rejected when released
                guard case .success(let converted) = convert(index) else { blocked = true; continue }
                indices.append(index)
                amounts.append(converted)
                snapshotPayments.append(
                    .init(
                        payer: Int32(payments[Int(index)].payerIndex), payee: Int32(payments[Int(index)].payeeIndex),
                        payerAmount: converted.payer, payeeAmount: converted.payee, unitAmount: converted.unit,
                        value: converted.unit != 0 ? converted.unit : converted.payer))
            }
        }
        let queuedBefore = queuedCount
        guard !indices.isEmpty else {
            return GridlockOutcome(queuedBefore: queuedBefore, released: 0, releasedValue: 0)
        }
        let snapshot = QueueSnapshot(
            participantRoom: participants.indices.map {
                Int64(positionBalance(participant: UInt32($0))) &+ participants[$0].participant.netDebitCapMinor
            },
            participantMember: participants.map { Int32($0.memberIndex) },
            memberRoom: members.indices.map {
                Int64(unionBalance(member: UInt32($0))) &+ members[$0].member.quotaUnitMinor
            },
            payments: snapshotPayments)
        let selected = GridlockResolver.resolve(snapshot)
        var released = 0, value: Int64 = 0
        for position in indices.indices where selected[position] {
            let index = indices[position]
            guard book(index, amounts[position]) else { continue }  // a balance overflow: it stays queued
            released += 1
            value += snapshotPayments[position].value
            if payments[Int(index)].isTwoPhase {
                let timeout = payments[Int(index)].timeoutSeconds
                payments[Int(index)].expiresAt =
                    now + UInt64(timeout == 0 ? configuration.defaultReservationTimeoutSeconds : timeout)
                    * 1_000_000_000
                reservationExpiries.insert(
                    .init(expiresAt: payments[Int(index)].expiresAt, pendingID: payments[Int(index)].id))
                setStatus(index, .reserved, actor: .system)
            } else {
                finish(index, .accepted, nil, actor: .system)
            }
        }
        for participant in participants.indices { checkAlarm(participant: UInt32(participant)) }
        for member in members.indices { checkAlarm(member: UInt32(member)) }
        // The released inflows may let the remaining queue heads go on their own.
        releaseQueued(participants: participants.indices.map(UInt32.init), members: [])
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
