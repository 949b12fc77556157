import Foundation
import PolyclearCore
@testable import PolyclearISO20022
import PolyclearWorkload
import Testing

/// pacs.008 → payment data: parties, accounts, addresses, identifiers, remittance and the
/// trade reference from every place real messages carry them, in the documented order; real
/// CBPR+ messages with the union's BICs put in; refusals naming the element and the rule.
@Suite struct PaymentDataMappingTests {
    static let currencies = try! CurrencyTable()
    static let banks: [BIC: CurrencyCode] = [
        BIC("BANKBRSP")!: CurrencyCode("BRL")!, BIC("BANKCNBJ")!: CurrencyCode("CNY")!,
    ]

    static func mapper(required: Bool) -> ISOPaymentMapper {
        ISOPaymentMapper(currencies: currencies, tradeReferenceRequired: required, currencyOf: { banks[$0] })
    }

    @Test func aFullTransactionKeepsEveryPartyAndTheTradeReference() throws {
        let p = try Self.mapper(required: true).instruction(GeneratedMessageTests.fullTransaction).get()
        #expect(p.trade.invoiceNumber == "INV-2026-0042" && p.trade.purposeCode == "GDDS" && p.trade.hsCode == "120190")
        #expect(p.debtorName == "Exportadora Ltda" && p.creditorName == "Importer Co")
        let d = try #require(p.details)
        #expect(d.debtor?.name == nil && d.debtor?.account?.iban == "BR1800360305000010009795493C1")
        #expect(d.debtor?.address?.townName == "Sao Paulo" && d.debtor?.lei == "5493001KJTIIGC8Y1R12")
        #expect(d.creditor?.account == PartyAccount(other: "6228480010001234567", scheme: "BBAN"))
        #expect(d.creditor?.organisationID == "91310000MA1FL1234X" && d.creditor?.address?.lines?.count == 2)
        #expect(d.ultimateDebtor?.name == "Cooperativa Agricola" && d.ultimateCreditor?.name == "Feed Mills Group")
        #expect(d.remittance?.creditorReferences == ["RF18539007547034", "PO-7781"])
        #expect(d.remittance?.lines == ["/INCO/FOB", "soy beans"])
        #expect(
            d.trade
                == TradeDetails(
                    invoiceDate: "2026-11-20", moreHSCodes: ["120110"], incoterm: "FOB",
                    shipmentReference: "MAEU123456789"))
    }

    @Test func codeWordsInRemittanceLinesAreTheLastPlaceLookedIn() throws {
        var tx = Self.plain()
        tx.unstructuredRemittance = ["/INV/4711/20261101", "/PURP/GDDS", "/HS/8504.40", "/SHIP/BL-1"]
        let p = try Self.mapper(required: true).instruction(tx).get()
        #expect(p.trade.invoiceNumber == "4711" && p.trade.purposeCode == "GDDS" && p.trade.hsCode == "850440")
        #expect(p.details?.trade?.invoiceDate == "2026-11-01" && p.details?.trade?.shipmentReference == "BL-1")
        // A structured invoice and a Purp/Cd come first; a creditor reference before /INV/.
        tx.referredDocuments = [ReferredDocument(number: "STRUCTURED-1")]
        tx.purposeCode = "SUPP"
        #expect(try Self.mapper(required: true).instruction(tx).get().trade.invoiceNumber == "STRUCTURED-1")
        #expect(try Self.mapper(required: true).instruction(tx).get().trade.purposeCode == "SUPP")
        tx.referredDocuments = []
        tx.creditorReferences = ["RF18539007547034"]
        #expect(try Self.mapper(required: true).instruction(tx).get().trade.invoiceNumber == "RF18539007547034")
        tx.purposeCode = nil
        tx.categoryPurposeCode = "TRAD"
        #expect(try Self.mapper(required: true).instruction(tx).get().trade.purposeCode == "TRAD")
    }

    @Test func theUnionRuleDecidesWhetherAMissingTradeReferenceIsRefused() throws {
        let tx = Self.plain()
        let refusal = Self.refusal(Self.mapper(required: true).instruction(tx))
        #expect(refusal?.reasonCode == "RR07")
        #expect(refusal?.text.contains("RmtInf/Strd/RfrdDocInf/Nb") == true)
        #expect(refusal?.text.contains("payments.trade_reference") == true)
        var withInvoice = tx
        withInvoice.referredDocuments = [ReferredDocument(number: "INV-1")]
        #expect(Self.refusal(Self.mapper(required: true).instruction(withInvoice))?.text.hasPrefix("Purp/Cd") == true)
        let p = try Self.mapper(required: false).instruction(tx).get()
        #expect(p.trade.invoiceNumber.isEmpty && p.trade.purposeCode.isEmpty)
    }

    @Test(arguments: [
        "pacs.008.001.08__wso2-mx2mt__c_105_1_1__CBPRplus_c.105.1.1_pacs.008_AtoB.xml",
        "pacs.008.001.08__wso2-mx2mt__c_106_2_1_a__CBPRplus_c.106.2.1.a_pacs.008_BtoC.xml",
        "pacs.008.001.08__wso2-mx2mt__c_53_5__CBPRplus_c.53.5_pacs.008_AtoB.xml",
    ])
    func realCBPRPlusMessagesWithTheUnionsBICsAreTaken(file: String) throws {
        var text = try String(
            contentsOf: ISOFixtures.root.appendingPathComponent("samples/" + file), encoding: .utf8)
        // The union's banks and currency put in: the debtor agent is the payer bank (else the
        // instructing agent), the creditor agent the payee bank.
        let message = try ISOMessage.parse(text)
        guard case .customerCreditTransfer(let original) = message.document else {
            Issue.record("not a pacs.008"); return
        }
        let tx = original.transactions[0]
        for bic in [tx.debtorAgentBIC, tx.instructingAgentBIC].compactMap({ $0 }) {
            text = text.replacingOccurrences(of: bic, with: "BANKBRSPXXX")
        }
        text = text.replacingOccurrences(of: tx.creditorAgentBIC!, with: "BANKCNBJXXX")
        text = text.replacingOccurrences(
            of: "Ccy=\"\(tx.interbankSettlementAmount.currency)\"", with: "Ccy=\"BRL\"")
        guard case .customerCreditTransfer(let transfer) = try ISOMessage.parse(text).document else { return }
        let mapped = Self.mapper(required: false).instruction(transfer.transactions[0])
        let p = try mapped.get()
        #expect(p.payer == BIC("BANKBRSPXXX") && p.payee == BIC("BANKCNBJXXX"))
        #expect(p.debtorName == tx.debtorName && p.creditorName == tx.creditorName)
        #expect(p.details?.debtor?.account == tx.debtor?.account)
        #expect(p.details?.creditor?.address == tx.creditor?.address)
        if tx.referredDocuments.isEmpty && tx.creditorReferences.isEmpty {
            #expect(
                Self.refusal(Self.mapper(required: true).instruction(transfer.transactions[0]))?.reasonCode == "RR07")
        }
    }

    @Test func badPartyDataIsRefusedNamingTheElement() {
        var tx = Self.plain(withReference: true)
        tx.debtor?.account = PartyAccount(iban: "BR1800360305000010009795493C2")  // one check digit off
        #expect(Self.refusal(Self.mapper(required: true).instruction(tx))?.text.hasPrefix("DbtrAcct/Id/IBAN") == true)
        tx = Self.plain(withReference: true)
        tx.creditor?.lei = "5493001KJTIIGC8Y1R13"
        #expect(Self.refusal(Self.mapper(required: true).instruction(tx))?.text.hasPrefix("Cdtr/Id/OrgId/LEI") == true)
        tx = Self.plain(withReference: true)
        tx.ultimateCreditor = Party(address: PostalAddress(country: "XX"))
        #expect(
            Self.refusal(Self.mapper(required: true).instruction(tx))?.text.hasPrefix("UltmtCdtr/PstlAdr/Ctry") == true)
        tx = Self.plain(withReference: true)
        tx.regulatoryReporting = [RegulatoryDetail(type: "HS", code: "12AB")]
        #expect(Self.refusal(Self.mapper(required: true).instruction(tx))?.text.hasPrefix("RgltryRptg/Dtls/Cd") == true)
        tx = Self.plain(withReference: true)
        tx.referredDocuments[0].date = "2026-02-30"
        #expect(
            Self.refusal(Self.mapper(required: true).instruction(tx))?.text.hasPrefix("RmtInf/Strd/RfrdDocInf/RltdDt")
                == true)
        tx = Self.plain(withReference: true)
        tx.unstructuredRemittance = Array(repeating: "line", count: 11)
        #expect(Self.refusal(Self.mapper(required: true).instruction(tx))?.text.hasPrefix("RmtInf/Ustrd") == true)
    }

    @Test func identifierChecksFollowTheirStandards() {
        for iban in ["GB82WEST12345698765432", "DE89370400440532013000", "BR1800360305000010009795493C1"] {
            #expect(PaymentDetailsCheck.isValidIBAN(iban), "\(iban)")
        }
        for iban in ["GB82WEST12345698765433", "XX82WEST12345698765432", "GB82west12345698765432", "GB82"] {
            #expect(!PaymentDetailsCheck.isValidIBAN(iban), "\(iban)")
        }
        #expect(PaymentDetailsCheck.isValidLEI("5493001KJTIIGC8Y1R12"))
        #expect(!PaymentDetailsCheck.isValidLEI("5493001KJTIIGC8Y1R1"))
        #expect(PaymentDetailsCheck.isValidDate("2024-02-29") && !PaymentDetailsCheck.isValidDate("2023-02-29"))
        #expect(!PaymentDetailsCheck.isValidDate("2024-13-01") && !PaymentDetailsCheck.isValidDate("20240101"))
    }

    static func plain(withReference: Bool = false) -> CustomerCreditTransfer.Transaction {
        var tx = CustomerCreditTransfer.Transaction(
            endToEndID: "E2E", uetr: "8c7a1f20-5b3e-4d71-9e2a-6f0b1c2d3e4f",
            interbankSettlementAmount: ISOAmount(value: "10.00", currency: "BRL"), debtorName: "A",
            debtorAgentBIC: "BANKBRSP", creditorAgentBIC: "BANKCNBJ", creditorName: "B")
        if withReference {
            tx.referredDocuments = [ReferredDocument(number: "INV-1")]
            tx.purposeCode = "GDDS"
        }
        return tx
    }

    static func refusal(_ result: Result<PaymentInstruction, ISORefusal>) -> ISORefusal? {
        if case .failure(let refusal) = result { return refusal }
        return nil
    }
}

/// Code-word lines are read once on their bytes; the answers are the character-level
/// reading's, on random lines of slashes, spaces, code words and values.
@Suite struct CodewordTests {
    static func reference(_ lines: [String], _ word: String) -> [String] {
        lines.compactMap { line in
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("/" + word + "/") else { return nil }
            let value = trimmed.dropFirst(word.count + 2).trimmingPrefix(" ")
            return value.isEmpty ? nil : String(value)
        }
    }

    @Test(arguments: [1, 2, 3])
    func codewordsReadAsTheCharacterReadingDoes(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let pieces = ["/", " ", "  ", "INV", "PURP", "HS", "SHIP", "INCO", "GDDS", "12", ".", "x", "é", "FOB"]
        for _ in 0..<3_000 {
            let lines = (0..<Int(random.next() % 3 + 1)).map { _ in
                (0..<Int(random.next() % 7)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            }
            let coded = lines.compactMap(TradeReferenceSources.codeword)
            for word in ["INV", "PURP", "HS", "SHIP", "INCO"] {
                #expect(
                    coded.compactMap { $0.word == word ? $0.value : nil } == Self.reference(lines, word), "\(lines)")
            }
            // The lookup of one word (bytes compared before a value is made) agrees too.
            for word: StaticString in ["INV", "PURP", "HS", "SHIP", "INCO"] {
                #expect(
                    lines.compactMap { TradeReferenceSources.codeword($0, word) }
                        == Self.reference(lines, word.description), "\(lines)")
            }
        }
    }

    /// The byte-level tests of HS detail types, numeric lines and repeats answer as the
    /// character-level definitions do.
    @Test func hsTypesNumbersAndRepeatsReadAsCharactersDo() {
        var random = SeededRandom(seed: 7)
        let pieces = ["h", "H", "s", "S", " ", "code", "CODE", "é", "0", "9", "12", "٣", "½", ".", "x"]
        for _ in 0..<5_000 {
            let text = (0..<Int(random.next() % 5)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }
                .joined()
            #expect(
                TradeReferenceSources.isHSType(text) == ["HS", "HSCODE", "HS CODE"].contains(text.uppercased()),
                "\(text)")
            #expect(TradeReferenceSources.isNumber(text) == text.allSatisfy(\.isNumber), "\(text)")
            let codes = (0..<Int(random.next() % 40)).map { _ in String(random.next() % 12) }
            var seen = Set<String>()
            #expect(TradeReferenceSources.uniqued(codes) == codes.filter { seen.insert($0).inserted })
        }
        #expect(!TradeReferenceSources.isHSType(nil))
    }
}
