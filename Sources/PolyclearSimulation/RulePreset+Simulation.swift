public import PolyclearRules

extension RulePreset {
    /// The preset as the simulator's rules: its imbalance rules, quota share and cycle length,
    /// the simulator's defaults for the rest.
    public var rules: SimulationRules {
        var rules = SimulationRules()
        rules.cycleDays = cycleDays
        rules.quotaPercentOfTrade = quotaPercentOfTrade
        rules.imbalanceRules = imbalanceRules
        return rules
    }
}
