/// The ids of every ledger transfer the hub books, in one place, so that the layouts cannot
/// collide and an id says what booked it. The top byte (bits 120–127) is the kind.
///
/// These layouts are durable: stored ledgers hold these ids and replay compares them, so a
/// layout never changes; a new use gets a new kind. `HubTransferIDTests` pins every one.
enum HubTransferID {
    enum Kind: UInt8, CaseIterable {
        case paymentLeg = 1
        case funds = 2
        case settlement = 3
        case imbalanceCharge = 4
        case excessSettlement = 5
        case setOff = 6
        case chargeRedistribution = 7
        case yearEnd = 8
    }

    /// The kind of a transfer the hub booked (nil: not one of the hub's layouts).
    static func kind(of id: UInt128) -> Kind? { Kind(rawValue: UInt8(truncatingIfNeeded: id >> 120)) }

    private static func prefix(_ kind: Kind) -> UInt128 { UInt128(kind.rawValue) << 120 }

    /// A payment's booked leg (0 payer, 1 unit, 2 payee, 3 rounding residue): payment index in
    /// bits 4–35, leg in bits 0–3.
    static func paymentLeg(_ payment: PaymentIndex, leg: UInt8) -> UInt128 {
        precondition(leg < 4, "a payment has four legs")
        return prefix(.paymentLeg) | UInt128(payment.raw) << 4 | UInt128(leg)
    }

    /// The post or void of a reserved payment's pending leg: the leg number plus 8.
    static func paymentLegResolution(_ payment: PaymentIndex, leg: UInt8) -> UInt128 {
        precondition(leg < 4, "a payment has four legs")
        return prefix(.paymentLeg) | UInt128(payment.raw) << 4 | UInt128(leg + 8)
    }

    /// A funds request's reservation (0) and its post or void (1): index in bits 2–33.
    static func funds(_ request: FundsIndex, leg: UInt8) -> UInt128 {
        precondition(leg < 2, "a funds request has two transfers")
        return prefix(.funds) | UInt128(request.raw) << 2 | UInt128(leg)
    }

    /// A settlement instruction's transfer (a pay-in, or a pay-out's reservation): cycle in
    /// bits 32–63, the instruction's position in bits 0–31.
    static func settlement(cycle: UInt32, instruction: Int) -> UInt128 {
        prefix(.settlement) | UInt128(cycle) << 32 | UInt128(UInt32(instruction))
    }

    /// The post of a pay-out reserved at close: the settlement id with bit 119 set.
    static func settlementPost(cycle: UInt32, instruction: Int) -> UInt128 {
        settlement(cycle: cycle, instruction: instruction) | UInt128(1) << 119
    }

    /// A member's imbalance charge at a cycle's close: cycle in bits 32–63, member in 0–31.
    static func imbalanceCharge(cycle: UInt32, member: MemberIndex) -> UInt128 {
        prefix(.imbalanceCharge) | UInt128(cycle) << 32 | UInt128(member.raw)
    }

    /// A member's share of the charges paid by the other side at a close
    /// (`ChargeDisposition.redistribute`): cycle in bits 32–63, member in 0–31.
    static func chargeRedistribution(cycle: UInt32, member: MemberIndex) -> UInt128 {
        prefix(.chargeRedistribution) | UInt128(cycle) << 32 | UInt128(member.raw)
    }

    /// A creditor's position beyond quota moved to the reserve at a year end: the year end's
    /// number (1, 2, ...) in bits 32–63, member in 0–31.
    static func yearEnd(_ number: UInt32, member: MemberIndex) -> UInt128 {
        prefix(.yearEnd) | UInt128(number) << 32 | UInt128(member.raw)
    }

    /// A member's confirmed excess settlement for a cycle: cycle in bits 32–63, member in 0–31.
    static func excessSettlement(cycle: UInt32, member: MemberIndex) -> UInt128 {
        prefix(.excessSettlement) | UInt128(cycle) << 32 | UInt128(member.raw)
    }

    /// One obligation's set-off in a run: the run id's low 100 bits in bits 14–113, the
    /// obligation's position (below 2^14, more than a command may carry) in bits 0–13.
    static func setOff(runID: UInt128, obligation position: Int) -> UInt128 {
        precondition(position < 1 << 14, "a set-off run carries at most 16,384 obligations")
        return prefix(.setOff) | (runID & ((UInt128(1) << 100) - 1)) << 14 | UInt128(position)
    }
}
