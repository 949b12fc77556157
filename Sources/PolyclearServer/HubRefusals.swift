import Hummingbird
import PolyclearCore

/// The one mapping from the hub's refusals to HTTP statuses, whichever route met them:
/// 403 when the actor may not, 422 when what was sent can never be accepted (whatever the
/// hub's state), 409 when the hub's current state refuses it (it may succeed later, or
/// after another command: a fixing lacking a member's currency depends on the members, one
/// too far ahead on the hub's clock). The body carries the refusal's stable code.
extension HubCommandRejection {
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .notAllowedForActor, .proposalRequired, .voterNotEligible, .approvalBySameOperator:
            .forbidden
        case .malformedField, .currencyNotSupported, .participantCountryNotMemberCountry, .negativeLimit,
            .fixingRateNotPositive, .amountNotPositive, .amountTooLarge, .invalidSchedule, .invalidImbalanceRules,
            .obligationsMixCurrencies, .tooManyObligations, .invalidUnitDefinition, .fixingRateForUnit,
            .rateImplausible, .invalidGovernanceRules, .invalidProposalTimes:
            .unprocessableContent
        case .memberExists, .memberNotFound, .currencyAlreadyHasMember, .participantExists, .participantNotFound,
            .fixingVersionNotIncreasing, .fixingEffectiveTimeGoesBack, .fixingMissingCurrency, .fixingEffectiveTooFar,
            .quoteExists, .paymentNotFound, .paymentStateForbidsThis, .fundsTransferExists, .fundsTransferNotFound,
            .insufficientFunds, .participantSuspended, .noFixingInForce, .cycleNotOpen, .cycleNotFound,
            .cycleNotSettling,
            .instructionNotFound, .instructionAlreadyConfirmed, .instructionAmountDiffers, .excessSettlementNotFound,
            .setOffRunExists, .duplicateMessage, .returnExceedsPayment, .rateMoveNotConfirmed, .unionAlreadyDefined,
            .proposalNotFound, .votingClosed, .voteUnchanged, .approvalNotFound, .approvalAlreadyDecided,
            .capAboveCeiling, .apiKeyExists, .apiKeyNotFound, .apiKeyRevoked, .noGovernanceRules, .tooManyPending,
            .conditionNotMet, .recallExists, .recallNotFound, .recallNotOpen, .recallExpired, .archiveUnavailable:
            .conflict
        }
    }
}

extension APIError {
    /// The hub refused a command: its status by the one mapping, its stable code, and `message`.
    static func refused(_ rejection: HubCommandRejection, _ message: String) -> APIError {
        APIError(rejection.httpStatus, code: rejection.code, message)
    }

    /// A result the route did not expect from its command (a bug, never the caller's fault).
    static let unexpectedResult = APIError(.internalServerError, code: "internal", "unexpected result")
}
