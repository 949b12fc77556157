import Foundation
import PolyclearCore
import PolyclearStorage
import PolyclearTestSupport
import Testing

/// Idempotency records on every hub store, through the real writer: a marked submission's key
/// and results are stored with its commit (and survive a reopen, as after a restart or on
/// another node); the answer is added later; old records are dropped when an answer is stored.
@Suite struct IdempotencyStoreTests {
    typealias H = HubStoreTests

    static func mark(_ key: String, digest: UInt8 = 1) -> IdempotencyMark<HubResult> {
        IdempotencyMark(caller: "operator:ops", key: key, digest: Array(repeating: digest, count: 32)) { results in
            Data("\(results.count) results".utf8)
        }
    }

    @Test(arguments: H.Kind.available)
    func recordsAreCommittedWithTheirCommandsAndAnswersAddedLater(kind: H.Kind) async throws {
        let directory = TemporaryDirectory()
        let (store, reopen) = try await H.makeStore(kind, directory: directory)
        try await Self.check(store, reopen: reopen)
    }

    static func check<S: HubStore>(_ store: S, reopen: () throws -> any HubStore) async throws {
        let union = try H.union()
        let clock = ManualClock()
        let writer = Writer(store: store, clock: { clock.now() })
        try await writer.whileRunning {
            _ = try await writer.submit(union.setupCommands, idempotency: Self.mark("setup")) { results, _ in results }
            // Refused, and the refusal is in the audit trail: recorded too (a retry gets the same refusal).
            let refused = try await writer.submit(
                [.commitPayment(id: 42, actor: .operatorUser("ops"))], idempotency: Self.mark("nothing")
            ) { results, _ in results }
            #expect(refused.count == 1)
        }
        let reopened = try reopen()
        let record = try #require(try await reopened.idempotencyRecord(caller: "operator:ops", key: "setup"))
        #expect(record.digest == Array(repeating: 1, count: 32) && record.answer == nil)
        #expect(String(decoding: record.results, as: UTF8.self) == "\(union.setupCommands.count) results")
        #expect(try await reopened.idempotencyRecord(caller: "participant:BANKBRSP", key: "setup") == nil)
        let refusal = try await reopened.idempotencyRecord(caller: "operator:ops", key: "nothing")
        #expect(refusal.map { String(decoding: $0.results, as: UTF8.self) } == "1 results")
        let answer = IdempotencyAnswer(
            status: 201, headers: [["content-type", "application/json"]], body: Data("{}".utf8))
        try await reopened.storeIdempotencyAnswer(
            caller: "operator:ops", key: "setup", answer: answer, expiringBefore: record.createdAt)
        #expect(try await reopened.idempotencyRecord(caller: "operator:ops", key: "setup")?.answer == answer)
        // Storing an answer drops what expired: here everything up to after the record's time.
        try await reopened.storeIdempotencyAnswer(
            caller: "operator:ops", key: "setup", answer: answer, expiringBefore: record.createdAt + 1)
        #expect(try await reopened.idempotencyRecord(caller: "operator:ops", key: "setup") == nil)
    }
}
