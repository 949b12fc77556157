public import PolyclearCore
import Foundation

/// A member of the simulated union: its country, name, currency, and its currency's rate in
/// US dollars (currency units per USD, six significant digits — the simulation's unit of
/// account is worth one US dollar at this fixing, so unit amounts read as dollars).
public struct SimulationMember: Hashable, Sendable {
    public var id: CountryCode
    public var name: String
    public var currency: CurrencyCode
    public var unitsPerUSD: DecimalNumber

    public init(id: CountryCode, name: String, currency: CurrencyCode, unitsPerUSD: DecimalNumber) {
        self.id = id
        self.name = name
        self.currency = currency
        self.unitsPerUSD = unitsPerUSD
    }
}

/// Models 4 and 5: the stream through the real hub state machine — the same code the server
/// runs — with quotas, banks' caps, the queue, gridlock resolution, cycle closes, central
/// banks' settlement confirmations and imbalance charges; model 5 first sets off each
/// cycle's obligations between banks (optimal, certified) and pays only the remainders.
public struct HubSimulation {
    public let members: [SimulationMember]
    public let rules: SimulationRules
    public let currencies: CurrencyTable

    public init(members: [SimulationMember], rules: SimulationRules, currencies: CurrencyTable) {
        self.members = members
        self.rules = rules
        self.currencies = currencies
    }

    /// Bank BICs: BKAA, BKAB, … + the member's ISO alpha-2 + "22".
    static func bic(member: CountryCode, bank: Int) -> BIC {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return BIC("BK" + String(letters[(bank / 26) % 26]) + String(letters[bank % 26]) + member.alpha2 + "22")!
    }

    /// Days since 1970 of each business day (Monday to Friday) of a year.
    static func businessDayEpochs(year: Int) -> [Int] {
        let first = CivilDate(year: year, month: 1, day: 1)!.daysSinceEpoch,
            last = CivilDate(year: year, month: 12, day: 31)!.daysSinceEpoch
        return (first...last).filter { (($0 % 7) + 7 + 3) % 7 < 5 }  // 1970-01-01 was a Thursday
    }

    /// Hub time (nanoseconds since 1970) of a business second: business day *d* is the *d*-th
    /// weekday of the year; business hours start at 09:00 UTC.
    static func hubTime(_ epochs: [Int], businessSecond: Int64) -> UInt64 {
        let day = min(Int(businessSecond / TradeStream.businessSecondsPerDay), epochs.count - 1)
        let second = Int64(epochs[day]) * 86_400 + 9 * 3_600 + businessSecond % TradeStream.businessSecondsPerDay
        return UInt64(second) * 1_000_000_000
    }

    public func run(
        _ stream: TradeStream, year: Int, cycles: [Range<Int>], setOff: Bool, progress: (Int) -> Void = { _ in }
    ) throws -> ModelMetrics {
        var run = try HubSimulationRun(self, stream: stream, year: year, setOff: setOff)
        for (cycleIndex, range) in cycles.enumerated() {
            try run.submit(range)
            try run.closeCycle(cycleIndex)
            progress(cycleIndex + 1)
        }
        return try run.finish(cycleCount: cycles.count)
    }
}

public enum SimulationError: Error, Hashable, Sendable, CustomStringConvertible {
    case setupRefused(String)
    case cycleDidNotClose(UInt32)
    case invariantViolated(String)

    public var description: String {
        switch self {
        case .setupRefused(let code): "the hub refused the union's setup: \(code)"
        case .cycleDidNotClose(let number): "cycle \(number) did not close"
        case .invariantViolated(let text): "a hub invariant broke: \(text)"
        }
    }
}
