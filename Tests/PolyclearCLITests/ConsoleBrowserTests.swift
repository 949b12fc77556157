import Foundation
import PolyclearTestSupport
import Testing

/// The console in a real browser (Debian's Chromium, headless, through chromedriver) against a
/// real `polyclear serve` with the sample union and live payments: each role signs in, sees its
/// views and acts; screenshots of every view at 1280×800 and at a phone's 390 px are written to
/// `.build/console-screenshots/`.
@Suite(
    .serialized,
    .enabled(if: ExternalTool.chromium.runs, "\(ExternalTool.chromium.skipReason)"),
    .enabled(if: ExternalTool.chromedriver.runs, "\(ExternalTool.chromedriver.skipReason)"))
struct ConsoleBrowserTests {
    static let members = ["ARE", "BLR", "BRA", "CHN", "EGY", "IDN", "IND", "KAZ", "PAK", "RUS", "SAU", "ZAF"]
    static let operatorSecret = "console-operator-secret", checkerSecret = "console-checker-secret"
    static let brBank = "BKAABR22", cnBank = "BKAACN22"
    static let brBankSecret = "console-bank-br-secret", cnBankSecret = "console-bank-cn-secret"
    static func memberSecret(_ member: String) -> String { "console-member-\(member.lowercased())-secret" }
    static let xssName = "<img src=x onerror=alert(1)>"

    /// A hub with the sample union and a key for every role the tests play.
    struct Hub {
        let server: ChildProcess
        let port: Int
        var console: String { "http://127.0.0.1:\(port)/console" }

        func call(
            _ method: String, _ path: String, _ secret: String, _ body: String? = nil
        ) async throws -> (
            Int, [String: Any]
        ) {
            let (status, text) = try await ServeTests.call(method, port: port, path: path, secret: secret, body: body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return (status, object)
        }

        /// A payment from the Brazilian to the Chinese bank, booked (or held, or queued).
        @discardableResult
        func pay(amount: String = "1000.00", creditorName: String? = nil) async throws -> String {
            let id = UUID().uuidString.lowercased()
            let creditor = creditorName.map { #","creditorName":"\#($0)""# } ?? ""
            let body = #"""
                {"id":"\#(id)","payer":"\#(ConsoleBrowserTests.brBank)","payee":"\#(ConsoleBrowserTests.cnBank)",
                 "amount":"\#(amount)","endToEndId":"E2E-\#(id.prefix(8))","uetr":"\#(UUID().uuidString.lowercased())",
                 "invoiceNumber":"INV-\#(id.prefix(6))","purposeCode":"GDDS"\#(creditor)}
                """#
            let (status, answer) = try await call("POST", "/v1/payments", ConsoleBrowserTests.brBankSecret, body)
            #expect(status == 201, "\(answer)")
            return id
        }
    }

    static func withHub(_ body: (Hub) async throws -> Void) async throws {
        let directory = TemporaryDirectory()
        let port = freeLocalPort()
        var keys = [
            "operator:ops:\(operatorSecret)", "operator:checker:\(checkerSecret)",
            "participant:\(brBank):\(brBankSecret)", "participant:\(cnBank):\(cnBankSecret)",
        ]
        keys += members.map { "member:\($0):\(memberSecret($0))" }
        let server = try ChildProcess(
            ["serve", "--db", directory.path("hub.sqlite"), "--port", "\(port)", "--sample-union"]
                + keys.flatMap { ["--api-key", $0] })
        defer { server.stopNow(seconds: 20) }
        #expect(await ServeTests.waitUntilReady(port: port), "\(server.standardError)")
        // Ready means set up: `/readyz` is 503 until the sample union is applied.
        let deadline = Date().addingTimeInterval(60)
        var ready = false
        while !ready && Date() < deadline {
            ready = (try? await ServeTests.call("GET", port: port, path: "/readyz", secret: "").0) == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready, "\(server.standardOutput) \(server.standardError)")
        try await body(Hub(server: server, port: port))
    }

    static func withBrowser(_ body: (WebDriver) async throws -> Void) async throws {
        let browser = try await WebDriver.start()
        do {
            try await body(browser)
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }

    /// Signs in with the keyboard alone: the key field has focus, Enter submits.
    static func signIn(_ browser: WebDriver, _ hub: Hub, secret: String, expecting name: String) async throws {
        try await browser.open(hub.console)
        let field = try await browser.find("#api-key")
        let focused = try await browser.run("return document.activeElement && document.activeElement.id") as? String
        #expect(focused == "api-key", "the key field has focus when the console opens")
        try await browser.type(secret + "\u{E007}", into: field)
        try await browser.waitForText(name)
        _ = try await browser.find("#nav a")
    }

    static func open(_ browser: WebDriver, view path: String, heading: String) async throws {
        try await browser.click("#nav a[data-path='\(path)']")
        try await browser.waitForText(heading)
    }

    static func press(_ browser: WebDriver, _ label: String) async throws {
        try await browser.click("//button[normalize-space()=\"\(label)\"]", using: "xpath")
    }

    static var screenshotFolder: String { FileManager.default.currentDirectoryPath + "/.build/console-screenshots" }

    /// The view on screen now (a detail page the navigation does not list), at both widths.
    static func screenshotThisView(_ browser: WebDriver, as name: String) async throws {
        try FileManager.default.createDirectory(atPath: screenshotFolder, withIntermediateDirectories: true)
        for (width, height) in [(1280, 800), (390, 844)] {
            try await browser.setWindowSize(width: width, height: height)
            try await Task.sleep(for: .milliseconds(200))
            try await browser.screenshot(to: "\(screenshotFolder)/\(name)-\(width).png")
        }
        try await browser.setWindowSize(width: 1280, height: 800)
    }

    /// Every view in the navigation, at a desktop's and a phone's width.
    static func screenshotEveryView(_ browser: WebDriver, role: String) async throws {
        let folder = screenshotFolder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (width, height) in [(1280, 800), (390, 844)] {
            try await browser.setWindowSize(width: width, height: height)
            let paths =
                try await browser.run(
                    "return [...document.querySelectorAll('#nav a')].map(a => a.dataset.path)") as? [String] ?? []
            #expect(!paths.isEmpty)
            for path in paths {
                try await browser.click("#nav a[data-path='\(path)']")
                #expect(
                    try await browser.waitUntil(seconds: 15) {
                        try await browser.run(
                            "return !!document.querySelector('#view h1') && !document.querySelector('#view > .loading')"
                        )
                            as? Bool == true
                    }, "\(role) \(path) at \(width) px")
                try await browser.screenshot(to: "\(folder)/\(role)-\(path)-\(width).png")
            }
        }
        try await browser.setWindowSize(width: 1280, height: 800)
    }

    /// Keyboard only: the skip link takes focus to the view's heading without changing the
    /// view; Tab goes on to the view's controls, each with a visible focus ring; Enter submits.
    static func keyboardReachesTheContent(_ browser: WebDriver) async throws {
        try await Self.open(browser, view: "payments", heading: "Payments")
        let hash = try await browser.run("document.querySelector('.skip').focus(); return location.hash") as? String
        try await browser.press(key: "\u{E007}")
        let after =
            try await browser.run("return [document.activeElement.tagName, location.hash].join(' ')") as? String
        #expect(after == "H1 \(hash ?? "")", "\(after ?? "")")
        try await browser.press(key: "\u{E004}")
        let focused =
            try await browser.run(
                "const e = document.activeElement; return [e.tagName, e.id ? document.querySelector('label[for=\"' + e.id + '\"]')?.textContent : '', getComputedStyle(e).outlineStyle].join('|')"
            ) as? String ?? ""
        #expect(focused == "SELECT|Status|solid", "\(focused)")
    }

    /// No key survives sign-out: nothing in this tab's storage, nothing in the URL.
    static func signOutLeavesNoKey(_ browser: WebDriver, secret: String) async throws {
        try await browser.click("#sign-out")
        try await browser.waitForText("Signed out")
        let stored =
            try await browser.run(
                "return JSON.stringify([sessionStorage.length, localStorage.length, location.href, document.cookie])")
            as? String ?? ""
        #expect(stored.hasPrefix("[0,0,"), "\(stored)")
        #expect(!stored.contains(secret))
        #expect(try await !browser.pageText().contains(secret))
    }

    /// The operator: the overview moves while payments arrive (no reload); a payment held by
    /// screening is released with a reason and the bank sees it booked; a participant named
    /// like an HTML tag is shown as text and runs nothing.
    @Test func theOperatorWatchesTheUnionAndReleasesAHeldPayment() async throws {
        try await Self.withHub { hub in
            // Screening holds payments to one creditor name (a second operator approves the list).
            let (status, approval) = try await hub.call(
                "PUT", "/v1/settings/screening-list", Self.operatorSecret,
                #"{"names":["Blocked Trading Co"],"bics":[],"countries":[]}"#)
            #expect(status == 202, "\(approval)")
            let number = approval["number"] as? Int ?? 0
            #expect(try await hub.call("POST", "/v1/approvals/\(number)/approve", Self.checkerSecret).0 == 200)
            let held = try await hub.pay(amount: "250.00", creditorName: "Blocked Trading Co")
            // A bank whose name is markup.
            let (registered, answer) = try await hub.call(
                "POST", "/v1/participants", Self.operatorSecret,
                #"{"bic":"XSSABR22","name":"\#(Self.xssName)","member":"BRA","netDebitCap":"1000.00"}"#)
            #expect([201, 202].contains(registered), "\(answer)")
            if registered == 202, let pending = answer["number"] as? Int {
                #expect(try await hub.call("POST", "/v1/approvals/\(pending)/approve", Self.checkerSecret).0 == 200)
            }
            try await Self.withBrowser { browser in
                try await Self.signIn(browser, hub, secret: Self.operatorSecret, expecting: "ops")
                try await browser.waitForText("Union overview")
                // Live: a marker that a reload would erase, then payments through the API.
                _ = try await browser.run("window.polyclearMarker = 1; return 1")
                _ = try await browser.find("#view table")
                let before = try await browser.text("#view table")
                for _ in 0..<3 { try await hub.pay(amount: "5000.00") }
                #expect(
                    try await browser.waitUntil(seconds: 10) {
                        try await browser.text("#view table") != before
                    }, "the overview did not move while payments were booked")
                #expect(try await browser.run("return window.polyclearMarker") as? Int == 1, "the page reloaded")
                // The held payment: released with a reason.
                try await Self.open(browser, view: "held", heading: "Held by screening")
                try await browser.click("#view a[href='#/payment/\(held)']")
                try await browser.waitForText("Status history")
                try await browser.type(
                    "checked: a false match",
                    into: try await browser.find(xpath: "//label[contains(.,'Reason')]/../input"))
                try await Self.press(browser, "Release")
                try await browser.waitForText("Released: the payment is accepted.")
                // Its way, as the hub keeps it: held by screening, then booked.
                try await browser.waitForText("held by screening, for the operator to decide")
                try await browser.waitForText("booked ")
                try await Self.screenshotThisView(browser, as: "operator-payment-detail")
                // The bank with a markup name: shown as text, no element made, nothing run.
                try await Self.open(browser, view: "banks", heading: "Banks")
                // Registered last: on the last page of banks (25 a page).
                for _ in 0..<3 where try await !browser.pageText().contains(Self.xssName) {
                    try await browser.click("nav[aria-label='Bank pages'] button:last-child")
                }
                try await browser.waitForText(Self.xssName)
                #expect(try await browser.run("return document.querySelectorAll('#view img').length") as? Int == 0)
                #expect(await browser.alertText() == nil)
                // The audit trail, filtered by actor.
                try await Self.open(browser, view: "audit", heading: "Audit trail")
                try await browser.type(
                    "operator:ops", into: try await browser.find(xpath: "//label[.='Actor']/../input"))
                try await Self.press(browser, "Filter")
                try await browser.waitForText("release")
                try await Self.screenshotEveryView(browser, role: "operator")
                try await Self.signOutLeavesNoKey(browser, secret: Self.operatorSecret)
                // The payer bank sees the released payment booked.
                try await Self.signIn(browser, hub, secret: Self.brBankSecret, expecting: Self.brBank)
                try await browser.open(hub.console + "#/payment/\(held)")
                try await browser.waitForText("accepted")
                try await Self.signOutLeavesNoKey(browser, secret: Self.brBankSecret)
            }
        }
    }

    /// A central bank: its union position over time; it confirms its instruction (a wrong
    /// amount is refused with the API's message) and the cycle is settled; it casts the vote
    /// that carries a proposal, and the outcome appears.
    @Test func aCentralBankConfirmsItsInstructionAndVotes() async throws {
        try await Self.withHub { hub in
            for _ in 0..<2 { try await hub.pay(amount: "1500.00") }
            #expect(try await hub.call("POST", "/v1/cycles/1/close", Self.operatorSecret).0 == 200)
            #expect(try await hub.call("POST", "/v1/cycles/1/confirm", Self.memberSecret("CHN")).0 == 200)
            let (_, report) = try await hub.call("GET", "/v1/cycles/1", Self.memberSecret("BRA"))
            let instructions = report["instructions"] as? [[String: Any]] ?? []
            let own = try #require(instructions.first { $0["member"] as? String == "BRA" })
            let amount = try #require(own["amount"] as? String)
            // A proposal that Brazil's yes carries: the others vote so that it is one vote short.
            let (proposed, proposal) = try await hub.call(
                "POST", "/v1/proposals", Self.operatorSecret,
                #"{"change":{"kind":"set_quota","member":"CHN","quota":"2000000"},"votingSeconds":3600}"#)
            #expect(proposed == 201, "\(proposal)")
            let proposalNumber = proposal["number"] as? Int ?? 0
            for voter in try await Self.votersLeavingBrazilDecisive(hub) {
                let (voted, answer) = try await hub.call(
                    "POST", "/v1/proposals/\(proposalNumber)/votes", Self.memberSecret(voter), #"{"vote":"yes"}"#)
                #expect(voted == 200 && answer["status"] as? String == "open", "\(voter): \(answer)")
            }
            try await Self.withBrowser { browser in
                try await Self.signIn(
                    browser, hub, secret: Self.memberSecret("BRA"), expecting: "Banco Central do Brasil")
                try await browser.waitForText("Your union position over time")
                _ = try await browser.find("#view figure svg path.line")
                try await Self.open(browser, view: "cycles", heading: "Cycles")
                try await browser.click("#view a[href='#/cycle/1']")
                try await browser.waitForText("Settlement instructions")
                let field = try await browser.find(
                    xpath: "//label[contains(.,'Amount moved for \(Self.brBank)')]/../input")
                try await browser.type("1.00", into: field)
                try await Self.press(browser, "Confirm executed")
                try await browser.waitForText("Refused:")
                try await browser.type(amount, into: field)
                try await Self.press(browser, "Confirm executed")
                try await browser.waitForText("cycle 1 is settled")
                try await Self.screenshotThisView(browser, as: "member-cycle-detail")
                let (_, cycle) = try await hub.call("GET", "/v1/cycles/1", Self.operatorSecret)
                #expect(cycle["state"] as? String == "settled")
                try await Self.open(browser, view: "governance", heading: "Governance")
                try await Self.press(browser, "Vote yes")
                // Carried by this vote, it takes effect at once (no delay was proposed).
                try await browser.waitForText("it is applied")
                try await browser.waitForText("You voted ✓ yes")
                let (_, members) = try await ServeTests.call(
                    "GET", port: hub.port, path: "/v1/members", secret: Self.operatorSecret)
                #expect(
                    members.contains(
                        #""id":"CHN","name":"People's Bank of China","currency":"CNY","quota":"2000000.0000""#)
                        || members.contains(#""quota":"2000000.0000""#), "\(members)")
                // A key for one of its banks: issued, shown once, rotated; the new key works.
                try await Self.open(browser, view: "keys", heading: "API keys")
                try await browser.type(
                    "participant:\(Self.brBank)", into: try await browser.find(xpath: "//label[.='Holder']/../input"))
                try await Self.press(browser, "Issue a key")
                try await browser.waitForText("Copy this key now")
                let issued = try await browser.text("#notice code")
                try await Self.press(browser, "Rotate (old key valid one more hour)")
                var rotated = issued
                #expect(
                    try await browser.waitUntil(seconds: 15) {
                        rotated = try await browser.text("#notice code")
                        return !rotated.isEmpty && rotated != issued
                    }, "no new key shown after the rotation")
                let (status, session) = try await hub.call("GET", "/v1/session", rotated)
                #expect(status == 200 && session["subject"] as? String == Self.brBank, "\(session)")
                try await Self.screenshotEveryView(browser, role: "member")
                try await Self.signOutLeavesNoKey(browser, secret: Self.memberSecret("BRA"))
            }
        }
    }

    /// The members other than Brazil (and China, the proposal's subject) whose yes votes leave
    /// the proposal one vote short, so that Brazil's yes carries it: two thirds of the eligible
    /// quota and more than half of the eligible members, as the sample union's rules say.
    static func votersLeavingBrazilDecisive(_ hub: Hub) async throws -> [String] {
        let (status, text) = try await ServeTests.call(
            "GET", port: hub.port, path: "/v1/members", secret: operatorSecret)
        #expect(status == 200)
        let rows = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? []
        let quota = Dictionary(
            uniqueKeysWithValues: rows.compactMap { row in
                (row["id"] as? String).flatMap { id in
                    (row["quota"] as? String).flatMap { Decimal(string: $0) }.map { (id, $0) }
                }
            })
        let eligible = members.filter { $0 != "CHN" }
        let eligibleQuota = eligible.reduce(Decimal(0)) { $0 + (quota[$1] ?? 0) }
        func passes(_ yes: [String]) -> Bool {
            let yesQuota = yes.reduce(Decimal(0)) { $0 + (quota[$1] ?? 0) }
            return yesQuota * 100 >= eligibleQuota * 67 && yes.count * 100 > eligible.count * 50
        }
        var voters: [String] = []
        for member in eligible.filter({ $0 != "BRA" }).sorted(by: { (quota[$0] ?? 0) > (quota[$1] ?? 0) })
        where !passes(voters + ["BRA"]) && !passes(voters + [member]) {
            voters.append(member)
        }
        #expect(passes(voters + ["BRA"]) && !passes(voters), "\(voters)")
        return voters
    }

    /// A bank: sends a payment with the quote shown first; a malformed amount is refused with
    /// the API's message; its payments filtered by counterparty.
    @Test func aBankSendsAPaymentWithAQuoteAndSeesItsPayments() async throws {
        try await Self.withHub { hub in
            try await hub.pay(amount: "42.00")
            try await Self.withBrowser { browser in
                try await Self.signIn(browser, hub, secret: Self.brBankSecret, expecting: Self.brBank)
                try await Self.keyboardReachesTheContent(browser)
                try await Self.open(browser, view: "send", heading: "Send a payment")
                try await browser.type(
                    Self.cnBank, into: try await browser.find(xpath: "//label[.='Payee bank (BIC)']/../input"))
                let amount = try await browser.find(xpath: "//label[.='Amount']/../input")
                try await browser.type("100.00", into: amount)
                try await browser.type(
                    "INV-CONSOLE-1", into: try await browser.find(xpath: "//label[.='Invoice number']/../input"))
                try await Self.press(browser, "1. Get a quote")
                try await browser.waitForText("Valid until")
                try await Self.press(browser, "2. Send payment")
                try await browser.waitForText("Sent:")
                try await Self.screenshotThisView(browser, as: "bank-send-sent")
                let sentText = try await browser.pageText()
                #expect(sentText.contains("accepted"), "\(sentText)")
                // A malformed amount: the API's refusal, word for word.
                try await Self.press(browser, "1. Get a quote")
                try await browser.waitForText("Valid until")
                try await browser.type("1.001", into: amount)
                try await Self.press(browser, "2. Send payment")
                try await browser.waitForText("Refused:")
                try await browser.waitForText("malformed_amount")
                // Its payments, filtered by counterparty: the two it made.
                try await Self.open(browser, view: "payments", heading: "Payments")
                try await browser.type(
                    Self.cnBank, into: try await browser.find(xpath: "//label[.='Counterparty bank']/../input"))
                try await Self.press(browser, "Filter")
                #expect(
                    try await browser.waitUntil(seconds: 10) {
                        try await browser.all("#view tbody tr").count == 2
                    })
                try await Self.screenshotEveryView(browser, role: "bank")
                try await Self.signOutLeavesNoKey(browser, secret: Self.brBankSecret)
            }
        }
    }
}

extension WebDriver {
    /// The first element an XPath expression matches, waiting up to `seconds`.
    func find(xpath: String, seconds: Double = 10) async throws -> Element {
        try await find(xpath, using: "xpath", seconds: seconds)
    }
}
