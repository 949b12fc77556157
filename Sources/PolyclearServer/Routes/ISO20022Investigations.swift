import Foundation
import PolyclearCore
import PolyclearISO20022

/// Investigations over ISO 20022: recalls in (camt.056, answered with a camt.029 saying
/// pending or why not), their answers in (camt.029 from the payee's bank, answered with a
/// pacs.002), and status enquiries (pacs.028, answered with a pacs.002 of each payment's
/// current status). Payments are named by their UETR.
extension ISO20022Routes {
    static func recalls<A: HubAccess>(
        _ request: PaymentCancellationRequest, sender: BIC, writer: A
    ) async throws -> (InvestigationResolution, Bool) {
        let uetrs = request.transactions.map { $0.originalUETR.flatMap(UETR.parse) }
        let ids = try await PolyclearAPI.readPayments(writer, uetrs: uetrs.compactMap { $0 }) { view in
            uetrs.map { $0.flatMap { view.paymentID(forUETR: $0) } }
        }
        var outcomes: [Result<Int, ISORefusal>] = []
        var commands: [HubCommand] = []
        for (index, tx) in request.transactions.enumerated() {
            guard let id = ids[index] else {
                outcomes.append(.failure(ISORefusal("NOOR", "OrgnlUETR names no payment of the hub")))
                continue
            }
            guard let reason = tx.reasonCode, reason.utf8.count == 4 else {
                outcomes.append(.failure(ISORefusal("FF01", "CxlRsnInf/Rsn/Cd is required (e.g. DUPL, FRAD, TECH)")))
                continue
            }
            // The case id comes from the sender's message: the same message always names the same recall.
            let recallID = ISOPaymentMapper.derivedUUID("\(sender) \(request.assignment.id) \(index)")
            outcomes.append(.success(commands.count))
            commands.append(
                .requestRecall(
                    RecallRequest(id: recallID, paymentID: id, reasonCode: reason, actor: .participant(sender))))
        }
        let (results, duplicate) = try await submitMessage(
            commands, sender: sender, messageID: request.assignment.id, writer: writer)
        let transactions = zip(request.transactions, outcomes).map { tx, outcome in
            var answer = InvestigationResolution.Transaction(
                cancellationStatusID: tx.cancellationID, originalEndToEndID: tx.originalEndToEndID,
                originalUETR: tx.originalUETR, status: "PDCR")
            switch outcome {
            case .failure(let refusal):
                answer.status = "RJCR"
                answer.reasonCode = refusal.reasonCode
                answer.additionalInformation = [String(refusal.text.prefix(105))]
            case .success where duplicate:
                answer.status = "RJCR"
                answer.additionalInformation = ["duplicate message: this case id was already received"]
            case .success(let index):
                if case .refused(let rejection) = results[index] {
                    answer.status = "RJCR"
                    answer.reasonCode = rejection == .recallExists ? "DUPL" : "NOOR"
                    answer.additionalInformation = [rejection.code]
                }
            }
            return answer
        }
        let pending = transactions.contains { $0.status == "PDCR" }
        return (
            InvestigationResolution(
                assignment: CaseAssignment(
                    id: newMessageID(), assignerBIC: hubBIC, assigneeBIC: sender.description,
                    creationDateTime: ISODateTime.format(nanoseconds: UInt64(Date().timeIntervalSince1970 * 1e9))),
                resolvedCaseID: request.caseID, confirmation: pending ? "PDCR" : "RJCR", transactions: transactions),
            duplicate
        )
    }

    /// camt.029 from the payee's bank: CNCL accepts the open recall of each named payment (the
    /// return is booked), RJCR rejects it with the reason given.
    static func resolutions<A: HubAccess>(
        _ resolution: InvestigationResolution, sender: BIC, writer: A
    ) async throws -> (PaymentStatusReport, Bool) {
        let uetrs = resolution.transactions.map { $0.originalUETR.flatMap(UETR.parse) }
        let recallIDs = try await PolyclearAPI.readPayments(writer, uetrs: uetrs.compactMap { $0 }) { view in
            uetrs.map { uetr -> UInt128? in
                guard let uetr, let id = view.paymentID(forUETR: uetr) else { return nil }
                return view.hub.recalls(ofPayment: id).last?.request.id
            }
        }
        let accept: Bool
        switch resolution.confirmation {
        case "CNCL": accept = true
        case "RJCR": accept = false
        default:
            throw APIError(
                .badRequest, code: "invalid_value",
                "RsltnOfInvstgtn/Sts/Conf must be CNCL (accepted) or RJCR (rejected)")
        }
        let indexed = Array(resolution.transactions.enumerated())
        return try await answer(
            indexed, messageID: resolution.assignment.id, name: InvestigationResolution.messageDefinition,
            sender: sender, writer: writer
        ) { item, _ in
            guard let recallID = recallIDs[item.offset] else {
                return .failure(ISORefusal("NARR", "OrgnlUETR names no payment with a recall"))
            }
            let reason = item.element.reasonCode ?? ""
            if !accept && reason.utf8.count != 4 {
                return .failure(ISORefusal("FF01", "a rejection needs CxlStsRsnInf/Rsn/Cd (e.g. NOOR, ARDT, CUST)"))
            }
            return .success(
                .answerRecall(id: recallID, accept: accept, reasonCode: reason, actor: .participant(sender)))
        } echo: { item in
            PaymentStatusReport.Transaction(
                originalInstructionID: item.element.cancellationStatusID,
                originalEndToEndID: item.element.originalEndToEndID, originalUETR: item.element.originalUETR,
                status: "RJCT")
        }
    }

    /// pacs.028: each payment's current status, for its payer or payee bank (others, and
    /// unknown UETRs, get RJCT: the hub says nothing about other banks' payments).
    static func statusEnquiry<A: HubAccess>(
        _ request: PaymentStatusRequest, sender: BIC, writer: A
    ) async throws -> PaymentStatusReport {
        let uetrs = request.transactions.map { $0.originalUETR.flatMap(UETR.parse) }
        let states = try await PolyclearAPI.readPayments(writer, uetrs: uetrs.compactMap { $0 }) { view in
            uetrs.map { uetr -> PaymentState? in
                guard let uetr, let id = view.paymentID(forUETR: uetr), let parties = view.paymentParties(id),
                    parties.payer == sender || parties.payee == sender
                else { return nil }
                return view.payment(id)
            }
        }
        let transactions = zip(request.transactions, states).map { tx, state in
            var answer = PaymentStatusReport.Transaction(
                originalInstructionID: tx.statusRequestID, originalEndToEndID: tx.originalEndToEndID,
                originalUETR: tx.originalUETR, status: "RJCT",
                reason: .init(code: "NARR", additionalInformation: "no payment of yours with this UETR"))
            if let state {
                let (status, reason) = ISOPaymentMapper.status(of: state)
                answer.status = status
                answer.reason = reason.map { .init(code: $0, additionalInformation: state.rejection?.code) }
            }
            return answer
        }
        return report(
            original: request.messageID, name: PaymentStatusRequest.messageDefinition, transactions: transactions,
            duplicate: false)
    }
}
