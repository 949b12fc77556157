import PolyclearCore
import PolyclearRules

/// The union file's smaller sections: alarms, cycles, gridlock, screening, the first fixing.
extension UnionFile {
    static func readAlarmThresholds(_ rules: TOMLFile?) throws(FileInputError) -> [Int] {
        guard let rules, let value = rules.table["alarm_thresholds_percent"] else { return [75, 90] }
        guard let array = value.array, array.count <= 10 else {
            throw rules.fail("alarm_thresholds_percent", "must be a list of up to 10 percentages, e.g. [75, 90]")
        }
        var thresholds: [Int] = []
        for item in array {
            guard let percent = item.int, (1...100).contains(percent) else {
                throw rules.fail("alarm_thresholds_percent", "each threshold must be a whole percentage 1 to 100")
            }
            thresholds.append(percent)
        }
        return thresholds.sorted()
    }

    static func readCycles(_ root: TOMLFile, currencies: CurrencyTable) throws(FileInputError) -> CycleTriggers {
        var triggers = CycleTriggers()
        guard let cycles = try root.subtable("cycles") else { return triggers }
        try cycles.rejectUnknownKeys([
            "interval_seconds", "daily_at", "utc_offset_seconds", "gross_unit_max", "member_exposure_unit_max",
            "settlement_deadline_seconds", "queued_at_cycle_end",
        ])
        let month = 31 * 86_400
        if let seconds = try cycles.integer("interval_seconds") {
            guard (1...month).contains(seconds) else { throw cycles.fail("interval_seconds", "must be 1 s to 31 days") }
            triggers.intervalSeconds = Int64(seconds)
        }
        if let time = try cycles.string("daily_at") {
            let parts = time.split(separator: ":").map { Int($0) }
            guard parts.count == 2, let hour = parts[0], let minute = parts[1], (0..<24).contains(hour),
                (0..<60).contains(minute)
            else { throw cycles.fail("daily_at", "must be a time of day \"HH:MM\"") }
            triggers.dailySecondOfDay = hour * 3_600 + minute * 60
        }
        if let offset = try cycles.integer("utc_offset_seconds") {
            guard (-14 * 3_600...14 * 3_600).contains(offset) else {
                throw cycles.fail("utc_offset_seconds", "must be within ±14 hours")
            }
            triggers.utcOffsetSeconds = offset
        }
        if cycles.table["gross_unit_max"] != nil {
            triggers.grossUnitMinorMax = try amount(cycles, "gross_unit_max", currencies.unit)
        }
        if cycles.table["member_exposure_unit_max"] != nil {
            triggers.memberExposureUnitMinorMax = try amount(cycles, "member_exposure_unit_max", currencies.unit)
        }
        if let deadline = try cycles.integer("settlement_deadline_seconds") {
            guard (0...month).contains(deadline) else {
                throw cycles.fail("settlement_deadline_seconds", "must be 0 (none) to 31 days")
            }
            triggers.settlementDeadlineSeconds = Int64(deadline)
        }
        for (key, value) in [
            ("gross_unit_max", triggers.grossUnitMinorMax),
            ("member_exposure_unit_max", triggers.memberExposureUnitMinorMax),
        ] where value == 0 {
            throw cycles.fail(key, "must be above zero")
        }
        return triggers
    }

    static func readGridlock(_ root: TOMLFile) throws(FileInputError) -> GridlockPolicy {
        guard let gridlock = try root.subtable("gridlock") else { return GridlockPolicy(beforeCycleClose: true) }
        try gridlock.rejectUnknownKeys(["before_cycle_close", "queue_length_threshold"])
        let threshold = try gridlock.integer("queue_length_threshold")
        if let threshold, threshold <= 0 { throw gridlock.fail("queue_length_threshold", "must be above zero") }
        return GridlockPolicy(
            beforeCycleClose: try gridlock.bool("before_cycle_close") ?? true, queueLengthThreshold: threshold)
    }

    static func readScreening(_ root: TOMLFile) throws(FileInputError) -> ScreeningList {
        guard let screening = try root.subtable("screening") else { return ScreeningList() }
        try screening.rejectUnknownKeys(["names", "bics", "countries"])
        func strings(_ key: String) throws(FileInputError) -> [String] {
            guard let value = screening.table[key] else { return [] }
            guard let array = value.array else { throw screening.fail(key, "must be a list of strings") }
            var texts: [String] = []
            for item in array {
                guard let text = item.string, !text.isEmpty, text.utf8.count <= 140 else {
                    throw screening.fail(key, "each entry must be a string of 1 to 140 characters")
                }
                texts.append(text)
            }
            return texts
        }
        var bics: [BIC] = []
        for text in try strings("bics") {
            guard let bic = BIC(text) else { throw screening.fail("bics", "\(text) is not a BIC") }
            bics.append(bic)
        }
        let countries = try strings("countries")
        for country in countries where !CountryCode.isAlpha2(country) {
            throw screening.fail("countries", "\(country) is not an ISO 3166 alpha-2 country code")
        }
        return ScreeningList(names: try strings("names"), bics: bics, countriesAlpha2: countries)
    }

    static func readFixing(_ root: TOMLFile) throws(FileInputError) -> UnionDefinition.FixingSource {
        guard let fixing = try root.subtable("fixing") else {
            return UnionDefinition.FixingSource(ecbRates: "bundled", ratesPerEUR: [:])
        }
        try fixing.rejectUnknownKeys(["ecb_rates", "rates_per_eur"])
        var rates: [String: String] = [:]
        if let overrides = try fixing.subtable("rates_per_eur") {
            for key in overrides.table.keys.sorted() {
                guard CurrencyCode(key) != nil else { throw overrides.fail(key, "not a currency code") }
                guard let text = try overrides.string(key), let rate = DecimalNumber(text), rate.significand > 0 else {
                    throw overrides.fail(key, "must be a positive decimal in quotes, e.g. \"94.5\"")
                }
                rates[key] = text
            }
        }
        return UnionDefinition.FixingSource(ecbRates: try fixing.string("ecb_rates") ?? "bundled", ratesPerEUR: rates)
    }
}
