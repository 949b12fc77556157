import PolyclearCore
public import PolyclearRules
import TOMLKit

/// `--rules rules.toml` for `polyclear simulate`. Every key is optional (defaults: the preset
/// the file names, else `RulePreset.default`); unknown keys, wrong types and impossible
/// values are refused with the file, the line (where the key is written) and the key.
public enum SimulationRulesFile {
    public static let keys: Set<String> = TOMLFile.imbalanceRuleKeys.union([
        "cycle_days", "quota_percent_of_trade", "bank_cap_basis_points_of_trade", "banks_per_member", "queue_policy",
        "size_sigma", "bank_exponent", "quotas", "members",
    ])

    public static func parse(
        _ text: String, file: String
    ) throws(SimulationInputError) -> (SimulationRules, [String: Simulation.MemberOverride]) {
        let reader = Reader(file: try TOMLFile(text: text, file: file))
        try reader.file.rejectUnknownKeys(keys)
        var rules = try reader.file.preset().rules
        try reader.readScalars(into: &rules)
        try reader.file.readImbalanceRules(into: &rules.imbalanceRules)
        try reader.readQuotas(into: &rules)
        let overrides = try reader.readMembers()
        if let (key, reason) = rules.validationError() { throw reader.fail(key, reason) }
        return (rules, overrides)
    }

    /// The simulator's own keys (the union's imbalance rules are read by `TOMLFile`).
    struct Reader {
        let file: TOMLFile
        var table: TOMLTable { file.table }

        func fail(_ key: String, _ reason: String) -> SimulationInputError { file.fail(key, reason) }
        func integer(_ key: String) throws(SimulationInputError) -> Int? { try file.integer(key) }
        func double(_ key: String) throws(SimulationInputError) -> Double? { try file.double(key) }

        func readScalars(into rules: inout SimulationRules) throws(SimulationInputError) {
            if let value = try integer("cycle_days") { rules.cycleDays = value }
            if let value = try integer("quota_percent_of_trade") { rules.quotaPercentOfTrade = value }
            if let value = try integer("bank_cap_basis_points_of_trade") { rules.bankCapBasisPointsOfTrade = value }
            if let value = try integer("banks_per_member") { rules.banksPerMember = value }
            if let value = try double("size_sigma") { rules.sizeSigma = value }
            if let value = try double("bank_exponent") { rules.bankExponent = value }
            if let value = table["queue_policy"] {
                switch value.string {
                case "carry_over": rules.queuePolicy = .carryOver
                case "return_to_payer": rules.queuePolicy = .returnToPayer
                default: throw fail("queue_policy", "must be \"carry_over\" or \"return_to_payer\"")
                }
            }
        }

        /// `[quotas]`: a member's quota in whole US dollars (stored in unit minor units).
        func readQuotas(into rules: inout SimulationRules) throws(SimulationInputError) {
            guard let value = table["quotas"] else { return }
            guard let quotas = value.table else {
                throw fail("quotas", "must be a table: [quotas] CHN = 200000000000 (US dollars)")
            }
            for key in quotas.keys {
                guard CountryCode(alpha3: key) != nil else { throw fail(key, "quotas: unknown country code") }
                guard let dollars = quotas[key]?.int, dollars >= 0, dollars <= 100_000_000_000_000 else {
                    throw fail(key, "quotas.\(key) must be a whole number of US dollars, 0 to 10^14")
                }
                rules.quotaUnitMinor[key] = Int64(dollars) * 10_000
            }
        }

        /// `[members.XXX]`: a member's name, currency and rate per euro, overriding the bundled ones.
        func readMembers() throws(SimulationInputError) -> [String: Simulation.MemberOverride] {
            guard let value = table["members"] else { return [:] }
            guard let members = value.table else {
                throw fail("members", "must be tables: [members.XXX] name/currency/rate_per_eur")
            }
            var overrides: [String: Simulation.MemberOverride] = [:]
            for key in members.keys {
                guard CountryCode(alpha3: key) != nil else { throw fail(key, "members: unknown country code") }
                guard let member = members[key]?.table else { throw fail(key, "members.\(key) must be a table") }
                for field in member.keys where !["name", "currency", "rate_per_eur"].contains(field) {
                    throw fail(field, "members.\(key): unknown key")
                }
                var override = Simulation.MemberOverride()
                override.name = member["name"]?.string
                override.currency = member["currency"]?.string
                if let rate = member["rate_per_eur"] {
                    guard let number = rate.double ?? rate.int.map(Double.init), number > 0 else {
                        throw fail("rate_per_eur", "members.\(key).rate_per_eur must be a positive number")
                    }
                    override.ratePerEUR = String(number)
                }
                overrides[key] = override
            }
            return overrides
        }
    }
}
