import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PolyclearTestSupport

/// A real Chromium, headless, driven over the W3C WebDriver protocol by Debian's chromedriver
/// (no Selenium, no browser download): a chromedriver child process, one session, and the few
/// commands the console's tests need.
final class WebDriver: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A page element (the protocol's element reference).
    struct Element: Sendable {
        let id: String
    }

    private static let elementKey = "element-6066-11e4-a52e-4f735466cecf"
    private let driver: ChildProcess
    private let base: String
    private let session: String

    private init(driver: ChildProcess, base: String, session: String) {
        self.driver = driver
        self.base = base
        self.session = session
    }

    /// Starts chromedriver on a free port and a headless Chromium session of `width` × `height`.
    static func start(width: Int = 1280, height: Int = 800) async throws -> WebDriver {
        guard let chromedriver = ExternalTool.chromedriver.location, let chromium = ExternalTool.chromium.location
        else { throw Failure(description: ExternalTool.chromedriver.skipReason) }
        let port = freeLocalPort()
        let driver = try ChildProcess(
            ["--port=\(port)", "--allowed-ips=127.0.0.1"], executable: URL(fileURLWithPath: chromedriver))
        let base = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let status = try? await raw("GET", base + "/status", nil) as? [String: Any],
                status["ready"] as? Bool == true
            {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("polyclear-chromium-\(UUID())")
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome", "unhandledPromptBehavior": "ignore",
                    "goog:chromeOptions": [
                        "binary": chromium,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=\(width),\(height)", "--user-data-dir=\(profile.path)",
                            "--no-first-run", "--disable-extensions", "--lang=en-GB",
                        ],
                    ],
                ]
            ]
        ]
        let created = try await raw("POST", base + "/session", capabilities) as? [String: Any]
        guard let session = created?["sessionId"] as? String else {
            driver.stopNow()
            throw Failure(description: "no WebDriver session: \(String(describing: created)) \(driver.standardError)")
        }
        return WebDriver(driver: driver, base: base, session: session)
    }

    /// Ends the session and chromedriver (and with them Chromium).
    func quit() async {
        _ = try? await Self.raw("DELETE", "\(base)/session/\(session)", nil)
        driver.stopNow(seconds: 5)
    }

    /// One protocol command; the answer's `value`, or a failure with the driver's message.
    /// (AsyncHTTPClient: Foundation's URLSession on Linux fails on chromedriver's answers.)
    private static func raw(_ method: String, _ url: String, _ body: [String: Any]?) async throws -> Any? {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let body {
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        let object = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [String: Any]
        let value = object?["value"]
        if response.status.code >= 400 {
            let details = value as? [String: Any]
            throw Failure(
                description:
                    "\(method) \(url): \(details?["error"] ?? response.status.code) \(details?["message"] ?? "")")
        }
        return value is NSNull ? nil : value
    }

    @discardableResult
    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.raw(method, "\(base)/session/\(session)\(path)", body ?? (method == "POST" ? [:] : nil))
    }

    func open(_ url: String) async throws { try await command("POST", "/url", ["url": url]) }

    func setWindowSize(width: Int, height: Int) async throws {
        try await command("POST", "/window/rect", ["width": width, "height": height])
    }

    /// Every element `selector` matches now (`using`: "css selector" or "xpath").
    func all(_ selector: String, using: String = "css selector") async throws -> [Element] {
        let found =
            try await command("POST", "/elements", ["using": using, "value": selector]) as? [[String: Any]]
        return (found ?? []).compactMap { ($0[Self.elementKey] as? String).map(Element.init) }
    }

    /// The first element `selector` matches, waiting up to `seconds` for it to appear.
    func find(_ selector: String, using: String = "css selector", seconds: Double = 10) async throws -> Element {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if let element = try await all(selector, using: using).first { return element }
            try await Task.sleep(for: .milliseconds(100))
        } while Date() < deadline
        throw Failure(
            description: "no element matches \(selector) after \(seconds) s; page text: \(try await pageText())")
    }

    func click(_ element: Element) async throws { try await command("POST", "/element/\(element.id)/click") }

    /// Finds and clicks what `selector` matches; found again if a live refresh replaced it
    /// between the find and the click ("stale element").
    func click(_ selector: String, using: String = "css selector") async throws {
        for attempt in 1...3 {
            do {
                return try await click(try await find(selector, using: using))
            } catch let failure as Failure where failure.description.contains("stale element") && attempt < 3 {
                continue
            }
        }
    }

    func type(_ text: String, into element: Element) async throws {
        try await command("POST", "/element/\(element.id)/clear")
        try await command("POST", "/element/\(element.id)/value", ["text": text])
    }

    /// Presses one key on the keyboard (a WebDriver key code, e.g. "\u{E004}" Tab,
    /// "\u{E007}" Enter) wherever the focus is.
    func press(key: String) async throws {
        try await command(
            "POST", "/actions",
            [
                "actions": [
                    [
                        "type": "key", "id": "keyboard",
                        "actions": [["type": "keyDown", "value": key], ["type": "keyUp", "value": key]],
                    ]
                ]
            ])
    }

    /// Runs `script` in the page (a function body: `return …`) with `arguments`.
    func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": script, "args": arguments])
    }

    /// The text of the first element `css` matches, read in one step (a live page may replace
    /// the element between a find and a read: "stale element").
    func text(_ css: String) async throws -> String {
        try await run("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", [css])
            as? String ?? ""
    }

    func pageText() async throws -> String {
        try await run("return document.body ? document.body.innerText : ''") as? String ?? ""
    }

    /// The open alert's text, if a script opened one (an injected `alert(1)` would).
    func alertText() async -> String? {
        try? await command("GET", "/alert/text") as? String
    }

    /// Waits up to `seconds` for `condition` (polled); false if it never held.
    func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(150))
        } while Date() < deadline
        return false
    }

    /// Waits until the page's text contains `text`; fails with what the page says otherwise.
    func waitForText(_ text: String, seconds: Double = 15) async throws {
        var last = ""
        let found = try await waitUntil(seconds: seconds) {
            last = try await pageText()
            return last.contains(text)
        }
        guard found else { throw Failure(description: "no \"\(text)\" after \(seconds) s; page text: \(last)") }
    }

    /// A PNG of the whole window, written to `path`.
    func screenshot(to path: String) async throws {
        guard let base64 = try await command("GET", "/screenshot") as? String, let data = Data(base64Encoded: base64)
        else { throw Failure(description: "no screenshot") }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
