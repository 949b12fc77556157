import PolyclearCore

/// Where a pacs.008 carries the trade reference, parties and remittance, and in which order
/// the hub looks (the first place that has a value wins; docs/ISO20022-MAPPING.md has the
/// table):
/// - invoice number and date: `RmtInf/Strd/RfrdDocInf` of type CINV (or untyped) `Nb` and
///   `RltdDt`; else the first `RmtInf/Strd/CdtrRefInf/Ref`; else an `/INV/number/date` line;
/// - purpose: `Purp/Cd`; else `PmtTpInf/CtgyPurp/Cd`; else a `/PURP/code` line;
/// - HS codes: `RgltryRptg/Dtls` of type HS (`Cd`, and `Inf` lines of digits); then `/HS/code` lines;
/// - shipment reference: `RfrdDocInf` of type BOLD `Nb`; else a `/SHIP/reference` line;
/// - incoterm: an `/INCO/rule` line.
/// Code-word lines are read from `RmtInf/Strd/AddtlRmtInf`, then `RmtInf/Ustrd` (the SWIFT
/// MT convention, which translated messages keep).
struct TradeReferenceSources {
    var invoiceNumber: String?
    var invoiceDate: String?
    var purposeCode: String?
    var hsCodes: [String] = []
    var shipmentReference: String?
    var incoterm: String?

    init(_ tx: CustomerCreditTransfer.Transaction) {
        // Code-word lines are looked at only for what the elements did not give, and a value
        // becomes a String only for the word asked for.
        let lines = [tx.additionalRemittance, tx.unstructuredRemittance]
        func codeword(_ word: StaticString) -> [String] {
            var values: [String] = []
            for group in lines {
                for line in group { if let value = Self.codeword(line, word) { values.append(value) } }
            }
            return values
        }
        func firstCodeword(_ word: StaticString) -> String? {
            for group in lines { for line in group { if let value = Self.codeword(line, word) { return value } } }
            return nil
        }
        if let invoice = tx.referredDocuments.first(where: { $0.typeCode == nil || $0.typeCode == "CINV" }) {
            (invoiceNumber, invoiceDate) = (invoice.number, invoice.date)
        } else if let reference = tx.creditorReferences.first {
            invoiceNumber = reference
        } else if let line = firstCodeword("INV") {
            let parts = line.split(separator: "/", maxSplits: 1).map(String.init)
            invoiceNumber = parts.first
            invoiceDate = parts.count > 1 ? Self.isoDate(parts[1]) : nil
        }
        purposeCode = tx.purposeCode ?? tx.categoryPurposeCode ?? firstCodeword("PURP")
        for detail in tx.regulatoryReporting where Self.isHSType(detail.type) {
            if let code = detail.code { hsCodes.append(code) }
            for line in detail.information where Self.isNumber(line) { hsCodes.append(line) }
        }
        for code in codeword("HS") { hsCodes.append(code.filter { $0 != "." && $0 != " " }) }
        hsCodes = Self.uniqued(hsCodes)
        shipmentReference =
            tx.referredDocuments.first(where: { $0.typeCode == "BOLD" })?.number ?? firstCodeword("SHIP")
        incoterm = firstCodeword("INCO").map { String($0.prefix(3)) }
    }

    /// HS, HSCODE or HS CODE, in any case.
    static func isHSType(_ type: String?) -> Bool {
        guard let type else { return false }
        guard !type.utf8.contains(where: { $0 >= 0x80 }) else {
            return ["HS", "HSCODE", "HS CODE"].contains(type.uppercased())
        }
        // ASCII compared without upper-casing into a new String.
        func same(_ word: StaticString) -> Bool {
            guard type.utf8.count == word.utf8CodeUnitCount else { return false }
            return word.withUTF8Buffer { word in
                zip(type.utf8, word).allSatisfy { ($0 >= 97 && $0 <= 122 ? $0 - 32 : $0) == $1 }
            }
        }
        return same("HS") || same("HSCODE") || same("HS CODE")
    }

    /// Every character a number (Unicode's sense, as `Character.isNumber`; true when empty):
    /// on the bytes when the line is ASCII, where only 0–9 are numbers.
    static func isNumber(_ line: String) -> Bool {
        var isASCII = true, allDigits = true
        for byte in line.utf8 {
            if byte >= 0x80 { isASCII = false } else if byte < 48 || byte > 57 { allDigits = false }
        }
        return isASCII ? allDigits : line.allSatisfy(\.isNumber)
    }

    /// The codes in their first order without repeats (a scan for the usual handful, a set
    /// beyond).
    static func uniqued(_ codes: [String]) -> [String] {
        guard codes.count > 1 else { return codes }
        if codes.count <= 16 {
            var unique: [String] = []
            for code in codes where !unique.contains(code) { unique.append(code) }
            return unique
        }
        var seen = Set<String>()
        return codes.filter { seen.insert($0).inserted }
    }

    /// The value of `line` when it is `/word/value` (see `codeword(_:)`).
    static func codeword(_ line: String, _ word: StaticString) -> String? {
        var line = line
        // Compared on bytes before any String is made: most lines are not code words.
        let matches = line.withUTF8 { bytes -> Bool in
            var start = 0
            while start < bytes.count, bytes[start] == UInt8(ascii: " ") { start += 1 }
            let count = word.utf8CodeUnitCount
            guard start + count + 1 < bytes.count, bytes[start] == UInt8(ascii: "/"),
                bytes[start + count + 1] == UInt8(ascii: "/")
            else { return false }
            return word.withUTF8Buffer { wordBytes in
                (0..<count).allSatisfy { bytes[start + 1 + $0] == wordBytes[$0] }
            }
        }
        guard matches, let found = codeword(line) else { return nil }
        return found.value
    }

    /// `/WORD/value` after leading spaces; one space after the code word is dropped (`/INV/ 123`),
    /// the value is not empty.
    static func codeword(_ line: String) -> (word: Substring, value: String)? {
        let utf8 = line.utf8
        guard let slash = utf8.firstIndex(where: { $0 != UInt8(ascii: " ") }), utf8[slash] == UInt8(ascii: "/"),
            let close = utf8[utf8.index(after: slash)...].firstIndex(of: UInt8(ascii: "/"))
        else { return nil }
        var valueStart = utf8.index(after: close)
        if valueStart < utf8.endIndex && utf8[valueStart] == UInt8(ascii: " ") {
            valueStart = utf8.index(after: valueStart)
        }
        guard valueStart < utf8.endIndex else { return nil }
        return (line[utf8.index(after: slash)..<close], String(line[valueStart...]))
    }

    /// YYYYMMDD (MT style) or YYYY-MM-DD → YYYY-MM-DD; anything else is kept as given (and refused).
    static func isoDate(_ text: String) -> String {
        let digits = Array(text.utf8)
        guard digits.count == 8, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return text }
        return String(text.prefix(4)) + "-" + String(text.dropFirst(4).prefix(2)) + "-" + String(text.suffix(2))
    }
}

extension ISOPaymentMapper {
    /// The trade reference, names and details of a transaction, or the refusal naming the
    /// element and the rule.
    func tradeAndDetails(
        _ tx: CustomerCreditTransfer.Transaction
    ) -> Result<(TradeReference, String?, String?, PaymentDetails?), ISORefusal> {
        let sources = TradeReferenceSources(tx)
        let rule = "union rule payments.trade_reference"
        if tradeReferenceRequired && sources.invoiceNumber == nil {
            return .failure(ISORefusal("RR07", "RmtInf/Strd/RfrdDocInf/Nb: invoice number required (\(rule))"))
        }
        if tradeReferenceRequired && sources.purposeCode == nil {
            return .failure(ISORefusal("RR07", "Purp/Cd: purpose code required (\(rule))"))
        }
        if let invoice = sources.invoiceNumber, !(1...35).contains(PaymentDetailsCheck.characterCount(invoice)) {
            return .failure(ISORefusal("FF01", "RmtInf/Strd/RfrdDocInf/Nb: 1 to 35 characters"))
        }
        if let purpose = sources.purposeCode,
            purpose.utf8.count != 4 || !purpose.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) })
        {
            return .failure(ISORefusal("FF01", "Purp/Cd: four capitals or digits (ExternalPurpose1Code)"))
        }
        if let bad = sources.hsCodes.first(where: { !PaymentDetailsCheck.isValidHSCode($0) }) {
            return .failure(
                ISORefusal("FF01", "RgltryRptg/Dtls/Cd: HS code \(bad.prefix(12)) is not 2, 4 or 6 to 10 digits"))
        }
        if let name = tx.debtorName, !(1...140).contains(PaymentDetailsCheck.characterCount(name)) {
            return .failure(ISORefusal("FF01", "Dbtr/Nm: 1 to 140 characters"))
        }
        if let name = tx.creditorName, !(1...140).contains(PaymentDetailsCheck.characterCount(name)) {
            return .failure(ISORefusal("FF01", "Cdtr/Nm: 1 to 140 characters"))
        }
        func unnamed(_ party: Party?) -> Party? { CustomerCreditTransfer.Transaction.named(party, nil) }
        var details = PaymentDetails(
            debtor: unnamed(tx.debtor), creditor: unnamed(tx.creditor), ultimateDebtor: tx.ultimateDebtor,
            ultimateCreditor: tx.ultimateCreditor,
            remittance: Remittance(
                lines: tx.unstructuredRemittance.isEmpty ? nil : tx.unstructuredRemittance,
                creditorReferences: tx.creditorReferences.isEmpty ? nil : tx.creditorReferences),
            trade: TradeDetails(
                invoiceDate: sources.invoiceDate,
                moreHSCodes: sources.hsCodes.count > 1 ? Array(sources.hsCodes.dropFirst()) : nil,
                incoterm: sources.incoterm, shipmentReference: sources.shipmentReference))
        if details.remittance == Remittance() { details.remittance = nil }
        if details.trade == TradeDetails() { details.trade = nil }
        if let problem = PaymentDetailsCheck.firstProblem(details) {
            return .failure(ISORefusal("FF01", String(Self.elementPath(of: problem).prefix(105))))
        }
        let trade = TradeReference(
            invoiceNumber: sources.invoiceNumber ?? "", purposeCode: sources.purposeCode ?? "",
            hsCode: sources.hsCodes.first,
            freeText: tx.unstructuredRemittance.first.map { String($0.prefix(140)) })
        return .success((trade, tx.debtorName, tx.creditorName, details.isEmpty ? nil : details))
    }

    /// "debtor.account.iban: rule" → "DbtrAcct/Id/IBAN: rule".
    static func elementPath(of problem: String) -> String {
        let parts = problem.split(separator: ":", maxSplits: 1).map(String.init)
        var field = parts[0]
        let roots: [(String, String, String)] = [
            ("ultimateDebtor.", "UltmtDbtr/", "UltmtDbtr/"), ("ultimateCreditor.", "UltmtCdtr/", "UltmtCdtr/"),
            ("debtor.", "Dbtr/", "DbtrAcct/"), ("creditor.", "Cdtr/", "CdtrAcct/"),
        ]
        let leaves: [(String, String)] = [
            ("account.iban", "Id/IBAN"), ("account.other", "Id/Othr/Id"), ("account.scheme", "Id/Othr/SchmeNm"),
            ("account", "Id"), ("address.streetName", "PstlAdr/StrtNm"), ("address.buildingNumber", "PstlAdr/BldgNb"),
            ("address.postCode", "PstlAdr/PstCd"), ("address.townName", "PstlAdr/TwnNm"),
            ("address.country", "PstlAdr/Ctry"), ("address.lines", "PstlAdr/AdrLine"), ("lei", "Id/OrgId/LEI"),
            ("organisationIdScheme", "Id/OrgId/Othr/SchmeNm"), ("organisationId", "Id/OrgId/Othr/Id"), ("name", "Nm"),
            ("remittance.lines", "RmtInf/Ustrd"), ("remittance.creditorReferences", "RmtInf/Strd/CdtrRefInf/Ref"),
            ("trade.invoiceDate", "RmtInf/Strd/RfrdDocInf/RltdDt"), ("trade.hsCodes", "RgltryRptg/Dtls/Cd"),
            ("trade.incoterm", "/INCO/ line"), ("trade.shipmentReference", "RmtInf/Strd/RfrdDocInf(BOLD)/Nb"),
        ]
        var prefix = ""
        for (json, party, account) in roots where field.hasPrefix(json) {
            field.removeFirst(json.count)
            prefix = field.hasPrefix("account") ? account : party
            break
        }
        for (json, iso) in leaves where field.hasPrefix(json) {
            field = iso + field.dropFirst(json.count)
            break
        }
        return prefix + field + (parts.count > 1 ? ":" + parts[1] : "")
    }
}
