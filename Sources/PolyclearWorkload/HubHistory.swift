public import PolyclearCore

/// A hub's history as batches of commands: trade-matrix payments (ids k·1,000,000 + i for
/// batch k, the same on every run), and every `closeEvery` batches the close of a cycle and
/// every member's confirmation of the cycle before it — years of a union in miniature.
/// `polyclear hub load` writes it batch by batch; `polyclear bench restore` writes a long one.
public struct HubHistory: Sendable {
    public let union: SampleUnion
    public let trade: TradeMatrix
    public let currencies: CurrencyTable
    public let batchSize: Int
    public let closeEvery: Int

    public init(union: SampleUnion, trade: TradeMatrix, currencies: CurrencyTable, batchSize: Int, closeEvery: Int) {
        self.union = union
        self.trade = trade
        self.currencies = currencies
        self.batchSize = batchSize
        self.closeEvery = closeEvery
    }

    /// Batch k (from 1).
    public func batch(_ number: Int) -> [HubCommand] {
        var workload = HubWorkload(union: union, trade: trade, currencies: currencies, seed: UInt64(number))
        var commands: [HubCommand] = (0..<batchSize).map {
            .submitPayment(workload.nextPayment(id: UInt128(number) * 1_000_000 + UInt128($0)))
        }
        if number % closeEvery == 0 {
            let cycle = UInt32(number / closeEvery)
            commands.append(.closeCycle(number: cycle))
            if cycle > 1 {
                for member in union.memberDefinitions {
                    commands.append(
                        .confirmSettlement(
                            cycle: cycle - 1, member: member.id, instructionIndex: nil, amountMinor: nil,
                            actor: .member(member.id)))
                }
            }
        }
        return commands
    }
}
