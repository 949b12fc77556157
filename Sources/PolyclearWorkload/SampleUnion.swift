public import PolyclearCore

/// A ready-made union for benchmarks, tests and the demo: the twelve countries of the bundled
/// trade matrix, their central banks and currencies, `participantsPerMember` banks each, and a
/// fixing computed the IMF way from one ECB day.
///
/// The ECB does not quote seven of these currencies. AED and SAR are derived from their US
/// dollar pegs (3.6725 and 3.75 per USD, times the day's USD per EUR). RUB, EGP, KZT, PKR
/// and BYN use **illustrative** rates per EUR (late-2026 orders of magnitude, not official):
/// an operator replaces them with the central banks' official rates.
public struct SampleUnion: Sendable {
    public static let members: [(country: String, name: String, currency: String)] = [
        ("ARE", "Central Bank of the UAE", "AED"), ("BLR", "National Bank of the Republic of Belarus", "BYN"),
        ("BRA", "Banco Central do Brasil", "BRL"), ("CHN", "People's Bank of China", "CNY"),
        ("EGY", "Central Bank of Egypt", "EGP"), ("IDN", "Bank Indonesia", "IDR"),
        ("IND", "Reserve Bank of India", "INR"), ("KAZ", "National Bank of Kazakhstan", "KZT"),
        ("PAK", "State Bank of Pakistan", "PKR"), ("RUS", "Central Bank of the Russian Federation", "RUB"),
        ("SAU", "Saudi Central Bank", "SAR"), ("ZAF", "South African Reserve Bank", "ZAR"),
    ]

    /// Currency amounts per unit: roughly one US dollar's worth, weighted towards the largest
    /// traders. Illustrative; a union sets its own basket.
    public static let basketAmounts: [String: String] = [
        "CNY": "2.5", "INR": "12", "BRL": "0.5", "RUB": "10", "ZAR": "1.2", "SAR": "0.4", "AED": "0.3",
        "IDR": "900", "EGP": "2", "KZT": "30", "PKR": "15", "BYN": "0.1",
    ]

    /// Illustrative units per EUR for the currencies the ECB does not publish (see above).
    public static let illustrativeRatesPerEUR: [String: String] = [
        "RUB": "94.5", "EGP": "55.2", "KZT": "598.4", "PKR": "316.7", "BYN": "3.71",
    ]

    public let memberDefinitions: [Member]
    public let participants: [Participant]
    public let fixing: Fixing
    /// The unit's basket: currency amounts per one unit.
    public let unitAmountsPerUnit: [CurrencyCode: DecimalNumber]

    /// - Parameters:
    ///   - ecbDay: the market rates (units per EUR) the fixing is computed from.
    ///   - capUnitMinor: every participant's net debit cap, worth this many unit minor units
    ///     in its own currency at the fixing.
    public init(
        ecbDay: ECBReferenceRates.Day, participantsPerMember: Int, capUnitMinor: Int64,
        quotaUnitMinor: Int64, effectiveFrom: UInt64, currencies: CurrencyTable
    ) throws(FixingError) {
        var members: [Member] = []
        for (country, name, currencyCode) in Self.members {
            members.append(
                Member(
                    id: CountryCode(alpha3: country)!, name: name, currency: CurrencyCode(currencyCode)!,
                    quotaUnitMinor: quotaUnitMinor))
        }
        var overrides: [CurrencyCode: DecimalNumber] = [:]
        for (code, rate) in Self.illustrativeRatesPerEUR { overrides[CurrencyCode(code)!] = DecimalNumber(rate)! }
        if case .rate(let usdPerEUR) = ecbDay.values[CurrencyCode("USD")!] {
            // Pegs: AED 3.6725 per USD, SAR 3.75 per USD (exact products of two decimals).
            for (code, peg) in [
                ("AED", DecimalNumber(significand: 36_725, exponent: -4)),
                ("SAR", DecimalNumber(significand: 375, exponent: -2)),
            ] {
                overrides[CurrencyCode(code)!] = DecimalNumber(
                    significand: usdPerEUR.significand * peg.significand, exponent: usdPerEUR.exponent + peg.exponent)
            }
        }
        var amounts: [CurrencyCode: DecimalNumber] = [:]
        for (code, amount) in Self.basketAmounts { amounts[CurrencyCode(code)!] = DecimalNumber(amount)! }
        unitAmountsPerUnit = amounts
        let calculator = FixingCalculator(basket: try UnitBasket(unit: currencies.unit, amounts: amounts))
        fixing = try calculator.fixing(
            version: 1, effectiveFrom: effectiveFrom, effectiveDate: ecbDay.date, sourceDate: ecbDay.date,
            source: ecbDay.values, overrides: overrides, currencies: Set(members.map(\.currency)))
        var participants: [Participant] = []
        for member in members {
            let currency = currencies[member.currency]!
            let cap =
                (try? FXConversion.currencyMinor(
                    fromUnitMinor: capUnitMinor, currencyExponent: currency.exponent,
                    rate: fixing.ratesPerUnit[member.currency]!,
                    unitExponent: currencies.unit.exponent)) ?? Int64.max / 4
            for bank in 0..<participantsPerMember {
                let bic = BIC(Self.bicPrefix(bank) + member.id.alpha2 + "22")!
                participants.append(
                    Participant(
                        bic: bic, name: "\(member.id) Bank \(bank + 1)", memberID: member.id, netDebitCapMinor: cap))
            }
        }
        self.memberDefinitions = members
        self.participants = participants
    }

    /// A union as a union file defines it (members, banks, basket, first fixing), for the
    /// workload to pay between its banks.
    public init(
        members: [Member], participants: [Participant], fixing: Fixing,
        unitAmountsPerUnit: [CurrencyCode: DecimalNumber]
    ) {
        memberDefinitions = members
        self.participants = participants
        self.fixing = fixing
        self.unitAmountsPerUnit = unitAmountsPerUnit
    }

    /// "BKAA", "BKAB", ...: distinct 4-letter party prefixes.
    static func bicPrefix(_ index: Int) -> String {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return "BK" + String(letters[(index / 26) % 26]) + String(letters[index % 26])
    }

    /// The commands that set the union up, in order.
    public var setupCommands: [HubCommand] {
        memberDefinitions.map { .registerMember($0) } + participants.map { .registerParticipant($0) }
            + [.defineUnit(amountsPerUnit: CurrencyAmounts(unitAmountsPerUnit)), .publishFixing(fixing)]
    }
}
