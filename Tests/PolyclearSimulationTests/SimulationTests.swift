import Foundation
import PolyclearCore
import PolyclearWorkload
import PolyclearRules
import PolyclearSimulation
import PolyclearTestSupport
import Testing

@Suite(.offTheSharedPool) struct SimulationTests {
    static let currencies = try! CurrencyTable()
    static let countries = ["BRA", "CHN", "IND"].map { CountryCode(alpha3: $0)! }
    static let members = [("BRA", "BRL", "5"), ("CHN", "CNY", "7"), ("IND", "INR", "80")].map {
        SimulationMember(
            id: CountryCode(alpha3: $0.0)!, name: $0.0, currency: CurrencyCode($0.1)!, unitsPerUSD: DecimalNumber($0.2)!
        )
    }

    static func payment(_ second: Int64, _ payer: Int32, _ payee: Int32, _ cents: Int64) -> TradeStream.Payment {
        TradeStream.Payment(businessSecond: second, payerMember: payer, payeeMember: payee, amountUSDCents: cents)
    }

    /// A ring A → B → C → A of 100 each, in one cycle: gross needs A's 100 (it pays first);
    /// bilateral needs all three 100 and leaves 300 trapped; multilateral and Polyclear need 0.
    @Test func aRingOfTradeHasKnownNeedsInEveryModel() throws {
        let stream = TradeStream(
            members: Self.countries, businessDays: 1, banksPerMember: 1,
            payments: [Self.payment(10, 0, 1, 100_00), Self.payment(20, 1, 2, 100_00), Self.payment(30, 2, 0, 100_00)])
        let cycles = SettlementModels.cycles(stream, cycleDays: 1)
        let gross = SettlementModels.gross(stream, cycles: cycles)
        #expect(
            gross.liquidityTotalUSDCents == 100_00
                && gross.memberLiquidityPeakUSDCents == ["BRA": 100_00, "CHN": 0, "IND": 0])
        let bilateral = SettlementModels.bilateral(stream, cycles: cycles)
        #expect(bilateral.liquidityTotalUSDCents == 300_00 && bilateral.trappedYearEndUSDCents == 300_00)
        let multilateral = SettlementModels.multilateral(stream, cycles: cycles)
        #expect(multilateral.liquidityTotalUSDCents == 0 && multilateral.nettingEfficiencyPPM == 1_000_000)
        #expect(gross.nettingEfficiencyPPM == 666_667 && bilateral.nettingEfficiencyPPM == 0)
        let hub = HubSimulation(members: Self.members, rules: SimulationRules(), currencies: Self.currencies)
        for setOff in [false, true] {
            let polyclear = try hub.run(stream, year: 2022, cycles: cycles, setOff: setOff)
            #expect(
                polyclear.liquidityTotalUSDCents == 0 && polyclear.creditPeakUSDCents == 0
                    && polyclear.unsettledAtYearEnd == 0)
            #expect(polyclear.memberPositionsUSDCents.values.allSatisfy { $0 == [0] })
            // With set-off the ring cancels entirely before the cycle: nothing needs paying.
            #expect(
                setOff
                    ? (polyclear.setOffUSDCents == 300_00 && polyclear.payments == 0)
                    : (polyclear.settledUSDCents == 300_00 && polyclear.payments == 3))
        }
    }

    /// Trapped balances are spent first: B earns 100 of A's currency, then owes A 60.
    @Test func bilateralSurplusesPileUpAndAreSpentFirst() {
        let day = TradeStream.businessSecondsPerDay
        let stream = TradeStream(
            members: Self.countries, businessDays: 2, banksPerMember: 1,
            payments: [Self.payment(10, 0, 1, 100_00), Self.payment(day + 10, 1, 0, 60_00)])
        let bilateral = SettlementModels.bilateral(stream, cycles: SettlementModels.cycles(stream, cycleDays: 1))
        #expect(
            bilateral.liquidityTotalUSDCents == 100_00 && bilateral.trappedYearEndUSDCents == 40_00
                && bilateral.trappedPeakUSDCents == 100_00)
        #expect(bilateral.memberLiquidityPeakUSDCents == ["BRA": 100_00, "CHN": 0, "IND": 0])
        // Multilateral per cycle: A −100 on day 1, B −60 on day 2.
        let multilateral = SettlementModels.multilateral(stream, cycles: SettlementModels.cycles(stream, cycleDays: 1))
        #expect(
            multilateral.liquidityTotalUSDCents == 160_00 && multilateral.liquidityPeakUSDCents == 100_00
                && multilateral.liquidityAverageUSDCents == 80_00)
        // One two-day cycle nets them: 40 for A.
        #expect(
            SettlementModels.multilateral(stream, cycles: SettlementModels.cycles(stream, cycleDays: 2))
                .liquidityTotalUSDCents == 40_00)
    }

    static let trade: TradeMatrix = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Data/trade/trade_matrix.csv")
        return try! TradeFile.parse(String(contentsOf: url, encoding: .utf8), file: "trade_matrix.csv")
    }()

    static func unionMembers() throws -> [SimulationMember] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Data/fx/eurofxref-latest.csv")
        let day = try ECBReferenceRates.parse(String(contentsOf: url, encoding: .utf8))[0]
        return try Simulation.members(
            countries: trade.countries, ecbDay: day, overrides: [:], rulesFile: "rules", currencies: currencies)
    }

    /// Conservation on the real matrix: the stream adds up to the matrix exactly; in every
    /// model every cent is settled, set off, refused or reported unsettled.
    @Test(arguments: [1, 2] as [UInt64])
    func everyModelAccountsForEveryCent(seed: UInt64) throws {
        var rules = SimulationRules()
        rules.cycleDays = 5
        let result = try Simulation.run(
            trade: Self.trade, members: try Self.unionMembers(), rules: rules, paymentCount: 20_000, seed: seed,
            currencies: Self.currencies)
        let matrixCents = Self.trade.flows.reduce(Int64(0)) { $0 + $1.valueUSD * 100 }
        #expect(result.totalUSDCents == matrixCents && result.flowsUSDCents.flatMap { $0 }.reduce(0, +) == matrixCents)
        #expect(result.models.map(\.model) == ["gross", "bilateral", "multilateral", "polyclear", "polyclear_setoff"])
        for model in result.models {
            #expect(model.grossUSDCents == matrixCents, "\(model.model)")
            #expect(
                model.settledUSDCents + model.setOffUSDCents + model.rejectedUSDCents + model.unsettledAtYearEndUSDCents
                    == matrixCents, "\(model.model)")
        }
        // Netting can only lower the need: gross ≥ multilateral, bilateral ≥ multilateral.
        let need = Dictionary(uniqueKeysWithValues: result.models.map { ($0.model, $0.liquidityTotalUSDCents) })
        #expect(need["gross"]! >= need["multilateral"]! && need["bilateral"]! >= need["multilateral"]!)
        #expect(result.models[4].setOffUSDCents > 0 && result.models[3].creditPeakUSDCents > 0)
    }

    @Test func theSameSeedGivesByteIdenticalMetrics() throws {
        func run(_ seed: UInt64) throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(
                Simulation.run(
                    trade: Self.trade, members: try Self.unionMembers(), rules: SimulationRules(),
                    paymentCount: 5_000, seed: seed, currencies: Self.currencies))
        }
        #expect(try run(7) == run(7))
        #expect(try run(7) != run(8))
    }

    @Test(
        arguments: [
            ("", nil, "matrix"),
            ("year,exporter_iso3,importer_iso3,value_usd\n", nil, "matrix"),
            ("year,exporter,importer,value_usd\n2022,BRA,CHN,5\n", 1, "header"),
            ("year,exporter_iso3,importer_iso3,value_usd\n2022,XYZ,CHN,5\n", 2, "exporter_iso3"),
            ("year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,QQQ,5\n", 2, "importer_iso3"),
            ("year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,CHN,-5\n", 2, "value_usd"),
            ("year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,CHN,lots\n", 2, "value_usd"),
            (
                "year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,CHN,5\n2022,RUS,CHN,1\n2022,BRA,CHN,7\n", 4,
                "exporter_iso3,importer_iso3"
            ),
            ("year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,CHN,5\n2023,RUS,CHN,1\n", 3, "year"),
            ("year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,BRA,5\n", 2, "importer_iso3"),
            ("year,exporter_iso3,importer_iso3,value_usd\n2022,BRA,CHN,0\n", nil, "matrix"),
            ("year,exporter_iso3,importer_iso3,value_usd,hs_chapter\n2022,BRA,CHN,5,1\n", 2, "hs_chapter"),
            ("year,exporter_iso3,importer_iso3,value_usd,hs_chapter\n2022,BRA,CHN,5,\n", 2, "hs_chapter"),
            ("year,exporter_iso3,importer_iso3,value_usd,hs_chapter\n2022,BRA,CHN,5,00\n", 2, "hs_chapter"),
            (
                "year,exporter_iso3,importer_iso3,value_usd,hs_chapter\n2022,BRA,CHN,5,12\n2022,BRA,CHN,7,12\n", 3,
                "exporter_iso3,importer_iso3"
            ),
        ] as [(String, Int?, String)])
    func badTradeFilesNameTheLineAndField(text: String, line: Int?, field: String) {
        do { _ = try TradeFile.parse(text, file: "t.csv"); Issue.record("accepted") } catch {
            #expect(error.file == "t.csv" && error.line == line && error.field == field, "\(error)")
        }
    }

    /// A trade file with HS chapters: a pair once per chapter; the payments carry their chapter
    /// to the hub (its trade statistics count them by chapter) and the report shows flows by goods.
    @Test func hsChaptersTravelFromTheTradeFileToTheHubAndTheReport() throws {
        let text = """
            year,exporter_iso3,importer_iso3,value_usd,hs_chapter,source
            2022,BRA,CHN,9000,12,"soybeans"
            2022,BRA,CHN,1000,26,"ores"
            2022,CHN,IND,4000,85,"machinery"
            2022,IND,BRA,2000,30
            """
        let matrix = try TradeFile.parse(text, file: "t.csv")
        #expect(matrix.flows.map(\.hsChapter) == [12, 26, 85, 30])
        let stream = TradeStream(
            trade: matrix,
            settings: .init(paymentCount: 40, banksPerMember: 1, sizeSigma: 0.5, bankExponent: 1, seed: 9))
        #expect(stream.members == Self.countries)
        #expect(Set(stream.payments.map(\.hsChapter)) == [12, 26, 85, 30])
        let cycles = SettlementModels.cycles(stream, cycleDays: 30)
        let hub = HubSimulation(members: Self.members, rules: SimulationRules(), currencies: Self.currencies)
        let metrics = try hub.run(stream, year: 2022, cycles: cycles, setOff: false)
        #expect(metrics.goodsUSDCents == ["12": 9_000_00, "26": 1_000_00, "85": 4_000_00, "30": 2_000_00])
        let table = SimulationReport.table([("polyclear", metrics)])
        #expect(table.contains("goods: HS chapter 12 (USD)") && table.contains("goods: HS chapter 85 (USD)"))
    }

    @Test func membersNeedACurrencyAndARate() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Data/fx/eurofxref-latest.csv")
        let day = try ECBReferenceRates.parse(String(contentsOf: url, encoding: .utf8))[0]
        let norway = CountryCode(alpha3: "NOR")!
        do {
            _ = try Simulation.members(
                countries: [norway], ecbDay: day, overrides: [:], rulesFile: "r.toml", currencies: Self.currencies);
            Issue.record("accepted")
        } catch { #expect(error.field == "members.NOR.currency" && error.file == "r.toml") }
        // With a currency the ECB publishes, the ECB rate is used; one it does not needs a rate.
        let nok = try Simulation.members(
            countries: [norway], ecbDay: day, overrides: ["NOR": .init(currency: "NOK")], rulesFile: "r.toml",
            currencies: Self.currencies)
        #expect(nok[0].currency == CurrencyCode("NOK")! && !nok[0].unitsPerUSD.isZero)
        do {
            _ = try Simulation.members(
                countries: [norway], ecbDay: day, overrides: ["NOR": .init(currency: "MNT")], rulesFile: "r.toml",
                currencies: Self.currencies);
            Issue.record("accepted")
        } catch { #expect(error.field == "members.NOR.rate_per_eur") }
        do {
            _ = try Simulation.members(
                countries: [norway], ecbDay: day, overrides: ["NOR": .init(currency: "NOK", ratePerEUR: "-3")],
                rulesFile: "r.toml", currencies: Self.currencies);
            Issue.record("accepted")
        } catch { #expect(error.field == "members.NOR.rate_per_eur") }
    }

    @Test func impossibleRulesAreNamed() {
        var rules = SimulationRules()
        #expect(rules.validationError() == nil)
        rules.cycleDays = 0
        #expect(rules.validationError()?.key == "cycle_days")
        rules = SimulationRules()
        rules.imbalanceRules.tiers = [
            .init(thresholdPercentOfQuota: 50, annualRateBasisPoints: 100),
            .init(thresholdPercentOfQuota: 25, annualRateBasisPoints: 100),
        ]
        #expect(rules.validationError()?.key == "charges[1].threshold_percent_of_quota")
        rules = SimulationRules()
        rules.banksPerMember = 27
        #expect(rules.validationError()?.key == "banks_per_member")
    }
}

/// Rules that never block trade, run through the real hub on the real matrix.
extension SimulationTests {
    @Test func settlingBeyondQuotaUnblocksTradeAndCountsTheHardCurrencyItNeeds() throws {
        var hard = SimulationRules()
        hard.cycleDays = 5
        var settle = hard
        settle.imbalanceRules.quotaMode = .settle
        settle.imbalanceRules.excessSettlementAsset = "USD"
        var results: [ModelMetrics] = []
        for rules in [hard, settle] {
            let result = try Simulation.run(
                trade: Self.trade, members: try Self.unionMembers(), rules: rules, paymentCount: 20_000, seed: 1,
                currencies: Self.currencies)
            let model = try #require(result.models.first { $0.model == "polyclear" })
            let matrixCents = Self.trade.flows.reduce(Int64(0)) { $0 + $1.valueUSD * 100 }
            #expect(
                model.settledUSDCents + model.setOffUSDCents + model.rejectedUSDCents + model.unsettledAtYearEndUSDCents
                    == matrixCents)
            results.append(model)
        }
        // The hard quota leaves trade unsettled at year end and needs no hard currency; settling
        // beyond quota leaves none unsettled for the quota and names what it costs.
        #expect(results[0].unsettledAtYearEndUSDCents > 0 && results[0].liquidityTotalUSDCents == 0)
        #expect(results[1].unsettledAtYearEndUSDCents == 0 && results[1].unsettledAtYearEnd == 0)
        #expect(results[1].liquidityTotalUSDCents > 0)
    }

    @Test func theRulesFileReadsHowPositionsSettle() throws {
        let (rules, _) = try SimulationRulesFile.parse(
            """
            quota_mode = "settle"
            settlement_asset = "XAU"
            charge_disposition = "redistribute"
            [[debtor_tranches]]
            up_to_percent_of_quota = 20
            settled_percent = 0
            [[debtor_tranches]]
            up_to_percent_of_quota = 100
            settled_percent = 50
            [[creditor_tranches]]
            up_to_percent_of_quota = 100
            settled_percent = 25
            """, file: "rules.toml")
        #expect(rules.imbalanceRules.quotaMode == .settle && rules.imbalanceRules.excessSettlementAsset == "XAU")
        #expect(rules.imbalanceRules.chargeDisposition == .redistribute)
        #expect(
            rules.imbalanceRules.debtorTranches == [
                Tranche(upToPercentOfQuota: 20, settledPercent: 0),
                Tranche(upToPercentOfQuota: 100, settledPercent: 50),
            ])
        #expect(rules.imbalanceRules.creditorTranches == [Tranche(upToPercentOfQuota: 100, settledPercent: 25)])
        for (text, field) in [
            ("quota_mode = \"soft\"", "quota_mode"),
            ("preset = \"icu-1943\"\nquota_mode = \"settle\"", "settlement_asset"),
            ("settlement_asset = \"\"", "settlement_asset"), ("charge_disposition = 3", "charge_disposition"),
            (
                "settlement_asset = \"XAU\"\n[[debtor_tranches]]\nup_to_percent_of_quota = 120\nsettled_percent = 5",
                "debtor_tranches[0].up_to_percent_of_quota"
            ),
            (
                "settlement_asset = \"XAU\"\n[[creditor_tranches]]\nup_to_percent_of_quota = 50\nsettled_percent = 101",
                "creditor_tranches[0].settled_percent"
            ),
            ("[[debtor_tranches]]\nup_to_percent_of_quota = 50", "debtor_tranches"),
            (
                "preset = \"icu-1943\"\n[[debtor_tranches]]\nup_to_percent_of_quota = 50\nsettled_percent = 5",
                "settlement_asset"
            ),
        ] {
            do {
                _ = try SimulationRulesFile.parse(text, file: "rules.toml")
                Issue.record("accepted: \(text)")
            } catch { #expect(error.field == field, "\(text): \(error)") }
        }
    }
}

/// The presets on the real matrix: every cent accounted for, the recommended one blocks
/// nothing, and each does what its history says.
extension SimulationTests {
    @Test func everyPresetAccountsForEveryCentAndThePolyclearPresetBlocksNothing() throws {
        let matrixCents = Self.trade.flows.reduce(Int64(0)) { $0 + $1.valueUSD * 100 }
        var byPreset: [RulePreset: SimulationResult] = [:]
        for preset in RulePreset.allCases {
            #expect(preset.rules.validationError() == nil, "\(preset)")
            let result = try Simulation.run(
                trade: Self.trade, members: try Self.unionMembers(), rules: preset.rules, paymentCount: 20_000,
                seed: 1, currencies: Self.currencies)
            for model in result.models {
                #expect(
                    model.settledUSDCents + model.setOffUSDCents + model.rejectedUSDCents
                        + model.unsettledAtYearEndUSDCents == matrixCents, "\(preset) \(model.model)")
                let shares = SettlementShares(model)
                #expect(
                    shares.offsetUSDCents + shares.creditUSDCents + shares.assetUSDCents + shares.blockedUSDCents
                        == model.grossUSDCents && shares.offsetUSDCents >= 0, "\(preset) \(model.model)")
            }
            byPreset[preset] = result
        }
        let polyclear = try #require(byPreset[.polyclear]?.models.first { $0.model == "polyclear" })
        #expect(polyclear.unsettledAtYearEnd == 0 && polyclear.liquidityTotalUSDCents > 0)
        // Full settlement every two months: nothing is left on credit after the last close.
        let acu = try #require(byPreset[.acu]?.models.first { $0.model == "polyclear" })
        #expect(acu.memberYearEndPositionUSDCents.values.allSatisfy { abs($0) <= 1 })
        // Keynes: no settlement asset at all; creditors' balances beyond quota end in the reserve.
        let icu = try #require(byPreset[.icu1943]?.models.first { $0.model == "polyclear" })
        #expect(icu.liquidityTotalUSDCents == 0)
        #expect(icu.memberYearEndPositionUSDCents.count == 12)
        for (member, position) in icu.memberYearEndPositionUSDCents {
            #expect(position <= icu.memberQuotaUSDCents[member]! + 1, "\(member)")
        }
    }

    @Test func aRulesFileStartsFromAPresetAndOverridesIt() throws {
        let (rules, _) = try SimulationRulesFile.parse("preset = \"epu-1950\"\ncycle_days = 5\n", file: "r.toml")
        #expect(rules.cycleDays == 5)
        #expect(rules.imbalanceRules.debtorTranches == RulePreset.epu1950.rules.imbalanceRules.debtorTranches)
        let (plain, _) = try SimulationRulesFile.parse("cycle_days = 2\n", file: "r.toml")
        #expect(plain.imbalanceRules == RulePreset.default.rules.imbalanceRules)
        do {
            _ = try SimulationRulesFile.parse("preset = \"bretton-woods\"\n", file: "r.toml")
            Issue.record("accepted")
        } catch { #expect(error.field == "preset" && error.line == 1) }
    }
}
