import PolyclearCore

/// A payment's parties and remittance on the wire, both ways. Strict: an unknown key is
/// refused (`unknown_field`), so a misspelt `iban` never passes as "no account".
struct PartyDTO: Codable, Equatable {
    var name: String?
    var account: AccountDTO?
    var address: AddressDTO?
    var lei: String?
    var organisationId: String?
    var organisationIdScheme: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, account, address, lei, organisationId, organisationIdScheme
    }

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        account = try c.decodeIfPresent(AccountDTO.self, forKey: .account)
        address = try c.decodeIfPresent(AddressDTO.self, forKey: .address)
        lei = try c.decodeIfPresent(String.self, forKey: .lei)
        organisationId = try c.decodeIfPresent(String.self, forKey: .organisationId)
        organisationIdScheme = try c.decodeIfPresent(String.self, forKey: .organisationIdScheme)
    }

    init(_ p: Party) {
        name = p.name
        account = p.account.map { AccountDTO(iban: $0.iban, other: $0.other, scheme: $0.scheme) }
        address = p.address.map(AddressDTO.init)
        lei = p.lei
        organisationId = p.organisationID
        organisationIdScheme = p.organisationIDScheme
    }

    var party: Party {
        Party(
            name: name, account: account.map { PartyAccount(iban: $0.iban, other: $0.other, scheme: $0.scheme) },
            address: address?.address, lei: lei, organisationID: organisationId,
            organisationIDScheme: organisationIdScheme)
    }
}

struct AccountDTO: Codable, Equatable {
    var iban: String?
    var other: String?
    var scheme: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case iban, other, scheme }

    init(iban: String?, other: String?, scheme: String?) {
        (self.iban, self.other, self.scheme) = (iban, other, scheme)
    }

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        iban = try c.decodeIfPresent(String.self, forKey: .iban)
        other = try c.decodeIfPresent(String.self, forKey: .other)
        scheme = try c.decodeIfPresent(String.self, forKey: .scheme)
    }
}

struct AddressDTO: Codable, Equatable {
    var streetName: String?
    var buildingNumber: String?
    var postCode: String?
    var townName: String?
    var country: String?
    var lines: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case streetName, buildingNumber, postCode, townName, country, lines
    }

    init(_ a: PostalAddress) {
        (streetName, buildingNumber, postCode, townName, country, lines) =
            (a.streetName, a.buildingNumber, a.postCode, a.townName, a.country, a.lines)
    }

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        streetName = try c.decodeIfPresent(String.self, forKey: .streetName)
        buildingNumber = try c.decodeIfPresent(String.self, forKey: .buildingNumber)
        postCode = try c.decodeIfPresent(String.self, forKey: .postCode)
        townName = try c.decodeIfPresent(String.self, forKey: .townName)
        country = try c.decodeIfPresent(String.self, forKey: .country)
        lines = try c.decodeIfPresent([String].self, forKey: .lines)
    }

    var address: PostalAddress {
        PostalAddress(
            streetName: streetName, buildingNumber: buildingNumber, postCode: postCode, townName: townName,
            country: country, lines: lines)
    }
}

struct RemittanceDTO: Codable, Equatable {
    var lines: [String]?
    var creditorReferences: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable { case lines, creditorReferences }

    init(_ r: Remittance) { (lines, creditorReferences) = (r.lines, r.creditorReferences) }

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lines = try c.decodeIfPresent([String].self, forKey: .lines)
        creditorReferences = try c.decodeIfPresent([String].self, forKey: .creditorReferences)
    }
}

/// What a payment said, as the parties who may read it see it (`GET /v1/payments/{id}`):
/// references, the trade reference, names and details. Absent once erased by retention,
/// except the references and the trade reference.
struct PaymentDataDTO: Codable, Equatable {
    var endToEndId: String
    var invoiceNumber: String?
    var invoiceDate: String?
    var purposeCode: String?
    var hsCodes: [String]?
    var incoterm: String?
    var shipmentReference: String?
    var debtor: PartyDTO?
    var creditor: PartyDTO?
    var ultimateDebtor: PartyDTO?
    var ultimateCreditor: PartyDTO?
    var remittance: RemittanceDTO?
    /// Personal data was erased by the union's retention rule.
    var personalDataErased: Bool?

    init(texts: PaymentTexts, details: PaymentDetails?) {
        endToEndId = texts.endToEndID
        invoiceNumber = texts.trade.invoiceNumber.isEmpty ? nil : texts.trade.invoiceNumber
        purposeCode = texts.trade.purposeCode.isEmpty ? nil : texts.trade.purposeCode
        let codes = (texts.trade.hsCode.map { [$0] } ?? []) + (details?.trade?.moreHSCodes ?? [])
        hsCodes = codes.isEmpty ? nil : codes
        invoiceDate = details?.trade?.invoiceDate
        incoterm = details?.trade?.incoterm
        shipmentReference = details?.trade?.shipmentReference
        func named(_ name: String?, _ party: Party?) -> PartyDTO? {
            guard name != nil || party != nil else { return nil }
            var dto = PartyDTO(party ?? Party())
            dto.name = name
            return dto
        }
        debtor = named(texts.debtorName, details?.debtor)
        creditor = named(texts.creditorName, details?.creditor)
        ultimateDebtor = details?.ultimateDebtor.map(PartyDTO.init)
        ultimateCreditor = details?.ultimateCreditor.map(PartyDTO.init)
        remittance = details?.remittance.map(RemittanceDTO.init)
        personalDataErased = texts.isErased ? true : nil
    }
}

extension PaymentRequestDTO {
    /// The details the request carries (nil: none), and the debtor's and creditor's names,
    /// which may come as `debtorName` or as `debtor.name` (not both).
    func detailsAndNames() throws(APIError) -> (details: PaymentDetails?, debtorName: String?, creditorName: String?) {
        // Most payments carry none of it (a batch's thousand each come here): nothing to check.
        if debtor == nil, creditor == nil, ultimateDebtor == nil, ultimateCreditor == nil, remittance == nil,
            hsCodes == nil, invoiceDate == nil, incoterm == nil, shipmentReference == nil
        {
            return (nil, debtorName, creditorName)
        }
        func bad(_ message: String) -> APIError { APIError(.badRequest, code: "malformed_details", message) }
        if debtorName != nil && debtor?.name != nil {
            throw bad("give the debtor's name once: debtorName or debtor.name")
        }
        if creditorName != nil && creditor?.name != nil {
            throw bad("give the creditor's name once: creditorName or creditor.name")
        }
        if hsCode != nil && hsCodes != nil { throw bad("give hsCode or hsCodes, not both") }
        for (field, name) in [("debtor.name", debtor?.name), ("creditor.name", creditor?.name)] {
            if let name, !(1...140).contains(name.count) { throw bad("\(field): 1 to 140 characters") }
        }
        func unnamed(_ dto: PartyDTO?) -> Party? {
            guard var party = dto?.party else { return nil }
            party.name = nil
            return party == Party() ? nil : party
        }
        let more = hsCodes.map { Array($0.dropFirst()) }
        var trade: TradeDetails? = TradeDetails(
            invoiceDate: invoiceDate, moreHSCodes: more?.isEmpty == true ? nil : more, incoterm: incoterm,
            shipmentReference: shipmentReference)
        if trade == TradeDetails() { trade = nil }
        var details: PaymentDetails? = PaymentDetails(
            debtor: unnamed(debtor), creditor: unnamed(creditor), ultimateDebtor: ultimateDebtor?.party,
            ultimateCreditor: ultimateCreditor?.party,
            remittance: remittance.map { Remittance(lines: $0.lines, creditorReferences: $0.creditorReferences) },
            trade: trade)
        if details?.isEmpty == true { details = nil }
        if let details, let problem = PaymentDetailsCheck.firstProblem(details) { throw bad(problem) }
        if let codes = hsCodes, codes.isEmpty || !codes.allSatisfy(PaymentDetailsCheck.isValidHSCode) {
            throw bad("hsCodes: 1 to 10 codes of 2, 4 or 6 to 10 digits")
        }
        return (details, debtorName ?? debtor?.name, creditorName ?? creditor?.name)
    }
}
