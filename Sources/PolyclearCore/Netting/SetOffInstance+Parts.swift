/// Merging a large instance in parts at once. The obligations are checked in one pass (so the
/// first bad one is named, as the one-piece merge names it), each pair is hashed in the one
/// part its key falls to (each part's table holds a share of the pairs and stays in cache
/// longer), and the pairs are then numbered in one pass by first appearance: the very
/// numbering the one-piece merge gives, whatever the number of parts. Core starts no thread:
/// `perform` runs the parts.
extension SetOffInstance {
    public init(
        partyCount: Int, obligations: [Obligation], partCount: Int, minimumPerPart: Int = 1 << 15,
        perform: PerformParts
    ) throws(SetOffError) {
        let parts = min(partCount, obligations.count / max(1, minimumPerPart))
        guard parts > 1 else {
            try self.init(partyCount: partyCount, obligations: obligations)
            return
        }
        var gross: Int64 = 0
        for (index, o) in obligations.enumerated() {
            try Self.check(o, index: index, partyCount: partyCount, adding: &gross)
        }
        let localPair = UnsafeMutableBufferPointer<Int32>.allocate(capacity: obligations.count)
        defer { localPair.deallocate() }
        let shared = SharedPairSlots(buffer: localPair)
        let results = PartResults<PartPairs>(count: parts)
        perform(parts) { part in
            results.store(part, PartPairs(obligations, part: part, of: parts, writingTo: shared))
        }
        let partPairs = results.take().map { $0! }
        var pairOf = [Int32](repeating: 0, count: obligations.count)
        var globalOf = partPairs.map { [Int32](repeating: -1, count: $0.amount.count) }
        let pairCount = partPairs.reduce(0) { $0 + $1.amount.count }
        var debtors: [Int32] = [], creditors: [Int32] = [], amounts: [Int64] = []
        debtors.reserveCapacity(pairCount)
        creditors.reserveCapacity(pairCount)
        amounts.reserveCapacity(pairCount)
        for (index, o) in obligations.enumerated() {
            let part = PartPairs.part(of: Self.key(o), count: parts), local = Int(localPair[index])
            var pair = globalOf[part][local]
            if pair < 0 {
                pair = Int32(amounts.count)
                globalOf[part][local] = pair
                debtors.append(o.debtor)
                creditors.append(o.creditor)
                amounts.append(partPairs[part].amount[local])
            }
            pairOf[index] = pair
        }
        self.init(partyCount: partyCount, pairDebtor: debtors, pairCreditor: creditors, pairAmount: amounts)
        self.pairOf = pairOf
    }

    @inline(__always)
    static func key(_ o: Obligation) -> UInt64 { UInt64(UInt32(o.debtor)) << 32 | UInt64(UInt32(o.creditor)) }
}

/// One part's pairs, numbered in the order the part met them, with their summed amounts.
private struct PartPairs: Sendable {
    var amount: [Int64] = []

    /// The part a pair key falls to: high bits of a multiplicative hash (the table's slots use
    /// another hash's low bits, so a part's keys still spread over its table).
    @inline(__always)
    static func part(of key: UInt64, count: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) % count
    }

    /// Merges the obligations whose pair falls to `part`; writes each one's local pair number.
    init(_ obligations: [Obligation], part: Int, of count: Int, writingTo shared: SharedPairSlots) {
        var table = PackedKeyTable(expectedCount: min(obligations.count / count, 1 << 15))
        for (index, o) in obligations.enumerated() {
            let key = SetOffInstance.key(o)
            guard Self.part(of: key, count: count) == part else { continue }
            let (pair, inserted) = table.insert(key, next: Int32(amount.count))
            if inserted { amount.append(o.amountMinor) } else { amount[Int(pair)] += o.amountMinor }
            shared.buffer[index] = pair
        }
    }
}

/// Per obligation, its pair number in its part: parts write disjoint slots at once.
private struct SharedPairSlots: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Int32>
}
