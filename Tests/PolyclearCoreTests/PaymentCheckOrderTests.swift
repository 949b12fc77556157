@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// A payment that fails several checks gets the first one in `PaymentRejection`'s declared
/// order, and a failed check changes nothing: faults are combined at random (seeded) and in
/// every pair, on the instruction and on the hub's state.
@Suite struct PaymentCheckOrderTests {
    typealias F = HubFixture

    /// The faults that can be combined: each is a rejection and how to cause it.
    static let faults: [PaymentRejection] = [
        .malformedField, .amountNotPositive, .unknownPayer, .unknownPayee, .payerIsPayee, .payerSuspended,
        .payeeSuspended, .payerMemberSuspended, .payeeMemberSuspended, .quoteNotFound, .quoteForOtherParties,
        .quoteAlreadyUsed, .quoteExpired, .amountTooLarge, .insufficientLiquidity,
    ]

    /// Builds the hub state and the instruction for these faults and returns the rejection.
    static func rejection(for faults: Set<PaymentRejection>) -> (PaymentRejection?, quoteUsable: Bool) {
        var f = F()
        let quoteID: UInt128 = 8
        let quotePayer = faults.contains(.quoteForOtherParties) ? F.brBank2 : F.brBank1
        _ = f.apply(.issueQuote(id: quoteID, payer: quotePayer, payee: F.cnBank1, validitySeconds: 60))
        if faults.contains(.quoteAlreadyUsed) {
            _ = f.apply(F.payment(500, from: quotePayer, to: F.cnBank1, amountMinor: 100, quote: quoteID))
        }
        if faults.contains(.quoteExpired) { f.advance(seconds: 61) }
        if faults.contains(.payerSuspended) {
            f.expectOK(.updateParticipant(bic: F.brBank1, netDebitCapMinor: nil, status: .suspended))
        }
        if faults.contains(.payeeSuspended) {
            f.expectOK(.updateParticipant(bic: F.cnBank1, netDebitCapMinor: nil, status: .suspended))
        }
        if faults.contains(.payerMemberSuspended) {
            f.expectOK(.updateMember(id: F.bra, quotaUnitMinor: nil, status: .suspended))
        }
        if faults.contains(.payeeMemberSuspended) {
            f.expectOK(.updateMember(id: F.chn, quotaUnitMinor: nil, status: .suspended))
        }
        let payer = faults.contains(.unknownPayer) ? BIC("NONEBRSP")! : F.brBank1
        let payee =
            faults.contains(.unknownPayee)
            ? BIC("NONECNBJ")! : faults.contains(.payerIsPayee) ? F.brBank1 : F.cnBank1
        let amount: Int64 =
            faults.contains(.amountNotPositive)
            ? 0 : faults.contains(.amountTooLarge) ? .max : faults.contains(.insufficientLiquidity) ? 5_000_000 : 5_000
        let quote: UInt128? =
            faults.contains(.quoteNotFound)
            ? 99
            : faults.isDisjoint(with: [.quoteForOtherParties, .quoteAlreadyUsed, .quoteExpired]) ? nil : quoteID
        let usedBefore = f.hub.quoteRecords[f.hub.quotes.value(for: quoteID)!].isUsed
        let result = f.apply(
            F.payment(
                1, from: payer, to: payee, amountMinor: amount, immediateOrReject: true, quote: quote,
                purpose: faults.contains(.malformedField) ? "GOODS" : "GDDS"))
        let usedAfter = f.hub.quoteRecords[f.hub.quotes.value(for: quoteID)!].isUsed
        guard case .payment(let state) = result else { return (nil, false) }
        return (state.rejection, usedBefore == usedAfter)
    }

    static func firstInCheckOrder(_ faults: Set<PaymentRejection>) -> PaymentRejection? {
        PaymentRejection.allCases.first { faults.contains($0) }
    }

    @Test func eachFaultAloneGivesItsRejection() {
        for fault in Self.faults {
            #expect(Self.rejection(for: [fault]).0 == fault)
        }
    }

    @Test func everyPairOfFaultsGivesTheEarlierOne() {
        for (i, first) in Self.faults.enumerated() {
            for second in Self.faults[(i + 1)...] {
                let faults: Set = [first, second]
                let (got, quoteUsable) = Self.rejection(for: faults)
                #expect(got == Self.firstInCheckOrder(faults), "faults \(faults)")
                #expect(quoteUsable, "a rejected payment spent its quote (faults \(faults))")
            }
        }
    }

    @Test func randomCombinationsGiveTheFirstInCheckOrder() {
        var random = SeededRandom(seed: 15)
        for _ in 0..<150 {
            let faults = Set(Self.faults.filter { _ in random.next() % 3 == 0 })
            guard !faults.isEmpty else { continue }
            #expect(Self.rejection(for: faults).0 == Self.firstInCheckOrder(faults), "faults \(faults)")
        }
    }

    /// Check, then apply: a quoted payment rejected by a later check (liquidity here) leaves
    /// its quote for the next attempt; before, the quote was spent before the checks ran.
    @Test func aQuotedPaymentRejectedByACheckLeavesTheQuoteUsable() {
        var f = F()
        _ = f.apply(.issueQuote(id: 7, payer: F.brBank1, payee: F.cnBank1, validitySeconds: 60))
        let tooMuch = f.apply(
            F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 5_000_000, immediateOrReject: true, quote: 7))
        #expect(tooMuch == .payment(PaymentState.rejectedLike(id: 1, .insufficientLiquidity)))
        guard
            case .payment(let retry) = f.apply(
                F.payment(2, from: F.brBank1, to: F.cnBank1, amountMinor: 5_000, quote: 7))
        else { Issue.record("not a payment"); return }
        #expect(retry.status == .accepted && retry.fixingVersion == 1)
        guard
            case .payment(let third) = f.apply(
                F.payment(3, from: F.brBank1, to: F.cnBank1, amountMinor: 5_000, quote: 7))
        else { Issue.record("not a payment"); return }
        #expect(third.rejection == .quoteAlreadyUsed)
    }
}

extension PaymentState {
    static func rejectedLike(id: UInt128, _ rejection: PaymentRejection) -> PaymentState {
        PaymentState(
            id: id, status: .rejected, rejection: rejection, payerAmountMinor: 0, payeeAmountMinor: 0,
            unitAmountMinor: 0, fixingVersion: 0)
    }
}
