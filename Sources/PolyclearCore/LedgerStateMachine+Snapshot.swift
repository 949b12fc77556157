/// The ledger in a hub snapshot: accounts, the id tables and the expiry heap as they are;
/// the outcome and undo buffers are empty between commits and start empty again.

extension LedgerStateMachine: Codable {
    enum CodingKeys: String, CodingKey {
        case accounts, accountIndexByID, transferIndex, pendingByID, expiries, lastTimestamp
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accounts, forKey: .accounts)
        try c.encode(accountIndexByID, forKey: .accountIndexByID)
        try c.encode(transferIndex, forKey: .transferIndex)
        try c.encode(pendingByID, forKey: .pendingByID)
        try c.encode(expiries, forKey: .expiries)
        try c.encode(lastTimestamp, forKey: .lastTimestamp)
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accounts = try c.decode(ContiguousArray<Account>.self, forKey: .accounts)
        accountIndexByID = try c.decode(IDTable<UInt32>.self, forKey: .accountIndexByID)
        transferIndex = try c.decode(IDTable<UInt64>.self, forKey: .transferIndex)
        pendingByID = try c.decode(IDTable<PendingTransfer>.self, forKey: .pendingByID)
        expiries = try c.decode(ExpiryHeap.self, forKey: .expiries)
        lastTimestamp = try c.decode(UInt64.self, forKey: .lastTimestamp)
        touchedGeneration = ContiguousArray(repeating: 0, count: accounts.count)
        // Every account is found through the index, and every pending transfer names accounts
        // that exist: a damaged snapshot is refused here, not met later as a crash.
        guard accountIndexByID.count == accounts.count,
            accounts.indices.allSatisfy({ accountIndexByID.value(for: accounts[$0].id) == UInt32($0) })
        else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "the account index does not match"))
        }
        var pendingSound = true
        pendingByID.forEach { _, pending in
            if Int(pending.debitAccountIndex) >= accounts.count || Int(pending.creditAccountIndex) >= accounts.count {
                pendingSound = false
            }
        }
        guard pendingSound else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "a pending transfer names no account"))
        }
    }
}
