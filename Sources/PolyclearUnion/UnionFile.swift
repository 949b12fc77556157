public import PolyclearCore
public import PolyclearRules

/// `union.toml`: a union's definition as the people who run it write it. Every mistake is
/// refused with the file, the line and the key; nothing is applied until the whole file reads.
///
/// ```toml
/// [unit]                       # code and decimals of the hub's unit; the basket per unit
/// code = "XCU"
/// decimals = 4
/// [unit.basket]
/// CNY = "2.5"
/// [[members]]                  # id (ISO 3166 alpha-3), name, currency, quota in units
/// [[participants]]             # bic, lei (optional), name, member, net_debit_cap in its currency
/// [rules]                      # a preset and imbalance-rule keys (as the simulator's), alarm thresholds
/// [cycles]                     # interval_seconds or daily_at = "17:00", utc_offset_seconds, deadline,
///                              # queued_at_cycle_end = "carry_over" or "return_to_payer"
/// [gridlock]                   # before_cycle_close, queue_length_threshold
/// [screening]                  # names, bics, countries (alpha-2)
/// [fixing]                     # ecb_rates = "bundled" or a file; [fixing.rates_per_eur]
/// [governance]                 # quorum, proposers, voting periods, maker–checker (see +Governance)
/// ```
public enum UnionFile {
    /// Setup commands other than members and participants (see `UnionDefinition.setupCommands`).
    static let setupCommandCountBesides = 11
    /// The largest union file read (a real union's file is a few hundred kilobytes).
    public static let fileBytesMax = 16 << 20

    static let keys: Set<String> = [
        "unit", "members", "participants", "rules", "cycles", "gridlock", "screening", "fixing", "governance",
        "payments",
    ]

    /// Reads and checks a union file against the hub's currency table (its unit must be the
    /// file's unit).
    public static func parse(
        _ text: String, file: String, currencies: CurrencyTable
    ) throws(FileInputError) -> UnionDefinition {
        let root = try TOMLFile(text: text, file: file)
        try root.rejectUnknownKeys(keys)
        let unit = try readUnit(root, currencies: currencies)
        let members = try readMembers(root, unit: unit, currencies: currencies)
        let participants = try readParticipants(root, members: members, currencies: currencies)
        let rulesTable = try root.subtable("rules")
        try rulesTable?.rejectUnknownKeys(TOMLFile.imbalanceRuleKeys.union(["alarm_thresholds_percent"]))
        let imbalanceRules = try (rulesTable ?? root.empty).imbalanceRules()
        let alarms = try readAlarmThresholds(rulesTable)
        return UnionDefinition(
            unit: unit, members: members, participants: participants, imbalanceRules: imbalanceRules,
            alarmThresholdsPercent: alarms, cycleTriggers: try readCycles(root, currencies: currencies),
            gridlockPolicy: try readGridlock(root), screening: try readScreening(root), fixing: try readFixing(root),
            queuePolicy: try readQueuePolicy(root), governance: try readGovernance(root, currencies: currencies),
            paymentRules: try readPaymentRules(root))
    }

    static func readUnit(_ root: TOMLFile, currencies: CurrencyTable) throws(FileInputError) -> UnionDefinition.Unit {
        guard let unit = try root.subtable("unit") else { throw root.fail("unit", "missing: [unit] code, decimals") }
        try unit.rejectUnknownKeys(["code", "decimals", "basket"])
        let code = try unit.string("code") ?? currencies.unit.code.description
        let decimals = try unit.integer("decimals") ?? currencies.unit.exponent
        guard code == currencies.unit.code.description, decimals == currencies.unit.exponent else {
            throw unit.fail(
                "code", "this hub's unit is \(currencies.unit.code) with \(currencies.unit.exponent) decimals")
        }
        guard let basket = try unit.subtable("basket"), !basket.table.keys.isEmpty else {
            throw unit.fail("basket", "missing: [unit.basket] with each currency's amount per unit")
        }
        var amounts: [String: String] = [:]
        for key in basket.table.keys.sorted() {
            guard let currency = CurrencyCode(key), currencies[currency] != nil, currency != currencies.unit.code else {
                throw basket.fail(key, "not an ISO 4217 currency")
            }
            guard let text = try basket.string(key), let amount = DecimalNumber(text), amount.significand > 0 else {
                throw basket.fail(key, "must be a positive decimal in quotes, e.g. \"2.5\"")
            }
            amounts[key] = text
        }
        return UnionDefinition.Unit(code: code, decimals: decimals, basket: amounts)
    }

    static func readMembers(
        _ root: TOMLFile, unit: UnionDefinition.Unit, currencies: CurrencyTable
    ) throws(FileInputError) -> [Member] {
        guard let tables = try root.arrayOfTables("members"), !tables.isEmpty else {
            throw root.fail("members", "missing: at least one [[members]]")
        }
        // One currency each: there cannot be more members than currencies in the basket.
        guard tables.count <= unit.basket.count else {
            throw root.fail("members", "at most one member per basket currency (\(unit.basket.count))")
        }
        var members: [Member] = []
        for table in tables {
            try table.rejectUnknownKeys(["id", "name", "currency", "quota"])
            guard let id = try table.string("id").flatMap({ CountryCode(alpha3: $0) }) else {
                throw table.fail("id", "must be an ISO 3166 alpha-3 country code, e.g. \"BRA\"")
            }
            guard !members.contains(where: { $0.id == id }) else { throw table.fail("id", "\(id) is listed twice") }
            guard let name = try table.string("name"), !name.isEmpty, name.utf8.count <= 140 else {
                throw table.fail("name", "must be 1 to 140 characters")
            }
            guard let currency = try table.string("currency").flatMap({ CurrencyCode($0) }),
                currencies[currency] != nil
            else { throw table.fail("currency", "must be an ISO 4217 currency") }
            guard unit.basket[currency.description] != nil else {
                throw table.fail("currency", "\(currency) is not in the unit's basket")
            }
            guard !members.contains(where: { $0.currency == currency }) else {
                throw table.fail("currency", "\(currency) already belongs to another member")
            }
            let quota = try amount(table, "quota", currencies.unit)
            members.append(Member(id: id, name: name, currency: currency, quotaUnitMinor: quota))
        }
        return members
    }

    static func readParticipants(
        _ root: TOMLFile, members: [Member], currencies: CurrencyTable
    ) throws(FileInputError) -> [Participant] {
        var participants: [Participant] = []
        var seen = Set<BIC>()
        let tables = try root.arrayOfTables("participants") ?? []
        // The union is set up in one durable batch: the definition, the unit, the fixing and
        // five rules besides one command per member and participant. Checked before reading
        // them, so a huge file costs little.
        guard members.count + tables.count + setupCommandCountBesides <= Limits.batchEventCountMax else {
            throw root.fail(
                "participants",
                "at most \(Limits.batchEventCountMax - setupCommandCountBesides) members and participants in all")
        }
        for table in tables {
            try table.rejectUnknownKeys(["bic", "lei", "name", "member", "net_debit_cap"])
            guard let bic = try table.string("bic").flatMap({ BIC($0) }) else {
                throw table.fail("bic", "must be a BIC (8 or 11 characters)")
            }
            guard seen.insert(bic).inserted else { throw table.fail("bic", "\(bic) is listed twice") }
            var lei: LEI?
            if let text = try table.string("lei") {
                guard let parsed = LEI(text) else { throw table.fail("lei", "not a valid LEI (ISO 17442)") }
                lei = parsed
            }
            guard let name = try table.string("name"), !name.isEmpty, name.utf8.count <= 140 else {
                throw table.fail("name", "must be 1 to 140 characters")
            }
            guard let memberID = try table.string("member").flatMap({ CountryCode(alpha3: $0) }),
                let member = members.first(where: { $0.id == memberID })
            else { throw table.fail("member", "must be the id of a member listed in [[members]]") }
            let cap = try amount(table, "net_debit_cap", currencies[member.currency]!)
            participants.append(
                Participant(bic: bic, lei: lei, name: name, memberID: memberID, netDebitCapMinor: cap))
        }
        return participants
    }

    /// A non-negative amount written as a decimal in quotes ("1000.50") or a whole number.
    static func amount(_ table: TOMLFile, _ key: String, _ currency: Currency) throws(FileInputError) -> Int64 {
        guard let value = table.table[key] else { throw table.fail(key, "missing") }
        let text = value.string ?? value.int.map(String.init)
        guard let text, let money = try? Money(parsing: text, currency: currency, sign: .nonNegative) else {
            throw table.fail(
                key, "must be a non-negative amount in \(currency.code) with at most \(currency.exponent) decimals")
        }
        return money.minorUnits
    }
}
