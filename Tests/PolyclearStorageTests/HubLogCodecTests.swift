import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearStorage
import Testing

@Suite struct HubLogCodecTests {
    static let bic = BIC("BANKBRSP")!, other = BIC("BANKCNBJ001")!

    static func randomEntry(_ random: inout SeededRandom) -> HubLogEntry {
        let id = UInt128(random.next()) << 64 | UInt128(random.next())
        let actors: [Actor] = [
            .system, .operatorUser("ops-ü"), .member(CountryCode(alpha3: "BRA")!), .participant(other),
        ]
        let actor = actors[Int(random.next() % 4)]
        let text: String? = random.next() % 2 == 0 ? nil : "Grüße \(random.next())"
        let command: HubCommand? =
            switch random.next() % 10 {
            case 0: nil
            case 1: .commitPayment(id: id, actor: actor)
            case 2: .rejectPayment(id: id, actor: actor)
            case 3: .cancelPayment(id: id, actor: actor)
            case 4: .decideHeldPayment(id: id, release: random.next() % 2 == 0, actor: actor)
            case 5:
                .requestFunds(
                    id: id, participant: bic, amountMinor: Int64(bitPattern: random.next()),
                    direction: random.next() % 2 == 0 ? .into : .outOf)
            case 6: random.next() % 2 == 0 ? .confirmFunds(id: id) : .cancelFunds(id: id)
            case 7:
                .registerMember(
                    Member(
                        id: CountryCode(alpha3: "BRA")!, name: text ?? "BCB", currency: CurrencyCode("BRL")!,
                        quotaUnitMinor: 5))
            case 8:
                random.next() % 2 == 0
                    ? .setScreeningList(ScreeningList(names: [text ?? "x"], bics: [bic], countriesAlpha2: ["IR"]))
                    : random.next() % 2 == 0
                        ? .attributed(
                            actor: actor,
                            command: random.next() % 2 == 0 ? .closeCycle(number: 3) : .confirmFunds(id: id))
                        : random.next() % 2 == 0
                            ? .message(
                                sender: bic, messageID: "MSG-\(random.next())",
                                commands: [.cancelFunds(id: id), .confirmFunds(id: id &+ 1)])
                            : .returnPayment(
                                PaymentReturnInstruction(
                                    id: id, originalID: id &+ 1, amountMinor: 5, uetr: id, reasonCode: "AC04",
                                    actor: actor))
            default:
                .submitPayment(
                    PaymentInstruction(
                        id: id, payer: bic, payee: other, amountMinor: Int64(bitPattern: random.next()),
                        amountSide: random.next() % 2 == 0 ? .payerDebit : .payeeCredit,
                        endToEndID: "E2E", uetr: id,
                        trade: TradeReference(invoiceNumber: "INV", purposeCode: "GDDS", hsCode: text, freeText: text),
                        debtorName: text, creditorName: nil, priority: random.next() % 2 == 0 ? .urgent : .normal,
                        isTwoPhase: random.next() % 2 == 0,
                        timeoutSeconds: UInt32(truncatingIfNeeded: random.next()),
                        immediateOrReject: random.next() % 2 == 0,
                        quoteID: random.next() % 2 == 0 ? nil : id &+ 1))
            }
        return HubLogEntry(command: command, time: random.next())
    }

    /// Property: decode(encode(entries)) == entries, for random entries of every kind.
    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func logEntriesRoundTrip(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let entries = (0..<200).map { _ in Self.randomEntry(&random) }
        #expect(try HubLogCodec.decodeEntries(HubLogCodec.encode(entries)) == entries)
    }

    @Test func eventsRoundTrip() throws {
        let events = [
            HubEvent(
                timestamp: 1,
                kind: .paymentStatus(id: 9, status: .rejected, rejection: .screeningRejected, actor: .operatorUser("o"))
            ),
            HubEvent(timestamp: 2, kind: .paymentStatus(id: 9, status: .accepted, rejection: nil, actor: .system)),
            HubEvent(
                timestamp: 3,
                kind: .utilisationAlarm(subject: .participant(Self.bic), thresholdPercent: 75, utilisationPerMille: 812)
            ),
            HubEvent(timestamp: 4, kind: .fundsStatus(id: 3, status: .confirmed)),
            HubEvent(
                timestamp: 5,
                kind: .audited(
                    AuditRecord(
                        time: 5, actor: .member(CountryCode(alpha3: "BRA")!), action: "close_cycle", subject: "cycle 1",
                        outcome: "ok"))),
        ]
        #expect(try HubLogCodec.decodeEvents(HubLogCodec.encode(events)) == events)
    }

    /// Rules that settle beyond quota, and the year end, survive the log; so does the event
    /// of a late pay-in.
    @Test func settleModeRulesAndTheirOutcomesRoundTrip() throws {
        var rules = ImbalanceRules.standard
        rules.quotaMode = .settle
        rules.excessSettlementAsset = "XAU"
        rules.debtorTranches = [Tranche(upToPercentOfQuota: 20, settledPercent: 0)]
        rules.creditorTranches = [Tranche(upToPercentOfQuota: 100, settledPercent: 50)]
        rules.chargeDisposition = .redistribute
        rules.chargedSides = .debtors
        rules.creditorExcessAtYearEnd = .toReserve
        let entries = [
            HubLogEntry(command: .setImbalanceRules(rules), time: 1), HubLogEntry(command: .endYear, time: 2),
            HubLogEntry(command: .setImbalanceRules(.standard), time: 3),
        ]
        #expect(try HubLogCodec.decodeEntries(HubLogCodec.encode(entries)) == entries)
        let bra = CountryCode(alpha3: "BRA")!
        let events = [
            HubEvent(timestamp: 4, kind: .excessSettlementOverdue(cycle: 3, member: bra, amountUnitMinor: 12_345))
        ]
        #expect(try HubLogCodec.decodeEvents(HubLogCodec.encode(events)) == events)
    }

    /// A payment with every detail, and the payment rules, survive the log (as JSON).
    @Test func paymentDetailsAndPaymentRulesRoundTrip() throws {
        let details = PaymentDetails(
            debtor: Party(
                account: PartyAccount(iban: "GB82WEST12345698765432"),
                address: PostalAddress(
                    streetName: "S", buildingNumber: "1", postCode: "P", townName: "T", country: "GB", lines: ["L"]),
                lei: "5493001KJTIIGC8Y1R12", organisationID: "O", organisationIDScheme: "TXID"),
            creditor: Party(account: PartyAccount(other: "123", scheme: "BBAN")),
            ultimateDebtor: Party(name: "U"), ultimateCreditor: Party(name: "V"),
            remittance: Remittance(lines: ["a", "b"], creditorReferences: ["RF18539007547034"]),
            trade: TradeDetails(
                invoiceDate: "2026-11-20", moreHSCodes: ["120110"], incoterm: "FOB", shipmentReference: "BL"))
        let payment = PaymentInstruction(
            id: 7, payer: Self.bic, payee: Self.bic, amountMinor: 1, endToEndID: "E", uetr: 8,
            trade: TradeReference(invoiceNumber: "", purposeCode: "", hsCode: "120190"), debtorName: "D",
            details: details)
        let entries = [
            HubLogEntry(command: .submitPayment(payment), time: 1),
            HubLogEntry(command: .setPaymentRules(PaymentRules(tradeReferenceRequired: false)), time: 2),
        ]
        #expect(try HubLogCodec.decodeEntries(HubLogCodec.encode(entries)) == entries)
        // The details are boxed in memory; in the log they are what they were: the object
        // under the key `details`, read back from it.
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(payment)) as? [String: Any]
        let detailsObject = try JSONSerialization.jsonObject(with: JSONEncoder().encode(details)) as? NSDictionary
        #expect(object?["details"] as? NSDictionary == detailsObject && object?["detailsBox"] == nil)
        var withoutDetails = payment
        withoutDetails.details = nil
        let plain = try JSONSerialization.jsonObject(with: JSONEncoder().encode(withoutDetails)) as? [String: Any]
        #expect(plain?.keys.contains("details") == false)
        var written = try #require(plain)
        written["details"] = detailsObject
        let read = try JSONDecoder().decode(
            PaymentInstruction.self, from: JSONSerialization.data(withJSONObject: written))
        #expect(read == payment && read.details == details)
    }

    /// The commit path's `ContiguousArray` takes a loop of its own: the same bytes as any
    /// other collection of the same entries and events.
    @Test func anOutcomesArraysEncodeAsAnyCollection() throws {
        var random = SeededRandom(seed: 3)
        let entries = (0..<200).map { _ in Self.randomEntry(&random) }
        let log = ContiguousArray(entries)
        #expect(try HubLogCodec.encode(log) == HubLogCodec.encode(entries))
        #expect(try HubLogCodec.encode(log[...].dropFirst(3)) == HubLogCodec.encode(Array(entries.dropFirst(3))))
        #expect(try HubLogCodec.decodeEntries(HubLogCodec.encode(log)) == entries)
        let events = ContiguousArray(
            (0..<50).map {
                HubEvent(timestamp: UInt64($0), kind: .fundsStatus(id: UInt128($0) + 1, status: .confirmed))
            })
        #expect(try HubLogCodec.encode(events) == HubLogCodec.encode(Array(events)))
    }

    @Test func damagedBlobsAreRefusedNotMisread() throws {
        var random = SeededRandom(seed: 1)
        let data = try HubLogCodec.encode((0..<20).map { _ in Self.randomEntry(&random) })
        #expect(throws: HubLogCodecError.unknownVersion) { try HubLogCodec.decodeEntries(Data([9]) + data.dropFirst()) }
        #expect(throws: HubLogCodecError.self) { try HubLogCodec.decodeEntries(data.prefix(data.count - 3)) }
        #expect(throws: HubLogCodecError.trailingBytes) { try HubLogCodec.decodeEntries(data + Data([0])) }
        #expect(throws: HubLogCodecError.self) { try HubLogCodec.decodeEntries(Data()) }
    }
}
