public import PolyclearCore
public import PolyclearWorkload
import Foundation

/// A year of trade payments generated from annual bilateral flows — the stream every
/// settlement model of the simulator sees, identical for all of them.
///
/// - Calendar: the matrix's year, Monday to Friday (no holidays), business hours 09:00–17:00
///   UTC; cycle *k* ends at 17:00 of the *k*-th business day (or every `cycleDays` days).
/// - Counts: `paymentCount` split over the pairs in proportion to their value (at least one
///   each, never more than the pair's value in cents).
/// - Arrivals: a Poisson process over business time — given its count, a pair's arrival times
///   are independent uniform draws, which is what is generated, then all are sorted.
/// - Sizes: lognormal (σ = `sizeSigma`) weights scaled so that each pair's payments add up to
///   its annual value **exactly** (largest-remainder rounding to the cent).
/// - Banks: each member has `banksPerMember` banks; a payment's bank is drawn with Zipf
///   weights 1/rank^`bankExponent` (a few large banks carry most of the trade).
/// Everything is drawn from one `SeededRandom`: the same seed gives the same stream.
public struct TradeStream: Sendable {
    public struct Payment: Hashable, Sendable {
        public init(
            businessSecond: Int64, payerMember: Int32, payeeMember: Int32, payerBank: Int32 = 0, payeeBank: Int32 = 0,
            amountUSDCents: Int64, hsChapter: UInt8 = 0
        ) {
            self.hsChapter = hsChapter
            self.businessSecond = businessSecond
            self.payerMember = payerMember
            self.payeeMember = payeeMember
            self.payerBank = payerBank
            self.payeeBank = payeeBank
            self.amountUSDCents = amountUSDCents
        }

        /// Seconds of business time since the year's first business day 09:00.
        public var businessSecond: Int64
        public var payerMember: Int32
        public var payeeMember: Int32
        public var payerBank: Int32
        public var payeeBank: Int32
        public var amountUSDCents: Int64
        /// The goods' HS chapter (0: not known).
        public var hsChapter: UInt8
    }

    public static let businessSecondsPerDay: Int64 = 8 * 3_600

    /// Member countries, indexed by the payments' member numbers.
    public let members: [CountryCode]
    public let businessDays: Int
    public let banksPerMember: Int
    /// In time order.
    public let payments: [Payment]
    /// Σ of the matrix's values, in cents (equal to Σ of the payments' amounts).
    public let totalUSDCents: Int64

    public struct Settings: Sendable {
        public var paymentCount: Int
        public var banksPerMember: Int
        public var sizeSigma: Double
        public var bankExponent: Double
        public var seed: UInt64

        public init(
            paymentCount: Int = 1_000_000, banksPerMember: Int = 5, sizeSigma: Double = 1.5, bankExponent: Double = 1.0,
            seed: UInt64 = 1
        ) {
            self.paymentCount = paymentCount
            self.banksPerMember = banksPerMember
            self.sizeSigma = sizeSigma
            self.bankExponent = bankExponent
            self.seed = seed
        }
    }

    /// Business days (Monday to Friday) of a year.
    public static func businessDays(year: Int) -> Int {
        var count = 0
        let first = CivilDate(year: year, month: 1, day: 1)!.daysSinceEpoch
        let last = CivilDate(year: year, month: 12, day: 31)!.daysSinceEpoch
        for day in first...last where ((day % 7) + 7 + 3) % 7 < 5 { count += 1 }  // 1970-01-01 was a Thursday
        return count
    }

    /// A stream given payment by payment (hand-computed cases, tools).
    public init(members: [CountryCode], businessDays: Int, banksPerMember: Int, payments: [Payment]) {
        self.members = members
        self.businessDays = businessDays
        self.banksPerMember = banksPerMember
        self.payments = payments.sorted { $0.businessSecond < $1.businessSecond }
        totalUSDCents = payments.reduce(0) { $0 + $1.amountUSDCents }
    }

    public init(trade: TradeMatrix, settings: Settings) {
        var random = SeededRandom(seed: settings.seed)
        members = trade.countries
        let memberIndex = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1, Int32($0)) })
        businessDays = Self.businessDays(year: trade.flows.first?.year ?? 2022)
        banksPerMember = settings.banksPerMember
        let totalCents = trade.flows.reduce(Int64(0)) { $0 + $1.valueUSD * 100 }
        totalUSDCents = totalCents
        let horizon = Int64(businessDays) * Self.businessSecondsPerDay
        // Zipf bank weights, cumulative.
        var cumulative: [Double] = []
        var sum = 0.0
        for rank in 1...settings.banksPerMember {
            sum += 1 / pow(Double(rank), settings.bankExponent)
            cumulative.append(sum)
        }
        let bankWeights = cumulative.map { $0 / sum }
        func bank(_ random: inout SeededRandom) -> Int32 {
            let u = Double(random.next() >> 11) / Double(1 << 53)
            return Int32(bankWeights.firstIndex { u < $0 } ?? bankWeights.count - 1)
        }
        var payments: [Payment] = []
        payments.reserveCapacity(settings.paymentCount + trade.flows.count)
        for flow in trade.flows where flow.valueUSD > 0 {
            let cents = flow.valueUSD * 100
            let share = Double(settings.paymentCount) * Double(cents) / Double(max(totalCents, 1))
            let count = Int(min(Int64(max(1, share.rounded())), cents))
            // Lognormal weights → exact cents by largest remainder.
            var weights: [Double] = []
            weights.reserveCapacity(count)
            for _ in 0..<count { weights.append(exp(settings.sizeSigma * Self.standardNormal(&random))) }
            let weightSum = weights.reduce(0, +)
            var amounts = weights.map { Int64((Double(cents) * $0 / weightSum).rounded(.down)) }
            // At least a cent each, then hand out the rest by largest fractional part.
            for index in amounts.indices where amounts[index] == 0 { amounts[index] = 1 }
            var rest = cents - amounts.reduce(0, +)
            if rest != 0 {
                let order = weights.indices.sorted {
                    let a = Double(cents) * weights[$0] / weightSum, b = Double(cents) * weights[$1] / weightSum
                    return (a - a.rounded(.down), $1) > (b - b.rounded(.down), $0)
                }
                var position = 0
                while rest > 0 { amounts[order[position % count]] += 1; rest -= 1; position += 1 }
                while rest < 0 {  // only after the 1-cent floor: take from the largest
                    let index = amounts.indices.max { amounts[$0] < amounts[$1] }!
                    amounts[index] -= 1; rest += 1
                }
            }
            // The importer pays the exporter.
            let payer = memberIndex[flow.importer]!, payee = memberIndex[flow.exporter]!
            for amount in amounts {
                let second = Int64(random.next() % UInt64(horizon))
                payments.append(
                    Payment(
                        businessSecond: second, payerMember: payer, payeeMember: payee,
                        payerBank: bank(&random), payeeBank: bank(&random), amountUSDCents: amount,
                        hsChapter: flow.hsChapter))
            }
        }
        payments.sort {
            ($0.businessSecond, $0.payerMember, $0.payeeMember, $0.amountUSDCents) < (
                $1.businessSecond, $1.payerMember, $1.payeeMember, $1.amountUSDCents
            )
        }
        self.payments = payments
    }

    /// Box–Muller from two uniform draws in (0, 1].
    static func standardNormal(_ random: inout SeededRandom) -> Double {
        let u1 = (Double(random.next() >> 11) + 1) / Double(1 << 53)
        let u2 = Double(random.next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// The business day (0-based) of a payment, and its cycle for cycles of `cycleDays` days.
    public static func day(of payment: Payment) -> Int { Int(payment.businessSecond / businessSecondsPerDay) }
}
