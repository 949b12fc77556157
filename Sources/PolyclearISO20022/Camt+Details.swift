public import PolyclearCore

/// What a camt.053/054 entry says about the payment behind it (EntryTransaction10): the
/// parties with their accounts, the banks, the purpose and the remittance — what the payee's
/// bank needs to credit its customer.
public struct EntryDetails: Hashable, Sendable {
    public var debtor: Party?
    public var creditor: Party?
    public var ultimateDebtor: Party?
    public var ultimateCreditor: Party?
    public var debtorAgentBIC: String?
    public var creditorAgentBIC: String?
    public var purposeCode: String?
    public var remittanceLines: [String]
    public var referredDocuments: [ReferredDocument]
    public var creditorReferences: [String]

    public init(
        debtor: Party? = nil, creditor: Party? = nil, ultimateDebtor: Party? = nil, ultimateCreditor: Party? = nil,
        debtorAgentBIC: String? = nil, creditorAgentBIC: String? = nil, purposeCode: String? = nil,
        remittanceLines: [String] = [], referredDocuments: [ReferredDocument] = [], creditorReferences: [String] = []
    ) {
        self.debtor = debtor
        self.creditor = creditor
        self.ultimateDebtor = ultimateDebtor
        self.ultimateCreditor = ultimateCreditor
        self.debtorAgentBIC = debtorAgentBIC
        self.creditorAgentBIC = creditorAgentBIC
        self.purposeCode = purposeCode
        self.remittanceLines = remittanceLines
        self.referredDocuments = referredDocuments
        self.creditorReferences = creditorReferences
    }

    /// A payment's data as the hub keeps it.
    public init(texts: PaymentTexts, details: PaymentDetails?, payer: BIC, payee: BIC) {
        let transfer = ISOReports.transaction(
            texts: texts, details: details, payer: payer, payee: payee, id: 0, uetr: nil,
            payeeAmount: ISOAmount(value: "0", currency: "XXX"), payerAmount: nil, date: nil)
        self.init(
            debtor: transfer.debtor, creditor: transfer.creditor, ultimateDebtor: transfer.ultimateDebtor,
            ultimateCreditor: transfer.ultimateCreditor, debtorAgentBIC: payer.description,
            creditorAgentBIC: payee.description, purposeCode: transfer.purposeCode,
            remittanceLines: transfer.unstructuredRemittance, referredDocuments: transfer.referredDocuments,
            creditorReferences: transfer.creditorReferences)
    }

    /// pacs.002's OrgnlTxRef (OriginalTransactionReference28): parties and agents directly in it.
    init(originalReference node: ElementReader) { self.init(parties: node, agents: node, rest: node) }

    /// camt.05x's TxDtls (EntryTransaction10): parties in RltdPties, agents in RltdAgts.
    init(_ tx: ElementReader) { self.init(parties: tx.child("RltdPties"), agents: tx.child("RltdAgts"), rest: tx) }

    /// Parties as Party40Choice (the party in Pty, its account beside it) under `parties`, the
    /// agents under `agents`, purpose and remittance under `rest`.
    private init(parties: ElementReader?, agents: ElementReader?, rest tx: ElementReader) {
        func party(_ name: String, account: String? = nil) -> Party? {
            guard let parties else { return nil }
            var found = parties.child(name)?.party("Pty")
            if let account, let identification = parties.account(account) {
                found = found ?? Party()
                found?.account = identification
            }
            return found
        }
        self.init(
            debtor: party("Dbtr", account: "DbtrAcct"), creditor: party("Cdtr", account: "CdtrAcct"),
            ultimateDebtor: party("UltmtDbtr"), ultimateCreditor: party("UltmtCdtr"),
            debtorAgentBIC: agents?.bic("DbtrAgt"), creditorAgentBIC: agents?.bic("CdtrAgt"),
            purposeCode: tx.text("Purp/Cd"),
            remittanceLines: tx.child("RmtInf")?.element.children("Ustrd").map { $0.trimmedText } ?? [])
        var transaction = CustomerCreditTransfer.Transaction(
            endToEndID: "", interbankSettlementAmount: ISOAmount(value: "0", currency: "XXX"), debtorAgentBIC: nil,
            creditorAgentBIC: nil)
        transaction.readDetails(tx)
        referredDocuments = transaction.referredDocuments
        creditorReferences = transaction.creditorReferences
    }

    /// In OriginalTransactionReference28's order (after the amount): RmtInf, UltmtDbtr, Dbtr,
    /// DbtrAcct, DbtrAgt, CdtrAgt, Cdtr, CdtrAcct, UltmtCdtr, Purp.
    func writeOriginalReference(_ xml: inout XMLWriter) {
        remittance.writeRemittance(&xml)
        if let ultimateDebtor { xml.partyChoice("UltmtDbtr", ultimateDebtor) }
        if let debtor { xml.partyChoice("Dbtr", debtor) }
        xml.account("DbtrAcct", debtor?.account)
        if let bic = debtorAgentBIC { xml.agent("DbtrAgt", bic: bic) }
        if let bic = creditorAgentBIC { xml.agent("CdtrAgt", bic: bic) }
        if let creditor { xml.partyChoice("Cdtr", creditor) }
        xml.account("CdtrAcct", creditor?.account)
        if let ultimateCreditor { xml.partyChoice("UltmtCdtr", ultimateCreditor) }
        if let purposeCode { xml.group("Purp") { $0.element("Cd", purposeCode) } }
    }

    /// The remittance as a transaction writes it (RmtInf).
    var remittance: CustomerCreditTransfer.Transaction {
        var remittance = CustomerCreditTransfer.Transaction(
            endToEndID: "", interbankSettlementAmount: ISOAmount(value: "0", currency: "XXX"), debtorAgentBIC: nil,
            creditorAgentBIC: nil, unstructuredRemittance: remittanceLines)
        remittance.referredDocuments = referredDocuments
        remittance.creditorReferences = creditorReferences
        return remittance
    }

    /// In EntryTransaction10's order: RltdPties, RltdAgts, Purp, RmtInf.
    func write(_ xml: inout XMLWriter) {
        if debtor != nil || creditor != nil || ultimateDebtor != nil || ultimateCreditor != nil {
            xml.group("RltdPties") { xml in
                if let debtor { xml.partyChoice("Dbtr", debtor) }
                xml.account("DbtrAcct", debtor?.account)
                if let ultimateDebtor { xml.partyChoice("UltmtDbtr", ultimateDebtor) }
                if let creditor { xml.partyChoice("Cdtr", creditor) }
                xml.account("CdtrAcct", creditor?.account)
                if let ultimateCreditor { xml.partyChoice("UltmtCdtr", ultimateCreditor) }
            }
        }
        if debtorAgentBIC != nil || creditorAgentBIC != nil {
            xml.group("RltdAgts") { xml in
                if let bic = debtorAgentBIC { xml.agent("DbtrAgt", bic: bic) }
                if let bic = creditorAgentBIC { xml.agent("CdtrAgt", bic: bic) }
            }
        }
        if let purposeCode { xml.group("Purp") { $0.element("Cd", purposeCode) } }
        remittance.writeRemittance(&xml)
    }
}
