import Foundation
import PolyclearTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `Idempotency-Key` answers survive the writer's death. A real server kills itself (SIGKILL)
/// at a failpoint — right after the request's commit, before its answer is stored or sent; or
/// right after the answer is stored, before it is sent — and the client's retry on the
/// restarted server gets the first execution's answer, never a second execution: a cycle
/// close retried is answered as closed (not "already closed"), and one cycle is closed.
@Suite(.serialized) struct IdempotencyCrashTests {
    static func post(
        port: Int, path: String, key: String, body: String? = nil, secret: String = "serve-test-operator-secret"
    ) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: 30)
        request.httpMethod = "POST"
        request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
        request.setValue(key, forHTTPHeaderField: "Idempotency-Key")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: ["idempotency-after-commit", "idempotency-after-answer-stored"])
    func aRetryAfterTheWriterDiedGetsTheFirstAnswerAndNothingRunsTwice(failpoint: String) async throws {
        let directory = TemporaryDirectory()
        let db = directory.path("hub.sqlite")
        let port = freeLocalPort()
        let first = try await ServeTests.start(
            db: db, port: port, environment: ["POLYCLEAR_FAILPOINT": "\(failpoint):close-1"])
        #expect(await first.waitUntil(seconds: 30) { $0.standardOutput.contains("sample union ready") })
        // Another key runs as usual under the armed failpoint.
        let (warmStatus, _) = try await Self.post(port: port, path: "/v1/cycles/9/close", key: "other")
        #expect(warmStatus == 409)
        await #expect(throws: (any Error).self) {
            _ = try await Self.post(port: port, path: "/v1/cycles/1/close", key: "close-1")
        }
        #expect(await first.waitForExit(seconds: 30) == SIGKILL, "the failpoint did not kill the server")

        let second = try await ServeTests.start(db: db, port: port)
        defer { second.stopNow() }
        #expect(await second.waitUntil(seconds: 30) { $0.standardOutput.contains("sample union ready") })
        let (status, answer) = try await Self.post(port: port, path: "/v1/cycles/1/close", key: "close-1")
        #expect(status == 200, "\(answer)")
        #expect(answer.contains("\"number\":1") && answer.contains("\"state\":\""), "\(answer)")
        let (againStatus, again) = try await Self.post(port: port, path: "/v1/cycles/1/close", key: "close-1")
        #expect(againStatus == status && again == answer)
        // Executed once: cycle 1 closed, cycle 2 open (a second close would have been refused,
        // and a close of the open cycle 2 would have made it 3).
        let (_, cycles) = try await ServeTests.call(
            "GET", port: port, path: "/v1/cycles", secret: "serve-test-operator-secret")
        let list = (try? JSONSerialization.jsonObject(with: Data(cycles.utf8))) as? [[String: Any]] ?? []
        #expect(list.map { $0["number"] as? Int } == [1, 2], "\(cycles)")
        #expect(list.last?["state"] as? String == "open")
        // The same key for another request is refused, from the durable record.
        let (reused, refusal) = try await Self.post(port: port, path: "/v1/cycles/2/close", key: "close-1")
        #expect(reused == 409 && refusal.contains("idempotency_key_reused"), "\(refusal)")
    }
}

/// The same on a PostgreSQL cluster: the writer dies right after the commit of a request that
/// a follower forwarded to it; the follower takes the writer role over and answers the retry
/// as the first execution would have, from the record in the shared database.
@Suite(.serialized, .enabled(if: ExternalTool.postgres.runs, "\(ExternalTool.postgres.skipReason)"))
struct IdempotencyTakeoverTests {
    @Test func aRetryOnTheNodeThatTookOverGetsTheFirstAnswer() async throws {
        let cluster = try await ClusterNodes.create(name: "idempotency")
        let first = try await cluster.start(
            0, sampleUnion: true, environment: ["POLYCLEAR_FAILPOINT": "idempotency-after-commit:close-1"])
        let second = try await cluster.start(1)
        defer { first.kill(); second.kill() }
        #expect(await cluster.waitForRole(0, "writer"))
        #expect(await cluster.waitForRole(1, "follower", writer: 0))
        let secret = ClusterTests.operatorSecret
        let (lost, _) =
            (try? await IdempotencyCrashTests.post(
                port: cluster.ports[1], path: "/v1/cycles/1/close", key: "close-1", secret: secret)) ?? (-1, "")
        #expect(lost != 200, "the writer answered although it died at the failpoint")
        #expect(await first.waitForExit(seconds: 30) == SIGKILL)
        #expect(await cluster.waitForRole(1, "writer", seconds: 30))
        let (status, answer) = try await IdempotencyCrashTests.post(
            port: cluster.ports[1], path: "/v1/cycles/1/close", key: "close-1", secret: secret)
        #expect(status == 200 && answer.contains("\"number\":1"), "\(answer)")
        let (_, cycles) = try await ClusterTests.call("GET", port: cluster.ports[1], path: "/v1/cycles", secret: secret)
        let list = (try? JSONSerialization.jsonObject(with: Data(cycles.utf8))) as? [[String: Any]] ?? []
        #expect(list.map { $0["number"] as? Int } == [1, 2], "\(cycles)")
    }
}
