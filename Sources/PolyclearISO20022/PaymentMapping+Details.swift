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
        // Each line's code word, read once on its bytes: `/WORD/value` after leading spaces.
        let coded = (tx.additionalRemittance + tx.unstructuredRemittance).compactMap(Self.codeword)
        func codeword(_ word: String) -> [String] {
            coded.compactMap { $0.word == word ? $0.value : nil }
        }
        if let invoice = tx.referredDocuments.first(where: { $0.typeCode == nil || $0.typeCode == "CINV" }) {
            (invoiceNumber, invoiceDate) = (invoice.number, invoice.date)
        } else if let reference = tx.creditorReferences.first {
            invoiceNumber = reference
        } else if let line = codeword("INV").first {
            let parts = line.split(separator: "/", maxSplits: 1).map(String.init)
            invoiceNumber = parts.first
            invoiceDate = parts.count > 1 ? Self.isoDate(parts[1]) : nil
        }
        purposeCode = tx.purposeCode ?? tx.categoryPurposeCode ?? codeword("PURP").first
        for detail in tx.regulatoryReporting where ["HS", "HSCODE", "HS CODE"].contains(detail.type?.uppercased()) {
            hsCodes += [detail.code].compactMap { $0 } + detail.information.filter { $0.allSatisfy(\.isNumber) }
        }
        hsCodes += codeword("HS").map { $0.filter { $0 != "." && $0 != " " } }
        var seen = Set<String>()
        hsCodes = hsCodes.filter { seen.insert($0).inserted }
        shipmentReference =
            tx.referredDocuments.first(where: { $0.typeCode == "BOLD" })?.number ?? codeword("SHIP").first
        incoterm = codeword("INCO").first.map { String($0.prefix(3)) }
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
        for (path, name) in [("Dbtr/Nm", tx.debtorName), ("Cdtr/Nm", tx.creditorName)] {
            if let name, !(1...140).contains(PaymentDetailsCheck.characterCount(name)) {
                return .failure(ISORefusal("FF01", "\(path): 1 to 140 characters"))
            }
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
