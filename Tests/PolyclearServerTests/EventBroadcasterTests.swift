import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import PolyclearCore
import PolyclearTestSupport
import Synchronization
@testable import PolyclearServer
import Testing

/// The live event feed's fan-out: what each subscriber costs and who receives what.
@Suite struct EventBroadcasterTests {
    /// A caller's streams are counted; each committed batch is resolved once, whatever the
    /// number of subscribers, and an event reaches only those who may see it.
    @Test func eventFanOutResolvesOncePerBatchAndSkipsThoseWhoCannotSee() async throws {
        let events = EventBroadcaster()
        let payer = BIC("BANKBRSP")!, payee = BIC("BANKCNBJ")!, bystander = BIC("SECOBRSP")!
        let resolutions = Mutex(0)
        events.startDelivering { batch in
            resolutions.withLock { $0 += 1 }
            return batch.map { EventAudience($0, parties: (payer, payee), memberOf: { _ in nil }) }
        }
        var bystanderStreams: [AsyncStream<ByteBuffer>] = []
        for _ in 0..<200 {
            guard case .success(let subscription) = events.subscribe(.participant(bystander), streamsMax: 200) else {
                Issue.record("200 streams are allowed"); return
            }
            bystanderStreams.append(subscription.events)
        }
        guard case .failure(.tooManyStreams) = events.subscribe(.participant(bystander), streamsMax: 200) else {
            Issue.record("the 201st stream must be refused"); return
        }
        guard case .success(let mine) = events.subscribe(.participant(payee), streamsMax: 200) else {
            Issue.record("another caller has its own allowance"); return
        }
        let status = HubEvent(
            timestamp: 1, kind: .paymentStatus(id: 7, status: .accepted, rejection: nil, actor: .participant(payer)))
        events.publish([status, status])
        var iterator = mine.events.makeAsyncIterator()
        let expected = String(buffer: EventBroadcaster.lines(status))
        for _ in 0..<2 {
            let received = await iterator.next().map { String(buffer: $0) }
            #expect(received == expected)
        }
        #expect(resolutions.withLock { $0 } == 1)
        events.close()
        #expect(await iterator.next() == nil, "closing ends every stream")
        var bystanderIterator = bystanderStreams[0].makeAsyncIterator()
        #expect(await bystanderIterator.next() == nil, "a bank that is not a party saw nothing")
        guard case .failure(.closed) = events.subscribe(.participant(payee), streamsMax: 200) else {
            Issue.record("a closed broadcaster opens no stream"); return
        }
    }

    /// Delivery finds an event's subscribers by its audience alone (operators and members from
    /// their own sets, banks and named members by key) and reaches exactly the callers
    /// `EventAudience.includes` names, once each, whoever else holds streams.
    @Test func everyEventReachesExactlyItsAudienceOnce() async throws {
        let events = EventBroadcaster()
        let brl = BIC("BANKBRSP")!, cny = BIC("BANKCNBJ")!, other = BIC("SECOBRSP")!
        let bra = CountryCode(alpha3: "BRA")!, chn = CountryCode(alpha3: "CHN")!, ind = CountryCode(alpha3: "IND")!
        var onlyOperator = EventAudience()
        onlyOperator.participants = []
        var payment = EventAudience()
        (payment.participants, payment.members) = ([brl, cny], [bra, chn])
        var cycle = EventAudience()
        cycle.allMembers = true
        var domestic = EventAudience()
        (domestic.participants, domestic.members) = ([brl, brl], [bra, bra])
        var alarm = EventAudience()
        alarm.members = [ind]
        let audiences = [onlyOperator, payment, cycle, domestic, alarm]
        events.startDelivering { batch in batch.map { audiences[Int($0.timestamp)] } }
        let callers: [Caller] = [
            .operatorUser("ops-1"), .operatorUser("ops-2"), .member(bra), .member(chn), .member(ind),
            .participant(brl), .participant(cny), .participant(other),
        ]
        var streams: [(Caller, AsyncStream<ByteBuffer>)] = []
        for caller in callers {
            guard case .success(let subscription) = events.subscribe(caller, streamsMax: 2) else {
                Issue.record("a stream for \(caller)"); return
            }
            streams.append((caller, subscription.events))
        }
        let published = audiences.indices.map { index in
            HubEvent(
                timestamp: UInt64(index),
                kind: .paymentStatus(id: UInt128(index + 1), status: .accepted, rejection: nil, actor: .system))
        }
        events.publish(published)
        // The operator sees every event; once it has the last, every event has been handed out.
        var operatorEvents = streams[0].1.makeAsyncIterator()
        for _ in published { _ = await operatorEvents.next() }
        events.close()
        for (caller, stream) in streams.dropFirst() {
            var received: [String] = []
            for await lines in stream { received.append(String(buffer: lines)) }
            let expected = published.indices.filter { audiences[$0].includes(caller) }.map {
                String(buffer: EventBroadcaster.lines(published[$0]))
            }
            #expect(received == expected, "\(caller)")
        }
    }
}
