@testable import PolyclearCore
import PolyclearISO20022
import PolyclearTestSupport
import PolyclearWorkload
import Testing

/// Every message kind the hub generates, filled with every field it writes, is valid against
/// its official schema (xmllint) and reads back to the same value.
@Suite struct GeneratedMessageTests {
    static let now: UInt64 = 1_796_000_000_123_456_789
    static let uetr = "3f2a6b1c-9d4e-4f60-8a7b-0c1d2e3f4a5b"
    static let bra = Member(
        id: CountryCode(alpha3: "BRA")!, name: "Banco Central do Brasil & Co <test>", currency: CurrencyCode("BRL")!,
        quotaUnitMinor: 1)

    static let header = BusinessApplicationHeader(
        fromBIC: "BANKBRSP", toBIC: "POLYXXXX", businessMessageID: "MSG-1", messageDefinitionID: "",
        businessService: "polyclear.01", creationDate: ISODateTime.format(nanoseconds: now))

    /// The full transaction's data as the hub keeps it: what a status report's OrgnlTxRef says.
    static var fullReference: EntryDetails {
        let mapped = try! ISOPaymentMapper(
            currencies: try! CurrencyTable(), tradeReferenceRequired: true,
            currencyOf: { ["BANKBRSP": CurrencyCode("BRL")!, "BANKCNBJ": CurrencyCode("CNY")!][$0.description] }
        ).instruction(fullTransaction).get()
        return EntryDetails(
            texts: PaymentTexts(mapped), details: mapped.details, payer: mapped.payer, payee: mapped.payee)
    }

    static func messages() -> [(String, ISODocument)] {
        var transfer = CustomerCreditTransfer(
            messageID: "MSG-1", creationDateTime: ISODateTime.format(nanoseconds: now),
            interbankSettlementDate: "2026-11-29",
            transactions: [
                .init(
                    instructionID: "I-1", endToEndID: "E2E-1", transactionID: "T-1", uetr: uetr,
                    interbankSettlementAmount: ISOAmount(value: "1250.75", currency: "BRL"),
                    interbankSettlementDate: "2026-11-29",
                    instructedAmount: ISOAmount(value: "1250.75", currency: "BRL"), chargeBearer: "SHAR",
                    instructingAgentBIC: "BANKBRSP", instructedAgentBIC: "POLYXXXX",
                    debtorName: "Exportadora Ltda & Filhos", debtorAgentBIC: "BANKBRSP",
                    creditorAgentBIC: "BANKCNBJ", creditorName: "Importer <Co>", purposeCode: "GDDS",
                    unstructuredRemittance: ["soy beans"],
                    referredDocumentNumbers: ["INV-2026-001"]),
                .init(
                    endToEndID: "E2E-2", interbankSettlementAmount: ISOAmount(value: "10", currency: "CNY"),
                    debtorAgentBIC: "BANKBRSP", creditorAgentBIC: nil),
            ])
        transfer.transactions.append(Self.fullTransaction)
        var conditional = transfer.transactions[0]
        conditional.uetr = "1f2a6b1c-9d4e-4f60-8a7b-0c1d2e3f4a5c"
        conditional.condition = TransferCondition(
            sha256Hex: String(repeating: "ab", count: 32), expiry: "2026-12-31T17:00:00+08:00")
        transfer.transactions.append(conditional)
        let status = PaymentStatusReport(
            messageID: "ST-1", creationDateTime: ISODateTime.format(nanoseconds: now), originalMessageID: "MSG-1",
            originalMessageNameID: "pacs.008.001.08", groupStatus: "PART",
            groupReason: .init(code: "NARR", additionalInformation: "mixed"),
            transactions: [
                .init(
                    originalInstructionID: "I-1", originalEndToEndID: "E2E-1", originalTransactionID: "T-1",
                    originalUETR: uetr,
                    status: "ACSC", acceptanceDateTime: ISODateTime.format(nanoseconds: now),
                    originalAmount: ISOAmount(value: "98000.00", currency: "BRL"),
                    originalReference: fullReference),
                .init(
                    originalEndToEndID: "E2E-2", originalUETR: "NOT-A-UUID", status: "RJCT",
                    reason: .init(code: "AM04", additionalInformation: String(repeating: "x", count: 200))),
            ])
        let returned = PaymentReturn(
            messageID: "RT-1", creationDateTime: ISODateTime.format(nanoseconds: now),
            transactions: [
                .init(
                    returnID: "R-1", originalMessageID: "MSG-1", originalMessageNameID: "pacs.008.001.08",
                    originalInstructionID: "I-1",
                    originalEndToEndID: "E2E-1", originalTransactionID: "T-1", originalUETR: uetr,
                    returnedAmount: ISOAmount(value: "100.00", currency: "CNY"),
                    interbankSettlementDate: "2026-11-30", chargeBearer: "SHAR", instructingAgentBIC: "BANKCNBJ",
                    instructedAgentBIC: "POLYXXXX", reasonCode: "AC04")
            ])
        let report = CycleReport.sample(closedAt: now)
        let instructions = ISOReports.instructions(report, member: bra, exponent: 2)
        let statement = ISOReports.statement(ParticipantStatement.sample(), closedAt: now, exponent: 2)
        let state = PaymentState(
            id: UETR.parse(uetr)!, status: .accepted, rejection: nil, payerAmountMinor: 125_075,
            payeeAmountMinor: 153_000,
            unitAmountMinor: 300_000, fixingVersion: 1, cycle: 1)
        // The payee bank's view: the payment as the hub keeps it, with every party and reference.
        let mapped = try! ISOPaymentMapper(
            currencies: try! CurrencyTable(), tradeReferenceRequired: true,
            currencyOf: { ["BANKBRSP": CurrencyCode("BRL")!, "BANKCNBJ": CurrencyCode("CNY")!][$0.description] }
        ).instruction(fullTransaction).get()
        let entryDetails = EntryDetails(
            texts: PaymentTexts(mapped), details: mapped.details, payer: mapped.payer, payee: mapped.payee)
        let notification = ISOReports.notification(
            state, uetr: state.id, account: BIC("BANKBRSP")!, currency: CurrencyCode("BRL")!, debit: true, exponent: 2,
            now: now, details: entryDetails)
        let assignment = CaseAssignment(
            id: "CASE-1", assignerBIC: "BANKBRSP", assigneeBIC: "POLYXXXX",
            creationDateTime: ISODateTime.format(nanoseconds: now))
        let recall = PaymentCancellationRequest(
            assignment: assignment, caseID: "CASE-1",
            transactions: [
                .init(
                    cancellationID: "CXL-1", originalEndToEndID: "E2E-1", originalUETR: uetr,
                    originalAmount: ISOAmount(value: "1250.75", currency: "BRL"), reasonCode: "DUPL",
                    additionalInformation: ["sent twice"])
            ])
        let answer = InvestigationResolution(
            assignment: assignment, resolvedCaseID: "CASE-1", confirmation: "RJCR",
            transactions: [
                .init(
                    cancellationStatusID: "CXL-1", originalEndToEndID: "E2E-1", originalUETR: uetr, status: "RJCR",
                    reasonCode: "NOOR", additionalInformation: ["never received"])
            ])
        let enquiry = PaymentStatusRequest(
            messageID: "STSREQ-1", creationDateTime: ISODateTime.format(nanoseconds: now),
            transactions: [.init(statusRequestID: "SR-1", originalEndToEndID: "E2E-1", originalUETR: uetr)])
        let forwarded = ISOReports.forwardedTransfer(
            id: mapped.id, uetr: mapped.uetr, texts: PaymentTexts(mapped), details: mapped.details, payer: mapped.payer,
            payee: mapped.payee, payeeAmount: ISOAmount(value: "120000.00", currency: "CNY"),
            payerAmount: ISOAmount(value: "98000.00", currency: "BRL"), bookedAt: now)
        return [
            ("pacs.008.001.08", .customerCreditTransfer(transfer)), ("pacs.002.001.10", .paymentStatusReport(status)),
            ("pacs.004.001.09", .paymentReturn(returned)),
            ("pacs.009.001.08", .institutionCreditTransfer(instructions)),
            ("camt.053.001.08", .statement(statement)), ("camt.054.001.08", .notification(notification)),
            ("pacs.008.001.08", .customerCreditTransfer(forwarded)),
            ("camt.056.001.08", .cancellationRequest(recall)), ("camt.029.001.09", .investigationResolution(answer)),
            ("pacs.028.001.03", .statusRequest(enquiry)),
        ]
    }

    /// A CBPR+-shaped customer transfer with every party, account, address, identifier and
    /// remittance element the hub reads and writes.
    static let fullTransaction: CustomerCreditTransfer.Transaction = {
        var tx = CustomerCreditTransfer.Transaction(
            instructionID: "I-3", endToEndID: "E2E-3", transactionID: "T-3",
            uetr: "8c7a1f20-5b3e-4d71-9e2a-6f0b1c2d3e4f",
            interbankSettlementAmount: ISOAmount(value: "98000.00", currency: "BRL"),
            interbankSettlementDate: "2026-11-29",
            chargeBearer: "DEBT", instructingAgentBIC: "BANKBRSP", instructedAgentBIC: "POLYXXXX",
            debtorName: "Exportadora Ltda", debtorAgentBIC: "BANKBRSP", creditorAgentBIC: "BANKCNBJ",
            creditorName: "Importer Co", purposeCode: "GDDS", unstructuredRemittance: ["/INCO/FOB", "soy beans"])
        tx.debtor?.account = PartyAccount(iban: "BR1800360305000010009795493C1")
        tx.debtor?.address = PostalAddress(
            streetName: "Rua Augusta", buildingNumber: "1500", postCode: "01304-001", townName: "Sao Paulo",
            country: "BR")
        tx.debtor?.lei = "5493001KJTIIGC8Y1R12"
        tx.creditor?.account = PartyAccount(other: "6228480010001234567", scheme: "BBAN")
        tx.creditor?.address = PostalAddress(country: "CN", lines: ["88 Century Avenue", "Pudong, Shanghai"])
        tx.creditor?.organisationID = "91310000MA1FL1234X"
        tx.creditor?.organisationIDScheme = "TXID"
        tx.ultimateDebtor = Party(
            name: "Cooperativa Agricola", address: PostalAddress(townName: "Londrina", country: "BR"))
        tx.ultimateCreditor = Party(
            name: "Feed Mills Group", organisationID: "FMG-7", organisationIDScheme: "Group registry")
        tx.intermediaryAgentBICs = ["DEUTDEFF"]
        tx.categoryPurposeCode = "SUPP"
        tx.regulatoryReporting = [RegulatoryDetail(type: "HS", code: "120190", information: ["120110"])]
        tx.referredDocuments = [
            ReferredDocument(typeCode: "CINV", number: "INV-2026-0042", date: "2026-11-20"),
            ReferredDocument(typeCode: "BOLD", number: "MAEU123456789"),
        ]
        tx.creditorReferences = ["RF18539007547034", "PO-7781"]
        tx.additionalRemittance = ["/SHIP/MAEU123456789"]
        return tx
    }()

    @Test(.enabled(if: ExternalTool.xmllint.runs, "\(ExternalTool.xmllint.skipReason)"))
    func everyGeneratedMessageIsSchemaValidAndReadsBack() async throws {
        for (schema, document) in Self.messages() {
            var header = Self.header
            header.messageDefinitionID = schema
            let message = ISOMessage(header: header, document: document)
            let parts = message.parts()
            let documentErrors = try await ISOFixtures.schemaErrors(parts.document, schema: schema)
            #expect(documentErrors == nil, "\(schema): \(documentErrors ?? "")\n\(parts.document)")
            #expect(try await ISOFixtures.schemaErrors(parts.header!, schema: "head.001.001.02") == nil)
            let back = try ISOMessage.parse(message.xml())
            #expect(back.header == header)
            if schema == "pacs.002.001.10" {
                // Echoes are made schema-valid on the way out: a bad UETR is dropped, long text cut.
                guard case .paymentStatusReport(let report) = back.document else {
                    Issue.record("not a pacs.002"); continue
                }
                #expect(
                    report.transactions[1].originalUETR == nil
                        && report.transactions[1].reason?.additionalInformation?.count == 105)
                // The payment reported on reads back whole (OrgnlTxRef).
                #expect(report.transactions[0].originalReference == Self.fullReference)
                #expect(report.transactions[0].originalAmount == ISOAmount(value: "98000.00", currency: "BRL"))
            } else {
                #expect(back.document == document, "\(schema)")
            }
        }
    }

    /// What the payee bank receives holds everything the payer's instruction said: mapping the
    /// forwarded pacs.008 again gives the same payment data.
    @Test func theForwardedTransferCarriesThePaymentDataUnchanged() throws {
        guard
            case .customerCreditTransfer(let forwarded) = Self.messages().last(where: { $0.0 == "pacs.008.001.08" })!.1
        else {
            Issue.record("not a pacs.008"); return
        }
        let mapper = ISOPaymentMapper(
            currencies: try CurrencyTable(), tradeReferenceRequired: true,
            currencyOf: { ["BANKBRSP": CurrencyCode("BRL")!, "BANKCNBJ": CurrencyCode("CNY")!][$0.description] })
        let original = try mapper.instruction(Self.fullTransaction).get()
        let again = try mapper.instruction(forwarded.transactions[0]).get()
        #expect(again.details == original.details)
        #expect(again.trade == original.trade && again.debtorName == original.debtorName)
        #expect(forwarded.transactions[0].instructingAgentBIC == "POLYXXXX")
        #expect(forwarded.transactions[0].instructedAmount?.value == "98000.00")
    }

    /// ISODateTime → nanoseconds inverts `format` and honours zones; anything else is nil.
    @Test func dateTimesParseWithTheirZones() {
        var random = SeededRandom(seed: 5)
        for _ in 0..<500 {
            let seconds = random.next() % 4_000_000_000
            #expect(
                ISODateTime.nanoseconds(of: ISODateTime.format(nanoseconds: seconds * 1_000_000_000)) == seconds
                    * 1_000_000_000)
        }
        #expect(
            ISODateTime.nanoseconds(of: "2026-12-31T17:00:00+08:00")
                == ISODateTime.nanoseconds(of: "2026-12-31T09:00:00Z"))
        #expect(ISODateTime.nanoseconds(of: "1970-01-01T00:00:00.25Z") == 250_000_000)
        for bad in [
            "2026-12-31T17:00:00", "2026-02-30T00:00:00Z", "2026-12-31 17:00:00Z", "2026-12-31T24:00:00Z",
            "1969-12-31T23:59:59Z", "2026-12-31T17:00:00+8:00", "",
        ] {
            #expect(ISODateTime.nanoseconds(of: bad) == nil, "\(bad)")
        }
    }

    @Test func aStatementReconcilesInItsXML() throws {
        let statement = ParticipantStatement.sample()
        // The first entry's payment came in by JSON: its UETR is not its id.
        let paidUETR = "7e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
        let report = ISOReports.statement(
            statement, closedAt: Self.now, exponent: 2, uetrs: [statement.entries[0].reference: UETR.parse(paidUETR)!])
        // Opening ± every entry = closing, in the document's own decimal amounts.
        func minor(_ amount: ISOAmount, _ indicator: String) -> Int64 {
            let value = Int64(amount.value.filter { $0 != "." })!
            return indicator == "DBIT" ? -value : value
        }
        let opening = minor(report.balances[0].amount, report.balances[0].creditDebit)
        let closing = minor(report.balances[1].amount, report.balances[1].creditDebit)
        #expect(opening + report.entries.map { minor($0.amount, $0.creditDebit) }.reduce(0, +) == closing)
        #expect(report.balances.map(\.type) == ["OPBD", "CLBD"] && report.entries.count == statement.entries.count)
        #expect(report.entries[0].uetr == paidUETR && report.entries[1].uetr == nil)
    }
}

extension CycleReport {
    static func sample(closedAt: UInt64) -> CycleReport {
        var report = CycleReport(
            number: 3, openedAt: closedAt - 1_000, closedAt: closedAt, state: .settling, paymentCount: 2,
            participants: [], members: [], bilateralUnitMinor: [], efficiencyByCurrency: [], overallEfficiency: nil,
            instructions: [])
        report.instructions = [
            SettlementInstruction(
                cycle: 3, index: 0, member: CountryCode(alpha3: "BRA")!, participant: BIC("BANKBRSP")!,
                currency: CurrencyCode("BRL")!,
                direction: .payIn, amountMinor: 125_075, isConfirmed: false),
            SettlementInstruction(
                cycle: 3, index: 1, member: CountryCode(alpha3: "BRA")!, participant: BIC("SECOBRSP")!,
                currency: CurrencyCode("BRL")!,
                direction: .payOut, amountMinor: 99, isConfirmed: false),
            SettlementInstruction(
                cycle: 3, index: 2, member: CountryCode(alpha3: "CHN")!, participant: BIC("BANKCNBJ")!,
                currency: CurrencyCode("CNY")!,
                direction: .payOut, amountMinor: 5, isConfirmed: false),
        ]
        return report
    }
}

extension ParticipantStatement {
    static func sample() -> ParticipantStatement {
        ParticipantStatement(
            cycle: 3, bic: BIC("BANKBRSP")!, currency: CurrencyCode("BRL")!, openingMinor: -5_000,
            entries: [
                Entry(
                    transferID: 11, timestamp: GeneratedMessageTests.now - 500, kind: "payment_out",
                    reference: UETR.parse(GeneratedMessageTests.uetr)!, amountMinor: -125_075),
                Entry(
                    transferID: 12, timestamp: GeneratedMessageTests.now - 400, kind: "funds_in", reference: 7,
                    amountMinor: 200_000),
            ], closingMinor: 69_925)
    }
}
