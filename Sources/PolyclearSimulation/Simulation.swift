public import PolyclearRules
public import PolyclearCore
public import PolyclearWorkload
import Foundation

/// Everything a run produced: the stream's summary, the flows, and each model's metrics.
public struct SimulationResult: Hashable, Sendable, Codable {
    public var year: Int
    public var seed: UInt64
    public var members: [String]
    public var paymentCount: Int
    public var totalUSDCents: Int64
    public var cycleCount: Int
    public var cycleDays: Int
    /// flowsUSDCents[payer][payee]: what the payer member paid the payee member over the year.
    public var flowsUSDCents: [[Int64]]
    public var models: [ModelMetrics]
}

/// Why the inputs cannot be simulated: the file, line and field at fault.
public typealias SimulationInputError = FileInputError

public enum Simulation {
    /// Runs the five models on one stream.
    public static func run(
        trade: TradeMatrix, members: [SimulationMember], rules: SimulationRules, paymentCount: Int, seed: UInt64,
        currencies: CurrencyTable, progress: @escaping (String, Double) -> Void = { _, _ in }
    ) throws -> SimulationResult {
        progress("generating payments", 0)
        let stream = TradeStream(
            trade: trade,
            settings: .init(
                paymentCount: paymentCount, banksPerMember: rules.banksPerMember,
                sizeSigma: rules.sizeSigma, bankExponent: rules.bankExponent, seed: seed))
        // Members in the stream's order.
        let byID = Dictionary(uniqueKeysWithValues: members.map { ($0.id, $0) })
        let ordered = stream.members.map { byID[$0]! }
        let cycles = SettlementModels.cycles(stream, cycleDays: rules.cycleDays)
        var flows = [[Int64]](repeating: [Int64](repeating: 0, count: ordered.count), count: ordered.count)
        for payment in stream.payments {
            flows[Int(payment.payerMember)][Int(payment.payeeMember)] += payment.amountUSDCents
        }
        progress("reference models", 0.1)
        var models = [
            SettlementModels.gross(stream, cycles: cycles), SettlementModels.bilateral(stream, cycles: cycles),
            SettlementModels.multilateral(stream, cycles: cycles),
        ]
        let hub = HubSimulation(members: ordered, rules: rules, currencies: currencies)
        let year = trade.flows.first?.year ?? 2022
        for (offset, setOff) in [false, true].enumerated() {
            models.append(
                try hub.run(stream, year: year, cycles: cycles, setOff: setOff) { done in
                    progress(
                        setOff ? "Polyclear + set-off" : "Polyclear",
                        0.2 + 0.4 * Double(offset) + 0.4 * Double(done) / Double(max(cycles.count, 1)))
                })
        }
        progress("done", 1)
        return SimulationResult(
            year: year, seed: seed, members: ordered.map(\.id.alpha3), paymentCount: stream.payments.count,
            totalUSDCents: stream.totalUSDCents, cycleCount: cycles.count, cycleDays: rules.cycleDays,
            flowsUSDCents: flows, models: models)
    }

    /// The union's members for the matrix's countries: currency and name from the rules, or
    /// the built-in list of the bundled twelve; the rate from the rules (units per EUR), the
    /// ECB day, a US-dollar peg (AED, SAR) or the illustrative rates of the sample union.
    public static func members(
        countries: [CountryCode], ecbDay: ECBReferenceRates.Day, overrides: [String: MemberOverride],
        rulesFile: String, currencies: CurrencyTable
    ) throws(SimulationInputError) -> [SimulationMember] {
        guard case .rate(let usdPerEUR)? = ecbDay.values[CurrencyCode("USD")!] else {
            throw SimulationInputError(file: "fx", field: "USD", reason: "the ECB day has no US dollar rate")
        }
        let usd = Double(usdPerEUR.description)!
        let pegs: [String: String] = ["AED": "3.6725", "SAR": "3.75", "USD": "1"]
        var result: [SimulationMember] = []
        for country in countries {
            let builtIn = SampleUnion.members.first { $0.country == country.alpha3 }
            let override = overrides[country.alpha3]
            guard let currencyText = override?.currency ?? builtIn?.currency else {
                throw SimulationInputError(
                    file: rulesFile, field: "members.\(country.alpha3).currency",
                    reason: "member \(country.alpha3) has no currency")
            }
            guard let currency = CurrencyCode(currencyText), currencies[currency] != nil else {
                throw SimulationInputError(
                    file: rulesFile, field: "members.\(country.alpha3).currency",
                    reason: "'\(currencyText)' is not an ISO 4217 currency")
            }
            let perUSD: Double
            if let text = override?.ratePerEUR {
                guard let rate = Double(text), rate > 0 else {
                    throw SimulationInputError(
                        file: rulesFile, field: "members.\(country.alpha3).rate_per_eur",
                        reason: "must be a positive number")
                }
                perUSD = rate / usd
            } else if let peg = pegs[currency.description] {
                perUSD = Double(peg)!
            } else if case .rate(let perEUR)? = ecbDay.values[currency] {
                perUSD = Double(perEUR.description)! / usd
            } else if currency.description == "EUR" {
                perUSD = 1 / usd
            } else if let illustrative = SampleUnion.illustrativeRatesPerEUR[currency.description] {
                perUSD = Double(illustrative)! / usd
            } else {
                throw SimulationInputError(
                    file: rulesFile, field: "members.\(country.alpha3).rate_per_eur",
                    reason: "no rate for \(currency): the ECB does not publish it; give rate_per_eur")
            }
            result.append(
                SimulationMember(
                    id: country, name: override?.name ?? builtIn?.name ?? "Central bank of \(country.alpha3)",
                    currency: currency, unitsPerUSD: sixSignificantDigits(perUSD)))
        }
        return result
    }

    public struct MemberOverride: Hashable, Sendable {
        public var name: String?
        public var currency: String?
        public var ratePerEUR: String?

        public init(name: String? = nil, currency: String? = nil, ratePerEUR: String? = nil) {
            self.name = name
            self.currency = currency
            self.ratePerEUR = ratePerEUR
        }
    }

    /// A positive number to six significant digits (the precision of fixings), exactly.
    static func sixSignificantDigits(_ value: Double) -> DecimalNumber {
        let digits = 5 - Int(log10(value).rounded(.down))
        let scaled = (value * pow(10, Double(digits))).rounded()
        return digits >= 0
            ? DecimalNumber(significand: UInt64(scaled), exponent: -digits)
            : DecimalNumber(significand: UInt64(scaled), exponent: -digits)
    }
}
