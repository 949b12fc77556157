import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PolyclearCore
import PolyclearISO20022
import PolyclearStorage
import PolyclearServer
import PolyclearTestSupport
import Testing

/// Investigations end to end over HTTP: a recall over JSON answered by camt.029 over ISO, a
/// recall over camt.056 answered over JSON, the deliveries to both banks, status enquiries
/// (pacs.028 → pacs.002); every XML checked against its schema; the wrong bank, twice, the
/// unknown payment, a late answer refused.
@Suite(.enabled(if: ExternalTool.xmllint.runs, "\(ExternalTool.xmllint.skipReason)")) struct InvestigationAPITests {
    typealias ISO = ISO20022APITests
    static let uetr = "7a562c67-ca16-48ba-b074-65581be6f001"

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any]) ?? [:]
    }

    static func xml(_ document: ISODocument, from: String) -> ByteBuffer {
        let header = BusinessApplicationHeader(
            fromBIC: from, toBIC: "POLYXXXX", businessMessageID: document.messageID,
            messageDefinitionID: document.messageDefinition, creationDate: "2026-11-29T10:00:00Z")
        return ByteBuffer(string: ISOMessage(header: header, document: document).xml())
    }

    static func book(_ client: any TestClientProtocol) async throws {
        try await client.execute(
            uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers("brBank"),
            body: ISO.pacs008(messageID: "PAY-1", payees: [("BANKCNBJ", uetr, "100.00")])
        ) { #expect($0.status == .ok) }
    }

    @Test func aJSONRecallAnsweredByCamt029BooksTheReturnAndTellsThePayer() async throws {
        try await APITests.withAPI { client, _ in
            try await Self.book(client)
            var recallID = ""
            try await client.execute(
                uri: "/v1/payments/\(Self.uetr)/recall", method: .post, headers: APITests.headers("brBank"),
                body: ByteBuffer(string: #"{"reason":"DUPL"}"#)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                recallID = Self.json(response.body)["id"] as? String ?? ""
                #expect(Self.json(response.body)["status"] as? String == "open")
            }
            // Twice, by the wrong bank, of an unknown payment, with a bad reason.
            for (role, uri, body, status, marker) in [
                (
                    "brBank", "/v1/payments/\(Self.uetr)/recall", #"{"reason":"DUPL"}"#, HTTPResponse.Status.conflict,
                    "recall_exists"
                ),
                (
                    "cnBank", "/v1/payments/\(Self.uetr)/recall", #"{"reason":"DUPL"}"#, .forbidden,
                    "not_allowed_for_actor"
                ),
                ("brOther", "/v1/payments/\(Self.uetr)/recall", #"{"reason":"DUPL"}"#, .notFound, "not_found"),
                (
                    "brBank", "/v1/payments/0d9e2b6c-1f00-4a00-8000-0000000000ff/recall", #"{"reason":"DUPL"}"#,
                    .notFound, "not_found"
                ),
                (
                    "brBank", "/v1/payments/\(Self.uetr)/recall", #"{"reason":"duplicate"}"#, .badRequest,
                    "malformed_reason"
                ),
                ("brBank", "/v1/recalls/\(recallID)/accept", "{}", .forbidden, "not_allowed_for_actor"),
                ("cnBank", "/v1/recalls/\(recallID)/reject", #"{"reason":""}"#, .badRequest, "malformed_reason"),
            ] {
                try await client.execute(
                    uri: uri, method: .post, headers: APITests.headers(role), body: ByteBuffer(string: body)
                ) {
                    response in
                    #expect(response.status == status, "\(role) \(uri) \(body)")
                    #expect(String(buffer: response.body).contains(marker), "\(String(buffer: response.body))")
                }
            }
            // The payee bank is told by a camt.056 in its outbox.
            try await client.execute(
                uri: "/v1/outbox?format=iso20022", method: .get, headers: APITests.headers("cnBank")
            ) {
                response in
                let items = Self.json(response.body)["items"] as? [[String: Any]] ?? []
                let recall = try #require(items.first { $0["kind"] as? String == "recall_requested" })
                let message = try await ISO.validMessage(
                    ByteBuffer(string: recall["message"] as? String ?? ""), schema: "camt.056.001.08")
                guard case .cancellationRequest(let request) = message.document else { throw CancellationError() }
                #expect(
                    request.transactions.first?.originalUETR == Self.uetr
                        && request.transactions.first?.reasonCode == "DUPL")
            }
            // It accepts with a camt.029: the answer is a pacs.002, the return is booked.
            let resolution = InvestigationResolution(
                assignment: CaseAssignment(
                    id: "ANS-1", assignerBIC: "BANKCNBJ", assigneeBIC: "POLYXXXX",
                    creationDateTime: "2026-11-29T11:00:00Z"),
                confirmation: "CNCL",
                transactions: [.init(cancellationStatusID: "C-1", originalUETR: Self.uetr, status: "ACCR")])
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers("cnBank"),
                body: Self.xml(.investigationResolution(resolution), from: "BANKCNBJ")
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let report = try ISO.statusReport(try await ISO.validMessage(response.body, schema: "pacs.002.001.10"))
                #expect(report.transactions.map(\.status) == ["ACSC"])
            }
            try await client.execute(uri: "/v1/recalls/\(recallID)", method: .get, headers: APITests.headers("bra")) {
                response in
                #expect(Self.json(response.body)["status"] as? String == "accepted")
                #expect(Self.json(response.body)["returnId"] as? String != nil)
            }
            try await client.execute(uri: "/v1/recalls/\(recallID)", method: .get, headers: APITests.headers("brOther"))
            {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/v1/recalls/\(recallID)/reject", method: .post, headers: APITests.headers("cnBank"),
                body: ByteBuffer(string: #"{"reason":"NOOR"}"#)
            ) { response in
                #expect(response.status == .conflict && String(buffer: response.body).contains("recall_not_open"))
            }
            // The payer bank learns the answer (camt.029 CNCL) and gets the money back as a credit.
            try await client.execute(
                uri: "/v1/outbox?format=iso20022", method: .get, headers: APITests.headers("brBank")
            ) {
                response in
                let items = Self.json(response.body)["items"] as? [[String: Any]] ?? []
                let answered = try #require(items.first { $0["kind"] as? String == "recall_answered" })
                let message = try await ISO.validMessage(
                    ByteBuffer(string: answered["message"] as? String ?? ""), schema: "camt.029.001.09")
                guard case .investigationResolution(let answer) = message.document else { throw CancellationError() }
                #expect(answer.confirmation == "CNCL")
                #expect(items.contains { $0["kind"] as? String == "credited" })
            }
        }
    }

    @Test func aCamt056RecallIsAnsweredPendingAndRejectedOverJSON() async throws {
        try await APITests.withAPI { client, _ in
            try await Self.book(client)
            func request(_ id: String, uetr: String) -> ByteBuffer {
                Self.xml(
                    .cancellationRequest(
                        PaymentCancellationRequest(
                            assignment: CaseAssignment(
                                id: id, assignerBIC: "BANKBRSP", assigneeBIC: "POLYXXXX",
                                creationDateTime: "2026-11-29T11:00:00Z"),
                            transactions: [.init(cancellationID: "C-\(id)", originalUETR: uetr, reasonCode: "FRAD")])),
                    from: "BANKBRSP")
            }
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers("brBank"),
                body: request("R-1", uetr: Self.uetr)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let message = try await ISO.validMessage(response.body, schema: "camt.029.001.09")
                guard case .investigationResolution(let answer) = message.document else { throw CancellationError() }
                #expect(answer.confirmation == "PDCR" && answer.transactions.map(\.status) == ["PDCR"])
            }
            // The same case again is a duplicate; an unknown payment is refused NOOR.
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers("brBank"),
                body: request("R-1", uetr: Self.uetr)
            ) { #expect($0.status == .conflict) }
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers("brBank"),
                body: request("R-2", uetr: "0a562c67-ca16-48ba-b074-65581be6f009")
            ) { response in
                let message = try await ISO.validMessage(response.body, schema: "camt.029.001.09")
                guard case .investigationResolution(let answer) = message.document else { throw CancellationError() }
                #expect(answer.confirmation == "RJCR" && answer.transactions.first?.reasonCode == "NOOR")
            }
            var recallID = ""
            try await client.execute(
                uri: "/v1/payments/\(Self.uetr)/recalls", method: .get, headers: APITests.headers("cnBank")
            ) {
                response in
                let list =
                    (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [[String: Any]] ?? []
                #expect(list.count == 1 && list.first?["reason"] as? String == "FRAD")
                recallID = list.first?["id"] as? String ?? ""
            }
            try await client.execute(
                uri: "/v1/recalls/\(recallID)/reject", method: .post, headers: APITests.headers("cnBank"),
                body: ByteBuffer(string: #"{"reason":"NOOR"}"#)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(Self.json(response.body)["status"] as? String == "rejected")
            }
        }
    }

    @Test func aStatusEnquiryAnswersTheCurrentStatusToThePaymentsBanksOnly() async throws {
        try await APITests.withAPI { client, _ in
            try await Self.book(client)
            let enquiry = PaymentStatusRequest(
                messageID: "SR-1", creationDateTime: "2026-11-29T11:00:00Z",
                transactions: [
                    .init(statusRequestID: "Q-1", originalUETR: Self.uetr),
                    .init(statusRequestID: "Q-2", originalUETR: "0a562c67-ca16-48ba-b074-65581be6f009"),
                ])
            for (role, bic, statuses) in [
                ("brBank", "BANKBRSP", ["ACSC", "RJCT"]), ("cnBank", "BANKCNBJ", ["ACSC", "RJCT"]),
                ("brOther", "SECOBRSP", ["RJCT", "RJCT"]),
            ] {
                try await client.execute(
                    uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers(role),
                    body: Self.xml(.statusRequest(enquiry), from: bic)
                ) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    let report = try ISO.statusReport(
                        try await ISO.validMessage(response.body, schema: "pacs.002.001.10"))
                    #expect(report.transactions.map(\.status) == statuses, "\(role)")
                    #expect(report.originalMessageNameID == "pacs.028.001.03")
                }
            }
        }
    }
}

extension InvestigationAPITests {
    /// A JSON payment names its UETR apart from its id: an enquiry finds it by the UETR (the
    /// latest payment carrying it), and a message naming more payments than a batch may hold is
    /// refused whole, before any lookup — each named payment costs what a batch entry costs.
    @Test func enquiriesFindJSONPaymentsByUETRAndCountEveryTransaction() async throws {
        try await APITests.withAPI { client, _ in
            for id in ["0d9e2b6c-1f00-4a00-8000-000000000081", "0d9e2b6c-1f00-4a00-8000-000000000082"] {
                try await client.execute(
                    uri: "/v1/payments", method: .post, headers: APITests.headers("brBank"),
                    body: APITests.paymentBody(id: id)
                ) { #expect($0.status == .created, "\(String(buffer: $0.body))") }
            }
            let enquiry = PaymentStatusRequest(
                messageID: "SR-J", creationDateTime: "2026-11-29T11:00:00Z",
                transactions: [.init(statusRequestID: "Q-1", originalUETR: "12345678-9abc-4def-8123-456789abcdef")])
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers("brBank"),
                body: Self.xml(.statusRequest(enquiry), from: "BANKBRSP")
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let report = try ISO.statusReport(try await ISO.validMessage(response.body, schema: "pacs.002.001.10"))
                #expect(report.transactions.map(\.status) == ["ACSC"])
            }
            let countMax = PolyclearAPI.batchPaymentCountMax
            let uetrs = (0...countMax).map { String(format: "0a562c67-ca16-48ba-b074-%012x", $0 + 1) }
            for document: ISODocument in [
                .statusRequest(
                    PaymentStatusRequest(
                        messageID: "SR-BIG", creationDateTime: "2026-11-29T11:00:00Z",
                        transactions: uetrs.enumerated().map { .init(statusRequestID: "Q-\($0)", originalUETR: $1) })),
                .cancellationRequest(
                    PaymentCancellationRequest(
                        assignment: CaseAssignment(
                            id: "CX-BIG", assignerBIC: "BANKBRSP", assigneeBIC: "POLYXXXX",
                            creationDateTime: "2026-11-29T11:00:00Z"),
                        caseID: "CASE-BIG",
                        transactions: uetrs.enumerated().map {
                            .init(cancellationID: "C-\($0)", originalUETR: $1, reasonCode: "DUPL")
                        })),
            ] {
                try await client.execute(
                    uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers("brBank"),
                    body: Self.xml(document, from: "BANKBRSP")
                ) { response in
                    #expect(response.status == .contentTooLarge, "\(document.messageDefinition)")
                    #expect(String(buffer: response.body).contains("batch_too_large"))
                }
            }
        }
    }
}

/// A trade-conditional payment over ISO 20022: the condition travels in the pacs.008's
/// supplementary data; the payment is reserved (ACCP); the payee bank is told which document
/// to present; presenting it books the payment and the payer bank is told. A malformed
/// condition is refused naming the element.
@Suite(.enabled(if: ExternalTool.xmllint.runs, "\(ExternalTool.xmllint.skipReason)")) struct ConditionalISOTests {
    typealias ISO = ISO20022APITests
    static let uetr = "3c562c67-ca16-48ba-b074-65581be6f003"

    static func message(_ id: String, sha256: String, expiry: String) -> ByteBuffer {
        var transfer = CustomerCreditTransfer(
            messageID: id, creationDateTime: "2026-11-29T10:00:00Z",
            transactions: [
                .init(
                    endToEndID: "E2E-C", uetr: uetr,
                    interbankSettlementAmount: ISOAmount(value: "50.00", currency: "BRL"),
                    debtorName: "Exporter", debtorAgentBIC: "BANKBRSP", creditorAgentBIC: "BANKCNBJ",
                    creditorName: "Importer", purposeCode: "GDDS", referredDocumentNumbers: ["INV-C"])
            ])
        transfer.transactions[0].condition = TransferCondition(sha256Hex: sha256, expiry: expiry)
        return InvestigationAPITests.xml(.customerCreditTransfer(transfer), from: "BANKBRSP")
    }

    @Test func aConditionArrivingByPacs008IsFulfilledByTheDocument() async throws {
        let document = Data("bill of lading MAEU123456789".utf8)
        let digest = SHA256.hash(data: document).map { String(format: "%02x", $0) }.joined()
        let expiry = ISODateTime.format(nanoseconds: SystemClock.nanosecondsSinceEpoch() + 86_400_000_000_000)
        try await APITests.withAPI { client, _ in
            for (id, sha, time, reason) in [
                ("C-BAD-1", "xyz", expiry, "SplmtryData/Envlp/Cond/Sha256"),
                ("C-BAD-2", digest, "2020-01-01T00:00:00Z", "SplmtryData/Envlp/Cond/XpryDtTm"),
                ("C-BAD-3", digest, "tomorrow", "SplmtryData/Envlp/Cond/XpryDtTm"),
            ] {
                try await client.execute(
                    uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers("brBank"),
                    body: Self.message(id, sha256: sha, expiry: time)
                ) { response in
                    let report = try ISO.statusReport(
                        try await ISO.validMessage(response.body, schema: "pacs.002.001.10"))
                    #expect(report.transactions.first?.status == "RJCT")
                    #expect(report.transactions.first?.reason?.additionalInformation?.hasPrefix(reason) == true)
                }
            }
            try await client.execute(
                uri: "/v1/iso20022/messages", method: .post, headers: ISO.headers("brBank"),
                body: Self.message("C-1", sha256: digest.uppercased(), expiry: expiry)
            ) { response in
                let report = try ISO.statusReport(try await ISO.validMessage(response.body, schema: "pacs.002.001.10"))
                #expect(report.transactions.map(\.status) == ["ACCP"])
            }
            try await client.execute(
                uri: "/v1/outbox?format=iso20022", method: .get, headers: APITests.headers("cnBank")
            ) {
                response in
                let items = InvestigationAPITests.json(response.body)["items"] as? [[String: Any]] ?? []
                let waiting = try #require(items.first { $0["kind"] as? String == "awaiting_decision" })
                let message = try await ISO.validMessage(
                    ByteBuffer(string: waiting["message"] as? String ?? ""), schema: "pacs.002.001.10")
                #expect(
                    try ISO.statusReport(message).transactions.first?.reason?.additionalInformation?.contains(digest)
                        == true)
            }
            try await client.execute(
                uri: "/v1/payments/\(Self.uetr)/fulfil", method: .post, headers: APITests.headers("cnBank"),
                body: ByteBuffer(string: #"{"document":"\#(document.base64EncodedString())"}"#)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(String(buffer: response.body).contains(#""status":"accepted""#))
            }
            try await client.execute(uri: "/v1/outbox", method: .get, headers: APITests.headers("brBank")) { response in
                let items = InvestigationAPITests.json(response.body)["items"] as? [[String: Any]] ?? []
                #expect(
                    items.contains { $0["kind"] as? String == "final_status" && $0["status"] as? String == "accepted" })
            }
        }
    }
}
