/// A participant's statement for one cycle: opening posted balance, every posted movement of
/// its position in the cycle's ledger window (payments in and out, funds, settlements), and
/// the closing balance. Closing − opening = Σ entries, exactly: `reconciles` checks it.
public struct ParticipantStatement: Hashable, Sendable, Codable {
    public struct Entry: Hashable, Sendable, Codable {
        public var transferID: UInt128
        public var timestamp: UInt64
        public var kind: String
        /// The payment (or funds request) it belongs to, when it has one.
        public var reference: UInt128
        /// Credit positive, debit negative, in the currency's minor units.
        public var amountMinor: Int64
    }

    public var cycle: UInt32
    public var bic: BIC
    public var currency: CurrencyCode
    public var openingMinor: Int64
    public var entries: [Entry]
    public var closingMinor: Int64

    public var reconciles: Bool { openingMinor + entries.map(\.amountMinor).reduce(0, +) == closingMinor }

    public init(
        cycle: UInt32, bic: BIC, currency: CurrencyCode, openingMinor: Int64, entries: [Entry], closingMinor: Int64
    ) {
        self.cycle = cycle
        self.bic = bic
        self.currency = currency
        self.openingMinor = openingMinor
        self.entries = entries
        self.closingMinor = closingMinor
    }

    /// Builds the statement from the transfers of the participant's position account (any
    /// order, any superset: only posted movements inside the cycle's window count).
    public init(
        cycle report: CycleReport, previous: CycleReport?, bic: BIC, positionAccountID: UInt128,
        transfers: [StoredTransfer]
    ) {
        cycle = report.number
        self.bic = bic
        let net = report.participants.first { $0.bic == bic }
        currency = net?.currency ?? CurrencyCode("XXX")!
        openingMinor = previous?.participants.first { $0.bic == bic }?.closingPostedMinor ?? 0
        closingMinor = net?.closingPostedMinor ?? 0
        entries = Self.postedEntries(of: positionAccountID, in: report, transfers: transfers)
    }

    static func kind(of code: UInt16) -> String {
        switch HubTransferCode(rawValue: code) {
        case .payerLeg: "payment_out"
        case .payeeLeg: "payment_in"
        case .fundsIn: "funds_in"
        case .fundsOut: "funds_out"
        case .settlement: "settlement"
        case .unitLeg: "unit_leg"
        case .imbalanceCharge: "imbalance_charge"
        case .excessSettlement: "excess_settlement"
        case .chargeRedistribution: "charge_redistribution"
        case .yearEndToReserve: "year_end_to_reserve"
        case .obligationSetOff: "obligation_set_off"
        case .roundingResidue, nil: "other"
        }
    }

    /// CSV, one line a movement, amounts as decimals of the currency; `exponent` from the
    /// currency table. Opening and closing lines frame the movements. Ids are written as the
    /// JSON statement writes them: transfer ids in hex, references as UUIDs.
    public func csv(exponent: Int) -> String {
        var lines = ["cycle,bic,currency,line,timestamp,transfer_id,kind,reference,amount"]
        let prefix = "\(cycle),\(bic),\(currency)"
        lines.append("\(prefix),opening,,,,,\(Money.format(minorUnits: openingMinor, exponent: exponent))")
        for entry in entries {
            lines.append(
                "\(prefix),entry,\(entry.timestamp),\(String(entry.transferID, radix: 16)),\(entry.kind),\(UUIDText.format(entry.reference)),"
                    + Money.format(minorUnits: entry.amountMinor, exponent: exponent))
        }
        lines.append("\(prefix),closing,,,,,\(Money.format(minorUnits: closingMinor, exponent: exponent))")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A member's statement for one cycle, in the unit: opening posted union position, every posted
/// movement of its union account in the cycle's ledger window (payments' unit legs, imbalance
/// charges, excess settlements), closing. `reconciles` checks closing = opening + Σ entries.
public struct MemberStatement: Hashable, Sendable, Codable {
    public var cycle: UInt32
    public var member: CountryCode
    public var openingMinor: Int64
    public var entries: [ParticipantStatement.Entry]
    public var closingMinor: Int64

    public var reconciles: Bool { openingMinor + entries.map(\.amountMinor).reduce(0, +) == closingMinor }

    public init(
        cycle report: CycleReport, previous: CycleReport?, member: CountryCode, unionAccountID: UInt128,
        transfers: [StoredTransfer]
    ) {
        cycle = report.number
        self.member = member
        openingMinor = previous?.members.first { $0.id == member }?.closingUnionPostedMinor ?? 0
        closingMinor = report.members.first { $0.id == member }?.closingUnionPostedMinor ?? 0
        entries = ParticipantStatement.postedEntries(of: unionAccountID, in: report, transfers: transfers)
    }
}

extension ParticipantStatement {
    /// Posted movements of an account in a cycle's window, oldest first, signed (credit +).
    static func postedEntries(of accountID: UInt128, in report: CycleReport, transfers: [StoredTransfer]) -> [Entry] {
        let window = report.firstLedgerTimestamp..<(report.lastLedgerTimestamp + 1)  // empty when nothing was booked
        return transfers.filter { stored in
            window.contains(stored.transfer.timestamp) && !stored.transfer.flags.contains(.pending)
                && !stored.transfer.flags.contains(.voidPendingTransfer)
                && (stored.transfer.debitAccountID == accountID || stored.transfer.creditAccountID == accountID)
        }.sorted { $0.transfer.timestamp < $1.transfer.timestamp }.map { stored in
            let t = stored.transfer
            let amount = Int64(truncatingIfNeeded: t.amount)
            return Entry(
                transferID: t.id, timestamp: t.timestamp, kind: kind(of: t.code), reference: t.userReference,
                amountMinor: t.creditAccountID == accountID ? amount : -amount)
        }
    }
}

extension CycleReport {
    /// The union overview of a cycle as CSV: per member its participants' net, union flows,
    /// union position after the close, and the charge.
    public func unionOverviewCSV(unitExponent: Int) -> String {
        var lines = [
            "cycle,member,currency,participants_net_minor,unit_sent,unit_received,unit_net,union_position,charge"
        ]
        for member in members {
            let charge = charges.first { $0.member == member.id }?.chargeMinor ?? 0
            let fields = [
                member.unitSentMinor, member.unitReceivedMinor, member.unitNetMinor, member.closingUnionPositionMinor,
                charge,
            ]
            lines.append(
                "\(number),\(member.id),\(member.currency),\(member.participantsNetMinor),"
                    + fields.map { Money.format(minorUnits: $0, exponent: unitExponent) }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension HubStateMachine {
    /// The ledger account of a member's union position (for statement queries).
    public func unionAccountID(of member: CountryCode) -> UInt128? {
        memberIndexByID[member.alpha3].map { members[$0].unionAccountID }
    }

    /// The ledger account of a participant's position (for statement queries).
    public func positionAccountID(of bic: BIC) -> UInt128? {
        participantIndexByBIC.value(for: UInt128(bic.packed)).map { participants[$0].positionAccountID }
    }
}
