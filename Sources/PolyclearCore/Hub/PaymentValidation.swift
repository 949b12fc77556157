/// Field checks and the idempotency fingerprint of a payment instruction.
enum PaymentValidation {
    static let max35TextLength = 35
    static let max140TextLength = 140

    /// The first malformed field, if any (ISO 20022 text limits: Max35Text, Max140Text).
    static func isWellFormed(_ p: PaymentInstruction) -> Bool {
        guard p.id != 0, isUUIDv4(p.uetr) else { return false }
        // An empty invoice number or purpose code is "not given" (whether that is allowed is
        // the union's rule, checked in admission: `tradeReferenceMissing`).
        guard (1...max35TextLength).contains(p.endToEndID.utf8.count),
            p.trade.invoiceNumber.utf8.count <= max35TextLength
        else { return false }
        let purpose = p.trade.purposeCode.utf8
        guard purpose.isEmpty || purpose.count == 4,
            purpose.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) })
        else { return false }
        if let hs = p.trade.hsCode, !PaymentDetailsCheck.isValidHSCode(hs) { return false }
        // Checked one by one: an array literal here would allocate for every payment.
        if (p.trade.freeText?.utf8.count ?? 0) > max140TextLength || (p.debtorName?.utf8.count ?? 0) > max140TextLength
            || (p.creditorName?.utf8.count ?? 0) > max140TextLength
        {
            return false
        }
        // A condition needs a reservation to hold the money and an expiry to release it.
        if let condition = p.condition, !condition.isWellFormed || !p.isTwoPhase || p.timeoutSeconds == 0 {
            return false
        }
        if let details = p.details, PaymentDetailsCheck.firstProblem(details) != nil { return false }
        return p.timeoutSeconds <= Limits.pendingTimeoutSecondsMax
    }

    /// A UETR is a version-4 UUID (RFC 4122): version nibble 4, variant bits 10.
    static func isUUIDv4(_ value: UInt128) -> Bool {
        (value >> 76) & 0xF == 4 && (value >> 62) & 0b11 == 0b10
    }

    /// FNV-1a over every field, for "same id, same content?" without keeping the content.
    static func fingerprint(_ p: PaymentInstruction) -> UInt64 {
        var hasher = FNV1a()
        hasher.add(p.id)
        hasher.add(UInt128(p.payer.packed) << 64 | UInt128(p.payee.packed))
        hasher.add(UInt128(UInt64(bitPattern: p.amountMinor)) << 8 | UInt128(p.amountSide.rawValue))
        hasher.add(p.uetr)
        hasher.add(p.quoteID ?? 0)
        hasher.add(
            UInt128(p.timeoutSeconds) << 24 | UInt128(p.priority.rawValue) << 16
                | UInt128(p.isTwoPhase ? 1 : 0) << 8 | UInt128(p.immediateOrReject ? 1 : 0))
        hasher.add(p.endToEndID)
        hasher.add(p.trade.invoiceNumber)
        hasher.add(p.trade.purposeCode)
        hasher.add(p.trade.hsCode)
        hasher.add(p.trade.freeText)
        hasher.add(p.debtorName)
        hasher.add(p.creditorName)
        // Only when present: the fingerprints of unconditional payments stay as they were.
        if let condition = p.condition { hasher.add(condition.sha256Hex) }
        if let details = p.details { hasher.add(details) }
        return hasher.value
    }
}

extension FNV1a {
    /// Every field in a fixed order, absent ones marked (so moving a value changes the hash).
    mutating func add(_ d: PaymentDetails) {
        for party in [d.debtor, d.creditor, d.ultimateDebtor, d.ultimateCreditor] {
            guard let party else { add(nil); continue }
            for text in [
                party.name, party.account?.iban, party.account?.other, party.account?.scheme, party.address?.streetName,
                party.address?.buildingNumber, party.address?.postCode, party.address?.townName, party.address?.country,
                party.lei, party.organisationID, party.organisationIDScheme,
            ] { add(text) }
            add(lines: party.address?.lines)
        }
        add(lines: d.remittance?.lines)
        add(lines: d.remittance?.creditorReferences)
        for text in [d.trade?.invoiceDate, d.trade?.incoterm, d.trade?.shipmentReference] { add(text) }
        add(lines: d.trade?.moreHSCodes)
    }

    mutating func add(lines: [String]?) {
        add(UInt128(lines.map { $0.count + 1 } ?? 0))
        for line in lines ?? [] { add(line) }
    }
}

struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    mutating func add(_ number: UInt128) {
        var rest = number
        for _ in 0..<16 {
            add(byte: UInt8(truncatingIfNeeded: rest))
            rest >>= 8
        }
    }

    mutating func add(_ text: String?) {
        guard let text else { add(byte: 0xFF); add(byte: 0xFE); return }
        for byte in text.utf8 { add(byte: byte) }
        add(byte: 0)  // separator: "ab"+"c" differs from "a"+"bc"
    }
}
