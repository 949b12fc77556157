extension HubStateMachine {
    static let nameLengthMax = 140

    /// Why `member` could not be registered now (nil: it can).
    func memberRejection(_ member: Member) -> HubCommandRejection? {
        guard (1...Self.nameLengthMax).contains(member.name.count) else { return .malformedField }
        guard member.quotaUnitMinor >= 0 else { return .negativeLimit }
        guard memberIndexByID[member.id.alpha3] == nil else { return .memberExists }
        guard configuration.currencies[member.currency] != nil, member.currency != configuration.unit.code else {
            return .currencyNotSupported
        }
        return memberIndexByCurrency[member.currency] == nil ? nil : .currencyAlreadyHasMember
    }

    mutating func registerMember(_ member: Member) -> HubResult {
        if let rejection = memberRejection(member) { return .refused(rejection) }
        let currency = configuration.currencies[member.currency]!

        let first = allocateAccountIDs(4)
        let ledgerID = member.currency.packedASCII
        let record = MemberRecord(
            member: member, currencyExponent: currency.exponent, ledger: ledgerID, hubAccountID: first,
            fundingAccountID: first + 1, roundingAccountID: first + 2, unionAccountID: first + 3)
        ledgerEvents.removeAll(keepingCapacity: true)
        ledgerEvents.append(
            .createAccount(
                Account(
                    id: record.hubAccountID, ledger: ledgerID, code: HubAccountCode.memberHub.rawValue, flags: .linked))
        )
        ledgerEvents.append(
            .createAccount(
                Account(
                    id: record.fundingAccountID, ledger: ledgerID, code: HubAccountCode.memberFunding.rawValue,
                    flags: .linked)))
        ledgerEvents.append(
            .createAccount(
                Account(
                    id: record.roundingAccountID, ledger: ledgerID, code: HubAccountCode.unionRounding.rawValue,
                    flags: .linked)))
        ledgerEvents.append(
            .createAccount(
                Account(id: record.unionAccountID, ledger: unitLedger, code: HubAccountCode.memberUnion.rawValue)))
        precondition(applyLedgerChain(), "member accounts could not be created")

        let index = members.nextIndex
        members.append(record)
        memberIndexByID[member.id.alpha3] = index
        memberIndexByCurrency[member.currency] = index
        for fixingIndex in fixings.indices {
            fixings[fixingIndex].ratesByMember.append(fixings[fixingIndex].fixing.ratesPerUnit[member.currency])
        }
        return .ok
    }

    mutating func updateMember(id: CountryCode, quotaUnitMinor: Int64?, status: ReferenceStatus?) -> HubResult {
        guard let index = memberIndexByID[id.alpha3] else { return .refused(.memberNotFound) }
        if let quotaUnitMinor {
            guard quotaUnitMinor >= 0 else { return .refused(.negativeLimit) }
            members[index].member.quotaUnitMinor = quotaUnitMinor
        }
        if let status { members[index].member.status = status }
        checkAlarm(member: index)
        releaseQueued(participants: [], members: [index])
        return .ok
    }

    mutating func registerParticipant(_ participant: Participant) -> HubResult {
        guard (1...Self.nameLengthMax).contains(participant.name.count) else { return .refused(.malformedField) }
        guard participant.netDebitCapMinor >= 0 else { return .refused(.negativeLimit) }
        guard let memberIndex = memberIndexByID[participant.memberID.alpha3] else { return .refused(.memberNotFound) }
        guard participant.bic.countryAlpha2 == participant.memberID.alpha2 else {
            return .refused(.participantCountryNotMemberCountry)
        }
        guard participantIndexByBIC.value(for: UInt128(participant.bic.packed)) == nil else {
            return .refused(.participantExists)
        }
        let accountID = allocateAccountIDs(1)
        ledgerEvents.removeAll(keepingCapacity: true)
        ledgerEvents.append(
            .createAccount(
                Account(
                    id: accountID, ledger: members[memberIndex].ledger,
                    code: HubAccountCode.participantPosition.rawValue)))
        precondition(applyLedgerChain(), "participant account could not be created")
        participantIndexByBIC.insertNew(UInt128(participant.bic.packed), participants.nextIndex)
        participants.append(
            ParticipantRecord(
                participant: participant, memberIndex: memberIndex, positionAccountID: accountID,
                capCeilingMinor: participant.netDebitCapMinor))
        return .ok
    }

    /// `setsCeiling`: a cap the union sets (operator, union file) is also the most the bank's
    /// central bank may set it to later; a cap the central bank sets is not.
    mutating func updateParticipant(
        bic: BIC, netDebitCapMinor: Int64?, status: ReferenceStatus?, setsCeiling: Bool = true
    ) -> HubResult {
        guard let index = participantIndexByBIC.value(for: UInt128(bic.packed)) else {
            return .refused(.participantNotFound)
        }
        if let netDebitCapMinor {
            guard netDebitCapMinor >= 0 else { return .refused(.negativeLimit) }
            participants[index].participant.netDebitCapMinor = netDebitCapMinor
            if setsCeiling { participants[index].capCeilingMinor = netDebitCapMinor }
        }
        if let status { participants[index].participant.status = status }
        checkAlarm(participant: index)
        releaseQueued(participants: [index], members: [])
        return .ok
    }

    public func member(_ id: CountryCode) -> Member? { memberIndexByID[id.alpha3].map { members[$0].member } }

    public func participant(_ bic: BIC) -> Participant? {
        participantIndexByBIC.value(for: UInt128(bic.packed)).map { participants[$0].participant }
    }

    public var allMembers: [Member] { members.map(\.member) }
    public var allParticipants: [Participant] { participants.map(\.participant) }

    /// A participant's position (credits − debits − pending debits) in minor units.
    public func position(of bic: BIC) -> Int64? {
        participantIndexByBIC.value(for: UInt128(bic.packed)).map { positionBalance(participant: $0) }
    }

    /// A member's union position in unit minor units (negative: it owes the union).
    public func unionPosition(of id: CountryCode) -> Int64? {
        memberIndexByID[id.alpha3].map { unionBalance(member: $0) }
    }

    func balance(_ accountID: UInt128) -> Int64 {
        let account = ledger.account(id: accountID)!
        // Signed: credits − debits − pending debits; pending credits are not yet available.
        return Int64(
            truncatingIfNeeded: Int128(account.creditsPosted) - Int128(account.debitsPosted)
                - Int128(account.debitsPending))
    }

    func positionBalance(participant index: ParticipantIndex) -> Int64 {
        balance(participants[index].positionAccountID)
    }
    func unionBalance(member index: MemberIndex) -> Int64 { balance(members[index].unionAccountID) }
}
