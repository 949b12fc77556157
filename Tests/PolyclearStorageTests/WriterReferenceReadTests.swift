import PolyclearCore
import PolyclearStorage
import PolyclearTestSupport
import PolyclearWorkload
import Synchronization
import Testing

/// Reference reads (`Writer.readReference`: a bank's currency before a batch) are served
/// while a batch of payments is being committed — payments cannot change a bank or a currency —
/// but wait, like every other read, behind a commit that may change the reference data.
@Suite struct WriterReferenceReadTests {
    typealias H = HubStoreTests

    /// A hub store whose commits wait at a gate the test opens; it starts from a set-up union.
    final class GatedHubStore: StateMachineStore {
        typealias Machine = HubStateMachine
        let start: HubStateMachine
        let gate = CommitGate()

        init(start: HubStateMachine) { self.start = start }

        func commit(_ outcome: HubOutcome) async throws { try await gate.pass() }

        var commitsAtGate: Int { gate.waitingCount }

        func open() { gate.open() }

        func restore() async throws -> HubStateMachine { start }

        func preparation<Submissions: Collection<[HubCommand]> & Sendable>(
            for submissions: Submissions, on machine: HubStateMachine
        ) async throws -> [HubCommand] { [] }
    }

    typealias Flag = WriterPipelineTests.Flag

    /// A hub with the sample union set up and committed.
    static func setUpHub(_ union: SampleUnion) throws -> HubStateMachine {
        var hub = HubStateMachine(configuration: H.configuration)
        var results = ContiguousArray<HubResult>()
        try hub.apply(union.setupCommands, now: 1_000_000_000_000, results: &results)
        _ = hub.sealOutcome()
        hub.outcomeCommitted()
        return hub
    }

    static func setUp() throws -> (GatedHubStore, SampleUnion, [HubCommand]) {
        let union = try H.union()
        let hub = try setUpHub(union)
        let payments = Array(try H.batches(union)[1].prefix(20)).filter {
            if case .submitPayment = $0 { true } else { false }
        }
        return (GatedHubStore(start: hub), union, payments)
    }

    /// A batch of payments waits at the gate: a reference read is answered all the same (what
    /// the committed state says), a plain read only once the commit has landed.
    @Test func aReferenceReadIsServedBehindACommitOfPayments() async throws {
        let (store, union, payments) = try Self.setUp()
        let bank = union.participants[0].bic
        let writer = Writer(store: store, clock: { 2_000_000_000_000 })
        try await withTimeLimit(seconds: 60) {
            try await writer.whileRunning {
                let submitted = Task { try await writer.submit(payments) }
                while store.commitsAtGate == 0 { try await Task.sleep(for: .milliseconds(1)) }
                let plainDone = Flag()
                let plain = Task {
                    let count = try await writer.read { $0.paymentCount }
                    plainDone.set()
                    return count
                }
                let member = try await writer.readReference { $0.participant(bank)?.memberID }
                #expect(member == union.participants[0].memberID)
                #expect(store.commitsAtGate == 1 && !plainDone.isSet, "answered before the commit landed")
                store.open()
                #expect(try await plain.value == payments.count)
                #expect(try await submitted.value.count == payments.count)
            }
        }
    }

    /// A batch that registers a bank waits at the gate: a reference read waits too, and then
    /// sees the bank.
    @Test func aReferenceReadWaitsBehindACommitThatChangesReferenceData() async throws {
        let (store, union, payments) = try Self.setUp()
        var participant = union.participants[0]
        participant.bic = BIC("NEWBAE22")!
        let newcomer = participant
        let writer = Writer(store: store, clock: { 2_000_000_000_000 })
        try await withTimeLimit(seconds: 60) {
            try await writer.whileRunning {
                let submitted = Task {
                    try await writer.submit(Array(payments.prefix(3)) + [.registerParticipant(newcomer)])
                }
                while store.commitsAtGate == 0 { try await Task.sleep(for: .milliseconds(1)) }
                let done = Flag()
                let read = Task {
                    let member = try await writer.readReference { $0.participant(newcomer.bic)?.memberID }
                    done.set()
                    return member
                }
                try await Task.sleep(for: .milliseconds(200))
                #expect(!done.isSet, "a reference read saw a bank whose registration was not committed")
                store.open()
                #expect(try await read.value == newcomer.memberID)
                _ = try await submitted.value
            }
        }
    }

    /// Payments and their decisions keep reference data; anything else counts as a change.
    @Test func onlyPaymentCommandsKeepReferenceData() throws {
        let (_, union, payments) = try Self.setUp()
        #expect(payments.count > 10 && payments.allSatisfy { $0.keepsReferenceData })
        let ops = Actor.operatorUser("ops")
        #expect(HubCommand.attributed(actor: ops, command: .cancelPayment(id: 1, actor: ops)).keepsReferenceData)
        #expect(!HubCommand.registerParticipant(union.participants[0]).keepsReferenceData)
        #expect(!HubCommand.attributed(actor: ops, command: .closeCycle(number: 1)).keepsReferenceData)
        #expect(
            !HubCommand.updateParticipant(bic: union.participants[0].bic, netDebitCapMinor: 1, status: nil)
                .keepsReferenceData)
        let time = HubOutcome(log: [HubLogEntry(command: nil, time: 1)], ledger: LedgerOutcome(), events: [])
        #expect(!time.keepsReferenceData, "a tick may enact anything")
    }

    /// The hub tracks the flag as it applies (`HubStateMachine.logKeepsReferenceData`): on
    /// random mixes of payments, other commands and ticks, the sealed outcome says what its log
    /// says, and a commit starts the next outcome afresh.
    @Test func theSealedOutcomesFlagIsWhatItsLogSays() throws {
        let union = try H.union()
        var hub = try Self.setUpHub(union)
        let payments = try H.batches(union)[1]
        let other = HubCommand.updateParticipant(bic: union.participants[0].bic, netDebitCapMinor: nil, status: nil)
        var random = SeededRandom(seed: 11)
        var now: UInt64 = 1_000_000_000_000
        var seen = Set<Bool>()
        for round in 0..<60 {
            for _ in 0..<Int(random.next() % 5) {
                now += 1_000
                switch random.next() % 8 {
                case 0: hub.tick(now: now)
                case 1: _ = hub.apply(other, now: now)
                default: _ = hub.apply(payments[Int(random.next() % UInt64(payments.count))], now: now)
                }
            }
            let outcome = hub.sealOutcome()
            let fromLog = HubOutcome(log: outcome.log, ledger: LedgerOutcome(), events: [])
            #expect(outcome.keepsReferenceData == fromLog.keepsReferenceData, "round \(round)")
            seen.insert(outcome.keepsReferenceData)
            hub.outcomeCommitted()
        }
        #expect(seen == [true, false])
    }
}
