public import PolyclearCore

/// A reproducible stream of payments over a `SampleUnion`, drawn in proportion to a trade
/// matrix: the importer's banks pay the exporter's banks. Banks within a country are picked by
/// a power law (bank k has weight 1/(k+1)), amounts are heavy-tailed (1 to 100,000 units of
/// value, log-uniform by decade), expressed in the payer's currency at the fixing.
public struct HubWorkload: Sendable {
    private let flowCumulativeWeights: [Int64]
    private let flowPairs: [(importer: Int, exporter: Int)]
    private let participantsByMember: [[BIC]]
    private let bankCumulativeWeights: [Int]
    private let payerCurrencyRates: [DecimalNumber]
    private let payerExponents: [Int]
    private let unitExponent: Int
    private var random: SeededRandom

    public init(union: SampleUnion, trade: TradeMatrix, currencies: CurrencyTable, seed: UInt64) {
        let memberIndex = Dictionary(
            uniqueKeysWithValues: union.memberDefinitions.enumerated().map { ($1.id.alpha3, $0) })
        var weights: [Int64] = [], pairs: [(Int, Int)] = [], total: Int64 = 0
        for flow in trade.flows {
            guard let importer = memberIndex[flow.importer.alpha3], let exporter = memberIndex[flow.exporter.alpha3],
                flow.valueUSD > 0
            else { continue }
            total += flow.valueUSD
            weights.append(total)
            pairs.append((importer, exporter))
        }
        flowCumulativeWeights = weights
        flowPairs = pairs
        participantsByMember = union.memberDefinitions.map { member in
            union.participants.filter { $0.memberID == member.id }.map(\.bic)
        }
        let bankCount = participantsByMember.map(\.count).max() ?? 1
        var cumulative: [Int] = [], running = 0
        for k in 0..<bankCount { running += 1_000_000 / (k + 1); cumulative.append(running) }
        bankCumulativeWeights = cumulative
        payerCurrencyRates = union.memberDefinitions.map { union.fixing.ratesPerUnit[$0.currency]! }
        payerExponents = union.memberDefinitions.map { currencies[$0.currency]!.exponent }
        unitExponent = currencies.unit.exponent
        random = SeededRandom(seed: seed)
    }

    /// The payment with this id (ids from 1), drawn from the stream.
    public mutating func nextPayment(id: UInt128) -> PaymentInstruction {
        let point = Int64(random.next() % UInt64(flowCumulativeWeights.last!))
        let (importer, exporter) = flowPairs[Self.firstIndex(above: point, in: flowCumulativeWeights)]
        let payer = pickBank(participantsByMember[importer]), payee = pickBank(participantsByMember[exporter])
        // Value in unit minor units: 1 to 100,000 units, log-uniform by decade.
        let decade = Int(random.next() % 5)
        var unitValue = Int64(1 + random.next() % 9) * 10_000
        for _ in 0..<decade { unitValue *= 10 }
        let amount =
            (try? FXConversion.currencyMinor(
                fromUnitMinor: unitValue, currencyExponent: payerExponents[importer],
                rate: payerCurrencyRates[importer],
                unitExponent: unitExponent)) ?? 1
        let uetrBits = UInt128(random.next()) << 64 | UInt128(random.next())
        let uetr = (uetrBits & ~(UInt128(0xF) << 76) & ~(UInt128(0b11) << 62)) | UInt128(4) << 76 | UInt128(0b10) << 62
        return PaymentInstruction(
            id: id, payer: payer, payee: payee, amountMinor: max(1, amount), endToEndID: "E2E\(id)", uetr: uetr,
            trade: TradeReference(invoiceNumber: "INV\(id)", purposeCode: "GDDS"))
    }

    private mutating func pickBank(_ banks: [BIC]) -> BIC {
        let point = Int(random.next() % UInt64(bankCumulativeWeights[banks.count - 1]))
        return banks[Self.firstIndex(above: point, in: bankCumulativeWeights)]
    }

    static func firstIndex<T: Comparable>(above point: T, in cumulative: [T]) -> Int {
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > point { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
