public import PolyclearCore

extension PaymentRejection {
    /// The ISO 20022 status reason code (ExternalStatusReason1Code) a pacs.002 carries for
    /// this rejection. Exhaustive on purpose: a new rejection does not compile until mapped.
    public var statusReasonCode: String {
        switch self {
        case .malformedField: "FF01"  // InvalidFileFormat
        case .unknownPayer: "AC01"  // IncorrectAccountNumber
        case .unknownPayee: "AC03"  // InvalidCreditorAccountNumber
        case .payerSuspended: "AC06"  // BlockedAccount
        case .payeeSuspended: "AC07"  // ClosedCreditorAccountNumber
        case .payerMemberSuspended: "AG01"  // TransactionForbidden
        case .payeeMemberSuspended: "AG03"  // TransactionNotSupported
        case .payerIsPayee: "BE01"  // InconsistentWithEndCustomer
        case .amountNotPositive: "AM12"  // InvalidAmount
        case .amountZeroAfterConversion: "AM09"  // WrongAmount
        case .amountTooLarge: "AM02"  // NotAllowedAmount
        case .noFixingForCurrency: "CURR"  // IncorrectCurrency
        case .quoteNotFound: "NARR"  // Narrative: the quote id is unknown
        case .quoteExpired: "DT01"  // InvalidDate
        case .quoteAlreadyUsed: "AM05"  // Duplication
        case .quoteForOtherParties: "RC08"  // InvalidClearingSystemMemberIdentifier
        case .duplicatePaymentID: "DUPL"  // DuplicatePayment
        case .insufficientLiquidity: "AM04"  // InsufficientFunds
        case .screeningRejected: "RR04"  // RegulatoryReason
        case .rejectedByPayee: "MS02"  // NotSpecifiedReasonCustomerGenerated
        case .rejectedByOperator: "MS03"  // NotSpecifiedReasonAgentGenerated
        case .reservationExpired: "AB05"  // TimeoutCreditorAgent
        case .cancelledByPayer: "DS02"  // OrderCancelled
        case .returnedAtCycleEnd: "AB03"  // AbortedSettlementTimeout
        case .tradeReferenceMissing: "RR07"  // RemittanceInformationInvalid
        }
    }
}
