import PolyclearCore
import PolyclearTOML
import TOMLKit

/// `--rules rules.toml` for `polyclear simulate`. Every key is optional (defaults in the
/// README); unknown keys, wrong types and impossible values are refused with the file, the
/// line (where the key is written) and the key.
public enum SimulationRulesFile {
    public static let keys: Set<String> = [
        "cycle_days", "quota_percent_of_trade", "bank_cap_basis_points_of_trade", "banks_per_member", "queue_policy",
        "size_sigma", "bank_exponent", "alarm_percent_of_quota", "alarm_cycles", "charges", "quotas", "members",
        "quota_mode", "settlement_asset", "debtor_tranches", "creditor_tranches", "charge_disposition",
        "charged_sides", "creditor_excess_at_year_end", "preset",
    ]

    public static func parse(
        _ text: String, file: String
    ) throws(SimulationInputError) -> (SimulationRules, [String: Simulation.MemberOverride]) {
        if let problem = TOMLText.problem(in: text) {
            throw SimulationInputError(file: file, line: problem.line, field: "syntax", reason: problem.reason)
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw SimulationInputError(
                file: file, line: error.source.begin.line, field: "syntax", reason: error.description)
        } catch { throw SimulationInputError(file: file, field: "syntax", reason: "not TOML") }
        let reader = Reader(table: table, text: text, file: file)
        for key in table.keys where !keys.contains(key) {
            throw reader.fail(key, "unknown key (known: \(keys.sorted().joined(separator: ", ")))")
        }
        var rules = try reader.preset().rules
        try reader.readScalars(into: &rules)
        try reader.readCharges(into: &rules)
        try reader.readSettlement(into: &rules)
        try reader.readQuotas(into: &rules)
        let overrides = try reader.readMembers()
        if let (key, reason) = rules.validationError() { throw reader.fail(key, reason) }
        return (rules, overrides)
    }

    /// One rules file being read: its table, and errors that name the file, line and key.
    struct Reader {
        let table: TOMLTable
        let text: String
        let file: String

        func fail(_ key: String, _ reason: String) -> SimulationInputError {
            SimulationInputError(
                file: file, line: SimulationRulesFile.line(of: key, in: text), field: key, reason: reason)
        }

        func integer(_ key: String) throws(SimulationInputError) -> Int? {
            guard let value = table[key] else { return nil }
            guard let number = value.int else { throw fail(key, "must be an integer") }
            return number
        }

        func double(_ key: String) throws(SimulationInputError) -> Double? {
            guard let value = table[key] else { return nil }
            guard let number = value.double ?? value.int.map(Double.init) else { throw fail(key, "must be a number") }
            return number
        }

        func readScalars(into rules: inout SimulationRules) throws(SimulationInputError) {
            if let value = try integer("cycle_days") { rules.cycleDays = value }
            if let value = try integer("quota_percent_of_trade") { rules.quotaPercentOfTrade = value }
            if let value = try integer("bank_cap_basis_points_of_trade") { rules.bankCapBasisPointsOfTrade = value }
            if let value = try integer("banks_per_member") { rules.banksPerMember = value }
            if let value = try double("size_sigma") { rules.sizeSigma = value }
            if let value = try double("bank_exponent") { rules.bankExponent = value }
            if let value = try integer("alarm_percent_of_quota") {
                rules.imbalanceRules.persistentImbalancePercentOfQuota = value
            }
            if let value = try integer("alarm_cycles") { rules.imbalanceRules.persistentImbalanceCycles = value }
            if let value = table["queue_policy"] {
                switch value.string {
                case "carry_over": rules.queuePolicy = .carryOver
                case "return_to_payer": rules.queuePolicy = .returnToPayer
                default: throw fail("queue_policy", "must be \"carry_over\" or \"return_to_payer\"")
                }
            }
        }

        /// `[[charges]]`: each tier exactly a threshold (percent of quota) and an annual rate.
        func readCharges(into rules: inout SimulationRules) throws(SimulationInputError) {
            guard let value = table["charges"] else { return }
            guard let array = value.array else { throw fail("charges", "must be an array of tables [[charges]]") }
            rules.imbalanceRules.tiers = []
            for (index, item) in array.enumerated() {
                guard let tier = item.table, let threshold = tier["threshold_percent_of_quota"]?.int,
                    let rate = tier["annual_rate_basis_points"]?.int,
                    tier.keys.count == 2
                else {
                    throw fail(
                        "charges",
                        "item \(index + 1) needs exactly threshold_percent_of_quota and annual_rate_basis_points (integers)"
                    )
                }
                rules.imbalanceRules.tiers.append(
                    .init(thresholdPercentOfQuota: threshold, annualRateBasisPoints: rate))
            }
        }

        /// `preset = "epu-1950"`: the rule set the file starts from (default: `RulePreset.default`).
        func preset() throws(SimulationInputError) -> RulePreset {
            try choice("preset", RulePreset.self) ?? .default
        }

        /// How positions beyond quota settle and what charges do: `quota_mode`,
        /// `settlement_asset`, `charge_disposition`, `charged_sides`,
        /// `creditor_excess_at_year_end`, and `[[debtor_tranches]]` / `[[creditor_tranches]]`,
        /// each exactly `up_to_percent_of_quota` and `settled_percent` (integers).
        func readSettlement(into rules: inout SimulationRules) throws(SimulationInputError) {
            if let mode = try choice("quota_mode", QuotaMode.self) { rules.imbalanceRules.quotaMode = mode }
            if let value = table["settlement_asset"] {
                guard let asset = value.string, (1...35).contains(asset.utf8.count) else {
                    throw fail("settlement_asset", "must be a name of 1 to 35 characters (e.g. \"XAU\", \"USD\")")
                }
                rules.imbalanceRules.excessSettlementAsset = asset
            }
            if let disposition = try choice("charge_disposition", ChargeDisposition.self) {
                rules.imbalanceRules.chargeDisposition = disposition
            }
            if let bands = try tranches("debtor_tranches") { rules.imbalanceRules.debtorTranches = bands }
            if let bands = try tranches("creditor_tranches") { rules.imbalanceRules.creditorTranches = bands }
            if let sides = try choice("charged_sides", ChargedSides.self) { rules.imbalanceRules.chargedSides = sides }
            if let rule = try choice("creditor_excess_at_year_end", CreditorExcessAtYearEnd.self) {
                rules.imbalanceRules.creditorExcessAtYearEnd = rule
            }
        }

        /// A key whose value is one of a list of names.
        func choice<Choice: RawRepresentable & CaseIterable>(
            _ key: String, _: Choice.Type
        ) throws(SimulationInputError) -> Choice? where Choice.RawValue == String {
            guard let value = table[key] else { return nil }
            guard let choice = value.string.flatMap(Choice.init(rawValue:)) else {
                throw fail(
                    key, "must be one of: " + Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
            return choice
        }

        func tranches(_ key: String) throws(SimulationInputError) -> [Tranche]? {
            guard let value = table[key] else { return nil }
            guard let array = value.array else { throw fail(key, "must be an array of tables [[\(key)]]") }
            var tranches: [Tranche] = []
            for (index, item) in array.enumerated() {
                guard let band = item.table, let upTo = band["up_to_percent_of_quota"]?.int,
                    let share = band["settled_percent"]?.int, band.keys.count == 2
                else {
                    throw fail(
                        key, "item \(index + 1) needs exactly up_to_percent_of_quota and settled_percent (integers)")
                }
                tranches.append(Tranche(upToPercentOfQuota: upTo, settledPercent: share))
            }
            return tranches
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

    /// The first line that assigns `key` (for error messages; nil if it cannot be found).
    static func line(of key: String, in text: String) -> Int? {
        let bare = key.split(separator: "[").first.map(String.init) ?? key
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(bare + " ") || trimmed.hasPrefix(bare + "=") || trimmed.hasPrefix("[[" + bare + "]]")
                || trimmed.hasPrefix("[" + bare + "]")
            {
                return index + 1
            }
        }
        return nil
    }
}
