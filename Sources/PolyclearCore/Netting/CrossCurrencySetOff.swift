/// Set-off across member currencies, the union converting: every obligation is valued in the
/// unit at the fixing (half-even), the set-off is solved and certified in the unit, and each
/// obligation's unit set-off is converted back to its own currency (half-even, never more
/// than its amount). Where a party's cancelled debts and claims are in different currencies,
/// the union converts between them: those are the FX legs, per party and currency
/// (positive: the party's debts cancelled exceed its claims cancelled in that currency, so the
/// union delivers that currency on its behalf; negative: the union takes it).
public struct CrossCurrencySetOff: Sendable {
    public struct FXLeg: Hashable, Sendable {
        public var party: Int32
        public var currency: CurrencyCode
        public var amountMinor: Int64
    }

    public var setOffMinor: [Int64]
    public var setOffUnitMinor: [Int64]
    public var fxLegs: [FXLeg]
    public var unitResult: SetOffResult

    public static func solve(
        partyCount: Int, obligations: [Obligation], currencies obligationCurrencies: [CurrencyCode],
        ratesPerUnit: [CurrencyCode: DecimalNumber], table: CurrencyTable
    ) throws(CrossCurrencyError) -> CrossCurrencySetOff {
        precondition(obligations.count == obligationCurrencies.count)
        var unitObligations = obligations
        for index in obligations.indices {
            let code = obligationCurrencies[index]
            guard let rate = ratesPerUnit[code], let currency = table[code] else { throw .noRate(code) }
            do {
                unitObligations[index].amountMinor = try FXConversion.unitMinor(
                    fromCurrencyMinor: obligations[index].amountMinor, currencyExponent: currency.exponent, rate: rate,
                    unitExponent: table.unit.exponent)
            } catch { throw .conversion(index: index) }
            guard unitObligations[index].amountMinor > 0 else { throw .zeroInUnit(index: index) }
        }
        let unitResult: SetOffResult
        do { unitResult = try ObligationSetOff.solve(partyCount: partyCount, obligations: unitObligations) } catch {
            throw .setOff(error)
        }
        var setOff = [Int64](repeating: 0, count: obligations.count)
        var legs: [Int64: Int64] = [:]  // (party << 32 | currency) -> amount
        for index in obligations.indices {
            let code = obligationCurrencies[index]
            let converted =
                (try? FXConversion.currencyMinor(
                    fromUnitMinor: unitResult.setOffMinor[index], currencyExponent: table[code]!.exponent,
                    rate: ratesPerUnit[code]!,
                    unitExponent: table.unit.exponent)) ?? 0
            setOff[index] = min(converted, obligations[index].amountMinor)
            legs[Int64(obligations[index].debtor) << 32 | Int64(code.packedASCII), default: 0] += setOff[index]
            legs[Int64(obligations[index].creditor) << 32 | Int64(code.packedASCII), default: 0] -= setOff[index]
        }
        let fxLegs = legs.filter { $0.value != 0 }.map { key, amount in
            FXLeg(
                party: Int32(key >> 32), currency: CurrencyCode(packedASCII: UInt32(key & 0xFFFF_FFFF))!,
                amountMinor: amount)
        }.sorted { ($0.party, $0.currency) < ($1.party, $1.currency) }
        return CrossCurrencySetOff(
            setOffMinor: setOff, setOffUnitMinor: unitResult.setOffMinor, fxLegs: fxLegs, unitResult: unitResult)
    }
}

public enum CrossCurrencyError: Error, Hashable, Sendable {
    case noRate(CurrencyCode)
    case conversion(index: Int)
    case zeroInUnit(index: Int)
    case setOff(SetOffError)
}
