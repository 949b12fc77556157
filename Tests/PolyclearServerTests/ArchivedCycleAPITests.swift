import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PolyclearCore
@testable import PolyclearServer
import PolyclearStorage
import Testing

/// Over HTTP, a cycle that left memory for the archive answers exactly as it did before: its
/// report (the operator's and a member's view), union overview, the banks' statements in JSON
/// and camt.053, a member's statement and settlement instructions (pacs.009), trade statistics, the banks'
/// outboxes (settlement deliveries) and confirming it again.
@Suite struct ArchivedCycleAPITests {
    static let watched: [UInt32] = [1, 2, 3]

    static func reads(_ client: any TestClientProtocol) async throws -> [String] {
        func get(_ client: any TestClientProtocol, _ uri: String, as role: String) async throws -> String {
            try await ArchivedPaymentAPITests.get(client, uri, as: role)
        }
        var answers: [String] = []
        for number in watched {
            answers.append(try await get(client, "/v1/cycles/\(number)", as: "operator"))
            answers.append(try await get(client, "/v1/cycles/\(number)", as: "bra"))
            answers.append(try await get(client, "/v1/cycles/\(number)/union-overview", as: "operator"))
            answers.append(try await get(client, "/v1/statements/BANKBRSP/cycles/\(number)", as: "brBank"))
            answers.append(try await get(client, "/v1/iso20022/statements/BANKCNBJ/cycles/\(number)", as: "cnBank"))
            answers.append(try await get(client, "/v1/iso20022/cycles/\(number)/instructions/BRA", as: "bra"))
            answers.append(try await get(client, "/v1/members/CHN/statements/\(number)", as: "chn"))
            answers.append(try await get(client, "/v1/trade-statistics?cycle=\(number)", as: "operator"))
            answers.append(try await get(client, "/v1/trade-statistics?cycle=\(number)&by=purpose", as: "chn"))
            answers.append(try await confirm(client, "/v1/cycles/\(number)/confirm", as: "bra", body: nil))
            answers.append(
                try await confirm(
                    client, "/v1/cycles/\(number)/instructions/0/confirm", as: "bra", body: #"{"amount":"1.00"}"#))
        }
        answers.append(try await get(client, "/v1/outbox?format=json&limit=12", as: "cnBank"))
        answers.append(try await get(client, "/v1/outbox?format=iso20022&limit=12", as: "brBank"))
        return answers.map {
            $0.replacingOccurrences(of: #"<CreDtTm>[^<]*</CreDtTm>"#, with: "", options: .regularExpression)
                .replacingOccurrences(of: #""generatedAt":"[^"]*""#, with: "", options: .regularExpression)
                .replacingOccurrences(of: #""last":[0-9]+"#, with: "", options: .regularExpression)
        }
    }

    static func confirm(
        _ client: any TestClientProtocol, _ uri: String, as role: String, body: String?
    ) async throws -> String {
        try await client.execute(
            uri: uri, method: .post, headers: APITests.headers(role), body: body.map { ByteBuffer(string: $0) }
        ) { response in
            // Keys sorted, as `get` sorts them (the encoder's order is not fixed).
            let data = Data(buffer: response.body)
            let sorted = try JSONSerialization.data(
                withJSONObject: try JSONSerialization.jsonObject(with: data), options: [.sortedKeys])
            return "\(response.status.code) \(String(decoding: sorted, as: UTF8.self))"
        }
    }

    /// One payment each way per cycle, closed and confirmed by both members.
    static func cycles(
        _ numbers: ClosedRange<UInt32>, _ client: any TestClientProtocol, _ hub: Writer<InMemoryHubStore>
    ) async throws {
        for number in numbers {
            for (side, payer, payee) in [(0, "BANKBRSP", "BANKCNBJ"), (1, "BANKCNBJ", "BANKBRSP")] {
                let id = "0d9e2b6c-1f00-4a00-8000-\(String(format: "%010d", number))0\(side)"
                try await client.execute(
                    uri: "/v1/payments", method: .post, headers: APITests.headers(side == 0 ? "brBank" : "cnBank"),
                    body: APITests.paymentBody(id: id, payer: payer, payee: payee, amount: "\(number)\(side)0.00")
                ) { #expect($0.status == .created, "\(String(buffer: $0.body))") }
            }
            let results = try await hub.submit(
                [.closeCycle(number: number)]
                    + [APITests.bra, APITests.chn].map {
                        .confirmSettlement(
                            cycle: number, member: $0, instructionIndex: nil, amountMinor: nil, actor: .member($0))
                    })
            #expect(results.first == .ok, "close \(number): \(results)")
        }
    }

    @Test func archivedCyclesAnswerOverHTTPAsThoseInMemory() async throws {
        try await APITests.withAPIAndHub(archiving: true) { client, _, hub in
            try await Self.cycles(1...4, client, hub)
            let before = try await Self.reads(client)
            #expect(before.first?.hasPrefix("200 ") == true, "\(before.first ?? "")")
            let listBefore = try await ArchivedPaymentAPITests.get(client, "/v1/cycles", as: "operator")
            try await Self.cycles(5...UInt32(Limits.cycleReportsResidentMax + 20), client, hub)
            let archived = try await hub.read { $0.archivedCycleCount }
            #expect(archived > Int(Self.watched.last!), "\(archived) archived")
            let after = try await Self.reads(client)
            for (was, now) in zip(before, after) where was != now { Issue.record("before: \(was)\nafter: \(now)") }
            #expect(before.count == after.count)
            // The list holds every closed cycle, the archived ones as they were listed.
            let listAfter = try await ArchivedPaymentAPITests.get(client, "/v1/cycles", as: "operator")
            let first = try Self.cycleList(listBefore).prefix(4), all = try Self.cycleList(listAfter)
            #expect(all.count == Limits.cycleReportsResidentMax + 21 && Array(all.prefix(4)) == Array(first))
            // Everything closed this year, archived or not, is every flow there is (the open
            // cycle has none).
            let year = Calendar(identifier: .gregorian).dateComponents(in: .gmt, from: Date()).year!
            let byYear = try await ArchivedPaymentAPITests.get(
                client, "/v1/trade-statistics?year=\(year)", as: "operator")
            let everything = try await ArchivedPaymentAPITests.get(client, "/v1/trade-statistics", as: "operator")
            #expect(byYear.contains(#""count":"#) && byYear.contains(#""period":"\#(year)""#))
            #expect(
                byYear.replacingOccurrences(of: #""period":"\#(year)""#, with: "")
                    == everything.replacingOccurrences(of: #""period":"all""#, with: ""))
            // Periods at and past the ends of close times (UInt64 nanoseconds: 1970 to 2554)
            // answer with no rows, never a trap; malformed ones (and the calendar's last year and
            // month, whose end it cannot name: December 9999 crashed the server) are refused.
            for period in ["year=1970", "year=2554", "year=2555", "month=9999-11", "year=0001"] {
                let answer = try await ArchivedPaymentAPITests.get(client, "/v1/trade-statistics?\(period)", as: "chn")
                #expect(answer.hasPrefix("200 ") && answer.contains(#""rows":[]"#), "\(period): \(answer)")
            }
            for period in [
                "year=20x6", "month=2026-13", "year=-2026", "cycle=0", "year=2026&month=2026-01", "year=9999",
            ] {
                let answer = try await ArchivedPaymentAPITests.get(client, "/v1/trade-statistics?\(period)", as: "chn")
                #expect(answer.hasPrefix("400 ") && answer.contains("malformed_query"), "\(period): \(answer)")
            }
        }
    }

    /// An archive that cannot be read answers 503 `archive_unavailable`; cycles in memory
    /// still answer.
    @Test func anUnreadableCycleArchiveAnswersArchiveUnavailable() async throws {
        var configuration = HubConfiguration(currencies: APITests.currencies)
        configuration.paymentArchiveAvailable = true
        let writer = Writer(store: InMemoryHubStore(configuration: configuration))
        try await writer.whileRunning {
            _ = try await writer.submit(try WriteForwardingTests.setup() + [.startCycleArchive])
            for number in 1...UInt32(Limits.cycleReportsResidentMax + 1) {
                #expect(try await writer.submit([.closeCycle(number: number)]) == [.ok])
            }
            #expect(try await writer.read { $0.archivedCycleCount } > 0)
            let hub = WriteForwardingTests.RoutedHub(writer: writer, route: .local, archiveFails: true)
            let last = UInt32(Limits.cycleReportsResidentMax + 1)
            #expect(try await PolyclearAPI.readCycle(hub, last) { report, _ in report?.number } == last)
            do {
                _ = try await PolyclearAPI.readCycle(hub, 1) { report, _ in report?.number }
                Issue.record("an unreadable archive answered")
            } catch let error as APIError {
                #expect(error.code == "archive_unavailable" && error.status == .serviceUnavailable)
            }
        }
    }

    static func cycleList(_ answer: String) throws -> [NSDictionary] {
        let body = try #require(answer.split(separator: " ", maxSplits: 1).last)
        let list = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [NSDictionary]
        return try #require(list)
    }
}
