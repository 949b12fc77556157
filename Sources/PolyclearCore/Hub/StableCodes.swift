/// The stable codes of the hub's enumerations, as they appear on the wire (JSON, audit
/// records, CSV, ISO 20022 additional information). Written out, never derived from a Swift
/// case name, so that renaming a case cannot change a code; `StableCodesTests` pins every
/// value. Append only.
extension PaymentStatus {
    /// Where a payment stands (e.g. `received`).
    public var code: String {
        switch self {
        case .received: "received"
        case .held: "held"
        case .queued: "queued"
        case .reserved: "reserved"
        case .accepted: "accepted"
        case .rejected: "rejected"
        case .cancelled: "cancelled"
        case .expired: "expired"
        }
    }
}

extension PaymentRejection {
    /// Why a payment was rejected (e.g. `malformed_field`).
    public var code: String {
        switch self {
        case .malformedField: "malformed_field"
        case .unknownPayer: "unknown_payer"
        case .unknownPayee: "unknown_payee"
        case .payerSuspended: "payer_suspended"
        case .payeeSuspended: "payee_suspended"
        case .payerMemberSuspended: "payer_member_suspended"
        case .payeeMemberSuspended: "payee_member_suspended"
        case .payerIsPayee: "payer_is_payee"
        case .amountNotPositive: "amount_not_positive"
        case .amountZeroAfterConversion: "amount_zero_after_conversion"
        case .amountTooLarge: "amount_too_large"
        case .noFixingForCurrency: "no_fixing_for_currency"
        case .quoteNotFound: "quote_not_found"
        case .quoteExpired: "quote_expired"
        case .quoteAlreadyUsed: "quote_already_used"
        case .quoteForOtherParties: "quote_for_other_parties"
        case .duplicatePaymentID: "duplicate_payment_id"
        case .insufficientLiquidity: "insufficient_liquidity"
        case .screeningRejected: "screening_rejected"
        case .rejectedByPayee: "rejected_by_payee"
        case .rejectedByOperator: "rejected_by_operator"
        case .reservationExpired: "reservation_expired"
        case .cancelledByPayer: "cancelled_by_payer"
        case .returnedAtCycleEnd: "returned_at_cycle_end"
        case .tradeReferenceMissing: "trade_reference_missing"
        }
    }
}

extension HubCommandRejection {
    /// Why a command was refused (e.g. `malformed_field`).
    public var code: String {
        switch self {
        case .malformedField: "malformed_field"
        case .memberExists: "member_exists"
        case .memberNotFound: "member_not_found"
        case .currencyAlreadyHasMember: "currency_already_has_member"
        case .currencyNotSupported: "currency_not_supported"
        case .participantExists: "participant_exists"
        case .participantNotFound: "participant_not_found"
        case .participantCountryNotMemberCountry: "participant_country_not_member_country"
        case .negativeLimit: "negative_limit"
        case .fixingVersionNotIncreasing: "fixing_version_not_increasing"
        case .fixingEffectiveTimeGoesBack: "fixing_effective_time_goes_back"
        case .fixingMissingCurrency: "fixing_missing_currency"
        case .fixingRateNotPositive: "fixing_rate_not_positive"
        case .quoteExists: "quote_exists"
        case .paymentNotFound: "payment_not_found"
        case .paymentStateForbidsThis: "payment_state_forbids_this"
        case .notAllowedForActor: "not_allowed_for_actor"
        case .fundsTransferExists: "funds_transfer_exists"
        case .fundsTransferNotFound: "funds_transfer_not_found"
        case .insufficientFunds: "insufficient_funds"
        case .participantSuspended: "participant_suspended"
        case .amountNotPositive: "amount_not_positive"
        case .amountTooLarge: "amount_too_large"
        case .noFixingInForce: "no_fixing_in_force"
        case .invalidSchedule: "invalid_schedule"
        case .cycleNotOpen: "cycle_not_open"
        case .cycleNotFound: "cycle_not_found"
        case .cycleNotSettling: "cycle_not_settling"
        case .instructionNotFound: "instruction_not_found"
        case .instructionAlreadyConfirmed: "instruction_already_confirmed"
        case .instructionAmountDiffers: "instruction_amount_differs"
        case .invalidImbalanceRules: "invalid_imbalance_rules"
        case .excessSettlementNotFound: "excess_settlement_not_found"
        case .setOffRunExists: "set_off_run_exists"
        case .obligationsMixCurrencies: "obligations_mix_currencies"
        case .tooManyObligations: "too_many_obligations"
        case .invalidUnitDefinition: "invalid_unit_definition"
        case .duplicateMessage: "duplicate_message"
        case .returnExceedsPayment: "return_exceeds_payment"
        case .fixingEffectiveTooFar: "fixing_effective_too_far"
        case .fixingRateForUnit: "fixing_rate_for_unit"
        case .rateImplausible: "rate_implausible"
        case .rateMoveNotConfirmed: "rate_move_not_confirmed"
        case .unionAlreadyDefined: "union_already_defined"
        case .proposalRequired: "proposal_required"
        case .proposalNotFound: "proposal_not_found"
        case .votingClosed: "voting_closed"
        case .voteUnchanged: "vote_unchanged"
        case .voterNotEligible: "voter_not_eligible"
        case .invalidGovernanceRules: "invalid_governance_rules"
        case .invalidProposalTimes: "invalid_proposal_times"
        case .approvalNotFound: "approval_not_found"
        case .approvalAlreadyDecided: "approval_already_decided"
        case .approvalBySameOperator: "approval_by_same_operator"
        case .capAboveCeiling: "cap_above_ceiling"
        case .apiKeyExists: "api_key_exists"
        case .apiKeyNotFound: "api_key_not_found"
        case .apiKeyRevoked: "api_key_revoked"
        case .noGovernanceRules: "no_governance_rules"
        case .tooManyPending: "too_many_pending"
        case .conditionNotMet: "condition_not_met"
        case .recallExists: "recall_exists"
        case .recallNotFound: "recall_not_found"
        case .recallNotOpen: "recall_not_open"
        case .recallExpired: "recall_expired"
        case .archiveUnavailable: "archive_unavailable"
        }
    }
}

extension CycleState {
    /// Where a cycle stands (e.g. `open`).
    public var code: String {
        switch self {
        case .open: "open"
        case .settling: "settling"
        case .settled: "settled"
        case .failed: "failed"
        }
    }
}
