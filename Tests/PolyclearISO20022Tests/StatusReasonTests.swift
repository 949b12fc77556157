import PolyclearCore
import PolyclearISO20022
import Testing

@Suite struct StatusReasonTests {
    @Test func everyRejectionHasItsOwnFourCharacterCode() {
        let codes = PaymentRejection.allCases.map(\.statusReasonCode)
        #expect(codes.allSatisfy { $0.count == 4 && $0.allSatisfy { $0.isUppercase || $0.isNumber } })
        #expect(Set(codes).count == codes.count, "two rejections share an ISO code")
    }

    @Test(arguments: [
        (PaymentRejection.unknownPayer, "AC01"), (.payerSuspended, "AC06"), (.amountTooLarge, "AM02"),
        (.insufficientLiquidity, "AM04"), (.amountZeroAfterConversion, "AM09"), (.duplicatePaymentID, "DUPL"),
        (.malformedField, "FF01"), (.screeningRejected, "RR04"),
    ])
    func theIssueListedCodesMapAsAgreed(rejection: PaymentRejection, code: String) {
        #expect(rejection.statusReasonCode == code)
    }
}
