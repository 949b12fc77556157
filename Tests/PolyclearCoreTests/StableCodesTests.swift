import PolyclearCore
import Testing

/// Every stable code of the hub's enumerations, pinned: the number stored in the log and the
/// text on the wire. A rename, a renumbering or a reordering fails here; a new case fails
/// until it is added (codes are append only).
@Suite struct StableCodesTests {
    static let paymentStatuses: [(UInt8, String)] = [
        (0, "received"), (1, "held"), (2, "queued"), (3, "reserved"), (4, "accepted"), (5, "rejected"),
        (6, "cancelled"), (7, "expired"),
    ]
    static let paymentRejections: [(UInt16, String)] = [
        (1, "malformed_field"), (2, "unknown_payer"), (3, "unknown_payee"), (4, "payer_suspended"),
        (5, "payee_suspended"), (6, "payer_member_suspended"), (7, "payee_member_suspended"), (8, "payer_is_payee"),
        (9, "amount_not_positive"), (10, "amount_zero_after_conversion"), (11, "amount_too_large"),
        (12, "no_fixing_for_currency"), (13, "quote_not_found"), (14, "quote_expired"), (15, "quote_already_used"),
        (16, "quote_for_other_parties"), (17, "duplicate_payment_id"), (18, "insufficient_liquidity"),
        (19, "screening_rejected"), (20, "rejected_by_payee"), (21, "rejected_by_operator"),
        (22, "reservation_expired"), (23, "cancelled_by_payer"), (24, "returned_at_cycle_end"),
        (25, "trade_reference_missing"),
    ]
    static let commandRejections: [(UInt16, String)] = [
        (1, "malformed_field"), (2, "member_exists"), (3, "member_not_found"), (4, "currency_already_has_member"),
        (5, "currency_not_supported"), (6, "participant_exists"), (7, "participant_not_found"),
        (8, "participant_country_not_member_country"), (9, "negative_limit"), (10, "fixing_version_not_increasing"),
        (11, "fixing_effective_time_goes_back"), (12, "fixing_missing_currency"), (13, "fixing_rate_not_positive"),
        (14, "quote_exists"), (15, "payment_not_found"), (16, "payment_state_forbids_this"),
        (17, "not_allowed_for_actor"), (18, "funds_transfer_exists"), (19, "funds_transfer_not_found"),
        (20, "insufficient_funds"), (21, "participant_suspended"), (22, "amount_not_positive"),
        (23, "amount_too_large"), (24, "no_fixing_in_force"), (25, "invalid_schedule"), (26, "cycle_not_open"),
        (27, "cycle_not_found"), (28, "cycle_not_settling"), (29, "instruction_not_found"),
        (30, "instruction_already_confirmed"), (31, "instruction_amount_differs"), (32, "invalid_imbalance_rules"),
        (33, "excess_settlement_not_found"), (34, "set_off_run_exists"), (35, "obligations_mix_currencies"),
        (36, "too_many_obligations"), (37, "invalid_unit_definition"), (38, "duplicate_message"),
        (39, "return_exceeds_payment"), (40, "fixing_effective_too_far"), (41, "fixing_rate_for_unit"),
        (42, "rate_implausible"), (43, "rate_move_not_confirmed"), (44, "union_already_defined"),
        (45, "proposal_required"), (46, "proposal_not_found"), (47, "voting_closed"), (48, "vote_unchanged"),
        (49, "voter_not_eligible"), (50, "invalid_governance_rules"), (51, "invalid_proposal_times"),
        (52, "approval_not_found"), (53, "approval_already_decided"), (54, "approval_by_same_operator"),
        (55, "cap_above_ceiling"), (56, "api_key_exists"), (57, "api_key_not_found"), (58, "api_key_revoked"),
        (59, "no_governance_rules"), (60, "too_many_pending"),
        (61, "condition_not_met"), (62, "recall_exists"), (63, "recall_not_found"), (64, "recall_not_open"),
        (65, "recall_expired"),
        (66, "archive_unavailable"),
    ]
    static let cycleStates: [(UInt8, String)] = [
        (0, "open"), (1, "settling"), (2, "settled"), (3, "failed"),
    ]

    static func check<E: RawRepresentable & CaseIterable>(
        _ type: E.Type, _ pinned: [(E.RawValue, String)], code: (E) -> String
    )
    where E.RawValue: Equatable {
        #expect(E.allCases.count == pinned.count, "\(E.self): \(E.allCases.count) cases, \(pinned.count) pinned")
        for (raw, text) in pinned {
            guard let value = E(rawValue: raw) else { Issue.record("\(E.self): no case numbered \(raw)"); continue }
            #expect(code(value) == text, "\(E.self) \(raw)")
        }
        #expect(Set(pinned.map(\.1)).count == pinned.count, "\(E.self): two cases share a code")
    }

    @Test func everyCodeIsPinned() {
        Self.check(PaymentStatus.self, Self.paymentStatuses) { $0.code }
        Self.check(PaymentRejection.self, Self.paymentRejections) { $0.code }
        Self.check(HubCommandRejection.self, Self.commandRejections) { $0.code }
        Self.check(CycleState.self, Self.cycleStates) { $0.code }
    }
}
