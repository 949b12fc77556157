import PolyclearCore
import PolyclearWorkload
import Testing

/// Paging payments: walking the pages gives exactly the payments the filter keeps, in
/// submission order, each once; no page reads more than its scan bound.
@Suite struct PaymentPageTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func walkingThePagesGivesExactlyTheFilteredPayments(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var fixture = HubFixture(capMinor: 300_000)
        let banks = [
            HubFixture.brBank1, HubFixture.brBank2, HubFixture.cnBank1, HubFixture.cnBank2, HubFixture.inBank1,
            HubFixture.idBank1,
        ]
        for id in 1...400 as ClosedRange<UInt128> {
            // some pay themselves: rejected
            let payer = banks[Int(random.next() % 6)], payee = banks[Int(random.next() % 6)]
            _ = fixture.apply(
                HubFixture.payment(id, from: payer, to: payee, amountMinor: Int64(1 + random.next() % 200_000)))
        }
        let hub = fixture.hub
        let all = hub.allPaymentStates
        let filters = [
            PaymentFilter(), PaymentFilter(status: .queued), PaymentFilter(party: HubFixture.cnBank1),
            PaymentFilter(member: HubFixture.bra), PaymentFilter(status: .accepted, member: HubFixture.ind),
        ]
        for filter in filters {
            let expected = all.filter { state in
                guard let parties = hub.paymentParties(state.id) else {
                    return filter.party == nil && filter.member == nil
                        && filter.status.map { $0 == state.status } ?? true
                }
                let members = [parties.payer, parties.payee].compactMap { hub.participant($0)?.memberID }
                return (filter.status.map { $0 == state.status } ?? true)
                    && (filter.party.map { [parties.payer, parties.payee].contains($0) } ?? true)
                    && (filter.member.map { members.contains($0) } ?? true)
            }
            #expect(!expected.isEmpty || filter.status == .accepted, "the fixture gives \(filter) nothing to find")
            for (limit, scanMax) in [(7, 1_000), (50, 13), (1_000, 1_000_000)] {
                var walked: [PaymentState] = [], cursor = 0, pages = 0
                while true {
                    let page = hub.paymentPage(from: cursor, limit: limit, scanMax: scanMax, filter: filter)
                    #expect(page.states.count <= limit)
                    if let next = page.next { #expect(next > cursor && next - cursor <= scanMax) }
                    walked += page.states
                    pages += 1
                    guard let next = page.next, pages < 10_000 else { break }
                    cursor = next
                }
                #expect(walked == expected, "\(filter), limit \(limit), scan \(scanMax)")
            }
        }
        #expect(hub.paymentPage(from: Int.max, limit: 10, scanMax: 10, filter: PaymentFilter()).states.isEmpty)
    }
}
