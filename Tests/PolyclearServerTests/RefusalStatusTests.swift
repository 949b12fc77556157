import Hummingbird
import PolyclearCore
@testable import PolyclearServer
import Testing

/// The one mapping from hub refusals to HTTP statuses, pinned per code: 403 the actor may
/// not, 422 never acceptable as sent, 409 refused in the current state. A new refusal fails
/// here until its status is decided.
@Suite struct RefusalStatusTests {
    static let unprocessable: Set<String> = [
        "malformed_field", "currency_not_supported", "participant_country_not_member_country", "negative_limit",
        "fixing_rate_not_positive", "amount_not_positive", "amount_too_large",
        "invalid_schedule",
        "invalid_imbalance_rules", "obligations_mix_currencies", "too_many_obligations", "invalid_unit_definition",
        "fixing_rate_for_unit", "rate_implausible", "invalid_governance_rules", "invalid_proposal_times",
    ]
    static let conflict: Set<String> = [
        "member_exists", "member_not_found", "currency_already_has_member", "participant_exists",
        "participant_not_found",
        "fixing_version_not_increasing", "fixing_effective_time_goes_back", "quote_exists", "payment_not_found",
        "payment_state_forbids_this", "funds_transfer_exists", "funds_transfer_not_found", "insufficient_funds",
        "participant_suspended", "no_fixing_in_force", "cycle_not_open", "cycle_not_found", "cycle_not_settling",
        "instruction_not_found", "instruction_already_confirmed", "instruction_amount_differs",
        "excess_settlement_not_found",
        "set_off_run_exists", "duplicate_message", "return_exceeds_payment", "rate_move_not_confirmed",
        "fixing_missing_currency", "fixing_effective_too_far", "union_already_defined", "proposal_not_found",
        "voting_closed", "vote_unchanged", "approval_not_found", "approval_already_decided", "cap_above_ceiling",
        "api_key_exists", "api_key_not_found", "api_key_revoked", "no_governance_rules", "too_many_pending",
        "condition_not_met", "recall_exists", "recall_not_found", "recall_not_open", "recall_expired",
        "archive_unavailable",
    ]

    static let forbidden: Set<String> = [
        "not_allowed_for_actor", "proposal_required", "voter_not_eligible", "approval_by_same_operator",
    ]

    @Test func everyRefusalHasOneStatus() {
        #expect(
            HubCommandRejection.allCases.count
                == Self.unprocessable.count + Self.conflict.count + Self.forbidden.count)
        for rejection in HubCommandRejection.allCases {
            let expected: HTTPResponse.Status =
                if Self.forbidden.contains(rejection.code) {
                    .forbidden
                } else if Self.unprocessable.contains(rejection.code) {
                    .unprocessableContent
                } else if Self.conflict.contains(rejection.code) { .conflict } else { .internalServerError }
            #expect(rejection.httpStatus == expected, "\(rejection.code)")
            let error = APIError.refused(rejection, "x")
            #expect(error.status == expected && error.code == rejection.code)
        }
    }
}
