import Foundation
public import PolyclearCore

/// Everything a union is, as its union file declares it: the unit and its basket, members,
/// participants, imbalance rules, alarms, cycle triggers, gridlock policy, screening list and
/// where its first fixing comes from. Amounts are in minor units here (the file writes
/// decimals). Its canonical JSON is recorded in the hub's log when a database is started
/// from it, so a later start can tell the same file from a different one.
public struct UnionDefinition: Hashable, Sendable, Codable {
    public struct Unit: Hashable, Sendable, Codable {
        public var code: String
        public var decimals: Int
        /// Currency amounts per one unit, as decimal text (exact).
        public var basket: [String: String]
    }

    /// The first fixing: the ECB reference rates of a day (`bundled`, or a file relative to
    /// the union file), with rates per euro for currencies the ECB does not publish.
    public struct FixingSource: Hashable, Sendable, Codable {
        public var ecbRates: String
        public var ratesPerEUR: [String: String]
    }

    public var unit: Unit
    public var members: [Member]
    public var participants: [Participant]
    public var imbalanceRules: ImbalanceRules
    public var alarmThresholdsPercent: [Int]
    public var cycleTriggers: CycleTriggers
    public var gridlockPolicy: GridlockPolicy
    public var screening: ScreeningList
    public var fixing: FixingSource
    /// Absent from the file: queued payments carry over (the hub's default).
    public var queuePolicy: CycleEndQueuePolicy?
    /// Absent from the file: no governance, the operator decides alone.
    public var governance: GovernanceRules?
    /// Absent from the file: trade references required, personal data kept.
    public var paymentRules: PaymentRules? = nil

    /// Sorted keys, so the same definition always gives the same text.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public static func fromCanonicalJSON(_ text: String) -> UnionDefinition? {
        try? JSONDecoder().decode(UnionDefinition.self, from: Data(text.utf8))
    }

    /// The basket as the hub takes it.
    public var basketAmounts: [CurrencyCode: DecimalNumber] {
        var amounts: [CurrencyCode: DecimalNumber] = [:]
        for (code, amount) in unit.basket {
            if let currency = CurrencyCode(code), let value = DecimalNumber(amount) { amounts[currency] = value }
        }
        return amounts
    }

    /// The hub commands that set the union up, in order, each attributed to `actor` (so the
    /// audit trail shows who started the union from which file): the unit, members,
    /// participants, the first fixing, then the rules.
    public func setupCommands(fixing: Fixing, actor: Actor) -> [HubCommand] {
        var commands: [HubCommand] = [.defineUnit(amountsPerUnit: CurrencyAmounts(basketAmounts))]
        commands += members.map { .registerMember($0) }
        commands += participants.map { .registerParticipant($0) }
        commands += [
            .publishFixing(fixing), .setImbalanceRules(imbalanceRules), .setAlarmThresholds(alarmThresholdsPercent),
            .setCycleTriggers(cycleTriggers), .setGridlockPolicy(gridlockPolicy), .setScreeningList(screening),
            .setQueuePolicy(queuePolicy ?? .carryOver), .setPaymentRules(paymentRules ?? PaymentRules()),
        ]
        // Last: once the union is governed, its rules change only by the members' vote.
        if let governance { commands.append(.setGovernanceRules(governance)) }
        return [.recordUnionDefinition(canonicalJSON)] + commands.map { .attributed(actor: actor, command: $0) }
    }

    /// What differs between two definitions, one line per leaf ("members.BRA.quotaUnitMinor:
    /// 1000 in the database, 2000 in the file"); members by id, participants by BIC.
    public func differences(from stored: UnionDefinition) -> [String] {
        let mine = Self.flatten(self), theirs = Self.flatten(stored)
        return Set(mine.keys).union(theirs.keys).sorted().compactMap { key in
            let file = mine[key], database = theirs[key]
            guard file != database else { return nil }
            return "\(key): \(database ?? "absent") in the database, \(file ?? "absent") in the file"
        }
    }

    static func flatten(_ definition: UnionDefinition) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(definition), let object = try? JSONSerialization.jsonObject(with: data)
        else { return [:] }
        var leaves: [String: String] = [:]
        flatten(object, path: "", into: &leaves)
        return leaves
    }

    private static func flatten(_ value: Any, path: String, into leaves: inout [String: String]) {
        let prefix = path.isEmpty ? "" : path + "."
        if let object = value as? [String: Any] {
            for (key, inner) in object { flatten(inner, path: prefix + key, into: &leaves) }
        } else if let array = value as? [Any] {
            for (index, item) in array.enumerated() {
                // Members and participants are named by id and BIC, not by position.
                let name = (item as? [String: Any]).flatMap { ($0["id"] ?? $0["bic"]) as? String } ?? String(index)
                flatten(item, path: prefix + name, into: &leaves)
            }
            if array.isEmpty { leaves[path] = "[]" }
        } else {
            leaves[path] = "\(value)"
        }
    }
}
