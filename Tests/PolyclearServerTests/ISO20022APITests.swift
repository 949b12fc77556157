import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import PolyclearCore
import PolyclearISO20022
import PolyclearTestSupport
import Testing

/// ISO 20022 end to end over HTTP: a pacs.008 becomes a payment, answered by a pacs.002; the
/// payment shows in the cycle's camt.053 and pacs.009 and in a camt.054; a pacs.004 returns
/// it; duplicates, impostors and broken messages book nothing. Every XML the hub answers is
/// checked against the official schema with xmllint.
@Suite(.enabled(if: ExternalTool.xmllint.runs, "\(ExternalTool.xmllint.skipReason)")) struct ISO20022APITests {
    static let xsd = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PolyclearISO20022Tests/Fixtures/iso20022/xsd")
    static let paid = "5c1d7e2a-3b4f-4a6c-9d8e-7f6a5b4c3d2e"

    static func headers(_ role: String, contentType: String = "application/xml") -> HTTPFields {
        [.authorization: "Bearer \(APITests.keys[role]!)", .contentType: contentType]
    }

    static func pacs008(
        messageID: String, from: String = "BANKBRSP", definition: String = "pacs.008.001.08",
        payees: [(String, String, String)]
    ) -> ByteBuffer {
        let transfer = CustomerCreditTransfer(
            messageID: messageID, creationDateTime: "2026-11-29T10:00:00Z",
            transactions: payees.map { payee, uetr, amount in
                .init(
                    instructionID: "I-\(uetr.prefix(4))", endToEndID: "E2E-\(uetr.prefix(8))", uetr: uetr,
                    interbankSettlementAmount: ISOAmount(value: amount, currency: "BRL"),
                    debtorName: "Exportadora", debtorAgentBIC: from, creditorAgentBIC: payee, creditorName: "Importer",
                    purposeCode: "GDDS",
                    referredDocumentNumbers: ["INV-\(uetr.prefix(4))"])
            })
        let header = BusinessApplicationHeader(
            fromBIC: from, toBIC: "POLYXXXX", businessMessageID: messageID, messageDefinitionID: definition,
            creationDate: "2026-11-29T10:00:00Z")
        return ByteBuffer(string: ISOMessage(header: header, document: .customerCreditTransfer(transfer)).xml())
    }

    /// Parses an XML answer and checks every part against its schema.
    static func validMessage(
        _ body: ByteBuffer, schema: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ISOMessage {
        let text = String(buffer: body)
        let message = try ISOMessage.parse(text)
        let parts = message.parts()
        let errors = try await XMLSchemaValidator.errors(
            parts.document, schema: xsd.appendingPathComponent("\(schema).xsd"))
        #expect(errors == nil, "\(errors ?? "")", sourceLocation: sourceLocation)
        if let header = parts.header {
            #expect(
                try await XMLSchemaValidator.errors(header, schema: xsd.appendingPathComponent("head.001.001.02.xsd"))
                    == nil)
        }
        return message
    }

    static func statusReport(_ message: ISOMessage) throws -> PaymentStatusReport {
        guard case .paymentStatusReport(let report) = message.document else { throw CancellationError() }
        return report
    }

    /// The documented batch size fits: a pacs.008 of 1,000 transactions is read and booked
    /// (the XML limits refused it near 850); 1,001 is refused as too large. A UETR twice in
    /// one message: the second is refused (AM05), not answered ACSC for the one booking.
    @Test func aThousandTransactionPacs008IsAcceptedAndARepeatedUETRIsRefused() async throws {
        try await APITests.withAPI { client, _ in
            func uetr(_ index: Int) -> String { String(format: "%08x-0000-4000-8000-%012x", index, index) }
            let thousand = Self.pacs008(
                messageID: "MSG-BIG", payees: (1...1_000).map { ("BANKCNBJ", uetr($0), "1.00") })
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: Self.headers("brBank"), body: thousand
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body).prefix(300))")
                let report = try Self.statusReport(try ISOMessage.parse(Array(response.body.readableBytesView)))
                #expect(report.transactions.count == 1_000 && report.transactions.allSatisfy { $0.status == "ACSC" })
            }
            let tooMany = Self.pacs008(
                messageID: "MSG-BIGGER", payees: (1_001...2_001).map { ("BANKCNBJ", uetr($0), "1.00") })
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: Self.headers("brBank"), body: tooMany
            ) { response in
                #expect(
                    response.status == .contentTooLarge && String(buffer: response.body).contains("batch_too_large"))
            }
            let repeated = Self.pacs008(
                messageID: "MSG-REPEAT", payees: [("BANKCNBJ", uetr(5_000), "2.00"), ("BANKCNBJ", uetr(5_000), "2.00")])
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: Self.headers("brBank"), body: repeated
            ) { response in
                let report = try Self.statusReport(try ISOMessage.parse(Array(response.body.readableBytesView)))
                #expect(
                    report.transactions.map(\.status) == ["ACSC", "RJCT"]
                        && report.transactions[1].reason?.code == "AM05")
            }
        }
    }

    @Test func aPacs008BecomesAPaymentThatAppearsInTheStatementInstructionsAndNotification() async throws {
        try await APITests.withAPI { client, _ in
            // One payment to a participant, one to a bank the hub does not know.
            let message = Self.pacs008(
                messageID: "MSG-0001",
                payees: [
                    ("BANKCNBJ", Self.paid, "1000.00"), ("UNKNCNBJ", "6d2e8f3b-4c5a-4b7d-8e9f-0a1b2c3d4e5f", "5.00"),
                ])
            let answer = try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: Self.headers("brBank"), body: message
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try await Self.validMessage(response.body, schema: "pacs.002.001.10")
            }
            #expect(answer.header?.toBIC == "BANKBRSP" && answer.header?.messageDefinitionID == "pacs.002.001.10")
            let report = try Self.statusReport(answer)
            #expect(report.originalMessageID == "MSG-0001" && report.groupStatus == "PART")
            #expect(
                report.transactions.map(\.status) == ["ACSC", "RJCT"] && report.transactions[1].reason?.code == "AC03")
            #expect(report.transactions[0].originalUETR == Self.paid)
            // The payment, under its UETR, in the JSON API too.
            try await client.execute(
                uri: "/v1/payments/\(Self.paid)", method: .get, headers: APITests.headers("brBank")
            ) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("\"status\":\"accepted\""))
            }
            // The same message again: refused as a whole, nothing booked twice.
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: Self.headers("brBank"), body: message
            ) { response in
                #expect(response.status == .conflict)
                let report = try Self.statusReport(
                    try await Self.validMessage(response.body, schema: "pacs.002.001.10"))
                #expect(
                    report.groupStatus == "RJCT" && report.groupReason?.code == "AM05" && report.transactions.isEmpty)
            }
            try await client.execute(
                uri: "/v1/payments?limit=1000", method: .get, headers: APITests.headers("operator")
            ) { response in
                #expect(String(buffer: response.body).components(separatedBy: Self.paid).count == 2)  // listed once
            }
            // The bank's camt.054 credit notification.
            try await client.execute(
                uri: "/v1/iso20022/payments/\(Self.paid)/notification", method: .get,
                headers: APITests.headers("cnBank")
            ) { response in
                #expect(response.status == .ok)
                guard
                    case .notification(let notification) = try await Self.validMessage(
                        response.body, schema: "camt.054.001.08"
                    ).document
                else { Issue.record("not camt.054"); return }
                #expect(
                    notification.accountID == "BANKCNBJ" && notification.entries.first?.creditDebit == "CRDT"
                        && notification.entries.first?.uetr == Self.paid)
            }
            try await client.execute(
                uri: "/v1/iso20022/payments/\(Self.paid)/notification", method: .get,
                headers: APITests.headers("brOther")
            ) { #expect($0.status == .notFound) }
            // The cycle closes: the payer's camt.053 shows the debit, its member's pacs.009 the pay-in.
            try await client.execute(uri: "/v1/cycles/1/close", method: .post, headers: APITests.headers("operator")) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: "/v1/iso20022/statements/BANKBRSP/cycles/1", method: .get, headers: APITests.headers("brBank")
            ) { response in
                #expect(response.status == .ok)
                guard
                    case .statement(let statement) = try await Self.validMessage(
                        response.body, schema: "camt.053.001.08"
                    )
                    .document
                else { Issue.record("not camt.053"); return }
                let entry = statement.entries.first { $0.uetr == Self.paid }
                #expect(
                    entry?.creditDebit == "DBIT" && entry?.amount == ISOAmount(value: "1000.00", currency: "BRL"),
                    "\(statement.entries)")
                // The entry says whom the payment was for (camt.053 TxDtls).
                #expect(entry?.details?.creditor?.name == "Importer" && entry?.details?.purposeCode == "GDDS")
                #expect(entry?.details?.creditorAgentBIC == "BANKCNBJ")
                #expect(
                    statement.balances.map(\.type) == ["OPBD", "CLBD"] && statement.balances[1].creditDebit == "DBIT")
            }
            try await client.execute(
                uri: "/v1/iso20022/statements/BANKBRSP/cycles/1", method: .get, headers: APITests.headers("cnBank")
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/iso20022/cycles/1/instructions/BRA", method: .get, headers: APITests.headers("bra")
            ) { response in
                #expect(response.status == .ok)
                guard
                    case .institutionCreditTransfer(let instructions) = try await Self.validMessage(
                        response.body, schema: "pacs.009.001.08"
                    ).document
                else { Issue.record("not pacs.009"); return }
                let payIn = instructions.transactions.first { $0.debtor.bic == "BANKBRSP" }
                #expect(
                    payIn?.interbankSettlementAmount == ISOAmount(value: "1000.00", currency: "BRL")
                        && payIn?.creditor.otherID == "BRA")
            }
            try await client.execute(
                uri: "/v1/iso20022/cycles/1/instructions/BRA", method: .get, headers: APITests.headers("chn")
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/iso20022/cycles/1/instructions/CHN", method: .get, headers: APITests.headers("chn")
            ) { #expect($0.status == .ok) }
        }
    }

    @Test func aPacs004ReturnsAPaymentAtMostOnceOverAndOnlyByItsPayee() async throws {
        try await APITests.withAPI { client, _ in
            let message = Self.pacs008(messageID: "MSG-R", payees: [("BANKCNBJ", Self.paid, "1000.00")])
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: Self.headers("brBank"), body: message
            ) { #expect($0.status == .ok) }
            let credited = try await client.execute(
                uri: "/v1/payments/\(Self.paid)", method: .get, headers: APITests.headers("cnBank")
            ) { response in
                (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["payeeAmount"]
                    as? String
            }
            let creditedText = try #require(credited)  // e.g. "1224.63": the CNY the payee received
            func returning(_ id: String, _ amount: String, from: String = "BANKCNBJ") -> ByteBuffer {
                let returned = PaymentReturn(
                    messageID: id, creationDateTime: "2026-11-29T11:00:00Z",
                    transactions: [
                        .init(
                            returnID: "R-\(id)", originalUETR: Self.paid,
                            returnedAmount: ISOAmount(value: amount, currency: "CNY"), reasonCode: "AC04")
                    ])
                let header = BusinessApplicationHeader(
                    fromBIC: from, toBIC: "POLYXXXX", businessMessageID: id, messageDefinitionID: "pacs.004.001.09",
                    creationDate: "2026-11-29T11:00:00Z")
                return ByteBuffer(string: ISOMessage(header: header, document: .paymentReturn(returned)).xml())
            }
            func status(_ body: ByteBuffer, role: String) async throws -> PaymentStatusReport.Transaction? {
                try await client.execute(
                    uri: "/v1/iso20022/messages", method: .post, headers: Self.headers(role), body: body
                ) { response in
                    try Self.statusReport(try await Self.validMessage(response.body, schema: "pacs.002.001.10"))
                        .transactions
                        .first
                }
            }
            // The payer bank may not return it (it is not the payee).
            #expect(
                try await status(returning("RET-0", "10.00", from: "BANKBRSP"), role: "brBank")?.reason?.code == "AG01")
            // Part of it back, then more than what is left: refused.
            #expect(try await status(returning("RET-1", "100.00"), role: "cnBank")?.status == "ACSC")
            let left = Decimal(string: creditedText)! - 100
            #expect(
                try await status(returning("RET-2", "\(left + Decimal(string: "0.01")!)"), role: "cnBank")?.reason?.code
                    == "AM09")
            #expect(try await status(returning("RET-3", "\(left)"), role: "cnBank")?.status == "ACSC")
            // Both directions of the link, in the JSON API.
            try await client.execute(
                uri: "/v1/payments/\(Self.paid)", method: .get, headers: APITests.headers("brBank")
            ) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let returns = json?["returns"] as? [String] ?? []
                #expect(returns.count == 2, "\(String(buffer: response.body))")
                for id in returns {
                    try await client.execute(
                        uri: "/v1/payments/\(id)", method: .get, headers: APITests.headers("cnBank")
                    ) { answer in
                        let text = String(buffer: answer.body)
                        #expect(
                            text.contains("\"returnOf\":\"\(Self.paid)\"") && text.contains("\"status\":\"accepted\""),
                            "\(text)")
                    }
                }
            }
            // A bare Document (no header) from the payee works the same: the caller is the sender.
            let bare = String(buffer: returning("RET-6", "0.01"))
            let document = String(
                bare[bare.range(of: "<Document")!.lowerBound..<bare.range(of: "</Document>")!.upperBound])
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: Self.headers("cnBank"),
                body: ByteBuffer(string: document)
            ) { response in
                let answer = try await Self.validMessage(response.body, schema: "pacs.002.001.10")
                let reason = try Self.statusReport(answer).transactions.first?.reason?.code
                #expect(answer.header == nil && reason == "AM09")  // nothing left to return
            }
            // Unknown payment, wrong currency.
            #expect(
                try await status(
                    ByteBuffer(
                        string: String(buffer: returning("RET-4", "0.01")).replacingOccurrences(
                            of: Self.paid, with: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")), role: "cnBank")?.reason?.code
                    == "NARR")
            let inBRL = ByteBuffer(
                string: String(buffer: returning("RET-5", "1.00")).replacingOccurrences(
                    of: "Ccy=\"CNY\"", with: "Ccy=\"BRL\""))
            #expect(try await status(inBRL, role: "cnBank")?.reason?.code == "AM11")
        }
    }

    @Test func brokenForeignAndImpostorMessagesBookNothing() async throws {
        try await APITests.withAPI { client, _ in
            let good = Self.pacs008(messageID: "MSG-X", payees: [("BANKCNBJ", Self.paid, "1.00")])
            let dtd = ByteBuffer(
                string:
                    #"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Document>&e;</Document>"#
            )
            let cases: [(String, ByteBuffer, HTTPFields, HTTPResponse.Status, String)] = [
                ("impostor", good, Self.headers("cnBank"), .forbidden, "sender_mismatch"),
                ("operator", good, Self.headers("operator"), .forbidden, "forbidden"),
                (
                    "json", good, Self.headers("brBank", contentType: "application/json"), .unsupportedMediaType,
                    "unsupported_media_type"
                ),
                (
                    "mismatch",
                    Self.pacs008(
                        messageID: "MSG-Y", definition: "pacs.008.001.12", payees: [("BANKCNBJ", Self.paid, "1.00")]),
                    Self.headers("brBank"), .badRequest, "header_mismatch"
                ),
                ("dtd", dtd, Self.headers("brBank"), .badRequest, "xml_invalid"),
                (
                    "malformed", ByteBuffer(string: "<Document><a></Document>"), Self.headers("brBank"), .badRequest,
                    "xml_invalid"
                ),
                (
                    "pacs.002 inbound", ByteBuffer(string: XMLSafetyDocument.pacs002), Self.headers("brBank"),
                    .unprocessableContent, "message_not_accepted"
                ),
            ]
            for (name, body, headers, status, code) in cases {
                try await client.execute(uri: "/v1/iso20022/messages", method: .post, headers: headers, body: body) {
                    response in
                    #expect(
                        response.status == status && String(buffer: response.body).contains(code),
                        "\(name): \(String(buffer: response.body))")
                }
            }
            try await client.execute(
                uri: "/v1/payments/\(Self.paid)", method: .get, headers: APITests.headers("operator")
            ) { #expect($0.status == .notFound) }
        }
    }
}

enum XMLSafetyDocument {
    static let pacs002 =
        #"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10"><FIToFIPmtStsRpt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-29T10:00:00Z</CreDtTm></GrpHdr></FIToFIPmtStsRpt></Document>"#
}
