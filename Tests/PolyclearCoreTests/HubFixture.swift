@testable import PolyclearCore
import Testing

/// A small union for tests: Brazil (BRL), China (CNY), India (INR), Indonesia (IDR), two
/// banks each, a fixing from the real ECB day 2026-10-30, a manual clock, and the hub's
/// invariants checked after every command.
struct HubFixture {
    var hub = HubStateMachine(configuration: HubConfiguration(currencies: try! CurrencyTable()))
    var now: UInt64 = 1_800_000_000_000_000_000
    var log: [(HubCommand, UInt64)] = []
    /// Every transfer the ledger created, as a store would keep them.
    var transfers: [StoredTransfer] = []

    static let bra = CountryCode(alpha3: "BRA")!, chn = CountryCode(alpha3: "CHN")!
    static let ind = CountryCode(alpha3: "IND")!, idn = CountryCode(alpha3: "IDN")!
    static let brBank1 = BIC("BANKBRSP")!, brBank2 = BIC("SECOBRSP")!
    static let cnBank1 = BIC("BANKCNBJ")!, cnBank2 = BIC("SECOCNSH")!
    static let inBank1 = BIC("BANKINBB")!, idBank1 = BIC("BANKIDJA")!
    static let rates = ["BRL": "4.0752", "CNY": "4.99066", "INR": "71.2307", "IDR": "13613.9"]

    /// Caps of 10,000.00 (in each currency's minor units) and quotas of 1,000.0000 units unless given.
    init(capMinor: Int64 = 1_000_000, quotaUnitMinor: Int64 = 10_000_000, archive: Bool = false) {
        if archive {
            var configuration = hub.configuration
            configuration.paymentArchiveAvailable = true
            hub = HubStateMachine(configuration: configuration)
        }
        for (id, name, currency) in [
            (Self.bra, "Banco Central do Brasil", "BRL"), (Self.chn, "People's Bank of China", "CNY"),
            (Self.ind, "Reserve Bank of India", "INR"), (Self.idn, "Bank Indonesia", "IDR"),
        ] {
            expectOK(
                .registerMember(
                    Member(id: id, name: name, currency: CurrencyCode(currency)!, quotaUnitMinor: quotaUnitMinor)))
        }
        for (bic, member) in [
            (Self.brBank1, Self.bra), (Self.brBank2, Self.bra), (Self.cnBank1, Self.chn), (Self.cnBank2, Self.chn),
            (Self.inBank1, Self.ind), (Self.idBank1, Self.idn),
        ] {
            expectOK(
                .registerParticipant(
                    Participant(bic: bic, name: "Bank \(bic)", memberID: member, netDebitCapMinor: capMinor)))
        }
        expectOK(.publishFixing(Self.fixing(version: 1, effectiveFrom: now)))
    }

    static func fixing(version: UInt32, effectiveFrom: UInt64, rates: [String: String] = rates) -> Fixing {
        Fixing(
            version: version, effectiveFrom: effectiveFrom, sourceDate: CivilDate("2026-10-30")!,
            ratesPerUnit: Dictionary(
                uniqueKeysWithValues: rates.map { (CurrencyCode($0.key)!, DecimalNumber($0.value)!) }))
    }

    mutating func expectOK(_ command: HubCommand, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = apply(command)
        #expect(result == .ok, sourceLocation: sourceLocation)
    }

    @discardableResult
    mutating func apply(_ command: HubCommand, advancingNanoseconds: UInt64 = 1_000) -> HubResult {
        now += advancingNanoseconds
        log.append((command, now))
        let result = hub.apply(command, now: now)
        if let violation = hub.checkInvariants() { Issue.record("hub invariant broken: \(violation)") }
        transfers.append(contentsOf: hub.sealOutcome().ledger.createdTransfers)
        hub.outcomeCommitted()
        return result
    }

    mutating func advance(seconds: UInt64) {
        now += seconds * 1_000_000_000
        log.append((.setAlarmThresholds(hub.alarmThresholdsPercent), now))  // a no-op command that carries time
        _ = hub.apply(.setAlarmThresholds(hub.alarmThresholdsPercent), now: now)
        _ = hub.sealOutcome()
        hub.outcomeCommitted()
    }

    static func payment(
        _ id: UInt128, from payer: BIC, to payee: BIC, amountMinor: Int64, side: AmountSide = .payerDebit,
        priority: PaymentPriority = .normal, twoPhase: Bool = false, immediateOrReject: Bool = false,
        quote: UInt128? = nil, debtorName: String? = nil, invoice: String = "INV-1", purpose: String = "GDDS"
    ) -> HubCommand {
        .submitPayment(
            PaymentInstruction(
                id: id, payer: payer, payee: payee, amountMinor: amountMinor, amountSide: side, endToEndID: "E2E-\(id)",
                uetr: 0x1234_5678_9ABC_4DEF_8123_4567_89AB_CDEF,
                trade: TradeReference(invoiceNumber: invoice, purposeCode: purpose, hsCode: "850440"),
                debtorName: debtorName, priority: priority, isTwoPhase: twoPhase, immediateOrReject: immediateOrReject,
                quoteID: quote))
    }

    mutating func pay(
        _ id: UInt128, _ payer: BIC, _ payee: BIC, _ amountMinor: Int64, side: AmountSide = .payerDebit,
        priority: PaymentPriority = .normal, twoPhase: Bool = false, immediateOrReject: Bool = false
    ) -> PaymentState {
        let result = apply(
            Self.payment(
                id, from: payer, to: payee, amountMinor: amountMinor, side: side, priority: priority,
                twoPhase: twoPhase, immediateOrReject: immediateOrReject))
        guard case .payment(let state) = result else {
            Issue.record("not a payment result: \(result)");
            return PaymentState(
                id: id, status: .received, rejection: nil, payerAmountMinor: 0, payeeAmountMinor: 0, unitAmountMinor: 0,
                fixingVersion: 0)
        }
        return state
    }

    func position(_ bic: BIC) -> Int64 { hub.position(of: bic)! }
    func union(_ id: CountryCode) -> Int64 { hub.unionPosition(of: id)! }
}
