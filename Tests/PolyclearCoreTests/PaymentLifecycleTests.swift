@testable import PolyclearCore
import Testing

/// The payment lifecycle's table, pinned: every (from, to) pair, allowed or not, and what
/// each allowed change implies.
@Suite struct PaymentLifecycleTests {
    typealias E = PaymentLifecycle.Effects

    /// Every allowed change with its effects; any pair not listed must be refused.
    static let allowed: [PaymentStatus: [PaymentStatus: E]] = [
        .received: [
            .held: [.spendQuote], .queued: [.joinQueue, .spendQuote], .reserved: [.spendQuote],
            .accepted: [.joinOpenCycle, .spendQuote], .rejected: [.setReason],
        ],
        .held: [.received: [], .rejected: [.setReason], .cancelled: [.setReason]],
        .queued: [
            .reserved: [.leaveQueue], .accepted: [.leaveQueue, .joinOpenCycle], .rejected: [.leaveQueue, .setReason],
            .cancelled: [.leaveQueue, .setReason],
        ],
        .reserved: [.accepted: [.joinOpenCycle], .rejected: [.setReason], .expired: [.setReason]],
    ]

    @Test func everyPairIsAllowedExactlyAsTheTableSays() {
        for from in PaymentStatus.allCases {
            for to in PaymentStatus.allCases {
                let expected = Self.allowed[from]?[to]
                #expect(PaymentLifecycle.effects(from: from, to: to) == expected, "\(from) -> \(to)")
            }
        }
    }

    @Test func finalStatusesHaveNoWayOutAndEveryOtherStatusHasOne() {
        for status in PaymentStatus.allCases {
            let exits = PaymentStatus.allCases.filter { PaymentLifecycle.allows(from: status, to: $0) }
            #expect(exits.isEmpty == PaymentLifecycle.isFinal(status), "\(status)")
        }
    }

    /// The hub's counter of queued payments is kept by the lifecycle's effects alone: after a
    /// mix of queueing, releases, cancellations and cycle-end returns it equals a recount.
    @Test func theQueuedCountFollowsTheLifecycle() {
        var f = HubFixture(capMinor: 10_000)
        var id: UInt128 = 1
        for round in 0..<40 {
            _ = f.pay(id, HubFixture.brBank1, HubFixture.cnBank1, Int64(3_000 + round * 100))
            id += 1
            if round % 5 == 0 { _ = f.pay(id, HubFixture.cnBank1, HubFixture.brBank1, 20_000); id += 1 }
            if round % 7 == 0, let queued = f.hub.queuedPayments(of: HubFixture.brBank1).last {
                _ = f.apply(.cancelPayment(id: queued, actor: .operatorUser("ops")))
            }
            #expect(f.hub.queuedCount == f.hub.payments.records.filter { $0.status == .queued }.count)
        }
        _ = f.apply(.applyCycleEndQueuePolicy)
        #expect(f.hub.queuedCount == f.hub.payments.records.filter { $0.status == .queued }.count)
    }
}

/// The transfer-id layouts are durable (stored ledgers hold them): pinned to literal values.
@Suite struct HubTransferIDTests {
    @Test func layoutsArePinned() {
        #expect(HubTransferID.paymentLeg(PaymentIndex(raw: 5), leg: 2) == 0x0100_0000_0000_0000_0000_0000_0000_0052)
        #expect(
            HubTransferID.paymentLegResolution(PaymentIndex(raw: 5), leg: 2)
                == 0x0100_0000_0000_0000_0000_0000_0000_005A)
        #expect(HubTransferID.funds(FundsIndex(raw: 3), leg: 1) == 0x0200_0000_0000_0000_0000_0000_0000_000D)
        #expect(HubTransferID.settlement(cycle: 7, instruction: 4) == 0x0300_0000_0000_0000_0000_0007_0000_0004)
        #expect(HubTransferID.settlementPost(cycle: 7, instruction: 4) == 0x0380_0000_0000_0000_0000_0007_0000_0004)
        #expect(
            HubTransferID.imbalanceCharge(cycle: 9, member: MemberIndex(raw: 2))
                == 0x0400_0000_0000_0000_0000_0009_0000_0002)
        #expect(
            HubTransferID.excessSettlement(cycle: 9, member: MemberIndex(raw: 2))
                == 0x0500_0000_0000_0000_0000_0009_0000_0002)
        #expect(HubTransferID.setOff(runID: 3, obligation: 1) == 0x0600_0000_0000_0000_0000_0000_0000_C001)
    }

    @Test func everyIDSaysWhatBookedIt() {
        let ids: [(UInt128, HubTransferID.Kind)] = [
            (HubTransferID.paymentLeg(PaymentIndex(raw: .max), leg: 3), .paymentLeg),
            (HubTransferID.paymentLegResolution(PaymentIndex(raw: .max), leg: 3), .paymentLeg),
            (HubTransferID.funds(FundsIndex(raw: .max), leg: 1), .funds),
            (HubTransferID.settlementPost(cycle: .max, instruction: Int(UInt32.max)), .settlement),
            (HubTransferID.imbalanceCharge(cycle: .max, member: MemberIndex(raw: .max)), .imbalanceCharge),
            (HubTransferID.excessSettlement(cycle: .max, member: MemberIndex(raw: .max)), .excessSettlement),
            (HubTransferID.setOff(runID: .max, obligation: (1 << 14) - 1), .setOff),
        ]
        for (id, kind) in ids { #expect(HubTransferID.kind(of: id) == kind) }
    }

    /// A hub run books only ids of its layouts, and no id twice.
    @Test func aHubRunBooksOnlyTheHubsLayouts() {
        var f = HubFixture(capMinor: 10_000)
        _ = f.pay(1, HubFixture.brBank1, HubFixture.cnBank1, 5_000)
        _ = f.pay(2, HubFixture.cnBank1, HubFixture.brBank1, 5_000, twoPhase: true)
        _ = f.apply(.commitPayment(id: 2, actor: .operatorUser("ops")))
        _ = f.apply(.requestFunds(id: 9, participant: HubFixture.brBank1, amountMinor: 1_000, direction: .into))
        _ = f.apply(.confirmFunds(id: 9))
        _ = f.apply(.closeCycle(number: 1))
        #expect(!f.transfers.isEmpty)
        #expect(Set(f.transfers.map(\.transfer.id)).count == f.transfers.count)
        for stored in f.transfers { #expect(HubTransferID.kind(of: stored.transfer.id) != nil) }
    }
}
