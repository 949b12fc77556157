import Foundation
import Hummingbird
import PolyclearCore
import PolyclearISO20022
import PolyclearStorage

/// ISO 20022 over HTTP: messages in (pacs.008 payments, pacs.004 returns) answered with a
/// pacs.002; statements (camt.053), payment notifications (camt.054) and a cycle's settlement
/// instructions (pacs.009) out. Same keys and roles as the JSON API.
enum ISO20022Routes {
    /// The hub's own identifier in the headers it writes (BIC-shaped; not a registered BIC).
    static let hubBIC = ISOReports.hubBIC
    /// The messages a bank may send in: payments (pacs.008), returns (pacs.004), recalls
    /// (camt.056) and their answers (camt.029), status enquiries (pacs.028).
    static let inboundDefinitions = ISODocument.supported.filter { definition in
        ["pacs.008.", "pacs.004.", "camt.056.", "camt.029.", "pacs.028."].contains { definition.hasPrefix($0) }
    }.sorted()

    static func add<A: HubAccess>(to router: Router<PolyclearRequestContext>, _ api: RouteDependencies<A>) {
        router.post("/v1/iso20022/messages") { request, context in try await receive(request, context: context, api) }
        router.get("/v1/iso20022/statements/:bic/cycles/:number") { _, context in
            try await statement(context: context, api)
        }
        router.get("/v1/iso20022/cycles/:number/instructions/:member") { _, context in
            try await instructions(context: context, api)
        }
        router.get("/v1/iso20022/payments/:id/notification") { request, context in
            try await notification(request, context: context, api)
        }
    }

    /// A pacs.008 or pacs.004 from a bank, answered with a pacs.002.
    static func receive<A: HubAccess>(
        _ request: Request, context: PolyclearRequestContext, _ api: RouteDependencies<A>
    ) async throws -> Response {
        let caller = try context.requireCaller()
        try AccessPolicy.require(caller, .sendISOMessage)
        guard case .participant(let sender) = caller else { throw APIError.unexpectedResult }
        guard
            request.headers[.contentType].map({ $0.hasPrefix("application/xml") || $0.hasPrefix("text/xml") })
                ?? false
        else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type", "send Content-Type: application/xml")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let message: ISOMessage
        do throws(ISOMessageError) { message = try ISOMessage.parse(Array(body.readableBytesView)) } catch {
            // Say what the hub does take in (the parser also reads what it only sends).
            let accepted =
                error.code == .unsupportedMessage
                ? "; the hub accepts inbound: \(inboundDefinitions.joined(separator: ", "))" : ""
            throw APIError(.badRequest, code: error.code.rawValue, String(error.description.prefix(300)) + accepted)
        }
        // The header's sender must be the caller: a bank speaks only for itself.
        if let header = message.header, BIC(header.fromBIC) != sender {
            throw APIError(.forbidden, code: "sender_mismatch", "AppHdr/Fr names another bank than the caller")
        }
        // A message costs one request per transaction, like a JSON batch, and holds at most as many.
        let transactionCount =
            switch message.document {
            case .customerCreditTransfer(let transfer): transfer.transactions.count
            case .paymentReturn(let returned): returned.transactions.count
            case .cancellationRequest(let request): request.transactions.count
            case .investigationResolution(let resolution): resolution.transactions.count
            case .statusRequest(let request): request.transactions.count
            default: 1
            }
        guard transactionCount <= api.limits.batchPaymentCountMax else {
            throw APIError(
                .contentTooLarge, code: "batch_too_large",
                "a message holds at most \(api.limits.batchPaymentCountMax) transactions")
        }
        guard api.limiter.allow(caller, cost: max(transactionCount, 1) - 1) else {
            throw APIError(
                .tooManyRequests, code: "rate_limited", "too many requests: a message counts each transaction",
                retryAfterSeconds: 1)
        }
        let (answer, duplicate) = try await answer(message.document, sender: sender, api)
        return xmlResponse(reply(to: message, with: answer), status: duplicate ? .conflict : .ok)
    }

    /// What the hub answers an inbound document with, and whether its id was seen before.
    static func answer<A: HubAccess>(
        _ document: ISODocument, sender: BIC, _ api: RouteDependencies<A>
    ) async throws -> (ISODocument, Bool) {
        switch document {
        case .customerCreditTransfer(let transfer):
            let (report, duplicate) = try await payments(
                transfer, sender: sender, writer: api.writer, currencies: api.currencies)
            return (.paymentStatusReport(report), duplicate)
        case .paymentReturn(let returned):
            let (report, duplicate) = try await returns(
                returned, sender: sender, writer: api.writer, currencies: api.currencies)
            return (.paymentStatusReport(report), duplicate)
        case .cancellationRequest(let request):
            let (resolution, duplicate) = try await recalls(request, sender: sender, writer: api.writer)
            return (.investigationResolution(resolution), duplicate)
        case .investigationResolution(let resolution):
            let (report, duplicate) = try await resolutions(resolution, sender: sender, writer: api.writer)
            return (.paymentStatusReport(report), duplicate)
        case .statusRequest(let request):
            return (.paymentStatusReport(try await statusEnquiry(request, sender: sender, writer: api.writer)), false)
        default:
            throw APIError(
                .unprocessableContent, code: "message_not_accepted",
                "\(document.messageDefinition) is not accepted inbound; the hub accepts: \(inboundDefinitions.joined(separator: ", "))"
            )
        }
    }

    /// pacs.008: each transaction mapped (or refused with its ISO reason), the mapped ones
    /// submitted as one message command — all applied, or none if the message id was seen.
    static func payments<A: HubAccess>(
        _ transfer: CustomerCreditTransfer, sender: BIC, writer: A,
        currencies: CurrencyTable
    ) async throws -> (PaymentStatusReport, Bool) {
        let (currencyByBIC, tradeReferenceRequired) = try await PolyclearAPI.read(writer) { hub in
            (
                Dictionary(
                    uniqueKeysWithValues: hub.allParticipants.compactMap { participant in
                        hub.member(participant.memberID).map { (participant.bic, $0.currency) }
                    }), hub.settings.paymentRules.tradeReferenceRequired
            )
        }
        let mapper = ISOPaymentMapper(
            currencies: currencies, tradeReferenceRequired: tradeReferenceRequired,
            now: SystemClock.nanosecondsSinceEpoch(), currencyOf: { currencyByBIC[$0] })
        // A UETR names one payment: a second transaction with it in the same message is refused
        // (it used to get its own ACSC for the one booking).
        var seen: Set<String> = []
        let repeated = Set(
            transfer.transactions.indices.filter { index in
                guard let uetr = transfer.transactions[index].uetr?.lowercased() else { return false }
                return !seen.insert(uetr).inserted
            })
        return try await answer(
            transfer.transactions, messageID: transfer.messageID, name: CustomerCreditTransfer.messageDefinition,
            sender: sender, writer: writer
        ) { tx, index in
            if repeated.contains(index) {
                return .failure(ISORefusal("AM05", "the UETR appears twice in this message"))
            }
            return switch mapper.instruction(tx) {
            case .success(let instruction) where instruction.payer != sender:
                .failure(ISORefusal("AG01", "the debtor agent is not the sending bank"))
            case .success(let instruction): .success(.submitPayment(instruction))
            case .failure(let refusal): .failure(refusal)
            }
        } echo: { tx in
            PaymentStatusReport.Transaction(
                originalInstructionID: tx.instructionID, originalEndToEndID: tx.endToEndID,
                originalTransactionID: tx.transactionID, originalUETR: tx.uetr, status: "RJCT")
        }
    }

    /// pacs.004: each return mapped against the payment it names, then submitted like payments.
    static func returns<A: HubAccess>(
        _ returned: PaymentReturn, sender: BIC, writer: A,
        currencies: CurrencyTable
    ) async throws -> (PaymentStatusReport, Bool) {
        let ids = returned.transactions.compactMap { $0.originalUETR.flatMap(UETR.parse) }
        let payeeCurrencies = try await PolyclearAPI.readPayments(writer, ids: ids) { view -> [UInt128: CurrencyCode] in
            let hub = view.hub
            var found: [UInt128: CurrencyCode] = [:]
            for id in ids {
                guard let parties = view.paymentParties(id), let payee = hub.participant(parties.payee),
                    let currency = hub.member(payee.memberID)?.currency
                else { continue }
                found[id] = currency
            }
            return found
        }
        let mapper = ISOPaymentMapper(currencies: currencies, currencyOf: { _ in nil })
        return try await answer(
            returned.transactions, messageID: returned.messageID, name: PaymentReturn.messageDefinition,
            sender: sender, writer: writer
        ) { tx, index in
            mapper.returnInstruction(
                tx, sender: sender, messageID: returned.messageID, index: index,
                originalPayeeCurrency: { payeeCurrencies[$0] }
            )
            .map { .returnPayment($0) }
        } echo: { tx in
            PaymentStatusReport.Transaction(
                originalInstructionID: tx.returnID, originalEndToEndID: tx.originalEndToEndID,
                originalTransactionID: tx.originalTransactionID, originalUETR: tx.originalUETR, status: "RJCT")
        }
    }

    /// The shared path of inbound messages: map each transaction to a hub command (or an ISO
    /// refusal), submit the commands as one message, and report every transaction's status.
    static func answer<A: HubAccess, T>(
        _ transactions: [T], messageID: String, name: String, sender: BIC, writer: A,
        map: (T, Int) -> Result<HubCommand, ISORefusal>,
        echo: (T) -> PaymentStatusReport.Transaction
    ) async throws -> (PaymentStatusReport, Bool) {
        var outcomes: [Result<Int, ISORefusal>] = []  // index into commands, or the refusal
        var commands: [HubCommand] = []
        for (index, tx) in transactions.enumerated() {
            switch map(tx, index) {
            case .success(let command):
                outcomes.append(.success(commands.count))
                commands.append(command)
            case .failure(let refusal): outcomes.append(.failure(refusal))
            }
        }
        let (results, duplicate) = try await submitMessage(
            commands, sender: sender, messageID: messageID, writer: writer)
        let now = ISODateTime.format(nanoseconds: UInt64(Date().timeIntervalSince1970 * 1e9))
        let statuses = zip(transactions, outcomes).map { tx, outcome in
            echo(tx).with(outcome: outcome, results: results, duplicate: duplicate, now: now)
        }
        return (report(original: messageID, name: name, transactions: statuses, duplicate: duplicate), duplicate)
    }

    /// One writer submission for the whole message; a message nothing of which could be
    /// mapped books nothing (and is not remembered, so a corrected one may reuse its id).
    static func submitMessage<A: HubAccess>(
        _ commands: [HubCommand], sender: BIC, messageID: String,
        writer: A
    ) async throws -> (results: [HubResult], duplicate: Bool) {
        guard !commands.isEmpty else { return ([], false) }
        let answer = try await PolyclearAPI.submit(
            writer, [.message(sender: sender, messageID: messageID, commands: commands)], by: .participant(sender))
        switch answer.first {
        case .message(let results): return (results, false)
        case .refused(.duplicateMessage): return ([], true)
        case .refused(let rejection): throw APIError.refused(rejection, "the message was refused")
        default: throw APIError.unexpectedResult
        }
    }

    static func report(
        original: String, name: String, transactions: [PaymentStatusReport.Transaction], duplicate: Bool
    ) -> PaymentStatusReport {
        let statuses = Set(transactions.compactMap(\.status))
        let groupStatus = duplicate ? "RJCT" : (statuses.count == 1 ? statuses.first : "PART")
        return PaymentStatusReport(
            messageID: newMessageID(),
            creationDateTime: ISODateTime.format(nanoseconds: UInt64(Date().timeIntervalSince1970 * 1e9)),
            originalMessageID: original, originalMessageNameID: name, groupStatus: groupStatus,
            groupReason: duplicate
                ? .init(
                    code: "AM05",
                    additionalInformation:
                        "this message id was already received from this bank; nothing in it was booked again") : nil,
            transactions: duplicate ? [] : transactions)
    }

    /// The reply: with a header addressed back to the sender when the request had one.
    static func reply(to message: ISOMessage, with answer: ISODocument) -> ISOMessage {
        let header = message.header.map { received in
            BusinessApplicationHeader(
                fromBIC: hubBIC, toBIC: received.fromBIC, businessMessageID: answer.messageID,
                messageDefinitionID: answer.messageDefinition,
                creationDate: ISODateTime.format(nanoseconds: UInt64(Date().timeIntervalSince1970 * 1e9)))
        }
        return ISOMessage(header: header, document: answer)
    }

    static func newMessageID() -> String {
        var random = SystemRandomNumberGenerator()
        return "PLC"
            + String(
                UUIDText.format(UInt128(random.next()) << 64 | UInt128(random.next())).filter { $0 != "-" }.prefix(32))
    }

    static func xmlResponse(_ message: ISOMessage, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/xml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: message.xml())))
    }
}

extension PaymentStatusReport.Transaction {
    /// This transaction's status from its mapping outcome and the hub's result.
    func with(outcome: Result<Int, ISORefusal>, results: [HubResult], duplicate: Bool, now: String) -> Self {
        var copy = self
        switch outcome {
        case .failure(let refusal):
            copy.status = "RJCT"
            copy.reason = .init(code: refusal.reasonCode, additionalInformation: refusal.text)
        case .success where duplicate:
            copy.status = "RJCT"
            copy.reason = .init(code: "AM05", additionalInformation: "duplicate message")
        case .success(let index):
            switch results[index] {
            case .payment(let state):
                let (status, reason) = ISOPaymentMapper.status(of: state)
                copy.status = status
                copy.reason = reason.map { .init(code: $0, additionalInformation: state.rejection?.code) }
                if status == "ACSC" || status == "ACCP" { copy.acceptanceDateTime = now }
            case .ok, .recallAnswered:
                copy.status = "ACSC"
                copy.acceptanceDateTime = now
            case .refused(let rejection):
                copy.status = "RJCT"
                copy.reason = .init(code: Self.reasonCode(rejection), additionalInformation: rejection.code)
            default:
                copy.status = "RJCT"
                copy.reason = .init(code: "NARR", additionalInformation: "unexpected result")
            }
        }
        return copy
    }

    /// ISO status reasons for the hub's refusals of whole commands (returns).
    static func reasonCode(_ rejection: HubCommandRejection) -> String {
        switch rejection {
        case .paymentNotFound: "NARR"
        case .paymentStateForbidsThis: "NARR"  // not (or no longer) a booked payment: said in AddtlInf
        case .returnExceedsPayment: "AM09"
        case .notAllowedForActor: "AG01"
        case .amountNotPositive: "AM12"
        default: "FF01"
        }
    }
}
