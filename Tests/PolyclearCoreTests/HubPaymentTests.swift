@testable import PolyclearCore
import Testing

@Suite struct HubPaymentTests {
    typealias F = HubFixture

    /// Hand-checked with exact fractions: 1,000.00 BRL at 4.0752 BRL/unit is 245.3867 units
    /// (245.38673...), worth exactly 1,000.00 BRL back (no residue) and 1,224.64 CNY at 4.99066.
    @Test func crossCurrencyPaymentIsBookedOnAllThreeLedgers() {
        var f = F()
        let state = f.pay(1, F.brBank1, F.cnBank1, 100_000)
        #expect(state.status == .accepted)
        #expect(state.unitAmountMinor == 2_453_867)
        #expect(state.payeeAmountMinor == 122_464)
        #expect(f.position(F.brBank1) == -100_000)
        #expect(f.position(F.cnBank1) == 122_464)
        #expect(f.union(F.bra) == -2_453_867)
        #expect(f.union(F.chn) == 2_453_867)
    }

    @Test func payeeCreditAmountIsWhatThePayeeGets() {
        var f = F()
        let state = f.pay(1, F.brBank1, F.cnBank1, 50_000, side: .payeeCredit)
        #expect(state.status == .accepted)
        #expect(state.unitAmountMinor == 1_001_871)
        #expect(state.payerAmountMinor == 40_828)
        #expect(f.position(F.cnBank1) == 50_000)
        #expect(f.position(F.brBank1) == -40_828)
    }

    /// 1,000,000.00 IDR at 13613.9 IDR/unit is 73.4543 units, worth 999,999.49 IDR back: the
    /// 0.51 IDR residue goes to the union's IDR rounding account; union positions stay exact.
    @Test(arguments: [AmountSide.payerDebit, .payeeCredit])
    func roundingResidueGoesToTheUnionRoundingAccount(side: AmountSide) {
        var f = F(capMinor: 1_000_000_000)
        let (payer, payee) = side == .payerDebit ? (F.idBank1, F.brBank1) : (F.brBank1, F.idBank1)
        let state = f.pay(1, payer, payee, 100_000_000, side: side)
        #expect(state.status == .accepted)
        #expect(state.unitAmountMinor == 734_543)
        let idrHub = f.hub.members[f.hub.memberIndexByID["IDN"]!]
        let rounding = f.hub.ledgerState.account(id: idrHub.roundingAccountID)!
        let hub = f.hub.ledgerState.account(id: idrHub.hubAccountID)!
        #expect(rounding.creditsPosted + rounding.debitsPosted == 51)
        // The IDR hub account moved by exactly the IDR value of 73.4543 units: 999,999.49.
        let hubNet = Int128(hub.creditsPosted) - Int128(hub.debitsPosted)
        #expect(hubNet.magnitude == 99_999_949)
        #expect(f.union(F.idn) + f.union(F.bra) == 0)
    }

    @Test func samMemberPaymentIsOneTransferWithoutTheUnit() {
        var f = F()
        let transfersBefore = f.hub.ledgerState.transferCount
        let state = f.pay(1, F.brBank1, F.brBank2, 12_345)
        #expect(state.status == .accepted && state.unitAmountMinor == 0)
        #expect(f.hub.ledgerState.transferCount == transfersBefore + 1)
        #expect(f.union(F.bra) == 0)
    }

    @Test func resubmissionReturnsTheOriginalOutcomeAndAChangedOneIsADuplicate() {
        var f = F()
        let first = f.pay(1, F.brBank1, F.cnBank1, 100_000)
        let again = f.pay(1, F.brBank1, F.cnBank1, 100_000)
        #expect(again == first)
        #expect(f.position(F.brBank1) == -100_000)
        let changed = f.pay(1, F.brBank1, F.cnBank1, 100_001)
        #expect(changed.status == .rejected && changed.rejection == .duplicatePaymentID)
        #expect(f.hub.payment(1) == first)
    }

    @Test(arguments: [
        (F.payment(1, from: BIC("NOPENOPE")!, to: F.cnBank1, amountMinor: 5), PaymentRejection.unknownPayer),
        (F.payment(1, from: F.brBank1, to: BIC("NOPENOPE")!, amountMinor: 5), .unknownPayee),
        (F.payment(1, from: F.brBank1, to: F.brBank1, amountMinor: 5), .payerIsPayee),
        (F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 0), .amountNotPositive),
        (F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: -5), .amountNotPositive),
        (
            F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 5, invoice: String(repeating: "X", count: 36)),
            .malformedField
        ),
        // Without an invoice number or purpose code: the union's payment rules require them by default.
        (F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 5, invoice: ""), .tradeReferenceMissing),
        (F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 5, purpose: ""), .tradeReferenceMissing),
        (F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 5, purpose: "GOODS"), .malformedField),
        (F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 5, purpose: "gdds"), .malformedField),
        (
            F.payment(
                1, from: F.brBank1, to: F.cnBank1, amountMinor: 5, debtorName: String(repeating: "a", count: 141)),
            .malformedField
        ),
        (F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: .max), .amountTooLarge),
        (F.payment(1, from: F.idBank1, to: F.brBank1, amountMinor: 1, side: .payerDebit), .amountZeroAfterConversion),
        (F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 5, quote: 99), .quoteNotFound),
    ])
    func badPaymentsAreRejectedWithAReason(command: HubCommand, expected: PaymentRejection) {
        // Checked with the trade reference optional too: only the rule's own rejection changes.
        var optional = F(capMinor: .max / 2)
        _ = optional.apply(.setPaymentRules(PaymentRules(tradeReferenceRequired: false)))
        if case .payment(let state) = optional.apply(command) {
            #expect(expected == .tradeReferenceMissing ? state.status == .accepted : state.rejection == expected)
        }
        var f = F(capMinor: .max / 2)
        let before = f.hub.ledgerState.makeSnapshot().accounts
        guard case .payment(let state) = f.apply(command) else { Issue.record("not a payment result"); return }
        #expect(state.status == .rejected)
        #expect(state.rejection == expected)
        #expect(f.hub.ledgerState.makeSnapshot().accounts == before, "a rejected payment changed balances")
    }

    @Test func suspendedPartiesAreRefused() {
        var f = F()
        f.expectOK(.updateParticipant(bic: F.brBank1, netDebitCapMinor: nil, status: .suspended))
        #expect(f.pay(1, F.brBank1, F.cnBank1, 5).rejection == .payerSuspended)
        #expect(f.pay(2, F.cnBank1, F.brBank1, 5).rejection == .payeeSuspended)
        f.expectOK(.updateMember(id: F.chn, quotaUnitMinor: nil, status: .suspended))
        #expect(f.pay(3, F.cnBank1, F.brBank2, 5).rejection == .payerMemberSuspended)
        #expect(f.pay(4, F.brBank2, F.cnBank2, 5).rejection == .payeeMemberSuspended)
    }

    @Test func noFixingMeansNoCrossCurrencyPayment() {
        var hub = HubStateMachine(configuration: HubConfiguration(currencies: try! CurrencyTable()))
        _ = hub.apply(
            .registerMember(Member(id: F.bra, name: "BCB", currency: CurrencyCode("BRL")!, quotaUnitMinor: 1)), now: 1)
        _ = hub.apply(
            .registerMember(Member(id: F.chn, name: "PBoC", currency: CurrencyCode("CNY")!, quotaUnitMinor: 1)), now: 2)
        _ = hub.apply(
            .registerParticipant(Participant(bic: F.brBank1, name: "A", memberID: F.bra, netDebitCapMinor: 100)), now: 3
        )
        _ = hub.apply(
            .registerParticipant(Participant(bic: F.cnBank1, name: "B", memberID: F.chn, netDebitCapMinor: 100)), now: 4
        )
        guard case .payment(let state) = hub.apply(F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 5), now: 5)
        else { return }
        #expect(state.rejection == .noFixingForCurrency)
    }

    @Test func fixingsMustBeCompleteAndNewerOrThePreviousStays() {
        var f = F()
        var partial = F.rates
        partial["IDR"] = nil
        #expect(
            f.apply(.publishFixing(F.fixing(version: 2, effectiveFrom: f.now, rates: partial)))
                == .refused(.fixingMissingCurrency))
        #expect(
            f.apply(.publishFixing(F.fixing(version: 1, effectiveFrom: f.now))) == .refused(.fixingVersionNotIncreasing)
        )
        var zero = F.rates
        zero["BRL"] = "0"
        #expect(
            f.apply(.publishFixing(F.fixing(version: 2, effectiveFrom: f.now, rates: zero)))
                == .refused(.fixingRateNotPositive))
        #expect(f.hub.currentFixing?.version == 1)
        // A later fixing applies from its effective time on, not before.
        var doubled = F.rates
        doubled["CNY"] = "9.98132"
        f.expectOK(.publishFixing(F.fixing(version: 2, effectiveFrom: f.now + 1_000_000_000, rates: doubled)))
        #expect(f.pay(1, F.brBank1, F.cnBank1, 100_000).payeeAmountMinor == 122_464)
        f.advance(seconds: 2)
        #expect(f.pay(2, F.brBank1, F.cnBank1, 100_000).payeeAmountMinor == 244_928)
    }

    @Test func quotesLockAFixingForOnePaymentBetweenTheQuotedParties() {
        var f = F()
        guard
            case .quote(let quote) = f.apply(
                .issueQuote(id: 7, payer: F.brBank1, payee: F.cnBank1, validitySeconds: 60))
        else {
            Issue.record("no quote"); return
        }
        #expect(quote.fixingVersion == 1 && quote.payerRatePerUnit == DecimalNumber("4.0752"))
        var newRates = F.rates
        newRates["CNY"] = "9.98132"
        f.expectOK(.publishFixing(F.fixing(version: 2, effectiveFrom: f.now)))
        f.expectOK(.publishFixing(F.fixing(version: 3, effectiveFrom: f.now + 1, rates: newRates)))
        f.advance(seconds: 1)
        guard
            case .payment(let paid) = f.apply(
                F.payment(1, from: F.brBank1, to: F.cnBank1, amountMinor: 100_000, quote: 7))
        else { return }
        #expect(paid.status == .accepted && paid.fixingVersion == 1 && paid.payeeAmountMinor == 122_464)
        guard
            case .payment(let reused) = f.apply(
                F.payment(2, from: F.brBank1, to: F.cnBank1, amountMinor: 100_000, quote: 7))
        else { return }
        #expect(reused.rejection == .quoteAlreadyUsed)
        _ = f.apply(.issueQuote(id: 8, payer: F.brBank1, payee: F.cnBank1, validitySeconds: 5))
        guard
            case .payment(let other) = f.apply(
                F.payment(3, from: F.brBank2, to: F.cnBank1, amountMinor: 1_000, quote: 8))
        else { return }
        #expect(other.rejection == .quoteForOtherParties)
        f.advance(seconds: 6)
        guard
            case .payment(let late) = f.apply(
                F.payment(4, from: F.brBank1, to: F.cnBank1, amountMinor: 1_000, quote: 8))
        else { return }
        #expect(late.rejection == .quoteExpired)
        #expect(
            f.apply(.issueQuote(id: 8, payer: F.brBank1, payee: F.cnBank1, validitySeconds: 5))
                == .refused(.quoteExists))
    }

    @Test func referenceDataIsValidated() {
        var f = F()
        #expect(BIC("BANKXXSP") == nil)  // no such country
        #expect(BIC("BAN!BRSP") == nil)
        #expect(BIC("BANKBRSPXXX") == BIC("BANKBRSP"))
        #expect(BIC("BANKBRSP001")?.description == "BANKBRSP001")
        #expect(LEI("5493001KJTIIGC8Y1R12") != nil)  // check digits valid (MOD 97-10)
        #expect(LEI("5493001KJTIIGC8Y1R13") == nil)
        #expect(LEI("5493001KJTIIGC8Y1R1") == nil)
        #expect(CountryCode(alpha3: "XYZ") == nil)
        #expect(
            f.apply(
                .registerParticipant(
                    Participant(bic: BIC("NEWBCNSH")!, name: "Wrong", memberID: F.bra, netDebitCapMinor: 0)))
                == .refused(.participantCountryNotMemberCountry))
        #expect(
            f.apply(
                .registerParticipant(Participant(bic: F.brBank1, name: "Again", memberID: F.bra, netDebitCapMinor: 0)))
                == .refused(.participantExists))
        #expect(
            f.apply(
                .registerParticipant(
                    Participant(
                        bic: BIC("NEWBBRSP")!, name: "X", memberID: CountryCode(alpha3: "ARG")!, netDebitCapMinor: 0)))
                == .refused(.memberNotFound))
        #expect(
            f.apply(
                .registerParticipant(
                    Participant(bic: BIC("NEWBBRSP")!, name: "X", memberID: F.bra, netDebitCapMinor: -1)))
                == .refused(.negativeLimit))
        #expect(
            f.apply(
                .registerMember(
                    Member(
                        id: CountryCode(alpha3: "ARG")!, name: "BCRA", currency: CurrencyCode("BRL")!, quotaUnitMinor: 0
                    )))
                == .refused(.currencyAlreadyHasMember))
        #expect(
            f.apply(
                .registerMember(
                    Member(
                        id: CountryCode(alpha3: "ARG")!, name: "BCRA", currency: CurrencyCode("XCU")!, quotaUnitMinor: 0
                    )))
                == .refused(.currencyNotSupported))
        #expect(
            f.apply(
                .registerMember(Member(id: F.bra, name: "Again", currency: CurrencyCode("ARS")!, quotaUnitMinor: 0)))
                == .refused(.memberExists))
        #expect(
            f.apply(
                .registerMember(
                    Member(id: CountryCode(alpha3: "ARG")!, name: "", currency: CurrencyCode("ARS")!, quotaUnitMinor: 0)
                ))
                == .refused(.malformedField))
    }
}
