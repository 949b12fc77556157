/// The union's settings in force, each as its command last set it (for reads: the API, the
/// console, a union file's comparison).
public struct HubSettings: Hashable, Sendable {
    public var alarmThresholdsPercent: [Int]
    public var cycleTriggers: CycleTriggers
    public var gridlockPolicy: GridlockPolicy
    public var imbalanceRules: ImbalanceRules
    public var screeningList: ScreeningList
}

extension HubStateMachine {
    public var settings: HubSettings {
        HubSettings(
            alarmThresholdsPercent: alarmThresholdsPercent, cycleTriggers: cycleTriggers,
            gridlockPolicy: gridlockPolicy,
            imbalanceRules: imbalanceRules, screeningList: screening.list)
    }
}
