import Foundation
import PolyclearCore
public import Synchronization

/// Payments to one node, one at a time per connection, reconnecting after failures; notes
/// the first one accepted after `killedAt`.
public final class FailoverLoad: Sendable {
    public let port: Int
    public let banks: [BenchBank]
    public let round: UInt64
    public let stop = Atomic<Bool>(false)
    public let killedAt = Mutex<ContinuousClock.Instant?>(nil)
    public let firstAfterKill = Mutex<ContinuousClock.Instant?>(nil)
    public let acknowledged = Mutex<[UInt128]>([])
    public let counts = Mutex<[Int: Int]>([:])

    public init(port: Int, banks: [BenchBank], round: UInt64) {
        self.port = port
        self.banks = banks
        self.round = round
    }

    public func run(connections: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for connection in 0..<connections { group.addTask { await self.drive(connection: connection) } }
        }
    }

    private func drive(connection: Int) async {
        var bodies = PaymentBodies(banks: banks, phase: round, connection: UInt64(connection))
        var request = 0
        while !stop.load(ordering: .relaxed) {
            do {
                try await HTTPLoadConnection.with(host: "127.0.0.1", port: port) { http in
                    while !stop.load(ordering: .relaxed) {
                        let payer = (connection + request * 7) % banks.count
                        request += 1
                        let body = bodies.next(payer: payer, count: 1, asArray: false)
                        let sent = ContinuousClock.now
                        let (status, answer) = try await http.send(
                            .POST, "/v1/payments", authorization: banks[payer].authorization, body: body)
                        let now = ContinuousClock.now
                        counts.withLock { $0[Int(status), default: 0] += 1 }
                        if status == 201 {
                            if let object = try? JSONSerialization.jsonObject(with: Data(answer.readableBytesView))
                                as? [String: Any],
                                let text = object["id"] as? String, let id = UUIDText.parse(text)
                            {
                                acknowledged.withLock { $0.append(id) }
                            }
                            // Sent after the kill: the new writer accepted it (an answer the
                            // old writer gave just before dying may arrive after the kill).
                            if let killed = killedAt.withLock({ $0 }), sent > killed {
                                firstAfterKill.withLock { if $0 == nil { $0 = now } }
                            }
                        } else {
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    }
                }
            } catch {
                counts.withLock { $0[-1, default: 0] += 1 }  // the connection failed
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}
