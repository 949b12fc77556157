import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
public import PolyclearCore

/// The union's own life in the demo, all through the HTTP API with each actor's key: central
/// banks confirm their settlement instructions one by one (so cycles reach `settled`), the
/// operator confirms excess settlements and decides payments held by screening (a release
/// above the threshold waits for a second operator, who approves it), and once a member
/// proposes a quota increase that the others vote through.
public actor DemoUnionLife {
    let port: Int
    let operatorSecret: String
    let checkerSecret: String
    let memberSecrets: [CountryCode: String]
    let show: @Sendable (String) -> Void
    private var settledCycles = Set<Int>()
    private var proposal: (number: Int, voters: [CountryCode])?
    private var proposalDone = false

    public init(
        port: Int, operatorSecret: String, checkerSecret: String, memberSecrets: [CountryCode: String],
        show: @escaping @Sendable (String) -> Void
    ) {
        self.port = port
        self.operatorSecret = operatorSecret
        self.checkerSecret = checkerSecret
        self.memberSecrets = memberSecrets
        self.show = show
    }

    /// One step of each: called about once a second by the load generator.
    func step(closedCycles: Int) async {
        do {
            try await confirmClosedCycles(closedCycles)
            try await decideHeldPayments()
            if closedCycles >= 1 { try await governance() }
        } catch {
            show("\nunion life: \(error)")
        }
    }

    /// The demo's own settings, as the operator gives them: cycles every `cycleSeconds`, and a
    /// screening list that a second operator approves.
    func configure(cycleSeconds: Int) async throws {
        _ = try await call(
            .PUT, "/v1/settings/cycle-triggers", operatorSecret,
            ["intervalSeconds": cycleSeconds, "settlementDeadlineSeconds": 7_200])
        let (status, answer) = try await call(
            .PUT, "/v1/settings/screening-list", operatorSecret,
            ["names": ["Embargoed Trading"], "bics": [String](), "countries": [String]()])
        if status == 202, let number = answer["number"] as? Int {
            let (approved, _) = try await call(.POST, "/v1/approvals/\(number)/approve", checkerSecret, nil)
            show("screening list: proposed by one operator, approved by a second (\(approved))")
        }
    }

    private func confirmClosedCycles(_ count: Int) async throws {
        for number in 1...max(count, 1) where number <= count && !settledCycles.contains(number) {
            let (_, cycle) = try await call(.GET, "/v1/cycles/\(number)", operatorSecret, nil)
            var confirmed = 0, excess = 0
            for instruction in cycle["instructions"] as? [[String: Any]] ?? [] {
                guard instruction["isConfirmed"] as? Bool == false, let index = instruction["index"] as? Int,
                    let member = (instruction["member"] as? String).flatMap({ CountryCode(alpha3: $0) }),
                    let secret = memberSecrets[member], let amount = instruction["amount"] as? String
                else { continue }
                let (status, _) = try await call(
                    .POST, "/v1/cycles/\(number)/instructions/\(index)/confirm", secret, ["amount": amount])
                if status == 200 { confirmed += 1 }
            }
            for settlement in cycle["excessSettlements"] as? [[String: Any]] ?? [] {
                guard settlement["isConfirmed"] as? Bool == false, let member = settlement["member"] as? String,
                    let amount = settlement["amount"] as? String
                else { continue }
                let (status, _) = try await call(
                    .POST, "/v1/cycles/\(number)/excess-settlements/\(member)/confirm", operatorSecret,
                    ["amount": amount])
                if status == 200 { excess += 1 }
            }
            let (_, after) = try await call(.GET, "/v1/cycles/\(number)", operatorSecret, nil)
            let charges = (after["charges"] as? [[String: Any]] ?? []).compactMap { charge -> String? in
                guard let amount = charge["charge"] as? String, amount != "0.0000" else { return nil }
                return "\(charge["member"] as? String ?? "?") \(amount)"
            }
            show(
                "cycle \(number) \(after["state"] as? String ?? "?"): \(confirmed) instructions confirmed by their "
                    + "central banks, \(excess) excess settlements confirmed by the operator; charges: "
                    + (charges.isEmpty ? "none" : charges.joined(separator: ", ")))
            settledCycles.insert(number)
        }
    }

    /// Every other held payment released (a second operator approves those above the
    /// threshold), the others refused, each with a reason.
    private func decideHeldPayments() async throws {
        let (_, page) = try await call(.GET, "/v1/payments?status=held&limit=20", operatorSecret, nil)
        var released = 0, approved = 0, refused = 0
        for (index, payment) in (page["items"] as? [[String: Any]] ?? []).enumerated() {
            guard let id = payment["id"] as? String else { continue }
            let release = index % 2 == 0
            let reason = release ? "name match, not the listed party" : "listed party confirmed"
            let (status, answer) = try await call(
                .POST, "/v1/payments/\(id)/\(release ? "release" : "refuse")", operatorSecret, ["reason": reason])
            if status == 202, let number = answer["number"] as? Int {
                let (decided, _) = try await call(.POST, "/v1/approvals/\(number)/approve", checkerSecret, nil)
                if decided == 200 { approved += 1 }
            }
            if status == 200 || status == 202 { if release { released += 1 } else { refused += 1 } }
        }
        if released + refused > 0 {
            show(
                "\noperator: \(released) held payments released (\(approved) after a second operator's approval), "
                    + "\(refused) refused")
        }
    }

    /// Brazil proposes raising India's quota by half; the others vote yes, three a second,
    /// until the quota-weighted quorum passes it.
    private func governance() async throws {
        guard !proposalDone, let bra = CountryCode(alpha3: "BRA"), let ind = CountryCode(alpha3: "IND"),
            let proposer = memberSecrets[bra]
        else { return }
        guard proposal != nil else {
            let (_, members) = try await callList(.GET, "/v1/members", proposer)
            guard let quota = members.first(where: { $0["id"] as? String == "IND" })?["quota"] as? String,
                let current = Decimal(string: quota)
            else { return }
            let raised = NSDecimalNumber(decimal: current * Decimal(string: "1.5")!).stringValue
            let (status, answer) = try await call(
                .POST, "/v1/proposals", proposer,
                [
                    "change": ["kind": "set_quota", "member": "IND", "quota": raised] as [String: Any],
                    "votingSeconds": 600,
                ])
            guard status == 201, let number = answer["number"] as? Int else {
                show("\nproposal refused (\(status)): \(answer)")
                proposalDone = true
                return
            }
            show("\nproposal \(number): BRA proposes raising IND's quota from \(quota) to \(raised) units")
            proposal = (number, memberSecrets.keys.filter { $0 != ind }.sorted { $0.alpha3 < $1.alpha3 })
            return
        }
        for _ in 0..<3 where !proposalDone { try await vote() }
    }

    private func vote() async throws {
        guard let open = proposal, let voter = open.voters.first, let secret = memberSecrets[voter] else { return }
        proposal = (open.number, Array(open.voters.dropFirst()))
        let (_, answer) = try await call(.POST, "/v1/proposals/\(open.number)/votes", secret, ["vote": "yes"])
        let tally = answer["tally"] as? [String: Any] ?? [:]
        let status = answer["status"] as? String ?? "?"
        show(
            "proposal \(open.number): \(voter.alpha3) votes yes — \(tally["yesMembers"] ?? "?") of "
                + "\(tally["eligibleMembers"] ?? "?") members, \(tally["yesQuota"] ?? "?") of "
                + "\(tally["eligibleQuota"] ?? "?") quota: \(status)")
        if status != "open" { proposalDone = true }
    }

    private func call(
        _ method: HTTPMethod, _ path: String, _ secret: String, _ body: [String: Any]?
    ) async throws -> (Int, [String: Any]) {
        let (status, data) = try await send(method, path, secret, body)
        return (status, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    private func callList(_ method: HTTPMethod, _ path: String, _ secret: String) async throws -> (Int, [[String: Any]])
    {
        let (status, data) = try await send(method, path, secret, nil)
        return (status, (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? [])
    }

    private func send(
        _ method: HTTPMethod, _ path: String, _ secret: String, _ body: [String: Any]?
    ) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        request.headers.add(name: "Content-Type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), Data(buffer: try await response.body.collect(upTo: 16 << 20)))
    }
}
