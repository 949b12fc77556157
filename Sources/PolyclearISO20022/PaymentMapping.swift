public import PolyclearCore

/// Why a transaction of a message cannot become a hub command: the ISO status reason code
/// its pacs.002 carries, and a short explanation (AddtlInf, at most 105 characters).
public struct ISORefusal: Error, Hashable, Sendable {
    public var reasonCode: String
    public var text: String

    public init(_ reasonCode: String, _ text: String) {
        self.reasonCode = reasonCode
        self.text = text
    }
}

/// pacs.008 and pacs.004 transactions → hub commands, and hub outcomes → pacs.002 statuses.
///
/// pacs.008: the debtor agent (else the instructing agent) is the payer bank, the creditor
/// agent the payee bank; the interbank settlement amount (or, if its currency is neither
/// bank's, the instructed amount) fixes the payer's debit when it is in the payer bank's
/// currency and the payee's credit when it is in the payee bank's; the UETR (mandatory, a
/// version-4 UUID) is also the hub payment's id, so a payment sent twice is booked once;
/// the trade reference, parties and remittance are taken as `TradeReferenceSources` says
/// (invoice number and purpose mandatory when the union's rule says so); the charge bearer
/// is checked (the hub charges no fees per payment).
public struct ISOPaymentMapper: Sendable {
    public let currencies: CurrencyTable
    /// The currency of a participant's account at the hub (nil: not a participant).
    public let currencyOf: @Sendable (BIC) -> CurrencyCode?
    /// The union's rule (`PaymentRules.tradeReferenceRequired`): refuse a transaction without
    /// an invoice number or purpose code, naming where the hub looked.
    public let tradeReferenceRequired: Bool
    /// The hub's time (nanoseconds since 1970): a condition's expiry becomes a reservation
    /// timeout counted from it.
    public let now: UInt64

    public init(
        currencies: CurrencyTable, tradeReferenceRequired: Bool = true, now: UInt64 = 0,
        currencyOf: @escaping @Sendable (BIC) -> CurrencyCode?
    ) {
        self.currencies = currencies
        self.tradeReferenceRequired = tradeReferenceRequired
        self.now = now
        self.currencyOf = currencyOf
    }

    public func instruction(_ tx: CustomerCreditTransfer.Transaction) -> Result<PaymentInstruction, ISORefusal> {
        guard let uetrText = tx.uetr, let uetr = UETR.parse(uetrText) else {
            return .failure(ISORefusal("FF01", "PmtId/UETR must be a version-4 UUID in lower case"))
        }
        guard let payerText = tx.debtorAgentBIC ?? tx.instructingAgentBIC, let payer = BIC(payerText) else {
            return .failure(ISORefusal("RC01", "DbtrAgt needs a valid BICFI"))
        }
        guard let payeeText = tx.creditorAgentBIC, let payee = BIC(payeeText) else {
            return .failure(ISORefusal("RC01", "CdtrAgt needs a valid BICFI"))
        }
        guard let payerCurrency = currencyOf(payer) else {
            return .failure(
                ISORefusal(PaymentRejection.unknownPayer.statusReasonCode, "the debtor agent is not a participant"))
        }
        guard let payeeCurrency = currencyOf(payee) else {
            return .failure(
                ISORefusal(PaymentRejection.unknownPayee.statusReasonCode, "the creditor agent is not a participant"))
        }
        switch tx.chargeBearer {
        case "DEBT", "CRED", "SHAR", "SLEV": break
        default: return .failure(ISORefusal("FF01", "ChrgBr must be DEBT, CRED, SHAR or SLEV"))
        }
        // Which side the amount fixes: the settlement amount, else the instructed amount.
        let (payerCode, payeeCode) = (payerCurrency.description, payeeCurrency.description)
        func side(_ amount: ISOAmount?) -> (ISOAmount, AmountSide)? {
            guard let amount else { return nil }
            if amount.currency == payerCode { return (amount, .payerDebit) }
            if amount.currency == payeeCode { return (amount, .payeeCredit) }
            return nil
        }
        let chosen = side(tx.interbankSettlementAmount) ?? side(tx.instructedAmount)
        guard let (amount, side) = chosen else {
            return .failure(
                ISORefusal(
                    "AM11",
                    "the amount must be in the debtor agent's (\(payerCurrency)) or creditor agent's (\(payeeCurrency)) currency"
                ))
        }
        let currency = currencies[side == .payerDebit ? payerCurrency : payeeCurrency]!
        let minor: Int64
        do { minor = try Money(parsing: amount.value, currency: currency, sign: .positive).minorUnits } catch {
            return .failure(ISORefusal("AM12", "amount \(amount.value.prefix(30)) \(amount.currency): \(error)"))
        }
        let trade: TradeReference, debtorName: String?, creditorName: String?, details: PaymentDetails?
        switch tradeAndDetails(tx) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let found): (trade, debtorName, creditorName, details) = found
        }
        var instruction = PaymentInstruction(
            id: uetr, payer: payer, payee: payee, amountMinor: minor, amountSide: side, endToEndID: tx.endToEndID,
            uetr: uetr, trade: trade, debtorName: debtorName, creditorName: creditorName, details: details)
        if let condition = tx.condition {
            switch conditionTerms(condition) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let (digest, seconds)):
                instruction.condition = PaymentCondition(sha256Hex: digest)
                instruction.isTwoPhase = true
                instruction.timeoutSeconds = seconds
            }
        }
        return .success(instruction)
    }

    /// A condition's digest (lower case) and the seconds from now to its expiry.
    func conditionTerms(_ condition: TransferCondition) -> Result<(String, UInt32), ISORefusal> {
        let digest = condition.sha256Hex.lowercased()
        guard digest.utf8.count == 64, digest.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else {
            return .failure(ISORefusal("FF01", "SplmtryData/Envlp/Cond/Sha256: 64 hexadecimal digits"))
        }
        guard let expiry = ISODateTime.nanoseconds(of: condition.expiry) else {
            return .failure(ISORefusal("FF01", "SplmtryData/Envlp/Cond/XpryDtTm: an ISODateTime with a zone"))
        }
        let seconds = expiry > now ? (expiry - now) / 1_000_000_000 : 0
        guard (1...UInt64(Limits.pendingTimeoutSecondsMax)).contains(seconds) else {
            return .failure(
                ISORefusal(
                    "FF01",
                    "SplmtryData/Envlp/Cond/XpryDtTm: in the future, at most \(Limits.pendingTimeoutSecondsMax / 86_400) days ahead"
                ))
        }
        return .success((digest, UInt32(seconds)))
    }

    /// pacs.004: `originalPayee` and its currency come from the hub (the original payment);
    /// the returned amount must be in the currency the original payment credited.
    public func returnInstruction(
        _ tx: PaymentReturn.Transaction, sender: BIC, messageID: String, index: Int,
        originalPayeeCurrency: (UInt128) -> CurrencyCode?
    ) -> Result<PaymentReturnInstruction, ISORefusal> {
        guard let uetrText = tx.originalUETR, let originalID = UETR.parse(uetrText) else {
            return .failure(ISORefusal("FF01", "OrgnlUETR must name the returned payment (a version-4 UUID)"))
        }
        guard let currencyCode = originalPayeeCurrency(originalID) else {
            return .failure(ISORefusal("NARR", "no such payment"))
        }
        guard tx.returnedAmount.currency == currencyCode.description else {
            return .failure(
                ISORefusal("AM11", "RtrdIntrBkSttlmAmt must be in \(currencyCode), the currency the payment credited"))
        }
        let minor: Int64
        do {
            minor = try Money(parsing: tx.returnedAmount.value, currency: currencies[currencyCode]!, sign: .positive)
                .minorUnits
        } catch {
            return .failure(ISORefusal("AM12", "amount: \(error)"))
        }
        guard let reason = tx.reasonCode else { return .failure(ISORefusal("FF01", "RtrRsnInf/Rsn/Cd is required")) }
        // The reverse payment's id and UETR: a version-4 UUID derived from sender, message
        // and position, so the same message always describes the same return.
        let id = Self.derivedUUID("\(sender) \(messageID) \(index)")
        return .success(
            PaymentReturnInstruction(
                id: id, originalID: originalID, amountMinor: minor, uetr: id, reasonCode: reason,
                actor: .participant(sender)))
    }

    /// A version-4-shaped UUID from text (two FNV-1a halves; not random, not secret).
    public static func derivedUUID(_ text: String) -> UInt128 {
        func fnv(_ seed: UInt64) -> UInt64 {
            var hash = seed
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            return hash
        }
        var value = UInt128(fnv(0xCBF2_9CE4_8422_2325)) << 64 | UInt128(fnv(0x8422_2325_CBF2_9CE4))
        value = value & ~(UInt128(0xF) << 76) | UInt128(0x4) << 76
        value = value & ~(UInt128(0x3) << 62) | UInt128(0x2) << 62
        return value
    }

    /// A payment's status as ISO 20022 reports it, with the reason code of a rejection.
    public static func status(of state: PaymentState) -> (status: String, reason: String?) {
        status(state.status, rejection: state.rejection)
    }

    public static func status(
        _ status: PaymentStatus, rejection: PaymentRejection?
    ) -> (status: String, reason: String?) {
        switch status {
        case .accepted: ("ACSC", nil)
        case .reserved: ("ACCP", nil)
        case .queued, .held, .received: ("PDNG", nil)
        case .rejected, .cancelled, .expired: ("RJCT", rejection?.statusReasonCode ?? "NARR")
        }
    }
}
