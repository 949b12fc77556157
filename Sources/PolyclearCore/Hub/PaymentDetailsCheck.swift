/// Checks of a payment's details: the first problem as "field path: rule" (nil: well formed).
/// Paths use the JSON API's field names; the ISO mapping checks the same values and names
/// the elements. Text limits are ISO 20022's (Max35Text, Max70Text, Max140Text).
public enum PaymentDetailsCheck {
    public static let remittanceLinesMax = 10
    public static let creditorReferencesMax = 10
    public static let addressLinesMax = 3
    public static let moreHSCodesMax = 9
    public static let incoterms: Set<String> = [
        "EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF",
    ]

    public static func firstProblem(_ d: PaymentDetails) -> String? {
        // The debtor's and creditor's names are the instruction's own fields.
        if d.debtor?.name != nil { return "debtor.name: given as debtorName" }
        if d.creditor?.name != nil { return "creditor.name: given as creditorName" }
        // One call per party (a list of them cost an allocation per payment).
        if let party = d.debtor, let problem = firstProblem(party) { return "debtor." + problem }
        if let party = d.creditor, let problem = firstProblem(party) { return "creditor." + problem }
        if let party = d.ultimateDebtor, let problem = firstProblem(party) { return "ultimateDebtor." + problem }
        if let party = d.ultimateCreditor, let problem = firstProblem(party) { return "ultimateCreditor." + problem }
        if let r = d.remittance {
            if let problem = lines(r.lines, max: remittanceLinesMax, length: 140) {
                return "remittance.lines" + problem
            }
            if let problem = lines(r.creditorReferences, max: creditorReferencesMax, length: 35) {
                return "remittance.creditorReferences" + problem
            }
        }
        if let t = d.trade { return firstProblem(t).map { "trade." + $0 } }
        return nil
    }

    static func firstProblem(_ p: Party) -> String? {
        if let problem = text(p.name, length: 140) { return "name" + problem }
        if let account = p.account {
            switch (account.iban, account.other) {
            case (let iban?, nil):
                guard account.scheme == nil else { return "account.scheme: only with account.other" }
                if !isValidIBAN(iban) { return "account.iban: not an IBAN (country, length, check digits)" }
            case (nil, let other?):
                if let problem = text(other, length: 34) { return "account.other" + problem }
                if let problem = text(account.scheme, length: 35) { return "account.scheme" + problem }
            default: return "account: exactly one of iban and other"
            }
        }
        if let a = p.address {
            if let problem = text(a.streetName, length: 70) { return "address.streetName" + problem }
            if let problem = text(a.buildingNumber, length: 16) { return "address.buildingNumber" + problem }
            if let problem = text(a.postCode, length: 16) { return "address.postCode" + problem }
            if let problem = text(a.townName, length: 35) { return "address.townName" + problem }
            if let country = a.country, !CountryCode.isAlpha2(country) {
                return "address.country: not an ISO 3166 alpha-2 code"
            }
            if let problem = lines(a.lines, max: addressLinesMax, length: 70) { return "address.lines" + problem }
        }
        if let lei = p.lei, !isValidLEI(lei) { return "lei: not an LEI (20 characters, check digits)" }
        if let problem = text(p.organisationID, length: 35) { return "organisationId" + problem }
        if p.organisationIDScheme != nil && p.organisationID == nil {
            return "organisationIdScheme: only with organisationId"
        }
        if let problem = text(p.organisationIDScheme, length: 35) { return "organisationIdScheme" + problem }
        return nil
    }

    static func firstProblem(_ t: TradeDetails) -> String? {
        if let date = t.invoiceDate, !isValidDate(date) { return "invoiceDate: a date YYYY-MM-DD" }
        if let codes = t.moreHSCodes {
            guard codes.count <= moreHSCodesMax else { return "hsCodes: at most \(moreHSCodesMax + 1)" }
            for code in codes where !isValidHSCode(code) { return "hsCodes: 2, 4 or 6 to 10 digits each" }
        }
        if let term = t.incoterm, !incoterms.contains(term) { return "incoterm: an Incoterms 2020 rule (e.g. FOB)" }
        if let problem = text(t.shipmentReference, length: 35) { return "shipmentReference" + problem }
        return nil
    }

    /// An HS code: the chapter (2 digits), the heading (4) or a subheading or national code
    /// (6 to 10), digits only.
    public static func isValidHSCode(_ code: String) -> Bool {
        let count = code.utf8.count
        return (count == 2 || count == 4 || (6...10).contains(count)) && code.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// Text of 1...length characters without control characters (what ISO's MaxNText allow).
    static func text(_ value: String?, length: Int) -> String? {
        guard let value else { return nil }
        // One pass over the bytes (nearly every value is ASCII): counting characters is a
        // grapheme walk, done only for other text. A control character is one byte in UTF-8
        // (every byte of a longer character is 0x80 or more), so bytes tell it for any text.
        var isASCII = true, hasControl = false
        for byte in value.utf8 {
            if byte >= 0x80 || byte == 0x0D { isASCII = false }
            if byte < 0x20 || byte == 0x7F { hasControl = true }
        }
        guard (1...length).contains(isASCII ? value.utf8.count : value.count) else {
            return ": 1 to \(length) characters"
        }
        return hasControl ? ": no control characters" : nil
    }

    /// ASCII without CR: each byte one character (CR LF is one character).
    static func isSimpleASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 && $0 != 0x0D } }

    /// The characters of a text, counted on its bytes when it is ASCII (a grapheme walk
    /// otherwise).
    public static func characterCount(_ text: String) -> Int {
        isSimpleASCII(text) ? text.utf8.count : text.count
    }

    static func lines(_ values: [String]?, max: Int, length: Int) -> String? {
        guard let values else { return nil }
        guard (1...max).contains(values.count) else { return ": 1 to \(max) lines" }
        for value in values { if let problem = text(value, length: length) { return problem } }
        return nil
    }

    /// ISO 13616: country code, two check digits, up to 30 letters or digits; the number
    /// formed by moving the first four characters to the end (letters as 10–35) is 1 mod 97.
    public static func isValidIBAN(_ iban: String) -> Bool {
        var iban = iban
        return iban.withUTF8 { bytes in
            guard (15...34).contains(bytes.count), CountryCode.isAlpha2(bytes[0], bytes[1]),
                isDigit(bytes[2]), isDigit(bytes[3])
            else { return false }
            var remainder = 0
            return mod97(&remainder, UnsafeBufferPointer(rebasing: bytes[4...]))
                && mod97(&remainder, UnsafeBufferPointer(rebasing: bytes[0..<4])) && remainder == 1
        }
    }

    /// ISO 17442: 18 letters or digits then two check digits; 1 mod 97 like an IBAN.
    public static func isValidLEI(_ lei: String) -> Bool {
        var lei = lei
        return lei.withUTF8 { bytes in
            guard bytes.count == 20, isDigit(bytes[18]), isDigit(bytes[19]) else { return false }
            var remainder = 0
            return mod97(&remainder, bytes) && remainder == 1
        }
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    /// Continues `remainder` (mod 97) over digits and capitals (as 10–35); false on any other byte.
    private static func mod97(_ remainder: inout Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes {
            switch byte {
            case 48...57: remainder = (remainder * 10 + Int(byte - 48)) % 97
            case 65...90: remainder = (remainder * 100 + Int(byte - 55)) % 97
            default: return false
            }
        }
        return true
    }

    /// A calendar date YYYY-MM-DD (proleptic Gregorian, years 1900–2999).
    public static func isValidDate(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(isValidDate)
    }

    static func isValidDate(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count == 10, b[4] == 45, b[7] == 45 else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            (1900...2999).contains(year), (1...12).contains(month)
        else { return false }
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = month == 2 ? (isLeap ? 29 : 28) : (month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31)
        return (1...days).contains(day)
    }
}
