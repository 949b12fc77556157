@testable import PolyclearCore
import PolyclearWorkload
import Testing

@Suite struct StatementTests {
    typealias F = HubFixture

    /// Over random streams with cycles, funds, two-phase payments and settlements: every
    /// participant's statement of every cycle reconciles (opening + entries = closing), and
    /// its closing equals the posted balance computed independently from all transfers.
    @Test(arguments: 1...15 as ClosedRange<UInt64>)
    func statementsReconcileWithTheLedger(seed: UInt64) {
        var random = SeededRandom(seed: seed &* 977)
        var f = F(capMinor: 1_000_000, quotaUnitMinor: 5_000_000)
        var rules = ImbalanceRules.standard
        rules.excessSettlementAsset = "XAU"
        f.expectOK(.setImbalanceRules(rules))
        var nextID: UInt128 = 1
        for _ in 0..<400 {
            let command = HubPropertyTests.randomCommandWithCycles(
                &random, nextID: &nextID, hub: f.hub, cycleEventsOneIn: 20)
            _ = f.apply(command, advancingNanoseconds: random.next() % 30_000_000_000)
        }
        #expect(f.hub.cycles.count > 3)
        for (index, report) in f.hub.cycles.enumerated() {
            for participant in HubPropertyTests.banks {
                let account = f.hub.positionAccountID(of: participant)!
                let statement = ParticipantStatement(
                    cycle: report, previous: index > 0 ? f.hub.cycles[index - 1] : nil, bic: participant,
                    positionAccountID: account, transfers: f.transfers)
                #expect(statement.reconciles, "cycle \(report.number) \(participant) (seed \(seed))")
                let independent = f.transfers.filter {
                    $0.transfer.timestamp <= report.lastLedgerTimestamp && !$0.transfer.flags.contains(.pending)
                        && !$0.transfer.flags.contains(.voidPendingTransfer)
                }.map { t -> Int64 in
                    t.transfer.creditAccountID == account
                        ? Int64(t.transfer.amount)
                        : t.transfer.debitAccountID == account ? -Int64(t.transfer.amount) : 0
                }.reduce(0, +)
                #expect(statement.closingMinor == independent, "cycle \(report.number) \(participant) (seed \(seed))")
            }
            // Per currency, the banks' nets and the member's hub and rounding accounts sum to zero.
            for record in f.hub.members {
                let net = report.members.first { $0.id == record.member.id }!.participantsNetMinor
                let hub = ParticipantStatement.postedEntries(
                    of: record.hubAccountID, in: report, transfers: f.transfers)
                let rounding = ParticipantStatement.postedEntries(
                    of: record.roundingAccountID, in: report, transfers: f.transfers)
                let counterpart = (hub + rounding).map(\.amountMinor).reduce(0, +)
                #expect(net + counterpart == 0, "cycle \(report.number) \(record.member.currency) (seed \(seed))")
            }
            for member in [F.bra, F.chn, F.ind, F.idn] {
                let statement = MemberStatement(
                    cycle: report, previous: index > 0 ? f.hub.cycles[index - 1] : nil, member: member,
                    unionAccountID: f.hub.unionAccountID(of: member)!, transfers: f.transfers)
                #expect(statement.reconciles, "cycle \(report.number) \(member) (seed \(seed))")
            }
        }
    }

    @Test func statementAndOverviewRenderAsCSV() {
        var f = F(capMinor: 10_000_000)
        _ = f.pay(1, F.brBank1, F.cnBank1, 100_000)
        _ = f.pay(2, F.cnBank2, F.brBank1, 5_000)
        f.expectOK(.closeCycle(number: 1))
        let report = f.hub.cycles[0]
        let statement = ParticipantStatement(
            cycle: report, previous: nil, bic: F.brBank1,
            positionAccountID: f.hub.positionAccountID(of: F.brBank1)!, transfers: f.transfers)
        #expect(statement.reconciles)
        let csv = statement.csv(exponent: 2)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "cycle,bic,currency,line,timestamp,transfer_id,kind,reference,amount")
        #expect(lines[1] == "1,BANKBRSP,BRL,opening,,,,,0.00")
        // Ids as the JSON statement writes them: transfer id in hex, reference as a UUID.
        let fields = lines[2].split(separator: ",", omittingEmptySubsequences: false)
        #expect(fields[5] == Substring(String(statement.entries[0].transferID, radix: 16)))
        #expect(lines[2].hasSuffix(",payment_out,00000000-0000-0000-0000-000000000001,-1000.00"))
        #expect(
            lines.last == "1,BANKBRSP,BRL,closing,,,,,\(Money.format(minorUnits: statement.closingMinor, exponent: 2))")
        let overview = report.unionOverviewCSV(unitExponent: 4).split(separator: "\n")
        #expect(overview[1].hasPrefix("1,BRA,BRL,"))
        #expect(overview.count == 5)
    }
}
