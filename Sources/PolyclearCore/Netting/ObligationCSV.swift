/// Reads obligations from CSV: `id,debtor,creditor,amount[,currency][,due]` with an optional
/// header line. Amounts are integers of minor units, or (with `decimalExponent`) plain decimals
/// parsed exactly. Every problem names its line; nothing is returned unless all lines are good.
public struct ObligationCSV: Sendable {
    public struct Row: Hashable, Sendable {
        public var id: String
        public var debtor: String
        public var creditor: String
        public var amountMinor: Int64
        public var currency: CurrencyCode?
        public var dueDay: Int32?
    }

    public var rows: [Row]
    /// Party names in first-seen order; `Obligation` indices point into this.
    public var parties: [String]

    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var problem: String
        public var description: String { "line \(line): \(problem)" }
    }

    /// - Parameter decimalExponent: nil for minor units; otherwise the currency's exponent
    ///   (or, per row, the exponent of its currency column via `currencies`).
    public init(
        _ text: String, decimal: Bool = false, currencies: CurrencyTable? = nil, defaultExponent: Int = 2
    ) throws(ParseError) {
        rows = []
        parties = []
        var partyIndex: [String: Int] = [:]
        var seenIDs = Set<String>()
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.trimmingSpaces.isEmpty { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingSpaces) }
            if offset == 0 && cells.first == "id" { continue }
            guard (4...6).contains(cells.count) else {
                throw ParseError(line: lineNumber, problem: "expected 4 to 6 columns, found \(cells.count)")
            }
            let (id, debtor, creditor) = (cells[0], cells[1], cells[2])
            guard !id.isEmpty, !debtor.isEmpty, !creditor.isEmpty else {
                throw ParseError(line: lineNumber, problem: "id, debtor and creditor must not be empty")
            }
            guard seenIDs.insert(id).inserted else { throw ParseError(line: lineNumber, problem: "duplicate id \(id)") }
            guard debtor != creditor else {
                throw ParseError(line: lineNumber, problem: "debtor and creditor are the same party")
            }
            var currency: CurrencyCode? = nil
            if cells.count >= 5 && !cells[4].isEmpty {
                guard let code = CurrencyCode(cells[4]), currencies.map({ $0[code] != nil }) ?? true else {
                    throw ParseError(line: lineNumber, problem: "unknown currency \(cells[4])")
                }
                currency = code
            }
            let amount: Int64
            if decimal {
                let exponent = currency.flatMap { currencies?[$0]?.exponent } ?? defaultExponent
                do {
                    amount = try Money(
                        parsing: cells[3],
                        currency: Currency(code: currency ?? CurrencyCode("XXX")!, exponent: exponent), sign: .positive
                    ).minorUnits
                } catch {
                    throw ParseError(line: lineNumber, problem: "amount \(cells[3]): \(error)")
                }
            } else {
                guard let value = Int64(cells[3]) else {
                    throw ParseError(
                        line: lineNumber, problem: "amount \(cells[3]) is not a whole number of minor units")
                }
                guard value > 0 else { throw ParseError(line: lineNumber, problem: "amount must be positive") }
                amount = value
            }
            var dueDay: Int32? = nil
            if cells.count == 6 && !cells[5].isEmpty {
                guard let date = CivilDate(cells[5]) else {
                    throw ParseError(line: lineNumber, problem: "due date \(cells[5]) is not YYYY-MM-DD")
                }
                dueDay = Int32(date.daysSinceEpoch)
            }
            for party in [debtor, creditor] where partyIndex[party] == nil {
                partyIndex[party] = parties.count
                parties.append(party)
            }
            rows.append(
                Row(id: id, debtor: debtor, creditor: creditor, amountMinor: amount, currency: currency, dueDay: dueDay)
            )
        }
        self.partyIndex = partyIndex
    }

    private var partyIndex: [String: Int]

    /// The distinct currencies (nil: rows without one).
    public var currencies: Set<CurrencyCode?> { Set(rows.map(\.currency)) }

    /// The rows as engine obligations (all of them, or those of one currency), with their row indices.
    public func obligations(currency: CurrencyCode?? = .none) -> (obligations: [Obligation], rowIndices: [Int]) {
        var obligations: [Obligation] = [], indices: [Int] = []
        for (index, row) in rows.enumerated() {
            if case .some(let wanted) = currency, row.currency != wanted { continue }
            obligations.append(
                Obligation(
                    debtor: Int32(partyIndex[row.debtor]!), creditor: Int32(partyIndex[row.creditor]!),
                    amountMinor: row.amountMinor, dueDay: row.dueDay))
            indices.append(index)
        }
        return (obligations, indices)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while result.first == " " { result = result.dropFirst() }
        while result.last == " " { result = result.dropLast() }
        return result
    }
}
