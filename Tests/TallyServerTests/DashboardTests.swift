import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

/// A store like `tally demo`'s, but shorter: 60 days of scans of every demo dataset.
func seedDemo(_ store: Store) throws {
    try DemoStore(anchorDay: DemoStore.today(), days: 60).build(into: store)
}

extension TestServer {
    /// Signs in to the dashboard with `key` (a form post, as the browser sends it); returns the whole answer.
    func signIn(_ key: String, next: String = "/", headers: [String: String] = [:]) async throws -> HTTPResult {
        var all = ["Content-Type": "application/x-www-form-urlencoded"]
        for (name, value) in headers { all[name] = value }
        return try await send("POST", "/sign-in", headers: all, body: Array(formEncode([("key", key), ("next", next)]).utf8))
    }

    /// The session cookie (`tally_session=…`) a successful sign-in sets.
    func sessionCookie(_ key: IssuedKey) async throws -> String {
        let answer = try await signIn(key.token)
        guard answer.status == 303, let cookie = answer.headers["set-cookie"]?.split(separator: ";").first else {
            throw HTTPFailure(description: "sign-in failed: \(answer.status) \(answer.text)")
        }
        return String(cookie)
    }

    /// GET with a cookie and no key.
    func page(_ path: String, cookie: String?) async throws -> HTTPResult {
        try await send("GET", path, headers: cookie.map { ["Cookie": $0] } ?? [:])
    }
}

/// Every `<tag …>` opening of the page (to look for tags user data must never produce).
func openings(of tag: String, in html: String) -> Int { html.components(separatedBy: "<" + tag).count - 1 }

@Suite(.serialized) struct DashboardSignInTests {
    @Test func aReadKeySignsInWithASecureSessionCookie() async throws {
        let server = try await TestServer(seed: seedDemo)
        defer { Task { await server.stop() } }
        let answer = try await server.signIn(server.readKey.token, next: "/query?q=row_count")
        #expect(answer.status == 303)
        #expect(answer.headers["location"] == "/query?q=row_count")
        let cookie = try #require(answer.headers["set-cookie"])
        let attributes = cookie.split(separator: ";").map { String($0).trimmingCharacters(in: .whitespaces) }
        #expect(attributes[0].hasPrefix("tally_session=tds_") && attributes[0].count == "tally_session=tds_".count + 64)
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
            #expect(attributes.contains(attribute), "Set-Cookie lacks \(attribute): \(cookie)")
        }
        // The key never appears in the answer.
        #expect(!answer.text.contains(server.readKey.secret) && !cookie.contains(server.readKey.secret))
        let page = try await server.page("/", cookie: attributes[0])
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("Data source: warehouse") && page.text.contains(">orders</a>"))
        #expect(page.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        #expect(page.headers["cache-control"] == "no-store")
    }

    @Test func aWrongKeyGetsTheFormAgainWith401() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let wrongSecret = server.readKey.record.id + "." + String(repeating: "0", count: 64)
        for key in [wrongSecret, "", "not-a-key", server.readKey.secret] {
            let answer = try await server.signIn(key)
            #expect(answer.status == 401, "key \(key.prefix(12))…")
            #expect(answer.headers["set-cookie"] == nil)
            #expect(answer.text.contains("<form method=\"post\" action=\"/sign-in\">"))
            #expect(answer.text.contains("That key was not accepted"))
        }
        #expect(server.server.sessions.count == 0)
    }

    @Test func aWriteKeySignsInBecauseWritingIncludesReading() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        #expect(APIKeyRole.write.allows(.read))
        let cookie = try await server.sessionCookie(server.writeKey)
        #expect(try await server.page("/", cookie: cookie).status == 200)
    }

    @Test func revokingTheKeyEndsItsSessions() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        #expect(try await server.page("/", cookie: cookie).status == 200)
        let keys = try KeyManager(storePath: server.storePath)
        #expect(try keys.revoke(id: server.readKey.record.id))
        #expect(try await server.page("/", cookie: cookie).status == 303)
        #expect(try await server.signIn(server.readKey.token).status == 401)
    }

    @Test func aSignInFromAnotherSiteIsRefused() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let foreign = try await server.signIn(server.readKey.token, headers: ["Origin": "http://evil.example"])
        #expect(foreign.status == 403 && foreign.headers["set-cookie"] == nil)
        let crossSite = try await server.signIn(server.readKey.token, headers: ["Sec-Fetch-Site": "cross-site"])
        #expect(crossSite.status == 403 && crossSite.headers["set-cookie"] == nil)
        let own = try await server.signIn(server.readKey.token, headers: ["Origin": "http://127.0.0.1:\(server.port)",
                                                                          "Sec-Fetch-Site": "same-origin"])
        #expect(own.status == 303 && own.headers["set-cookie"] != nil)
    }

    @Test func signInIsPostOnlyAndAnOutsideNextIsIgnored() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let get = try await server.send("GET", "/sign-in?key=\(server.readKey.token)")
        #expect(get.status == 200 && get.headers["set-cookie"] == nil)   // the form, never a session
        #expect(try await server.send("PUT", "/sign-in").status == 405)
        for next in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
            let answer = try await server.signIn(server.readKey.token, next: next)
            #expect(answer.status == 303 && answer.headers["location"] == "/", "next \(next)")
        }
    }

    @Test func withoutASessionPagesRedirectAndDataAnswers401() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        for cookie in [nil, "tally_session=tds_" + String(repeating: "a", count: 64), "other=1"] {
            let home = try await server.page("/", cookie: cookie)
            #expect(home.status == 303 && home.headers["location"] == "/sign-in?next=%2F")
            let dataset = try await server.page("/dataset?datasource=warehouse&dataset=orders", cookie: cookie)
            #expect(dataset.status == 303)
            #expect(dataset.headers["location"] == "/sign-in?next=%2Fdataset%3Fdataset%3Dorders%26datasource%3Dwarehouse")
            #expect(try await server.page("/query?q=row_count", cookie: cookie).status == 303)
            let svg = try await server.page("/chart.svg?q=row_count", cookie: cookie)
            #expect(svg.status == 401 && !svg.text.contains("<svg"))
        }
        // An API key opens the API, not the dashboard.
        let withKey = try await server.send("GET", "/", key: server.readKey)
        #expect(withKey.status == 303)
    }

    @Test func theSessionCookieDoesNotAuthoriseTheAPI() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let writerCookie = try await server.sessionCookie(server.writeKey)
        let csv = Array("time,metric,value\n2024-05-01T00:00:00Z,m,1\n".utf8)
        let ingest = try await server.send("POST", "/api/v1/ingest", headers: ["Cookie": writerCookie, "Content-Type": "text/csv"], body: csv)
        #expect(ingest.status == 401)
        #expect(try await server.send("GET", "/api/v1/series", headers: ["Cookie": writerCookie]).status == 401)
        let feedback = try await server.send("POST", "/api/v1/feedback", headers: ["Cookie": writerCookie],
                                             body: Array(#"{"match": "m", "at": "2024-05-01", "verdict": "exclude"}"#.utf8))
        #expect(feedback.status == 401)
        // The key itself still works as before.
        let stored = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "text/csv"], body: csv)
        #expect(stored.status == 200)
    }

    @Test func signingOutEndsTheSession() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        #expect(try await server.page("/", cookie: cookie).status == 200)
        let out = try await server.send("POST", "/sign-out", headers: ["Cookie": cookie])
        #expect(out.status == 303 && out.headers["location"] == "/sign-in")
        #expect(out.headers["set-cookie"]?.contains("Max-Age=0") == true)
        // The old cookie is dead on the server, whatever the browser does with it.
        #expect(try await server.page("/", cookie: cookie).status == 303)
        #expect(try await server.send("GET", "/sign-out", headers: ["Cookie": cookie]).status == 405)
    }

    @Test func anExpiredSessionIsRejected() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let sessions = server.server.sessions
        let lifetime = sessions.lifetimeMillis
        #expect(lifetime == 8 * 3600 * 1000)
        // A session started a lifetime ago (and a millisecond) has just expired; one a millisecond younger has not.
        let now = currentTimeMillis()
        let expired = sessions.create(keyID: server.readKey.record.id, now: now - lifetime - 1)
        let live = sessions.create(keyID: server.readKey.record.id, now: now + 60_000 - lifetime)
        #expect(try await server.page("/", cookie: "tally_session=" + expired).status == 303)
        #expect(try await server.page("/", cookie: "tally_session=" + live).status == 200)
        // At the boundary, by the session store's own clock.
        let token = sessions.create(keyID: server.readKey.record.id, now: 1_000)
        #expect(try sessions.principal(token: token, now: 1_000 + lifetime - 1)?.keyID == server.readKey.record.id)
        #expect(try sessions.principal(token: token, now: 1_000 + lifetime) == nil)
        #expect(try sessions.principal(token: token, now: 1_000) == nil)   // forgotten once found expired
    }

    @Test func theStylesheetIsCachedAndRevalidated() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let css = try await server.page("/assets/tally.css", cookie: nil)
        #expect(css.status == 200 && css.headers["content-type"] == "text/css; charset=utf-8")
        #expect(css.headers["cache-control"] == "public, max-age=3600")
        let etag = try #require(css.headers["etag"])
        #expect(css.text.contains(".badge.fail"))
        let again = try await server.send("GET", "/assets/tally.css", headers: ["If-None-Match": etag])
        #expect(again.status == 304 && again.body.isEmpty)
        let stale = try await server.send("GET", "/assets/tally.css", headers: ["If-None-Match": "\"0\""])
        #expect(stale.status == 200)
        // Weak tags compare equal for GET, and `*` matches any current file.
        for tag in ["W/" + etag, "\"0\", W/" + etag, "*"] {
            #expect(try await server.send("GET", "/assets/tally.css", headers: ["If-None-Match": tag]).status == 304, "\(tag)")
        }
        #expect(try await server.page("/assets/nothing.js", cookie: nil).status == 404)
    }
}

@Suite(.serialized) struct DashboardPageTests {
    /// A metric whose latest value is anomalous (as `tally check` of its dataset judges it) is marked on the overview,
    /// with the reason in the mark's title, and the dataset counts its anomalous metrics; the others are not marked.
    @Test func theOverviewMarksAnomalousLatestValues() async throws {
        let day: Int64 = 86_400_000
        let end = (currentTimeMillis() / day) * day
        let server = try await TestServer(seed: { store in
            var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "seed"))
            let dropped = batch.addSeries(SeriesKey(metric: "row_count", labels: ["datasource": "wh", "dataset": "orders"]), kind: .measurement)
            let steady = batch.addSeries(SeriesKey(metric: "row_count", labels: ["datasource": "wh", "dataset": "customers"]), kind: .measurement)
            for k in 0..<40 {
                let t = end - Int64(40 - k) * day
                batch.append(series: dropped, time: t, value: k == 39 ? 0 : 1_000 + Double(k % 5))
                batch.append(series: steady, time: t, value: 2_000 + Double(k % 7))
            }
            try store.write(batch)
        })
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        let html = try await server.page("/", cookie: cookie).text
        #expect(openings(of: "span class=\"badge anomaly\" title=", in: html) == 1, "\(html)")
        #expect(html.contains("title=\"0 is below the expected range"), "\(html)")
        #expect(html.contains("Latest metric values: <span class=\"badge anomaly\">anomaly</span> 1"))
        let customers = try #require(html.components(separatedBy: ">customers</a>").last?.components(separatedBy: "</section>").first)
        #expect(!customers.contains("badge anomaly"))
        // The page's model is kept while the store does not change, and computed again once it does: a drop of the
        // other dataset, written after the first load, is marked at the next.
        let kept = server.server.overviewCache.withLock { $0?.changeCount }
        #expect(kept == server.server.store.changeCount)
        // While the store has not changed, the kept model is what the page shows (marked here to tell it apart).
        let model = try #require(server.server.overviewCache.withLock { $0?.model })
        let someID = try #require(model.catalog.dataSources.first?.datasets.first?.metrics.first?.info.id)
        server.server.overviewCache.withLock { $0?.model.anomalies = [someID: "kept-model-marker"] }
        #expect(try await server.page("/", cookie: cookie).text.contains("title=\"kept-model-marker\""))
        var drop = WriteBatch(origin: BatchOrigin(kind: "test", source: "later"))
        let steady = drop.addSeries(SeriesKey(metric: "row_count", labels: ["datasource": "wh", "dataset": "customers"]), kind: .measurement)
        drop.append(series: steady, time: end, value: 0)
        try server.server.store.write(drop)
        let again = try await server.page("/", cookie: cookie).text
        #expect(openings(of: "span class=\"badge anomaly\" title=", in: again) == 2, "\(again)")
        #expect(server.server.overviewCache.withLock { $0?.changeCount } == server.server.store.changeCount)
    }

    /// The overview's kept model stands while the store's change count and the clock allow.
    @Test func theKeptOverviewIsFreshUntilTheStoreChangesOrItAges() throws {
        let dir = TemporaryDirectory()
        let catalog = DashboardCatalog(store: try Store.open(at: dir.child("store")), limit: 10)
        let cached = DashboardPage.CachedOverview(changeCount: 7, made: 1_000, model: DashboardPage.Overview(catalog: catalog, sparklines: [:]))
        #expect(cached.isFresh(changeCount: 7, now: 1_000 + DashboardPage.overviewMaxAgeMillis - 1))
        #expect(!cached.isFresh(changeCount: 8, now: 1_001))
        #expect(!cached.isFresh(changeCount: 7, now: 1_000 + DashboardPage.overviewMaxAgeMillis))
        #expect(!cached.isFresh(changeCount: 7, now: 999), "a clock set back")
    }

    @Test func theOverviewListsDatasetsWithSparklinesAndOutcomes() async throws {
        let server = try await TestServer(seed: seedDemo)
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        let page = try await server.page("/", cookie: cookie)
        #expect(page.status == 200)
        let html = page.text
        // Every demo dataset, linked to its page, in its data source.
        let series = try await server.get("/api/v1/series").json as? [[String: Any]] ?? []
        let datasets = Set(series.compactMap { s -> String? in
            let labels = s["labels"] as? [String: String] ?? [:]
            return labels["dataset"].map { (labels["datasource"] ?? "") + "/" + $0 }
        })
        #expect(datasets.count == 5)
        for pair in datasets {
            let parts = pair.split(separator: "/").map(String.init)
            #expect(html.contains("href=\"/dataset?datasource=\(parts[0])&amp;dataset=\(parts[1])\""), "no link to \(pair)")
        }
        // A sparkline per metric row, each with a drawn path.
        let measurements = series.filter { $0["kind"] as? String == "measurement" }.count
        #expect(openings(of: "svg class=\"sparkline\"", in: html) == measurements)
        #expect(html.components(separatedBy: "<path class=\"line\" d=\"M").count - 1 == measurements)
        // The demo's hourly series (30 days on 134 pixels) are drawn as their mean in a min–max band.
        #expect(html.contains("<path class=\"band\" d=\"M"))
        // Checks show values in the unit of the metric they measure: Soda's (warehouse) and the lake's alike.
        let checkTables = html.components(separatedBy: "<table class=\"checks\">").dropFirst().map { $0.components(separatedBy: "</table>")[0] }
        #expect(checkTables.count == datasets.count)
        #expect(checkTables.allSatisfy { $0.contains(" seconds") && $0.contains(" rows</td>") }, "freshness in seconds, counts in rows")
        // The latest outcome of every check.
        let checks = series.filter { $0["kind"] as? String == "check" }.count
        #expect(openings(of: "td><span class=\"badge", in: html) == checks)
        #expect(openings(of: "script", in: html) == 0)
        // Checks are listed by what the checks file calls them, not by Soda's identity hashes.
        let named = series.filter { $0["kind"] as? String == "check" && ($0["attributes"] as? [String: String])?["name"] != nil }
        #expect(!named.isEmpty)
        for check in named {
            let name = try #require((check["attributes"] as? [String: String])?["name"])
            let hash = try #require((check["labels"] as? [String: String])?["check"])
            #expect(html.contains("<tr><td>" + HTMLText.escape(name)), "\(name)")
            #expect(!html.contains("<tr><td>" + HTMLText.escape(hash)), "\(hash) shown for \(name)")
        }
    }

    /// A metric that stopped being scanned before the range is listed with its latest point, not drawn as an empty
    /// chart; check series of any metric get an outcome chart, Soda's `check` first.
    @Test func aDatasetPageListsStaleMetricsAndChartsEveryCheckMetric() async throws {
        let day: Int64 = 86_400_000
        let end = (currentTimeMillis() / day) * day
        let server = try await TestServer(seed: { store in
            var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "seed"))
            func series(_ metric: String, _ kind: SeriesKind) -> Int {
                batch.addSeries(SeriesKey(metric: metric, labels: ["datasource": "wh", "dataset": "orders"]), kind: kind)
            }
            let rows = series("row_count", .measurement), old = series("legacy_total", .measurement)
            let soda = series("check", .check), own = series("schema_check", .check)
            for k in 0..<20 {
                let t = end - Int64(20 - k) * day
                batch.append(series: rows, time: t, value: 1_000 + Double(k % 3))
                batch.append(series: old, time: t - 200 * day, value: 5)
                batch.append(series: soda, time: t, value: 1, outcome: .pass)
                batch.append(series: own, time: t, value: 0, outcome: k == 19 ? .fail : .pass)
            }
            try store.write(batch)
        })
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        let html = try await server.page("/dataset?datasource=wh&dataset=orders&range=30d", cookie: cookie).text
        #expect(html.contains("<h2>row_count</h2>"))
        #expect(!html.contains("<h2>legacy_total</h2>"), "no empty chart of a metric not scanned in the range")
        let stale = try #require(html.components(separatedBy: "<section class=\"stale\">").last?.components(separatedBy: "</section>").first)
        #expect(stale.contains("<h2>Not scanned in the last 30 days</h2>"))
        #expect(stale.contains(">legacy_total</a>: latest point \(DashboardPage.time(end - 201 * day))"), "\(stale)")
        #expect(stale.contains("href=\"/query?q=legacy_total%7B"))
        let outcomes = html.components(separatedBy: "<h2>Check outcomes")
        #expect(outcomes.count == 3 && outcomes[1].hasPrefix("</h2>") && outcomes[2].hasPrefix(": schema_check</h2>"))
        #expect(outcomes[2].components(separatedBy: "</section>")[0].contains("data-outcome=\"fail\""))
    }

    @Test func aDatasetPageHasTrendsWithBandsAnomaliesAndOutcomeBars() async throws {
        let server = try await TestServer(seed: seedDemo)
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        let page = try await server.page("/dataset?datasource=warehouse&dataset=orders&range=30d", cookie: cookie)
        #expect(page.status == 200)
        let html = page.text
        #expect(html.contains("<h1>orders</h1>"))
        #expect(html.contains("<h2>Check outcomes</h2>"))
        #expect(html.contains("data-outcome=\"pass\""))
        for metric in ["row_count", "missing_count", "freshness", "avg", "duplicate_count"] {
            #expect(html.contains("<h2>\(metric)</h2>"), "no chart of \(metric)")
        }
        #expect(html.contains("class=\"band\"") && html.contains("class=\"expected\""))
        #expect(html.contains("aria-current=\"page\">30d</a>"))
        // The charts' queries can be opened in the query page.
        #expect(html.contains("/query?q=row_count%7Bdataset%3D%22orders%22%2C%20datasource%3D%22warehouse%22%7D%20%7C%20since%2030d%20%7C%20anomalies"))
        let missing = try await server.page("/dataset?datasource=warehouse&dataset=nope", cookie: cookie)
        #expect(missing.status == 404 && missing.text.contains("There is no dataset nope"))
    }

    @Test func theQueryPageShowsTheChartAndEveryPoint() async throws {
        let server = try await TestServer(seed: seedDemo)
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        let query = #"row_count{dataset="orders"} | since 20d"#
        let page = try await server.page("/query?" + formEncode([("q", query)]), cookie: cookie)
        #expect(page.status == 200)
        let api = try await server.get("/api/v1/query?" + formEncode([("q", query)]))
        let points = ((api.object["series"] as? [[String: Any]])?.first?["points"] as? [Any])?.count ?? 0
        #expect(points >= 19)
        let table = try #require(page.text.components(separatedBy: "<table class=\"result\">").dropFirst().first)
        #expect(table.components(separatedBy: "</table>")[0].components(separatedBy: "<tr>").count - 2 == points)
        #expect(page.text.contains("<figure class=\"chart\">\n<svg"))
        #expect(page.text.contains("<textarea id=\"q\" name=\"q\" spellcheck=\"false\" required>row_count{dataset=&quot;orders&quot;} | since 20d</textarea>"))
        // The same chart as a file.
        let svg = try await server.page("/chart.svg?" + formEncode([("q", query)]), cookie: cookie)
        #expect(svg.status == 200 && svg.headers["content-type"] == "image/svg+xml" && svg.text.hasPrefix("<svg"))
    }

    @Test func aQueryErrorIsShownInThePageWithItsPosition() async throws {
        let server = try await TestServer(seed: seedDemo)
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        let page = try await server.page("/query?" + formEncode([("q", "row_count | buckt 1d avg")]), cookie: cookie)
        #expect(page.status == 400)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("<strong>Query error at line 1, column 13</strong>: unknown stage `buckt`; did you mean `bucket`?"))
        // The message once (in the heading), then the query's line with a caret under the position.
        #expect(page.text.contains("<pre>row_count | buckt 1d avg\n            ^</pre>"), "\(page.text)")
        #expect(page.text.components(separatedBy: "unknown stage `buckt`").count - 1 == 1)
        // An error message quoting the query's text is escaped too.
        let hostile = #"row_count{dataset="x"} | where <script>alert(1)</script>"#
        let escaped = try await server.page("/query?" + formEncode([("q", hostile)]), cookie: cookie)
        #expect(escaped.status == 400)
        #expect(openings(of: "script", in: escaped.text) == 0)
        #expect(escaped.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        // Over the size limit: 413, still a page.
        let long = try await server.page("/query?" + formEncode([("q", "row_count" + String(repeating: " ", count: 20_000))]), cookie: cookie)
        #expect(long.status == 413 && long.text.contains("the limit is 16384"))
    }

    @Test func seriesNamesAreEscapedEverywhere() async throws {
        let server = try await TestServer(seed: seedDemo)
        defer { Task { await server.stop() } }
        let hostile = "<script>alert('x')</script>"
        var csv = "time,metric,value,datasource,dataset,column\n"
        for day in 1...5 {
            csv += "2024-05-0\(day)T06:00:00Z,row_count,\(100 + day),\"\(hostile)\",\"\(hostile)\",\"a&b\"\n"
        }
        let stored = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "text/csv"],
                                           body: Array(csv.utf8))
        #expect(stored.status == 200, "\(stored.text)")
        let cookie = try await server.sessionCookie(server.readKey)
        let escapedName = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        let overview = try await server.page("/", cookie: cookie)
        #expect(overview.status == 200)
        #expect(openings(of: "script", in: overview.text) == 0)
        #expect(overview.text.contains("Data source: " + escapedName) && overview.text.contains("column=a&amp;b"))
        let dataset = try await server.page("/dataset?" + formEncode([("datasource", hostile), ("dataset", hostile)]), cookie: cookie)
        #expect(dataset.status == 200)
        #expect(openings(of: "script", in: dataset.text) == 0)
        #expect(dataset.text.contains("<h1>" + escapedName + "</h1>"))
        let query = try await server.page("/query?" + formEncode([("q", "row_count{column=\"a&b\"}")]), cookie: cookie)
        #expect(query.status == 200)
        #expect(openings(of: "script", in: query.text) == 0)
        #expect(query.text.contains("<h3>row_count{column=&quot;a&amp;b&quot;, dataset=&quot;" + escapedName))
    }
}

@Suite struct DashboardHelperTests {
    @Test func theResultTableSaysWhichFlagsRaiseNoAlert() {
        var s = ResultSeries(metric: "row_count", labels: [:], times: [0, 1, 2, 3], values: [1, 9, 9, 1])
        s.anomaly = [false, true, true, false]
        s.alert = [false, true, false, false]
        let rows = DashboardPage.resultTables(QueryResult(series: [s])).components(separatedBy: "<tr>").dropFirst(2)
        #expect(rows.map { $0.contains("<strong>anomaly</strong>") } == [false, true, true, false])
        #expect(rows.map { $0.contains("(no alert)") } == [false, false, true, false])
    }

    /// The table's model columns read as the point's note does (one rounding), it has the score, and a forecast
    /// point's value cell is empty rather than `null`.
    @Test func theResultTableAgreesWithItsNotesAndShowsForecastsEmpty() {
        let null = columnValue(nil)
        var s = ResultSeries(metric: "row_count", labels: [:], times: [0, 1], values: [17_123, null],
                             reasons: ["17,123 is normal", "forecast; level"])
        s.expected = [17_876.862, 17_900.4]; s.lower = [16_957.3, 16_960]; s.upper = [19_833, 19_900]; s.score = [0.4213, null]
        let rows = DashboardPage.resultTables(QueryResult(series: [s])).components(separatedBy: "<tr>").dropFirst()
        #expect(rows.first?.contains("<th class=\"num\">score</th>") == true)
        let first = rows.dropFirst().first ?? "", forecast = rows.dropFirst(2).first ?? ""
        #expect(first.contains(">17,877<") && first.contains(">16,950–19,840<") && first.contains(">0.42<"), "\(first)")
        #expect(forecast.contains("<td class=\"num\">1970-01-01 00:00 UTC</td><td class=\"num\"></td>") && !forecast.contains("null"),
                "\(forecast)")
    }

    @Test func theResultTableMarksThePointOfABucketInProgress() {
        let s = ResultSeries(metric: "row_count", labels: [:], times: [0, 7, 14], values: [5, 5, 2])
        let bucket = InProgressBucket(start: 14, end: 21, width: QueryDuration(milliseconds: 7))
        let rows = DashboardPage.resultTables(QueryResult(series: [s], inProgress: bucket)).components(separatedBy: "<tr>").dropFirst(2)
        #expect(rows.map { $0.contains("(in progress)") } == [false, false, true])
        #expect(!DashboardPage.resultTables(QueryResult(series: [s])).contains("in progress"))
    }

    @Test func htmlEscapingCoversMarkupQuotesAndControls() {
        #expect(HTMLText.escape(#"<a href="x" onclick='y'>&</a>"#) == "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTMLText.escape("a\u{0}b\u{7f}c\nd") == "a b c\nd")
        #expect(HTMLText.urlComponent("a b/é&=") == "a%20b%2F%C3%A9%26%3D")
        #expect(HTMLText.localPath("/dataset?x=1") == "/dataset?x=1")
        for outside in [nil, "", "//x.example", "https://x.example", "/\\x", "/a\nb", "x"] {
            #expect(HTMLText.localPath(outside) == "/")
        }
    }

    @Test func secondsAreAlsoWrittenInTheLargestUnitsOfTime() {
        #expect(DashboardPage.value(11_354, unit: "seconds") == "11,354 seconds (3h 9m)")
        #expect(DashboardPage.value(187_200, unit: "seconds") == "187,200 seconds (2d 4h)")
        #expect(DashboardPage.value(7_200, unit: "seconds") == "7,200 seconds (2h)")
        #expect(DashboardPage.value(3_601, unit: "seconds") == "3,601 seconds (1h)")
        #expect(DashboardPage.value(2_710, unit: "seconds") == "2,710 seconds (45m 10s)")
        #expect(DashboardPage.value(45, unit: "seconds") == "45 seconds")
        #expect(DashboardPage.value(11_354, unit: "rows") == "11,354 rows")
        #expect(DashboardPage.value(1, unit: "rows") == "1 row")
        #expect(DashboardPage.value(1, unit: "seconds") == "1 second")
        #expect(DashboardPage.value(81_426_990_802, unit: "ms") == "81,426,990,802 ms (134w 4d)")
        #expect(DashboardPage.value(59_000, unit: "ms") == "59,000 ms")
        // A time kept as epoch seconds is written as the time it is.
        let info = SeriesInfo(id: 1, key: SeriesKey(metric: "max", labels: ["column": "created_at"]), kind: .measurement,
                              attributes: Attributes(["derived_from": "timestamp_epoch_seconds"]))
        let row = DashboardCatalog.Row(info: info, latest: nil, name: "max · column=created_at", unit: nil)
        #expect(DashboardPage.value(1_714_564_800, of: row) == "2024-05-01 12:00 UTC")
        #expect(DashboardPage.value(columnValue(nil), of: row) == "null")
    }

    @Test func timesForPeopleKeepTheWholeYear() {
        #expect(DashboardPage.time(1_714_543_200_000) == "2024-05-01 06:00 UTC")
        #expect(DashboardPage.time(TimeText.parse("+10000-01-01T23:59:00Z")!) == "+10000-01-01 23:59 UTC")
        #expect(DashboardPage.time(TimeText.parse("-0044-03-15T12:00:00.500Z")!) == "-0044-03-15 12:00 UTC")
    }

    @Test func cookiesAreReadByName() {
        #expect(Cookies.value(named: "tally_session", in: "a=1; tally_session=tds_x; b=2") == "tds_x")
        #expect(Cookies.value(named: "tally_session", in: "tally_session_other=1") == nil)
        #expect(Cookies.value(named: "tally_session", in: nil) == nil)
    }
}

@Suite struct DashboardCatalogTests {
    /// Two checks of a dataset with one name (the same check, two filters) are told apart by their `check` label;
    /// a name used once stays as it is.
    @Test func checksSharingANameAreToldApart() {
        func row(_ id: UInt32, _ hash: String, _ name: String) -> DashboardCatalog.Row {
            let info = SeriesInfo(id: SeriesID(id), key: SeriesKey(metric: "check", labels: ["check": hash, "dataset": "orders"]),
                                  kind: .check, attributes: Attributes(["name": name]))
            return DashboardCatalog.Row(info: info, latest: nil, name: DashboardCatalog.rowName(info), unit: nil)
        }
        let rows = DashboardCatalog.distinguished([row(1, "aa11", "missing_count(email) < 5"),
                                                   row(2, "bb22", "missing_count(email) < 5"),
                                                   row(3, "cc33", "row_count > 0")])
        #expect(rows.map(\.name) == ["missing_count(email) < 5 · check=aa11", "missing_count(email) < 5 · check=bb22",
                                      "row_count > 0"])
    }

    /// A metric or check scanned by two scans of one dataset is told apart by its `scan_definition` first.
    @Test func rowsOfTwoScansAreToldApartByTheirScanDefinition() {
        func row(_ id: UInt32, _ metric: String, _ labels: [String: String], kind: SeriesKind = .measurement,
                 name: String? = nil) -> DashboardCatalog.Row {
            let info = SeriesInfo(id: SeriesID(id), key: SeriesKey(metric: metric, labels: labels.merging(["dataset": "orders"]) { a, _ in a }),
                                  kind: kind, attributes: Attributes(name.map { ["name": $0] } ?? [:]))
            return DashboardCatalog.Row(info: info, latest: nil, name: DashboardCatalog.rowName(info), unit: nil)
        }
        let metrics = DashboardCatalog.distinguished([
            row(1, "row_count", ["scan_definition": "nightly"]), row(2, "row_count", ["scan_definition": "hourly"]),
            row(3, "avg", ["column": "amount", "scan_definition": "nightly"]), row(4, "missing_count", ["scan_definition": "nightly"])])
        #expect(metrics.map(\.name) == ["row_count · scan_definition=nightly", "row_count · scan_definition=hourly",
                                         "avg · column=amount", "missing_count"])
        let checks = DashboardCatalog.distinguished([
            row(5, "check", ["check": "aa11", "scan_definition": "nightly"], kind: .check, name: "row_count > 0"),
            row(6, "check", ["check": "bb22", "scan_definition": "hourly"], kind: .check, name: "row_count > 0"),
            row(7, "check", ["check": "cc33", "scan_definition": "hourly"], kind: .check, name: "row_count > 0")])
        #expect(checks.map(\.name) == ["row_count > 0 · scan_definition=nightly",
                                        "row_count > 0 · scan_definition=hourly · check=bb22",
                                        "row_count > 0 · scan_definition=hourly · check=cc33"])
    }

    /// A check's value is shown in the unit of the metric it measures, unless it measures a change or a score.
    @Test func checksTakeTheUnitOfTheirMetric() throws {
        func row(_ id: UInt32, _ metric: String, kind: SeriesKind, _ attributes: [String: String]) -> DashboardCatalog.Row {
            let info = SeriesInfo(id: SeriesID(id), key: SeriesKey(metric: metric, labels: ["dataset": "orders", "n": "\(id)"]),
                                  kind: kind, attributes: Attributes(attributes))
            return DashboardCatalog.Row(info: info, latest: nil, name: DashboardCatalog.rowName(info), unit: attributes["unit"])
        }
        let metrics = [row(1, "freshness", kind: .measurement, ["identity": "m-fresh", "unit": "seconds"]),
                       row(2, "row_count", kind: .measurement, ["identity": "m-rows", "unit": "rows"])]
        let checks = [row(3, "check", kind: .check, ["name": "freshness < 6h", "measurement_identity": "m-fresh"]),
                      row(4, "check", kind: .check, ["name": "change for row_count < 50%", "measurement_identity": "m-rows"]),
                      row(5, "check", kind: .check, ["name": "anomaly score for row_count < default", "measurement_identity": "m-rows"]),
                      row(6, "check", kind: .check, ["name": "row_count > 0", "measurement_identity": "m-other"]),
                      row(7, "check", kind: .check, ["name": "row_count > 0", "measurement_identity": "m-rows"]),
                      // A check named by the user: its definition says what it measures.
                      row(8, "check", kind: .check, ["name": "weekly volume", "measurement_identity": "m-rows",
                                                     "definition": "checks for orders:\n  - change for row_count < 50%"]),
                      row(9, "check", kind: .check, ["name": "rows stay up", "measurement_identity": "m-rows",
                                                     "definition": "checks for orders:\n  - row_count > 0"])]
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.child("s"))
        defer { try? store.close() }
        #expect(DashboardCatalog.withUnits(checks, from: metrics, store: store).map(\.unit) == ["seconds", nil, nil, nil, "rows", nil, "rows"])
    }
}
