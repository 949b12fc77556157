import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
public import PolyclearCore
public import PolyclearWorkload
import PolyclearServer
public import PolyclearStorage
public import PolyclearSQLite
public import ServiceLifecycle

/// The demo's traffic: trade-weighted payments POSTed to the real API with each payer bank's
/// own key; about 5% two-phase (committed by the payee bank through the API a moment later),
/// 1% naming a screened party (held for the operator); banks short of liquidity are prefunded
/// by their central bank each cycle (as banks do), so queues form and clear. The union's own
/// life — confirmations, held-payment decisions, a quota vote — runs beside it (`DemoUnionLife`).
public struct DemoLoadGenerator: Service {
    let writer: Writer<SQLiteHubStore>
    let union: SampleUnion
    let trade: TradeMatrix
    let currencies: CurrencyTable
    let port: Int
    let rate: Int
    let duration: Int
    let cycleSeconds: Int
    let seed: UInt64
    let operatorSecret: String
    let bankSecrets: [BIC: String]
    /// The union file's setup commands (applied first, as `serve --union` applies them).
    let setupCommands: [HubCommand]
    let life: DemoUnionLife
    /// Shows a line on the terminal at once.
    let show: @Sendable (String) -> Void

    public init(
        writer: Writer<SQLiteHubStore>, union: SampleUnion, trade: TradeMatrix, currencies: CurrencyTable, port: Int,
        rate: Int, duration: Int, cycleSeconds: Int, seed: UInt64, operatorSecret: String, bankSecrets: [BIC: String],
        setupCommands: [HubCommand], life: DemoUnionLife, show: @escaping @Sendable (String) -> Void
    ) {
        self.setupCommands = setupCommands
        self.life = life
        self.show = show
        self.writer = writer
        self.union = union
        self.trade = trade
        self.currencies = currencies
        self.port = port
        self.rate = rate
        self.duration = duration
        self.cycleSeconds = cycleSeconds
        self.seed = seed
        self.operatorSecret = operatorSecret
        self.bankSecrets = bankSecrets
    }

    public func run() async throws {
        try await waitUntilReady()
        _ = try await writer.submit(setupCommands)
        try await life.configure(cycleSeconds: cycleSeconds)
        var workload = HubWorkload(union: union, trade: trade, currencies: currencies, seed: seed)
        var counts: [String: Int] = [:]
        let start = Date()
        var nextID: UInt64 = 1
        var lastReport = Date(), sentSinceReport = 0, reportedCycles = 0
        var reserved: [(UInt128, BIC)] = []
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if duration > 0 && Date().timeIntervalSince(start) >= Double(duration) { break }
            let tickStart = Date()
            // This tick's payments, sent 8 at a time.
            let perTick = max(1, rate / 10)
            var batch: [(PaymentInstruction, String)] = []
            for _ in 0..<perTick {
                var payment = workload.nextPayment(id: UInt128(nextID))
                payment.isTwoPhase = nextID % 20 == 0
                if nextID % 100 == 7 { payment.debtorName = "Embargoed Trading Ltd" }
                nextID += 1
                batch.append((payment, bankSecrets[payment.payer]!))
            }
            try await withThrowingTaskGroup(of: (String, UInt128, BIC)?.self) { group in
                for (index, item) in batch.enumerated() {
                    if index >= 8, let result = try await group.next() {
                        record(result, counts: &counts, reserved: &reserved)
                    }
                    group.addTask { try await post(item.0, secret: item.1) }
                }
                for try await result in group { record(result, counts: &counts, reserved: &reserved) }
            }
            sentSinceReport += batch.count
            // Payees commit the two-phase payments reserved in earlier ticks.
            for (id, payee) in reserved {
                _ = try? await call("/v1/payments/\(uuid(id))/commit", secret: bankSecrets[payee]!, body: nil)
            }
            reserved.removeAll()
            if Date().timeIntervalSince(lastReport) >= 1 {
                reportedCycles = try await report(
                    counts: counts, perSecond: Double(sentSinceReport) / Date().timeIntervalSince(lastReport),
                    reportedCycles: reportedCycles)
                try await fundShortBanks()
                await life.step(closedCycles: reportedCycles)
                lastReport = Date()
                sentSinceReport = 0
            }
            let spent = Date().timeIntervalSince(tickStart)
            if spent < 0.1 { try? await Task.sleep(for: .milliseconds(Int((0.1 - spent) * 1_000))) }
        }
        show("")
    }

    private func record(
        _ result: (String, UInt128, BIC)?, counts: inout [String: Int], reserved: inout [(UInt128, BIC)]
    ) {
        guard let (status, id, payee) = result else { return }
        counts[status, default: 0] += 1
        if status == "reserved" { reserved.append((id, payee)) }
    }

    private func post(_ payment: PaymentInstruction, secret: String) async throws -> (String, UInt128, BIC)? {
        let currency = union.memberDefinitions.first {
            $0.id == union.participants.first { $0.bic == payment.payer }!.memberID
        }!.currency
        let amount = Money(minorUnits: payment.amountMinor, currency: currencies[currency]!).decimalString
        var body: [String: Any] = [
            "id": uuid(payment.id), "payer": payment.payer.description, "payee": payment.payee.description,
            "amount": amount,
            "endToEndId": payment.endToEndID, "uetr": uuid(payment.uetr), "invoiceNumber": payment.trade.invoiceNumber,
            "purposeCode": payment.trade.purposeCode, "twoPhase": payment.isTwoPhase,
        ]
        if let name = payment.debtorName { body["debtorName"] = name }
        guard
            let data = try await call(
                "/v1/payments", secret: secret, body: try JSONSerialization.data(withJSONObject: body)),
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let status = json["status"] as? String
        else { return ("error", payment.id, payment.payee) }
        return (status, payment.id, payment.payee)
    }

    private func call(_ path: String, secret: String, body: Data?) async throws -> Data? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = body == nil && !path.hasSuffix("/commit") ? .GET : .POST
        request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        request.headers.add(name: "Content-Type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        // The shared client (AsyncHTTPClient's singleton: nothing to shut down), a deadline per call.
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return Data(buffer: try await response.body.collect(upTo: 16 << 20))
    }

    private func waitUntilReady() async throws {
        for _ in 0..<100 {
            if (try? await call("/readyz", secret: "", body: nil)) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CancellationError()
    }

    /// The progress line, and a table for every cycle closed since the last report.
    private func report(counts c: [String: Int], perSecond: Double, reportedCycles: Int) async throws -> Int {
        let (cycles, last, closedCount, queued, beyond) = try await writer.read {
            hub -> ([CycleReport], CycleReport?, Int, Int, Int) in
            let beyond = hub.allMembers.filter { member in
                let position = hub.unionPosition(of: member.id) ?? 0
                return position < 0 && Int128(position.magnitude) * 100 > Int128(member.quotaUnitMinor) * 75
            }.count
            // Those in memory: the newest (older ones may have left for the archive).
            let fresh = hub.cycles.filter { Int($0.number) > reportedCycles }
            return (
                fresh, hub.cycles.last, hub.closedCycleCount,
                hub.allPaymentStates.filter { $0.status == .queued }.count, beyond
            )
        }
        let efficiency =
            last?.overallEfficiency.map {
                String(format: "%.1f%%", Double($0.efficiencyPartsPerMillion) / 10_000)
            } ?? "-"
        FileHandle.standardOutput.write(
            Data(
                String(
                    format:
                        "\r%6.0f payments/s | accepted %d | queued now %d | held %d | reserved %d | cycles %d, last efficiency %@ | members beyond 75%% of quota: %d   ",
                    perSecond, c["accepted"] ?? 0, queued, c["held"] ?? 0, c["reserved"] ?? 0, closedCount, efficiency,
                    beyond
                ).utf8))
        for report in cycles {
            show(
                "\ncycle \(report.number): \(report.paymentCount) payments, \(report.instructions.count) settlement instructions"
            )
            show("  member  unit net this cycle   union position")
            for member in report.members where member.unitNetMinor != 0 || member.closingUnionPositionMinor != 0 {
                show(
                    "  \(member.id)     \(Money.format(minorUnits: member.unitNetMinor, exponent: 4).padding(toLength: 18, withPad: " ", startingAt: 0))"
                        + "  \(Money.format(minorUnits: member.closingUnionPositionMinor, exponent: 4))")
            }
        }
        return closedCount
    }

    /// Banks with queued payments get prefunded by their central bank (twice their cap).
    private func fundShortBanks() async throws {
        let short = try await writer.read { hub in
            hub.allParticipants.filter { !hub.queuedPayments(of: $0.bic).isEmpty }.map { ($0.bic, $0.netDebitCapMinor) }
        }
        var commands: [HubCommand] = []
        for (bic, cap) in short {
            let id = UInt128(UInt64.random(in: 1...UInt64.max)) << 64 | 0xF
            commands += [
                .requestFunds(id: id, participant: bic, amountMinor: max(cap, 1) * 2, direction: .into),
                .confirmFunds(id: id),
            ]
        }
        if !commands.isEmpty { _ = try await writer.submit(commands) }
    }

    private func uuid(_ value: UInt128) -> String {
        let hex = String(value, radix: 16).leftPadded(to: 32)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
