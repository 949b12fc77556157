import PolyclearCore

/// Parties, accounts and addresses as ISO 20022 carries them (PartyIdentification135,
/// CashAccount38, PostalAddress24), read from and written to pacs.008, camt.05x and pacs.002.
extension ElementReader {
    /// The party at `name` (Nm, PstlAdr, Id/OrgId) with the account at `account`, if either is there.
    func party(_ name: String, account accountName: String? = nil) -> Party? {
        let node = child(name)
        let accountNode = accountName.flatMap { child($0) }
        guard node != nil || accountNode != nil else { return nil }
        var party = Party()
        if let node {
            party.name = node.text("Nm")
            party.address = node.child("PstlAdr").map(\.address)
            party.lei = node.text("Id/OrgId/LEI")
            party.organisationID = node.text("Id/OrgId/Othr/Id")
            party.organisationIDScheme =
                node.text("Id/OrgId/Othr/SchmeNm/Cd") ?? node.text("Id/OrgId/Othr/SchmeNm/Prtry")
        }
        if let accountName { party.account = self.account(accountName) }
        return party.isEmpty ? nil : party
    }

    /// The CashAccount38 at `name`: its IBAN or other identification with the scheme.
    func account(_ name: String) -> PartyAccount? {
        guard let node = child(name) else { return nil }
        let account = PartyAccount(
            iban: node.text("Id/IBAN"), other: node.text("Id/Othr/Id"),
            scheme: node.text("Id/Othr/SchmeNm/Cd") ?? node.text("Id/Othr/SchmeNm/Prtry"))
        return account == PartyAccount() ? nil : account
    }

    var address: PostalAddress {
        let lines = element.children("AdrLine").map { $0.trimmedText }
        return PostalAddress(
            streetName: text("StrtNm"), buildingNumber: text("BldgNb"), postCode: text("PstCd"),
            townName: text("TwnNm"),
            country: text("Ctry"), lines: lines.isEmpty ? nil : lines)
    }
}

extension XMLWriter {
    /// `<name>` as PartyIdentification135: Nm, PstlAdr, Id/OrgId (schema order).
    mutating func party(_ name: String, _ party: Party) {
        group(name) { xml in xml.partyContent(party) }
    }

    /// camt.05x's Party40Choice: `<name><Pty>…</Pty></name>`.
    mutating func partyChoice(_ name: String, _ party: Party) {
        group(name) { xml in xml.group("Pty") { $0.partyContent(party) } }
    }

    private mutating func partyContent(_ party: Party) {
        optional("Nm", party.name)
        if let a = party.address {
            group("PstlAdr") { xml in
                xml.optional("StrtNm", a.streetName)
                xml.optional("BldgNb", a.buildingNumber)
                xml.optional("PstCd", a.postCode)
                xml.optional("TwnNm", a.townName)
                xml.optional("Ctry", a.country)
                for line in a.lines ?? [] { xml.element("AdrLine", line) }
            }
        }
        if party.lei != nil || party.organisationID != nil {
            group("Id") { xml in
                xml.group("OrgId") { xml in
                    xml.optional("LEI", party.lei)
                    if let id = party.organisationID {
                        xml.group("Othr") { xml in
                            xml.element("Id", id)
                            if let scheme = party.organisationIDScheme { xml.schemeName(scheme) }
                        }
                    }
                }
            }
        }
    }

    /// `<name>` as CashAccount38: Id/IBAN or Id/Othr with its scheme.
    mutating func account(_ name: String, _ account: PartyAccount?) {
        guard let account else { return }
        group(name) { xml in
            xml.group("Id") { xml in
                if let iban = account.iban {
                    xml.element("IBAN", iban)
                } else if let other = account.other {
                    xml.group("Othr") { xml in
                        xml.element("Id", other)
                        if let scheme = account.scheme { xml.schemeName(scheme) }
                    }
                }
            }
        }
    }

    /// A scheme of four capitals is a code (ExternalCodeSet), anything else proprietary.
    private mutating func schemeName(_ scheme: String) {
        let isCode = scheme.utf8.count == 4 && scheme.utf8.allSatisfy { $0 >= 65 && $0 <= 90 }
        group("SchmeNm") { $0.element(isCode ? "Cd" : "Prtry", scheme) }
    }
}
