import Dispatch
import Foundation
import Tally
import TallyCharts
import TallyTestSupport
import Testing

@testable import TallyServer

/// Runs blocking work (the browser) off Swift's cooperative threads. Expectations belong outside `body`, in the
/// test's task, where Swift Testing can attribute them.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result: Result<T, any Error> = await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: Result { try body() }) }
    }
    return try result.get()
}

/// The page's blocking calls, made from a test's task.
extension BrowserPage {
    func open(_ url: String) async throws -> Loaded { try await offThePool { try self.navigate(url) } }
    func count(_ selector: String) async throws -> Int { try await offThePool { try self.select(selector).count } }
    /// The attribute `name` of every element matching `selector`.
    func attribute(_ name: String, of selector: String) async throws -> [String] {
        try await offThePool { try self.select(selector).map { try self.attributes($0)[name] ?? "" } }
    }
    func markup(of selector: String) async throws -> [String] {
        try await offThePool { try self.select(selector).map { try self.outerHTML($0) } }
    }
    /// Types into the first element matching `selector` and presses Enter; waits for the document that loads.
    func submit(_ text: String?, in selector: String) async throws -> Loaded {
        try await offThePool {
            guard let node = try self.select(selector).first else { throw Chromium.Failure(description: "no \(selector) in the page") }
            if let text { try self.type(text, into: node) } else { try self.browser.send("DOM.focus", ["nodeId": node], session: self.session) }
            return try self.loading { try self.pressEnter() }
        }
    }
    func sessionCookie(_ url: String) async throws -> [String: String]? {
        try await offThePool {
            guard let cookie = try self.cookies(for: url).first(where: { $0["name"] as? String == "tally_session" }) else { return nil }
            return cookie.mapValues { "\($0)" }
        }
    }
    func png() async throws -> [UInt8] { try await offThePool { try self.screenshot() } }
}

/// The dashboard in a real headless Chromium, against `tally serve` (the built binary) on a demo store.
///
/// These tests need Chromium (`apt-get install -y chromium`); without it they fail, saying so.
@Suite(.serialized) struct DashboardBrowserTests {
    /// A fresh demo store with a read key, served by `tally serve` on a free loopback port.
    final class Served: @unchecked Sendable {
        let directory = TemporaryDirectory("tally-dashboard-browser")
        let serve: ServeProcess
        let key: IssuedKey
        var base: String { "http://127.0.0.1:\(serve.port)" }

        init() async throws {
            let storePath = directory.child("store")
            let store = try Store.open(at: storePath)
            try seedDemo(store)
            try store.close()
            key = try KeyManager(storePath: storePath).create(role: .read, name: "browser")
            serve = try await ServeProcess.start(storePath: storePath, logPath: directory.child("serve.log"))
            try await waitUntilHealthy(port: serve.port)
        }

        func stop() async throws {
            let status = try await serve.terminate()
            #expect(status == 0, "tally serve exited with \(status); log:\n\(serve.log)")
        }
    }

    /// Runs `body` with a browser and a served demo, stopping both whatever happens.
    static func withBrowser(javaScript: Bool, _ body: (Served, Chromium, BrowserPage) async throws -> Void) async throws {
        let served = try await Served()
        let browser: Chromium
        do {
            browser = try await offThePool { try Chromium(directory: served.directory.path) }
        } catch {
            try? await served.stop()
            throw error
        }
        do {
            let page = try await offThePool { try BrowserPage(browser, javaScript: javaScript) }
            try await body(served, browser, page)
        } catch {
            _ = try? await offThePool { browser.quit() }
            try? await served.stop()
            throw error
        }
        _ = try? await offThePool { browser.quit() }
        try await served.stop()
    }

    /// Checks a screenshot: a PNG of the window's size with enough ink and colour to be a rendered page with charts.
    static func checkScreenshot(_ png: [UInt8], name: String, in directory: TemporaryDirectory, colors: [String]) throws {
        let path = directory.child(name)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(png)), "cannot write \(path)")
        let image = try PNGImage(png)
        #expect(image.width == 1280 && image.height == 1000, "\(name): \(image.width)×\(image.height)")
        let share = Double(image.nonWhitePixels) / Double(image.width * image.height)
        #expect(share > 0.02, "\(name) is (nearly) blank: \(image.nonWhitePixels) non-white pixels")
        #expect(image.distinctColors >= 16, "\(name) has only \(image.distinctColors) colours")
        for color in colors { #expect(image.contains(color: color), "\(name) shows no \(color)") }
    }

    /// Signs in through the form (typing the key, pressing Enter) and checks the cookie the browser keeps.
    static func signIn(_ page: BrowserPage, _ served: Served) async throws {
        let redirected = try await page.open(served.base + "/")
        #expect(redirected.status == 200 && redirected.url == served.base + "/sign-in?next=%2F", "\(redirected)")
        let home = try await page.submit(served.key.token, in: "input[name=key]")
        #expect(home.status == 200 && home.url == served.base + "/", "after signing in: \(home)")
        let session = try #require(try await page.sessionCookie(served.base + "/"), "the browser kept no session cookie")
        // Chromium treats http://127.0.0.1 as a secure context, so it keeps a Secure cookie from it.
        #expect(session["secure"] == "true" || session["secure"] == "1", "\(session)")
        #expect(session["httpOnly"] == "true" || session["httpOnly"] == "1", "\(session)")
        #expect(session["sameSite"] == "Strict")
        #expect(session["path"] == "/")
        #expect(session["value"]?.hasPrefix("tds_") == true)
    }

    @Test func theDashboardWorksInHeadlessChromiumWithJavaScriptOff() async throws {
        try await DashboardBrowserTests.withBrowser(javaScript: false) { served, browser, page in
            let start = browser.eventCount
            try await DashboardBrowserTests.signIn(page, served)

            // The overview: a sparkline with a drawn line for every metric, outcome badges.
            #expect(try await page.count("section.dataset") == 5)
            let sparklines = try await page.attribute("d", of: "svg.sparkline path.line")
            let metricRows = try await page.count("table.metrics tr") - page.count("table.metrics")
            #expect(sparklines.count == metricRows && metricRows >= 20, "\(sparklines.count) sparklines, \(metricRows) metrics")
            #expect(sparklines.allSatisfy { $0.hasPrefix("M") && $0.contains("L") }, "\(sparklines.filter { !$0.contains("L") })")
            #expect(try await page.count("span.badge.pass") > 0)
            try DashboardBrowserTests.checkScreenshot(try await page.png(), name: "overview.png", in: served.directory,
                                                      colors: [ChartStyle.palette[0], ChartStyle.outcomeColors["pass"]!])

            // A dataset page: trend charts with bands and lines, and the outcome bars.
            let dataset = try await page.open(served.base + "/dataset?datasource=warehouse&dataset=orders")
            #expect(dataset.status == 200 && dataset.url.hasSuffix("/dataset?datasource=warehouse&dataset=orders"))
            #expect(try await page.count("figure.chart svg") == 6)
            #expect(try await page.count("figure.chart path.band") >= 5)
            let lines = try await page.attribute("d", of: "figure.chart g.series path")
            #expect(lines.count >= 5)
            #expect(lines.allSatisfy { $0.filter { $0 == "L" }.count > 10 })
            #expect(try await page.count("figure.chart g.bars rect[data-outcome=pass]") > 20)
            try DashboardBrowserTests.checkScreenshot(try await page.png(), name: "dataset.png", in: served.directory,
                                                      colors: [ChartStyle.palette[0], ChartStyle.outcomeColors["pass"]!])

            // The query page, through its form: a forecast is drawn past the last point, and the table lists the result.
            #expect(try await page.open(served.base + "/query").status == 200)
            _ = try await offThePool {
                guard let box = try page.select("textarea[name=q]").first else { throw Chromium.Failure(description: "no textarea") }
                try page.type(#"row_count{dataset="orders"} | since 60d | forecast 14d"#, into: box)
            }
            let query = try await page.submit(nil, in: "form.query button[type=submit]")
            #expect(query.status == 200 && query.url.contains("/query?q=row_count"), "\(query)")
            #expect(try await page.count("figure.chart svg") == 1)
            #expect(try await page.count("figure.chart path.band") == 1)
            #expect(try await page.count("figure.chart path.expected") == 1)
            #expect(try await page.count("table.result tr") > 60)
            try DashboardBrowserTests.checkScreenshot(try await page.png(), name: "query.png", in: served.directory,
                                                      colors: [ChartStyle.palette[0]])

            // A bad query: the error is in the page, with its position.
            let bad = try await page.open(served.base + "/query?q=" + HTMLText.urlComponent("row_count | buckt 1d"))
            #expect(bad.status == 400)
            #expect(try await page.markup(of: "div.error-box").first?.contains("Query error at line 1, column 13") == true)

            // Signing out with the form's button; afterwards pages send the browser back to the sign-in form.
            _ = try await page.open(served.base + "/")
            let out = try await page.submit(nil, in: "header form button")
            #expect(out.url == served.base + "/sign-in")
            #expect(try await page.sessionCookie(served.base + "/") == nil)
            #expect(try await page.open(served.base + "/query").url == served.base + "/sign-in?next=%2Fquery")

            // Nothing went wrong on any page: no console errors, no failed loads, no blocked content
            // (but the 400 of the bad query, which is expected).
            let problems = page.problems(after: start).filter { !$0.contains("status of 400") }
            #expect(problems.isEmpty, "browser problems:\n\(problems.joined(separator: "\n"))")
        }
    }

    @Test func theDashboardRunsWithoutConsoleErrorsWithJavaScriptOn() async throws {
        try await DashboardBrowserTests.withBrowser(javaScript: true) { served, browser, page in
            let start = browser.eventCount
            try await DashboardBrowserTests.signIn(page, served)
            for path in ["/", "/dataset?datasource=lake&dataset=events", "/query?q=" + HTMLText.urlComponent("check | since 30d | outcomes")] {
                let loaded = try await page.open(served.base + path)
                #expect(loaded.status == 200, "\(path): \(loaded)")
                #expect(try await page.count("svg path, svg rect[data-outcome]") > 0, "\(path) draws nothing")
            }
            #expect(try await page.count("figure.chart g.bars rect") > 10)
            let problems = page.problems(after: start)
            #expect(problems.isEmpty, "browser problems:\n\(problems.joined(separator: "\n"))")
        }
    }
}
