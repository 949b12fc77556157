import Foundation
import Hummingbird
import PolyclearCore

/// The union's settings in force (`GET /v1/settings`): members see all but the screening list.
struct SettingsDTO: ResponseCodable {
    struct Tier: Codable { var thresholdPercentOfQuota: Int, annualRateBasisPoints: Int }
    struct Band: Codable { var upToPercentOfQuota: Int, settledPercent: Int }
    struct Rules: Codable {
        var quotaMode: String, settlementAsset: String, chargeDisposition: String, chargedSides: String
        var creditorExcessAtYearEnd: String, charges: [Tier], debtorTranches: [Band], creditorTranches: [Band]
        var alarmPercentOfQuota: Int, alarmCycles: Int
    }
    var alarmThresholdsPercent: [Int]
    var cycleTriggers: CycleTriggersDTO
    var gridlockPolicy: GridlockPolicyDTO
    var imbalanceRules: Rules
    /// The operator's only.
    var screeningList: ScreeningListDTO?
    /// What becomes of queued payments at cycle end: `carry_over` or `return_to_payer`.
    var queuePolicy: String
    /// Absent: no governance rules (the operator decides alone).
    var governance: GovernanceRulesDTO?

    init(_ settings: HubSettings, unit: Currency, showScreening: Bool) {
        alarmThresholdsPercent = settings.alarmThresholdsPercent
        cycleTriggers = CycleTriggersDTO(settings.cycleTriggers, unit: unit)
        gridlockPolicy = GridlockPolicyDTO(
            beforeCycleClose: settings.gridlockPolicy.beforeCycleClose,
            queueLengthThreshold: settings.gridlockPolicy.queueLengthThreshold)
        imbalanceRules = Rules(settings.imbalanceRules)
        queuePolicy = settings.queuePolicy == .carryOver ? "carry_over" : "return_to_payer"
        governance = settings.governance.map { GovernanceRulesDTO($0, unit: unit) }
        screeningList =
            showScreening
            ? ScreeningListDTO(
                names: settings.screeningList.names, bics: settings.screeningList.bics.map(\.description),
                countries: settings.screeningList.countriesAlpha2) : nil
    }
}

/// When cycles close: every `intervalSeconds`, daily at `dailyAt` ("HH:MM", at
/// `utcOffsetSeconds` east of UTC), or when a threshold in the unit is reached; members
/// confirm within `settlementDeadlineSeconds` (0: no deadline).
struct CycleTriggersDTO: ResponseCodable {
    var intervalSeconds: Int64?
    var dailyAt: String?
    var utcOffsetSeconds: Int?
    var grossUnitMax: String?
    var memberExposureUnitMax: String?
    var settlementDeadlineSeconds: Int64?

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(
            decoder,
            [
                "intervalSeconds", "dailyAt", "utcOffsetSeconds", "grossUnitMax", "memberExposureUnitMax",
                "settlementDeadlineSeconds",
            ])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        intervalSeconds = try container.decodeIfPresent(Int64.self, forKey: .intervalSeconds)
        dailyAt = try container.decodeIfPresent(String.self, forKey: .dailyAt)
        utcOffsetSeconds = try container.decodeIfPresent(Int.self, forKey: .utcOffsetSeconds)
        grossUnitMax = try container.decodeIfPresent(String.self, forKey: .grossUnitMax)
        memberExposureUnitMax = try container.decodeIfPresent(String.self, forKey: .memberExposureUnitMax)
        settlementDeadlineSeconds = try container.decodeIfPresent(Int64.self, forKey: .settlementDeadlineSeconds)
    }

    enum CodingKeys: String, CodingKey {
        case intervalSeconds, dailyAt, utcOffsetSeconds, grossUnitMax, memberExposureUnitMax, settlementDeadlineSeconds
    }

    init(_ triggers: CycleTriggers, unit: Currency) {
        intervalSeconds = triggers.intervalSeconds
        dailyAt = triggers.dailySecondOfDay.map { String(format: "%02d:%02d", $0 / 3_600, $0 % 3_600 / 60) }
        utcOffsetSeconds = triggers.utcOffsetSeconds
        grossUnitMax = triggers.grossUnitMinorMax.map { Money(minorUnits: $0, currency: unit).decimalString }
        memberExposureUnitMax = triggers.memberExposureUnitMinorMax.map {
            Money(minorUnits: $0, currency: unit).decimalString
        }
        settlementDeadlineSeconds = triggers.settlementDeadlineSeconds
    }

    /// The hub's triggers, or 400 with the field at fault (the hub checks the ranges: 422).
    func triggers(unit: Currency) throws(APIError) -> CycleTriggers {
        var triggers = CycleTriggers()
        triggers.intervalSeconds = intervalSeconds
        if let dailyAt {
            let parts = dailyAt.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard dailyAt.utf8.count == 5, parts.count == 2, let hour = parts[0], let minute = parts[1],
                (0..<24).contains(hour), (0..<60).contains(minute)
            else { throw APIError(.badRequest, code: "malformed_daily_at", "dailyAt is a time of day \"HH:MM\"") }
            triggers.dailySecondOfDay = hour * 3_600 + minute * 60
        }
        triggers.utcOffsetSeconds = utcOffsetSeconds ?? 0
        triggers.grossUnitMinorMax = try grossUnitMax.map { (text) throws(APIError) in
            try Self.unitAmount(text, "grossUnitMax", unit)
        }
        triggers.memberExposureUnitMinorMax = try memberExposureUnitMax.map { (text) throws(APIError) in
            try Self.unitAmount(text, "memberExposureUnitMax", unit)
        }
        triggers.settlementDeadlineSeconds = settlementDeadlineSeconds ?? 0
        return triggers
    }

    static func unitAmount(_ text: String, _ field: String, _ unit: Currency) throws(APIError) -> Int64 {
        guard text.utf8.count <= 19, let money = try? Money(parsing: text, currency: unit, sign: .positive) else {
            throw APIError(.badRequest, code: "malformed_amount", "\(field) is a positive decimal in the unit")
        }
        return money.minorUnits
    }
}

struct GridlockPolicyDTO: ResponseCodable {
    var beforeCycleClose: Bool
    var queueLengthThreshold: Int?

    init(beforeCycleClose: Bool, queueLengthThreshold: Int?) {
        self.beforeCycleClose = beforeCycleClose
        self.queueLengthThreshold = queueLengthThreshold
    }

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["beforeCycleClose", "queueLengthThreshold"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        beforeCycleClose = try container.decode(Bool.self, forKey: .beforeCycleClose)
        queueLengthThreshold = try container.decodeIfPresent(Int.self, forKey: .queueLengthThreshold)
    }
}

struct AlarmThresholdsDTO: Decodable {
    var thresholdsPercent: [Int]

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["thresholdsPercent"])
        thresholdsPercent = try decoder.container(keyedBy: CodingKeys.self).decode(
            [Int].self, forKey: .thresholdsPercent)
    }

    enum CodingKeys: String, CodingKey { case thresholdsPercent }
}

/// Settings bodies are strict: a key the route does not know is refused (400
/// `unknown_field`), so a misspelt setting never silently keeps its old value.
enum StrictBody {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func rejectUnknownKeys(_ decoder: any Decoder, _ known: Set<String>) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw APIError(
                .badRequest, code: "unknown_field",
                "unknown field \"\(unknown.stringValue.prefix(64))\" (known: \(known.sorted().joined(separator: ", ")))"
            )
        }
    }
}

struct ScreeningListDTO: ResponseCodable {
    var names: [String], bics: [String], countries: [String]

    init(names: [String], bics: [String], countries: [String]) {
        (self.names, self.bics, self.countries) = (names, bics, countries)
    }

    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, ["names", "bics", "countries"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        names = try container.decode([String].self, forKey: .names)
        bics = try container.decode([String].self, forKey: .bics)
        countries = try container.decode([String].self, forKey: .countries)
    }

    enum CodingKeys: String, CodingKey { case names, bics, countries }

    /// The hub's list, or 400 naming what is wrong (a bad BIC or country, an empty or long
    /// name, too many entries).
    func list(limits: ServerLimits) throws(APIError) -> ScreeningList {
        guard max(names.count, bics.count, countries.count) <= limits.screeningEntryCountMax else {
            throw APIError(
                .badRequest, code: "screening_list_too_large",
                "a screening list holds at most \(limits.screeningEntryCountMax) names, BICs and countries each")
        }
        // Characters as JSON Schema counts them (code points).
        for name in names where name.isEmpty || name.unicodeScalars.count > limits.screeningNameLengthMax {
            throw APIError(
                .badRequest, code: "malformed_name", "names are 1 to \(limits.screeningNameLengthMax) characters")
        }
        var parsed: [BIC] = []
        for text in bics {
            guard let bic = BIC(text) else {
                throw APIError(.badRequest, code: "malformed_bic", "\(text) is not a BIC")
            }
            parsed.append(bic)
        }
        for country in countries where !CountryCode.isAlpha2(country) {
            throw APIError(.badRequest, code: "malformed_country", "countries are ISO 3166 alpha-2 codes")
        }
        return ScreeningList(names: names, bics: parsed, countriesAlpha2: countries)
    }
}

struct GridlockOutcomeDTO: ResponseCodable {
    var queuedBefore: Int
    var released: Int
}

/// A confirmation's amount, checked against the instruction's (a decimal string).
struct ConfirmationDTO: Decodable { var amount: String }

extension SettingsDTO.Rules {
    enum CodingKeys: String, CodingKey {
        case quotaMode, settlementAsset, chargeDisposition, chargedSides, creditorExcessAtYearEnd, charges
        case debtorTranches, creditorTranches, alarmPercentOfQuota, alarmCycles
    }

    /// Strict, as every body: an unknown key is refused (`unknown_field`).
    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(
            decoder,
            [
                "quotaMode", "settlementAsset", "chargeDisposition", "chargedSides", "creditorExcessAtYearEnd",
                "charges", "debtorTranches", "creditorTranches", "alarmPercentOfQuota", "alarmCycles",
            ])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            quotaMode: try c.decode(String.self, forKey: .quotaMode),
            settlementAsset: try c.decode(String.self, forKey: .settlementAsset),
            chargeDisposition: try c.decode(String.self, forKey: .chargeDisposition),
            chargedSides: try c.decode(String.self, forKey: .chargedSides),
            creditorExcessAtYearEnd: try c.decode(String.self, forKey: .creditorExcessAtYearEnd),
            charges: try c.decode([SettingsDTO.Tier].self, forKey: .charges),
            debtorTranches: try c.decode([SettingsDTO.Band].self, forKey: .debtorTranches),
            creditorTranches: try c.decode([SettingsDTO.Band].self, forKey: .creditorTranches),
            alarmPercentOfQuota: try c.decode(Int.self, forKey: .alarmPercentOfQuota),
            alarmCycles: try c.decode(Int.self, forKey: .alarmCycles))
    }

    init(_ rules: ImbalanceRules) {
        let bands = { (tranches: [Tranche]) in
            tranches.map {
                SettingsDTO.Band(upToPercentOfQuota: $0.upToPercentOfQuota, settledPercent: $0.settledPercent)
            }
        }
        self.init(
            quotaMode: rules.quotaMode.rawValue, settlementAsset: rules.excessSettlementAsset,
            chargeDisposition: rules.chargeDisposition.rawValue, chargedSides: rules.chargedSides.rawValue,
            creditorExcessAtYearEnd: rules.creditorExcessAtYearEnd.rawValue,
            charges: rules.tiers.map {
                SettingsDTO.Tier(
                    thresholdPercentOfQuota: $0.thresholdPercentOfQuota, annualRateBasisPoints: $0.annualRateBasisPoints
                )
            }, debtorTranches: bands(rules.debtorTranches), creditorTranches: bands(rules.creditorTranches),
            alarmPercentOfQuota: rules.persistentImbalancePercentOfQuota, alarmCycles: rules.persistentImbalanceCycles)
    }

    /// The rules as proposed (the hub checks them as a whole: `invalid_imbalance_rules`).
    func rules() throws(APIError) -> ImbalanceRules {
        func choice<E: RawRepresentable & CaseIterable>(_ text: String, _ field: String) throws(APIError) -> E
        where E.RawValue == String {
            guard let value = E(rawValue: text) else {
                throw APIError(
                    .badRequest, code: "malformed_rules",
                    "\(field) is one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return value
        }
        guard charges.count <= 16, debtorTranches.count <= 16, creditorTranches.count <= 16,
            settlementAsset.utf8.count <= 35
        else { throw APIError(.badRequest, code: "malformed_rules", "at most 16 tiers or tranches each") }
        var rules = ImbalanceRules(
            tiers: charges.map {
                ImbalanceRules.Tier(
                    thresholdPercentOfQuota: $0.thresholdPercentOfQuota, annualRateBasisPoints: $0.annualRateBasisPoints
                )
            }, persistentImbalancePercentOfQuota: alarmPercentOfQuota, persistentImbalanceCycles: alarmCycles)
        rules.quotaMode = try choice(quotaMode, "quotaMode")
        rules.excessSettlementAsset = settlementAsset
        rules.chargeDisposition = try choice(chargeDisposition, "chargeDisposition")
        rules.chargedSides = try choice(chargedSides, "chargedSides")
        rules.creditorExcessAtYearEnd = try choice(creditorExcessAtYearEnd, "creditorExcessAtYearEnd")
        rules.debtorTranches = debtorTranches.map {
            Tranche(upToPercentOfQuota: $0.upToPercentOfQuota, settledPercent: $0.settledPercent)
        }
        rules.creditorTranches = creditorTranches.map {
            Tranche(upToPercentOfQuota: $0.upToPercentOfQuota, settledPercent: $0.settledPercent)
        }
        return rules
    }
}

/// A strict body of one required key, `{"<key>": value}`: the key is named once, the
/// decoding (and the refusal of any other key) written once.
protocol OneFieldBody: Decodable {
    associatedtype Value: Decodable
    static var key: String { get }
    init(_ value: Value)
}

extension OneFieldBody {
    init(from decoder: any Decoder) throws {
        try StrictBody.rejectUnknownKeys(decoder, [Self.key])
        let container = try decoder.container(keyedBy: StrictBody.AnyKey.self)
        self.init(try container.decode(Value.self, forKey: StrictBody.AnyKey(stringValue: Self.key)))
    }
}
