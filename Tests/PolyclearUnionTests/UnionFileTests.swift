import Foundation
import PolyclearApp
import PolyclearCore
import PolyclearRules
import PolyclearUnion
import PolyclearTestSupport
import Testing

/// The union file: the sample reads and sets a hub up exactly as declared; each mistake is
/// named with its line and key; two definitions are compared leaf by leaf.
@Suite(.offTheSharedPool) struct UnionFileTests {
    static let samplePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/union/sample-union.toml").path
    static let currencies = try! CurrencyTable()
    static var sampleText: String { try! String(contentsOfFile: samplePath, encoding: .utf8) }

    @Test func theSampleSetsAHubUpAsDeclared() throws {
        let (definition, fixing) = try UnionStart.load(path: Self.samplePath, currencies: Self.currencies)
        #expect(definition.members.count == 12 && definition.participants.count == 36)
        #expect(definition.imbalanceRules == RulePreset.polyclear.imbalanceRules)
        #expect(definition.cycleTriggers.dailySecondOfDay == 17 * 3_600)
        var hub = HubStateMachine(configuration: HubConfiguration(currencies: Self.currencies))
        let commands = definition.setupCommands(fixing: fixing, actor: .operatorUser("union-file:sample-union.toml"))
        for command in commands { #expect(hub.apply(command, now: 1_000) == .ok, "\(command)") }
        #expect(hub.allMembers.map(\.id.alpha3) == definition.members.map(\.id.alpha3))
        #expect(hub.member(CountryCode(alpha3: "BRA")!)?.quotaUnitMinor == 1_000_000_000_000)
        #expect(hub.participant(BIC("BKACZA22")!)?.netDebitCapMinor == 1_800_000_000)
        #expect(hub.unionDefinitionText == definition.canonicalJSON)
        // Governed from the start: the operator alone can no longer change a quota.
        #expect(hub.settings.governance?.approvalRequired.count == 3)
        #expect(
            hub.apply(
                .attributed(
                    actor: .operatorUser("ops"),
                    command: .updateMember(id: CountryCode(alpha3: "BRA")!, quotaUnitMinor: 1, status: nil)), now: 1_500
            )
                == .refused(.proposalRequired))
        #expect(hub.checkInvariants() == nil)
        // Recorded once: a second definition, or one on a hub that already has members, is refused.
        #expect(hub.apply(.recordUnionDefinition("{}"), now: 2_000) == .refused(.unionAlreadyDefined))
        var other = HubStateMachine(configuration: HubConfiguration(currencies: Self.currencies))
        _ = other.apply(commands[2], now: 1)  // a member, before any definition
        #expect(other.apply(.recordUnionDefinition("{}"), now: 2) == .refused(.unionAlreadyDefined))
        // The canonical text reads back to the same definition.
        #expect(UnionDefinition.fromCanonicalJSON(definition.canonicalJSON) == definition)
    }

    @Test func differencesAreListedLeafByLeafMembersByIdParticipantsByBIC() throws {
        let original = try UnionFile.parse(Self.sampleText, file: "u.toml", currencies: Self.currencies)
        var changed = original
        changed.members[2].quotaUnitMinor += 1
        changed.participants.removeLast()
        changed.imbalanceRules.quotaMode = .hard
        let differences = changed.differences(from: original)
        #expect(differences.contains { $0.hasPrefix("members.BRA.quotaUnitMinor: 1000000000000 in the database") })
        #expect(differences.contains { $0.hasPrefix("participants.BKACZA22.bic: BKACZA22 in the database, absent") })
        #expect(differences.contains { $0.hasPrefix("imbalanceRules.quotaMode") })
        #expect(original.differences(from: original).isEmpty)
    }

    /// Every mistake: refused with the line and the key, nothing half-read.
    @Test(
        arguments: [
            ("[unit]\ncode = \"XCU\"", "[unit]\ncolour = \"blue\"\ncode = \"XCU\"", "unit.colour"),
            ("EGP = \"2\"", "EGP = \"-2\"", "unit.basket.EGP"),
            ("EGP = \"2\"", "XXX = \"2\"", "unit.basket.XXX"),
            ("id = \"BLR\"", "id = \"ARE\"", "members[1].id"),
            ("id = \"BLR\"", "id = \"BLX\"", "members[1].id"),
            ("currency = \"BYN\"", "currency = \"NOK\"", "members[1].currency"),
            ("currency = \"BYN\"", "currency = \"AED\"", "members[1].currency"),
            ("quota = \"100000000\"", "quota = \"1.00001\"", "members[0].quota"),
            ("quota = \"100000000\"", "quota = -5", "members[0].quota"),
            ("bic = \"BKAAAE22\"", "bic = \"BKAA\"", "participants[0].bic"),
            ("bic = \"BKAAAE22\"", "bic = \"BKAAAE22\"\nlei = \"ABC\"", "participants[0].lei"),
            ("net_debit_cap = \"3700000\"", "net_debit_cap = \"3700000.001\"", "participants[0].net_debit_cap"),
            ("preset = \"polyclear\"", "preset = \"polyclear\"\nsettlement_asset = \"\"", "rules.settlement_asset"),
            (
                "alarm_thresholds_percent = [75, 90]",
                "alarm_thresholds_percent = [75, 90]\n[[rules.charges]]\nthreshold_percent_of_quota = 50\nannual_rate_basis_points = 1\n[[rules.charges]]\nthreshold_percent_of_quota = 25\nannual_rate_basis_points = 1",
                "rules.charges[1].threshold_percent_of_quota"
            ),
            (
                "alarm_thresholds_percent = [75, 90]", "alarm_thresholds_percent = [75, 190]",
                "rules.alarm_thresholds_percent"
            ),
            ("daily_at = \"17:00\"", "daily_at = \"25:00\"", "cycles.daily_at"),
            (
                "settlement_deadline_seconds = 7200", "settlement_deadline_seconds = -1",
                "cycles.settlement_deadline_seconds"
            ),
            ("names = []", "names = []\ncountries = [\"ZZ\"]", "screening.countries"),
            ("RUB = \"94.5\"", "RUB = \"lots\"", "fixing.rates_per_eur.RUB"),
            (
                "queued_at_cycle_end = \"carry_over\"", "queued_at_cycle_end = \"drop\"",
                "cycles.queued_at_cycle_end"
            ),
            ("yes_quota_percent_min = 67", "yes_quota_percent_min = 0", "governance.yes_quota_percent_min"),
            (
                "yes_members_percent_above = 50", "yes_members_percent_above = 100",
                "governance.yes_members_percent_above"
            ),
            ("proposers = \"members_and_operator\"", "proposers = \"anyone\"", "governance.proposers"),
            ("voting_seconds_max = 2592000", "voting_seconds_max = 30", "governance.voting_seconds_max"),
            (
                "approval_required = [\"participant_cap\",", "approval_required = [\"launch\",",
                "governance.approval_required"
            ),
            (
                "held_release_approval_above_unit = \"100000\"", "held_release_approval_above_unit = \"-1\"",
                "governance.held_release_approval_above_unit"
            ),
            ("[governance]", "[governance]\nveto = true", "governance.veto"),
        ] as [(String, String, String)])
    func aMistakeIsNamedWithItsLineAndKey(from: String, to: String, field: String) {
        let text = Self.sampleText.replacingOccurrences(of: from, with: to)
        #expect(text != Self.sampleText, "the mutation did not apply: \(from)")
        do {
            _ = try UnionFile.parse(text, file: "u.toml", currencies: Self.currencies)
            Issue.record("accepted: \(to)")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.line != nil, "no line: \(error)")
        }
    }

    @Test func aMissingSectionOrUnreadableFixingIsRefused() throws {
        do {
            _ = try UnionFile.parse("[unit]\ncode = \"XCU\"\n", file: "u.toml", currencies: Self.currencies)
            Issue.record("accepted")
        } catch { #expect(error.field == "unit.basket") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("union-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("u.toml").path
        // Without rates for RUB and the others, their members get no rate in the fixing.
        try Self.sampleText.replacingOccurrences(of: "RUB = \"94.5\"\n", with: "")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: UnionStartError.self) { try UnionStart.load(path: path, currencies: Self.currencies) }
        try Self.sampleText.replacingOccurrences(of: "ecb_rates = \"bundled\"", with: "ecb_rates = \"missing.csv\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try UnionStart.load(path: path, currencies: Self.currencies)
            Issue.record("accepted")
        } catch { #expect(error.code == "invalid_input" && error.description.contains("missing.csv")) }
    }

    /// A union too large for the one durable setup batch is refused with the key, before
    /// anything starts (it would otherwise fail at setup with a writer error).
    @Test func aUnionTooLargeForOneSetupBatchIsRefused() {
        var text = Self.sampleText
        for index in 0..<Limits.batchEventCountMax {
            let bic = String(format: "ZZ%02d", index / 26 / 26 % 100)
            let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            let code = String(letters[index / 26 % 26]) + String(letters[index % 26])
            text +=
                "\n[[participants]]\nbic = \"\(bic.prefix(2))\(code)BR\(String(format: "%02d", index / 676))\"\n"
                + "name = \"Bank \(index)\"\nmember = \"BRA\"\nnet_debit_cap = \"1\"\n"
        }
        do {
            _ = try UnionFile.parse(text, file: "u.toml", currencies: Self.currencies)
            Issue.record("accepted")
        } catch { #expect(error.field == "participants" && error.reason.hasPrefix("at most"), "\(error)") }
    }
}
