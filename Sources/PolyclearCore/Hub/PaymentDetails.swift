/// Everything a payment says about its parties and what it pays for, beyond the numbers the
/// hub books: what the payee's bank needs to credit the right customer, and what a central
/// bank needs for its statistics. Optional as a whole and field by field; checked by
/// `PaymentDetailsCheck` (field paths name the JSON fields, the ISO mapping names elements).
///
/// The debtor's and creditor's *names* stay `PaymentInstruction.debtorName`/`creditorName`
/// (screening reads them); `debtor`/`creditor` here carry the rest and must not repeat a name.
public struct PaymentDetails: Hashable, Sendable, Codable {
    public var debtor: Party?
    public var creditor: Party?
    /// The party on whose behalf the debtor pays, and the one the creditor is paid for.
    public var ultimateDebtor: Party?
    public var ultimateCreditor: Party?
    public var remittance: Remittance?
    public var trade: TradeDetails?

    public init(
        debtor: Party? = nil, creditor: Party? = nil, ultimateDebtor: Party? = nil, ultimateCreditor: Party? = nil,
        remittance: Remittance? = nil, trade: TradeDetails? = nil
    ) {
        self.debtor = debtor
        self.creditor = creditor
        self.ultimateDebtor = ultimateDebtor
        self.ultimateCreditor = ultimateCreditor
        self.remittance = remittance
        self.trade = trade
    }

    /// Whether any field holds personal data (names, accounts, addresses, identifiers).
    public var isEmpty: Bool {
        debtor == nil && creditor == nil && ultimateDebtor == nil && ultimateCreditor == nil && remittance == nil
            && trade == nil
    }
}

/// A party to a payment (ISO 20022 PartyIdentification135 with its account, CashAccount38).
public struct Party: Hashable, Sendable, Codable {
    public var name: String?
    public var account: PartyAccount?
    public var address: PostalAddress?
    /// Legal Entity Identifier (ISO 17442): 20 characters, check digits mod 97.
    public var lei: String?
    /// Another organisation identification and its scheme (e.g. "TXID" with a tax number).
    public var organisationID: String?
    public var organisationIDScheme: String?

    public init(
        name: String? = nil, account: PartyAccount? = nil, address: PostalAddress? = nil, lei: String? = nil,
        organisationID: String? = nil, organisationIDScheme: String? = nil
    ) {
        self.name = name
        self.account = account
        self.address = address
        self.lei = lei
        self.organisationID = organisationID
        self.organisationIDScheme = organisationIDScheme
    }

    /// Nothing given (equal to `Party()`, without building one).
    public var isEmpty: Bool {
        name == nil && account == nil && address == nil && lei == nil && organisationID == nil
            && organisationIDScheme == nil
    }
}

/// An account at the party's bank: an IBAN, or another identification with its scheme
/// (ExternalAccountIdentification1Code such as "BBAN", or a proprietary name).
public struct PartyAccount: Hashable, Sendable, Codable {
    public var iban: String?
    public var other: String?
    public var scheme: String?

    public init(iban: String? = nil, other: String? = nil, scheme: String? = nil) {
        self.iban = iban
        self.other = other
        self.scheme = scheme
    }
}

/// A postal address: structured fields and/or up to three free lines (CBPR+'s limit).
public struct PostalAddress: Hashable, Sendable, Codable {
    public var streetName: String?
    public var buildingNumber: String?
    public var postCode: String?
    public var townName: String?
    /// ISO 3166-1 alpha-2.
    public var country: String?
    public var lines: [String]?

    public init(
        streetName: String? = nil, buildingNumber: String? = nil, postCode: String? = nil, townName: String? = nil,
        country: String? = nil, lines: [String]? = nil
    ) {
        self.streetName = streetName
        self.buildingNumber = buildingNumber
        self.postCode = postCode
        self.townName = townName
        self.country = country
        self.lines = lines
    }
}

/// Remittance information: unstructured lines and structured creditor references.
public struct Remittance: Hashable, Sendable, Codable {
    /// Free lines (ISO Ustrd, Max140Text each).
    public var lines: [String]?
    /// Creditor references (ISO Strd/CdtrRefInf/Ref, e.g. an RF reference).
    public var creditorReferences: [String]?

    public init(lines: [String]? = nil, creditorReferences: [String]? = nil) {
        self.lines = lines
        self.creditorReferences = creditorReferences
    }
}

/// The trade reference beyond invoice number, purpose and first HS code (`TradeReference`).
public struct TradeDetails: Hashable, Sendable, Codable {
    /// The invoice's date, YYYY-MM-DD.
    public var invoiceDate: String?
    /// Further HS codes of the goods paid for (6–10 digits each), after `TradeReference.hsCode`.
    public var moreHSCodes: [String]?
    /// Incoterms 2020 rule (EXW, FCA, CPT, CIP, DAP, DPU, DDP, FAS, FOB, CFR, CIF).
    public var incoterm: String?
    /// The bill of lading or other shipment reference.
    public var shipmentReference: String?

    public init(
        invoiceDate: String? = nil, moreHSCodes: [String]? = nil, incoterm: String? = nil,
        shipmentReference: String? = nil
    ) {
        self.invoiceDate = invoiceDate
        self.moreHSCodes = moreHSCodes
        self.incoterm = incoterm
        self.shipmentReference = shipmentReference
    }
}

/// What a payment said beyond the numbers, as the hub keeps it for reads and messages.
public struct PaymentTexts: Hashable, Sendable, Codable {
    public var endToEndID: String
    public var trade: TradeReference
    public var debtorName: String?
    public var creditorName: String?
    /// The personal data was erased by the retention rule (names and `details` are gone).
    public var isErased = false

    public init(_ p: PaymentInstruction) {
        endToEndID = p.endToEndID
        trade = p.trade
        debtorName = p.debtorName
        creditorName = p.creditorName
    }
}
