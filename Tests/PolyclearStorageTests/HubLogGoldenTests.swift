import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearStorage
import Testing

/// The durable hub log's format, pinned by golden files written once (`Golden/*.hex`): a log
/// written by an earlier build must read back after any refactor, and encode to the same
/// bytes. A rename of a command or event case or of a field of the JSON fallback, a changed
/// tag or layout, fails here.
///
/// To change the format deliberately: bump `HubLogCodec.version`, keep reading the old
/// version, keep these files (assert they still decode) and add new ones. To write a golden
/// file that is missing: `POLYCLEAR_WRITE_GOLDEN=1 swift test --filter HubLogGoldenTests`.
@Suite struct HubLogGoldenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Every kind of entry: the sample union's setup (JSON fallback), a payment workload with
    /// two-phase decisions and cycle closes, random binary entries, and the rarer commands.
    static func entries() throws -> [HubLogEntry] {
        var time: UInt64 = 1_700_000_000_000_000_000
        var entries: [HubLogEntry] = []
        // The whole setup batch (members, participants, unit, fixing), then 40 payment commands.
        for (index, batch) in try HubStoreTests.batches(try HubStoreTests.union()).prefix(2).enumerated() {
            for command in batch.prefix(index == 0 ? batch.count : 40) {
                time += 1_000
                entries.append(HubLogEntry(command: command, time: time))
            }
        }
        var random = SeededRandom(seed: 20_261_204)
        entries += (0..<120).map { _ in HubLogCodecTests.randomEntry(&random) }
        let bra = CountryCode(alpha3: "BRA")!, bic = HubLogCodecTests.bic, other = HubLogCodecTests.other
        var triggers = CycleTriggers()
        triggers.intervalSeconds = 3_600; triggers.settlementDeadlineSeconds = 7_200
        var rules = ImbalanceRules(
            tiers: [.init(thresholdPercentOfQuota: 25, annualRateBasisPoints: 100)], persistentImbalanceCycles: 3)
        rules.excessSettlementAsset = "XAU"
        let rare: [HubCommand] = [
            .updateMember(id: bra, quotaUnitMinor: 7, status: .suspended),
            .registerParticipant(Participant(bic: bic, name: "Banco", memberID: bra, netDebitCapMinor: 10)),
            .updateParticipant(bic: bic, netDebitCapMinor: nil, status: .active),
            .issueQuote(id: 77, payer: bic, payee: other, validitySeconds: 60),
            .setAlarmThresholds([50, 75, 90]), .applyCycleEndQueuePolicy, .closeCycle(number: 4),
            .setCycleTriggers(triggers),
            .confirmSettlement(cycle: 4, member: bra, instructionIndex: 1, amountMinor: 500, actor: .member(bra)),
            .setImbalanceRules(rules), .resolveGridlock,
            .setGridlockPolicy(GridlockPolicy(beforeCycleClose: true, queueLengthThreshold: 9)),
            .setOffObligations(
                runID: 5,
                obligations: [SetOffObligation(id: 6, debtor: bic, creditor: other, amountMinor: 100, dueDay: 3)]),
            .confirmExcessSettlement(cycle: 4, member: bra, amountUnitMinor: 12, actor: .operatorUser("ops")),
            .attributed(
                actor: .operatorUser("ops"),
                command: .defineUnit(amountsPerUnit: [
                    CurrencyCode("EUR")!: DecimalNumber("0.5")!,
                    CurrencyCode("CNY")!: DecimalNumber("3.1")!,
                ])),
        ]
        entries += rare.enumerated().map { HubLogEntry(command: $1, time: time + UInt64($0)) }
        return entries
    }

    /// The commands of the union's administration and governance (added after the first
    /// golden log, so pinned by their own file).
    static func governanceEntries() -> [HubLogEntry] {
        let bra = CountryCode(alpha3: "BRA")!, bic = HubLogCodecTests.bic
        var rules = GovernanceRules()
        rules.approvalRequired = [.participantCap, .heldPaymentRelease]
        rules.heldReleaseApprovalAboveUnitMinor = 1_000
        let digest = String(repeating: "ab", count: 32)
        let commands: [HubCommand] = [
            .decideHeldPayment(id: 9, release: true, actor: .operatorUser("ops"), reason: "name match, not the party"),
            .decideHeldPayment(id: 10, release: false, actor: .operatorUser("ops")),
            .setQueuePolicy(.returnToPayer), .setGovernanceRules(rules),
            .propose(
                change: .setQuota(bra, quotaUnitMinor: 12), votingSeconds: 5_000, effectiveAfterSeconds: 6_000,
                actor: .member(bra)),
            .propose(
                change: .admitMember(
                    Member(
                        id: CountryCode(alpha3: "ZAF")!, name: "SARB", currency: CurrencyCode("ZAR")!, quotaUnitMinor: 3
                    )),
                votingSeconds: 5_000, effectiveAfterSeconds: 0, actor: .operatorUser("ops")),
            .vote(proposal: 1, member: bra, choice: .abstain, actor: .member(bra)),
            .decideApproval(number: 2, approve: false, actor: .operatorUser("ops-2")),
            .issueAPIKey(
                APIKeyGrant(id: 3, holder: .participant(bic), digestHex: digest, expiresAt: 9), actor: .member(bra)),
            .rotateAPIKey(
                oldID: 3, new: APIKeyGrant(id: 4, holder: .participant(bic), digestHex: digest), overlapSeconds: 60,
                actor: .operatorUser("ops")),
            .revokeAPIKey(id: 4, actor: .operatorUser("ops")),
            .submitPayment(
                PaymentInstruction(
                    id: 11, payer: bic, payee: HubLogCodecTests.other, amountMinor: 5_000, endToEndID: "E2E-11",
                    uetr: 0x1234_5678_9ABC_4DEF_8123_4567_89AB_CDEF,
                    trade: TradeReference(invoiceNumber: "INV-11", purposeCode: "GDDS", hsCode: "850440"),
                    isTwoPhase: true, timeoutSeconds: 600, condition: PaymentCondition(sha256Hex: digest))),
            .fulfilCondition(id: 11, presentedSHA256Hex: digest, actor: .participant(HubLogCodecTests.other)),
        ]
        return commands.enumerated().map { HubLogEntry(command: $1, time: 1_800_000_000_000_000_000 + UInt64($0)) }
    }

    @Test func governanceEntriesReadBackAndEncodeTheSame() throws {
        let stored = try Self.golden("hub-log-governance-v1.hex") { try HubLogCodec.encode(Self.governanceEntries()) }
        let entries = try HubLogCodec.decodeEntries(stored)
        #expect(entries == Self.governanceEntries(), "the golden entries decode to other values")
        #expect(try HubLogCodec.encode(entries) == stored, "the same entries now encode to other bytes")
    }

    /// Events as a real hub emits them (payments, funds, alarms, cycle reports, audit records).
    static func events() throws -> [HubEvent] {
        let union = try HubStoreTests.union()
        var hub = HubStateMachine(configuration: HubStoreTests.configuration)
        var results = ContiguousArray<HubResult>()
        var now: UInt64 = 1_700_000_000_000_000_000
        for batch in try HubStoreTests.batches(union).prefix(3) {
            now += 1_000_000_000
            try hub.apply(batch, now: now, results: &results)
        }
        let events = hub.sealOutcome().events
        // Every payment event's kind, but a bounded file: the first 60 and every other kind.
        var kept = Array(events.prefix(60))
        var kinds = Set(kept.map { Self.kindName($0) })
        for event in events.dropFirst(60) where kinds.insert(Self.kindName(event)).inserted { kept.append(event) }
        return kept
    }

    static func kindName(_ event: HubEvent) -> String { String(String(describing: event.kind).prefix { $0 != "(" }) }

    static func golden(_ name: String, fresh: () throws -> Data) throws -> Data {
        let url = directory.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: url.path),
            ProcessInfo.processInfo.environment["POLYCLEAR_WRITE_GOLDEN"] == "1"
        {
            let hex = try fresh().map { String(format: "%02x", $0) }.joined()
            let lines = stride(from: 0, to: hex.count, by: 100).map { offset in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return String(hex[start..<(hex.index(start, offsetBy: 100, limitedBy: hex.endIndex) ?? hex.endIndex)])
            }
            try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        }
        let text = try String(contentsOf: url, encoding: .utf8).filter { !$0.isWhitespace }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(try #require(UInt8(text[index..<next], radix: 16)))
            index = next
        }
        return Data(bytes)
    }

    @Test func aLogWrittenByAnEarlierBuildReadsBackAndEncodesTheSame() throws {
        let stored = try Self.golden("hub-log-entries-v1.hex") { try HubLogCodec.encode(try Self.entries()) }
        let entries = try HubLogCodec.decodeEntries(stored)
        #expect(entries == (try Self.entries()), "the golden entries decode to other values")
        #expect(try HubLogCodec.encode(entries) == stored, "the same entries now encode to other bytes")
        let commands = Set(
            entries.compactMap { $0.command.map { String(String(describing: $0).prefix { $0 != "(" }) } })
        // Every case of `HubCommand` (29): a new command must be added to the golden log.
        #expect(commands.count == 29, "the golden log covers \(commands.count) kinds of command: \(commands.sorted())")
    }

    @Test func eventsWrittenByAnEarlierBuildReadBackAndEncodeTheSame() throws {
        let stored = try Self.golden("hub-log-events-v1.hex") { try HubLogCodec.encode(try Self.events()) }
        let events = try HubLogCodec.decodeEvents(stored)
        #expect(try HubLogCodec.encode(events) == stored, "the same events now encode to other bytes")
        let kinds = Set(events.map(Self.kindName))
        #expect(kinds.isSuperset(of: ["paymentStatus", "cycleClosed", "audited"]), "\(kinds.sorted())")
    }

    /// A blob written before these golden files (the fuzz seed, from the build of issue 14),
    /// with the union's setup in the JSON fallback (`defineUnit`, `publishFixing`), still reads.
    @Test func aBlobFromBeforeTheGoldenFilesStillReads() throws {
        let seed = Self.directory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/seeds/hub_log/sample-union-setup")
        let entries = try HubLogCodec.decodeEntries(try Data(contentsOf: seed))
        let units = entries.compactMap { entry -> CurrencyAmounts? in
            if case .defineUnit(let amounts, _) = entry.command { amounts } else { nil }
        }
        #expect(units.count == 1 && units[0].byCurrency.count >= 2, "\(units)")
        #expect(entries.contains { if case .publishFixing = $0.command { true } else { false } })
    }

    /// The store's error codes, pinned (they are printed by tools and matched by operators' scripts).
    @Test func storeErrorCodesArePinned() {
        let pinned: [(UInt16, String)] = [
            (1, "not_a_polyclear_database"), (2, "corrupt_database"), (3, "schema_too_new"), (4, "invariant_violated"),
            (5, "io_failure"), (6, "fenced"), (7, "database_in_use"), (8, "destination_exists"), (9, "not_found"),
            (10, "snapshot_refused"),
        ]
        for (raw, name) in pinned { #expect(StoreErrorCode(rawValue: raw)?.name == name, "\(raw)") }
        #expect(StoreErrorCode(rawValue: 11) == nil, "a new store error code: pin it here")
    }
}
