import Foundation
public import PolyclearCore

/// Seeded set-off instances in the shapes unions and trade-credit networks produce, so the
/// solver is measured on more than one kind of graph (and other solvers on the same input,
/// through `csv`). Amounts are lognormal (median 10,000 minor units, sigma 1.5) unless a
/// shape says otherwise.
public enum ObligationShape: String, CaseIterable, Sendable {
    /// Party k has weight 1/(k+1); debtor and creditor drawn by weight: few pairs carry most.
    case powerLaw = "power-law"
    /// As power-law, but 95% of obligations run from a later party to an earlier one.
    case hierarchy
    /// Debtor and creditor uniformly random: about as many distinct ordered pairs as
    /// obligations; amounts log-uniform over five orders of magnitude (100 to 10,000,000).
    case dense
    /// A supply chain of 8 tiers (fewer below 16 parties): 90% of obligations are a buyer in tier k+1 owing a supplier
    /// in tier k, 10% run back up (services, returns).
    case layers
    /// 8 cycles, each through every party in a random order; each obligation is a link of one.
    case giantCycles = "giant-cycles"
    /// Cycles of 2 to 4 random parties, each link its own obligation.
    case tinyCycles = "tiny-cycles"
    /// Chains of 500 parties, each obligation a link from one to the next; 2% from a party to
    /// an earlier one of its chain (long cycles, long augmenting paths).
    case chains

    public func generate(parties: Int, obligations: Int, seed: UInt64) -> [Obligation] {
        precondition(parties >= 4 && obligations >= 1)
        var random = SeededRandom(seed: seed)
        var result: [Obligation] = []
        result.reserveCapacity(obligations)
        func add(_ debtor: Int, _ creditor: Int, _ amount: Int64) {
            guard debtor != creditor, result.count < obligations else { return }
            result.append(Obligation(debtor: Int32(debtor), creditor: Int32(creditor), amountMinor: amount))
        }
        switch self {
        case .powerLaw, .hierarchy:
            let weights = PowerLawPicker(parties: parties)
            while result.count < obligations {
                var debtor = weights.pick(&random), creditor = weights.pick(&random)
                guard debtor != creditor else { continue }
                if self == .hierarchy && random.next() % 100 < 95 && debtor < creditor { swap(&debtor, &creditor) }
                add(debtor, creditor, Self.lognormal(&random))
            }
        case .dense:
            while result.count < obligations {
                let debtor = Self.below(parties, &random), creditor = Self.below(parties, &random)
                add(debtor, creditor, Int64(pow(10, 2 + 5 * Self.uniform(&random)).rounded(.down)))
            }
        case .layers:
            let tiers = min(8, parties / 2), tierSize = parties / tiers
            while result.count < obligations {
                let tier = Self.below(tiers - 1, &random)
                let supplier = tier * tierSize + Self.below(tierSize, &random)
                let buyer = (tier + 1) * tierSize + Self.below(tierSize, &random)
                if random.next() % 10 == 0 {
                    add(supplier, buyer, Self.lognormal(&random))
                } else {
                    add(buyer, supplier, Self.lognormal(&random))
                }
            }
        case .giantCycles:
            let orders = (0..<8).map { _ in Self.permutation(parties, &random) }
            while result.count < obligations {
                let order = orders[Self.below(orders.count, &random)]
                let position = Self.below(parties, &random)
                add(order[position], order[(position + 1) % parties], Self.lognormal(&random))
            }
        case .tinyCycles:
            while result.count < obligations {
                let length = 2 + Self.below(3, &random)
                var members: [Int] = []
                while members.count < length {
                    let party = Self.below(parties, &random)
                    if !members.contains(party) { members.append(party) }
                }
                for index in members.indices {
                    add(members[index], members[(index + 1) % length], Self.lognormal(&random))
                }
            }
        case .chains:
            let order = Self.permutation(parties, &random), length = min(500, parties)
            while result.count < obligations {
                let position = Self.below(parties, &random)
                let chainStart = position / length * length
                let chainEnd = min(chainStart + length, parties)
                if random.next() % 50 == 0 && position > chainStart {
                    add(
                        order[position], order[chainStart + Self.below(position - chainStart, &random)],
                        Self.lognormal(&random))
                } else if position + 1 < chainEnd {
                    add(order[position], order[position + 1], Self.lognormal(&random))
                }
            }
        }
        return result
    }

    /// The instance as `polyclear net` reads it: `id,debtor,creditor,amount`, parties `P<n>`.
    public static func csv(_ obligations: [Obligation]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 * obligations.count + 32)
        bytes.append(contentsOf: "id,debtor,creditor,amount\n".utf8)
        func number(_ value: Int64) { ObligationCSV.appendDecimal(value, to: &bytes) }
        for (index, o) in obligations.enumerated() {
            number(Int64(index + 1))
            bytes.append(contentsOf: ",P".utf8)
            number(Int64(o.debtor))
            bytes.append(contentsOf: ",P".utf8)
            number(Int64(o.creditor))
            bytes.append(0x2C)
            number(o.amountMinor)
            bytes.append(0x0A)
        }
        return bytes
    }

    static func uniform(_ random: inout SeededRandom) -> Double {
        (Double(random.next() >> 11) + 0.5) / Double(1 << 53)
    }

    static func below(_ bound: Int, _ random: inout SeededRandom) -> Int { Int(random.next() % UInt64(bound)) }

    static func lognormal(_ random: inout SeededRandom) -> Int64 {
        let z = (-2 * log(uniform(&random))).squareRoot() * cos(2 * Double.pi * uniform(&random))
        return Int64(max(1, (exp(log(10_000.0) + 1.5 * z)).rounded()))
    }

    static func permutation(_ count: Int, _ random: inout SeededRandom) -> [Int] {
        var order = Array(0..<count)
        for index in stride(from: count - 1, to: 0, by: -1) { order.swapAt(index, below(index + 1, &random)) }
        return order
    }
}

/// Party k drawn with weight 1/(k+1).
struct PowerLawPicker {
    private var cumulative: [Double] = []
    private var total = 0.0

    init(parties: Int) {
        for k in 0..<parties {
            total += 1 / Double(k + 1)
            cumulative.append(total)
        }
    }

    func pick(_ random: inout SeededRandom) -> Int {
        let point = Double(random.next() >> 11) / Double(1 << 53) * total
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > point { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
