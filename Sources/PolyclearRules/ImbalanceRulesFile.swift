public import PolyclearCore

/// The TOML keys that set a union's imbalance rules, shared by the simulator's rules file and
/// the union file: every key optional, starting from a preset.
extension TOMLFile {
    public static let imbalanceRuleKeys: Set<String> = [
        "preset", "charges", "quota_mode", "settlement_asset", "debtor_tranches", "creditor_tranches",
        "charge_disposition", "charged_sides", "creditor_excess_at_year_end", "alarm_percent_of_quota", "alarm_cycles",
    ]

    /// `preset = "epu-1950"`: the rule set the file starts from (default: `RulePreset.default`).
    public func preset() throws(FileInputError) -> RulePreset {
        try choice("preset", RulePreset.self) ?? .default
    }

    /// The preset's imbalance rules with this table's keys applied, checked.
    public func imbalanceRules() throws(FileInputError) -> ImbalanceRules {
        var rules = try preset().imbalanceRules
        try readImbalanceRules(into: &rules)
        if let (key, reason) = Self.validationError(rules) { throw fail(key, reason) }
        return rules
    }

    /// Applies this table's imbalance-rule keys to `rules` (not checked together: see
    /// `validationError`).
    public func readImbalanceRules(into rules: inout ImbalanceRules) throws(FileInputError) {
        if let value = try integer("alarm_percent_of_quota") { rules.persistentImbalancePercentOfQuota = value }
        if let value = try integer("alarm_cycles") { rules.persistentImbalanceCycles = value }
        if let tiers = try arrayOfTables("charges") {
            rules.tiers = []
            for tier in tiers {
                guard let threshold = tier.table["threshold_percent_of_quota"]?.int,
                    let rate = tier.table["annual_rate_basis_points"]?.int, tier.table.keys.count == 2
                else {
                    throw fail(
                        "charges",
                        "item \(tier.arrayIndex + 1) needs exactly threshold_percent_of_quota and "
                            + "annual_rate_basis_points (integers)")
                }
                rules.tiers.append(.init(thresholdPercentOfQuota: threshold, annualRateBasisPoints: rate))
            }
        }
        if let mode = try choice("quota_mode", QuotaMode.self) { rules.quotaMode = mode }
        if let value = table["settlement_asset"] {
            guard let asset = value.string, (1...35).contains(asset.utf8.count) else {
                throw fail("settlement_asset", "must be a name of 1 to 35 characters (e.g. \"XAU\", \"USD\")")
            }
            rules.excessSettlementAsset = asset
        }
        if let disposition = try choice("charge_disposition", ChargeDisposition.self) {
            rules.chargeDisposition = disposition
        }
        if let bands = try tranches("debtor_tranches") { rules.debtorTranches = bands }
        if let bands = try tranches("creditor_tranches") { rules.creditorTranches = bands }
        if let sides = try choice("charged_sides", ChargedSides.self) { rules.chargedSides = sides }
        if let rule = try choice("creditor_excess_at_year_end", CreditorExcessAtYearEnd.self) {
            rules.creditorExcessAtYearEnd = rule
        }
    }

    /// `[[debtor_tranches]]` / `[[creditor_tranches]]`: each exactly `up_to_percent_of_quota`
    /// and `settled_percent` (integers).
    func tranches(_ key: String) throws(FileInputError) -> [Tranche]? {
        guard let bands = try arrayOfTables(key) else { return nil }
        var tranches: [Tranche] = []
        for band in bands {
            guard let upTo = band.table["up_to_percent_of_quota"]?.int, let share = band.table["settled_percent"]?.int,
                band.table.keys.count == 2
            else {
                throw fail(
                    key,
                    "item \(band.arrayIndex + 1) needs exactly up_to_percent_of_quota and settled_percent (integers)")
            }
            tranches.append(Tranche(upToPercentOfQuota: upTo, settledPercent: share))
        }
        return tranches
    }

    /// The first impossible value of a rule set, named by its key.
    public static func validationError(_ rules: ImbalanceRules) -> (key: String, reason: String)? {
        for (index, tier) in rules.tiers.enumerated() {
            if !(0...10_000).contains(tier.thresholdPercentOfQuota) {
                return ("charges[\(index)].threshold_percent_of_quota", "must be 0 to 10000")
            }
            if !(0...10_000).contains(tier.annualRateBasisPoints) {
                return ("charges[\(index)].annual_rate_basis_points", "must be 0 to 10000")
            }
            if index > 0 && tier.thresholdPercentOfQuota <= rules.tiers[index - 1].thresholdPercentOfQuota {
                return ("charges[\(index)].threshold_percent_of_quota", "thresholds must increase")
            }
        }
        if !(0...1_000).contains(rules.persistentImbalanceCycles) { return ("alarm_cycles", "must be 0 to 1000") }
        if !(0...10_000).contains(rules.persistentImbalancePercentOfQuota) {
            return ("alarm_percent_of_quota", "must be 0 to 10000")
        }
        for (key, tranches) in [
            ("debtor_tranches", rules.debtorTranches), ("creditor_tranches", rules.creditorTranches),
        ] {
            for (index, tranche) in tranches.enumerated() {
                if !(1...100).contains(tranche.upToPercentOfQuota) {
                    return ("\(key)[\(index)].up_to_percent_of_quota", "must be 1 to 100")
                }
                if !(0...100).contains(tranche.settledPercent) {
                    return ("\(key)[\(index)].settled_percent", "must be 0 to 100")
                }
                if index > 0 && tranche.upToPercentOfQuota <= tranches[index - 1].upToPercentOfQuota {
                    return ("\(key)[\(index)].up_to_percent_of_quota", "bands must increase")
                }
            }
        }
        let settles = rules.quotaMode == .settle || !rules.debtorTranches.isEmpty || !rules.creditorTranches.isEmpty
        if settles && rules.excessSettlementAsset.isEmpty {
            return ("settlement_asset", "quota_mode = \"settle\" and tranches need a settlement asset")
        }
        return nil
    }
}
