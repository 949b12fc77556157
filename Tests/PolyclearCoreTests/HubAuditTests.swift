@testable import PolyclearCore
import Testing

/// Operator and central-bank actions are recorded with who did them; the unit's definition is
/// union reference data with its own validation.
@Suite struct HubAuditTests {
    @Test func attributedCommandsAreAppliedAndAuditedWithTheirActorAndOutcome() {
        var fixture = HubFixture()
        let ops = Actor.operatorUser("ops"), bra = Actor.member(HubFixture.bra)
        // Refused and accepted actions are both in the trail, with the refusal's stable code.
        #expect(fixture.apply(.attributed(actor: ops, command: .closeCycle(number: 9))) == .refused(.cycleNotOpen))
        #expect(fixture.apply(.attributed(actor: ops, command: .closeCycle(number: 1))) == .ok)
        #expect(fixture.hub.cycles.count == 1)  // the wrapped command really ran
        let fundsID: UInt128 = 77
        #expect(
            fixture.apply(
                .attributed(
                    actor: bra,
                    command: .requestFunds(
                        id: fundsID, participant: HubFixture.brBank1, amountMinor: 500, direction: .into))) == .ok)
        #expect(fixture.apply(.attributed(actor: bra, command: .confirmFunds(id: fundsID))) == .ok)
        let trail = fixture.hub.auditRecords.map { "\($0.actor) \($0.action) \($0.subject) \($0.outcome)" }
        #expect(
            trail == [
                "operatorUser(\"ops\") close_cycle cycle 9 cycle_not_open",
                "operatorUser(\"ops\") close_cycle cycle 1 ok",
                "member(BRA) request_funds_in 00000000-0000-0000-0000-00000000004d BANKBRSP ok",
                "member(BRA) confirm_funds 00000000-0000-0000-0000-00000000004d ok",
            ])
        #expect(fixture.hub.auditRecords.map(\.time) == fixture.log.suffix(4).map(\.1))
    }

    @Test func attributionsDoNotNestAndLeaveNoTrace() {
        var fixture = HubFixture()
        let nested = HubCommand.attributed(
            actor: .system, command: .attributed(actor: .operatorUser("ops"), command: .closeCycle(number: 1)))
        #expect(fixture.apply(nested) == .refused(.malformedField))
        #expect(fixture.hub.auditRecords.isEmpty && fixture.hub.cycles.isEmpty)
    }

    @Test func auditRecordsAreEventsOfTheirCommit() {
        var fixture = HubFixture()
        _ = fixture.hub.apply(
            .attributed(actor: .operatorUser("ops"), command: .setAlarmThresholds([80])), now: fixture.now + 1)
        let events = fixture.hub.sealOutcome().events
        #expect(
            events.contains {
                if case .audited(let record) = $0.kind {
                    record.action == "set_alarm_thresholds" && record.subject == "80"
                } else {
                    false
                }
            })
    }

    @Test(arguments: [
        ([String: String](), false), (["EUR": "0"], false), (["XCU": "1"], false),
        (["EUR": "0.38", "CNY": "1.0174"], true),
    ])
    func unitDefinitions(amounts: [String: String], valid: Bool) {
        var fixture = HubFixture()
        let decoded = Dictionary(
            uniqueKeysWithValues: amounts.map { (CurrencyCode($0.key)!, DecimalNumber($0.value)!) })
        let result = fixture.apply(.defineUnit(amountsPerUnit: CurrencyAmounts(decoded)))
        #expect(result == (valid ? .ok : .refused(.invalidUnitDefinition)))
        #expect(fixture.hub.unitDefinition == (valid ? decoded : [:]))
    }
}
