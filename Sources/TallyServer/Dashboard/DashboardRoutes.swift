import Logging
import Tally
import TallyCharts

/// The dashboard in `tally serve` (docs/charts.md, "The dashboard"): server-rendered HTML and SVG pages that work
/// with JavaScript off, behind a sign-in with an API key.
///
/// | route | what |
/// |---|---|
/// | `GET /` | data sources, datasets, their metrics with sparklines, the latest check outcomes |
/// | `GET /dataset?datasource=…&dataset=…[&range=90d]` | a dataset's trend charts and its check outcomes per scan |
/// | `GET /query?q=…` | a query's chart and table; query errors shown in the page |
/// | `GET /chart.svg?q=…[&width=…&height=…]` | a query's chart as an SVG file |
/// | `GET /sign-in`, `POST /sign-in` | the sign-in form; a valid key sets the session cookie |
/// | `POST /sign-out` | ends the session |
/// | `GET /assets/tally.css`, `GET /assets/favicon.svg` | static files (no session needed: they hold no data) |
///
/// Without a valid session, pages answer `303 See Other` to the sign-in page and the SVG answers 401. The session
/// cookie grants these reads only; the API under `/api` ignores cookies, so a cross-site request cannot write.
extension TallyServer {
    /// The ranges the dataset page offers.
    static let dashboardRanges = ["7d", "30d", "90d", "1y"]

    /// The dashboard's answer, or nil when the path is not one of the dashboard's.
    func dashboard(_ request: APIRequest) async -> APIResponse? {
        let path = request.path
        if path.hasPrefix("/assets/") {
            guard request.method == "GET" else { return .methodNotAllowed(request, allow: "GET, HEAD") }
            return DashboardAssets.response(path: path, ifNoneMatch: request.headers["if-none-match"])
                ?? .text(404, "no such file: \(path)")
        }
        switch path {
        case "/sign-in":
            switch request.method {
            case "GET": return .page(200, DashboardPage.signIn(error: nil, next: HTMLText.localPath(request.query["next"])))
            case "POST": return await signIn(request)
            default: return .methodNotAllowed(request, allow: "GET, HEAD, POST")
            }
        case "/sign-out":
            guard request.method == "POST" else { return .methodNotAllowed(request, allow: "POST") }
            return signOut(request)
        case "/", "/dataset", "/query", "/chart.svg":
            guard request.method == "GET" else { return .methodNotAllowed(request, allow: "GET, HEAD") }
            let principal: Principal?
            do { principal = try dashboardPrincipal(request) } catch {
                logger.error("dashboard: cannot check the session's key", metadata: ["error": "\(error)"])
                if path == "/chart.svg" { return .text(503, DashboardPage.credentialsUnchecked) }
                return APIResponse.page(503, DashboardPage.unavailable(DashboardPage.credentialsUnchecked,
                                                                       retry: HTMLText.localPath(request.pathWithQuery)))
                    .retryingAfter(seconds: 1)
            }
            guard principal != nil else {
                if path == "/chart.svg" { return .text(401, "sign in to the dashboard first: /sign-in") }
                return .redirect(HTMLText.url("/sign-in", [("next", request.pathWithQuery)]))
            }
            switch path {
            case "/": return await overviewPage()
            case "/dataset": return await datasetPage(request)
            case "/query": return await queryPage(request)
            default: return await chartFile(request)
            }
        default:
            return nil
        }
    }

    /// The principal of the request's session cookie, when it names a live session of a key that may read.
    ///
    /// - Throws: when the catalog cannot be read to see whether the session's key still stands.
    func dashboardPrincipal(_ request: APIRequest) throws(StoreError) -> Principal? {
        guard let token = Cookies.value(named: DashboardSessions.cookieName, in: request.headers["cookie"]),
              let principal = try sessions.principal(token: token), principal.role.allows(.read) else { return nil }
        return principal
    }

    // MARK: Signing in and out

    /// `POST /sign-in` with a form body `key=<id>.<secret>[&next=/path]`: a valid read or write key (a write key may
    /// read too) starts a session and answers 303 to `next`; anything else shows the form again with 401.
    func signIn(_ request: APIRequest) async -> APIResponse {
        guard isSameOrigin(request) else {
            return .page(403, DashboardPage.signIn(error: "This sign-in came from another site and was refused.", next: "/"))
        }
        guard request.contentType == "application/x-www-form-urlencoded" else {
            return .page(415, DashboardPage.signIn(error: "Send the sign-in form (application/x-www-form-urlencoded).", next: "/"))
        }
        let form = parseQueryString(String(decoding: request.body, as: UTF8.self))
        let next = HTMLText.localPath(form["next"])
        let key = (form["key"] ?? "").trimmingSpaces
        let keys = self.keys
        let record: APIKeyRecord?
        do {
            record = try await runBlocking { try keys.verify(token: key) }
        } catch {
            logger.error("dashboard sign-in: cannot check the key", metadata: ["error": "\(error)"])
            return APIResponse.page(503, DashboardPage.signIn(error: DashboardPage.credentialsUnchecked, next: next))
                .retryingAfter(seconds: 1)
        }
        guard let record, record.role.allows(.read) else {
            logger.notice("dashboard sign-in refused")
            return .page(401, DashboardPage.signIn(
                error: "That key was not accepted. Paste a whole key, <id>.<secret>, as `tally keys create` printed it.",
                next: next))
        }
        let token = sessions.create(keyID: record.id)
        logger.info("dashboard sign-in", metadata: ["key": "\(record.id)"])
        var response = APIResponse.redirect(next)
        response.headers.append(("Set-Cookie", Cookies.session(token, maxAgeSeconds: sessions.lifetimeMillis / 1000)))
        return response
    }

    /// `POST /sign-out`: ends the session (when there is one), clears the cookie, and answers 303 to the sign-in page.
    func signOut(_ request: APIRequest) -> APIResponse {
        guard isSameOrigin(request) else { return .text(403, "this sign-out came from another site and was refused") }
        if let token = Cookies.value(named: DashboardSessions.cookieName, in: request.headers["cookie"]), sessions.end(token: token) {
            logger.info("dashboard sign-out")
        }
        var response = APIResponse.redirect("/sign-in")
        response.headers.append(("Set-Cookie", Cookies.clearedSession))
        return response
    }

    /// Whether a form post comes from the dashboard's own pages: browsers send `Origin` (and `Sec-Fetch-Site`) with
    /// posts; when they are there they must name this server. Clients that send neither (curl) are let through:
    /// they carry no cookies of a victim.
    func isSameOrigin(_ request: APIRequest) -> Bool {
        if let site = request.headers["sec-fetch-site"], site != "same-origin", site != "none" { return false }
        guard let origin = request.headers["origin"] else { return true }
        guard let host = request.headers["host"] else { return false }
        return origin == "http://" + host || origin == "https://" + host
    }

    // MARK: Pages

    /// `GET /`: every data source and dataset, with a sparkline of each metric over the last 30 days, whether its latest
    /// value is anomalous (as `tally check` of the dataset's metrics judges it), and the latest outcome of each check.
    ///
    /// Checking every dataset takes seconds on a large store, so the page's model is kept and reused while the
    /// store has not changed (``Store/changeCount``), for at most ``DashboardPage/overviewMaxAgeMillis``.
    func overviewPage() async -> APIResponse {
        let store = self.store
        let limits = configuration.limits.query
        let cache = overviewCache
        do {
            let model = try await runBlocking { () -> DashboardPage.Overview in
                // The count before the reads: a change made while they run makes the next load compute again.
                let changes = store.changeCount
                let now = currentTimeMillis()
                if let cached = cache.withLock({ $0 }), cached.isFresh(changeCount: changes, now: now) { return cached.model }
                let model = try Self.overview(store: store, limits: limits, now: now)
                cache.withLock { $0 = DashboardPage.CachedOverview(changeCount: changes, made: now, model: model) }
                return model
            }
            return .page(200, DashboardPage.overview(model))
        } catch {
            return dashboardFailure(error)
        }
    }

    /// The overview's model at `now`: each dataset's metrics checked, and their sparklines.
    static func overview(store: Store, limits: QueryLimits, now: Int64) throws -> DashboardPage.Overview {
        let catalog = DashboardCatalog(store: store, limit: DashboardPage.maxOverviewSeries)
        var sparklines: [SeriesID: String] = [:]
        var anomalies: [SeriesID: String] = [:]
        for source in catalog.dataSources {
            for dataset in source.datasets {
                // One check of the dataset's metrics (the default options, as `tally check`), within the
                // server's query limits; a dataset over them is shown without marks. A store error fails the
                // page, as the sparklines' reads do.
                let selector = DashboardCatalog.selector(allBut: SodaScan.checkMetric, dataSource: source.name, dataset: dataset.name)
                var report: AnomalyCheckReport?
                do {
                    if !dataset.metrics.isEmpty { report = try store.check(selector, now: now, limits: limits) }
                } catch let error as QueryError where error.kind == .limitExceeded {
                    report = nil
                }
                if let report {
                    let ids = Dictionary(dataset.metrics.map { ($0.info.key.description, $0.info.id) }, uniquingKeysWith: { a, _ in a })
                    for finding in report.findings { if let id = ids[finding.seriesText] { anomalies[id] = finding.reason ?? "anomalous" } }
                }
                for row in dataset.metrics {
                    // The 30 days before the series' latest point, so that a stale series still shows its trend.
                    let end = (row.latest?.time ?? now) + 1
                    let start = timeShift(end, back: 30 * 86_400_000)
                    let points = try store.read(row.info.id, in: TimeRange(from: start, to: end))
                    sparklines[row.info.id] = Sparkline().svg(
                        times: points.times, values: points.values.map { optionalValue($0).flatMap { $0.isFinite ? $0 : nil } },
                        label: "\(row.name): the 30 days up to its latest point")
                }
            }
        }
        return DashboardPage.Overview(catalog: catalog, sparklines: sparklines, anomalies: anomalies)
    }

    /// `GET /dataset?datasource=…&dataset=…[&range=90d]`: the check outcomes per scan, then each metric's trend with its
    /// expected range and anomalies (`| anomalies`). A `range` that is not one of ``dashboardRanges`` is a 400 page.
    func datasetPage(_ request: APIRequest) async -> APIResponse {
        let dataSource = request.query["datasource"] ?? "", name = request.query["dataset"] ?? ""
        let range = request.query["range"] ?? "90d"
        guard TallyServer.dashboardRanges.contains(range) else {
            return .page(400, DashboardPage.badRange(range, dataSource: dataSource, dataset: name))
        }
        let store = self.store
        let limits = configuration.limits.query
        do {
            let model = try await runBlocking { () -> DashboardPage.DatasetModel? in
                let catalog = DashboardCatalog(store: store, limit: Int.max)
                guard let dataset = catalog.dataset(dataSource: dataSource, name: name) else { return nil }
                let now = currentTimeMillis()
                let window = try DatasetWindow(range: range, latest: dataset.latestTime, now: now)
                var charts: [DashboardPage.ChartBlock] = []
                var stale: [DashboardPage.StaleMetric] = []
                // One chart per metric; a metric with no point in the window (it stopped being scanned) is listed
                // with a query of its own last stretch instead of an empty chart.
                func chart(_ rows: [DashboardCatalog.Row], metric: String, heading: String, stage: String) throws {
                    let selector = DashboardCatalog.selector(metric: metric, dataSource: dataSource, dataset: name)
                    let latest = rows.compactMap { $0.latest?.time }.max()
                    if let latest, latest < window.start {
                        let own = try DatasetWindow(range: range, latest: latest, now: now)
                        stale.append(DashboardPage.StaleMetric(heading: heading, latest: latest,
                                                               query: selector + " | since \(own.since) | \(stage)"))
                        return
                    }
                    let query = selector + " | since \(window.since) | \(stage)"
                    charts.append(DashboardPage.ChartBlock(heading: heading, query: query,
                                                           outcome: try TallyServer.chart(query, store: store, now: now, limits: limits)))
                }
                // Checks are Soda's `check` series, and any other check series the dataset has, a chart per metric.
                let checkMetrics = Dictionary(grouping: dataset.checks, by: \.info.key.metric)
                for metric in checkMetrics.keys.sorted(by: { ($0 == SodaScan.checkMetric ? 0 : 1, $0) < ($1 == SodaScan.checkMetric ? 0 : 1, $1) }) {
                    try chart(checkMetrics[metric]!, metric: metric,
                              heading: metric == SodaScan.checkMetric ? "Check outcomes" : "Check outcomes: \(metric)", stage: "outcomes")
                }
                let metrics = Dictionary(grouping: dataset.metrics, by: \.info.key.metric)
                for metric in metrics.keys.sorted() {
                    try chart(metrics[metric]!, metric: metric, heading: metric, stage: "anomalies")
                }
                // Stacked on one page, the charts line up: one room left of the plots, one time span, so a failed
                // check's bar sits over the metric's drop.
                let drawn = charts.compactMap { try? $0.outcome.get() }
                if let alignment = Chart.alignment(of: drawn.map(\.chart)) {
                    for k in charts.indices {
                        guard case .success(var charted) = charts[k].outcome else { continue }
                        charted.spec.alignment = alignment
                        charted.chart = Chart(charted.result, spec: charted.spec)
                        charts[k].outcome = .success(charted)
                    }
                }
                return DashboardPage.DatasetModel(dataset: dataset, range: range, staleLatest: window.staleLatest, charts: charts,
                                                  staleMetrics: stale)
            }
            guard let model else {
                return .page(404, DashboardPage.notFound("There is no dataset \(name.isEmpty ? "(none)" : name) in data source "
                                                         + "\(dataSource.isEmpty ? "(none)" : dataSource)."))
            }
            return .page(200, DashboardPage.dataset(model))
        } catch {
            return dashboardFailure(error)
        }
    }

    /// `GET /query[?q=…]`: the form; with a query, its chart and a table of the result, or the error with its position
    /// (status 400, or 413 over the limits).
    func queryPage(_ request: APIRequest) async -> APIResponse {
        let text = request.query["q"] ?? ""
        guard !text.trimmingSpaces.isEmpty else { return .page(200, DashboardPage.query(text: text, outcome: nil)) }
        if text.utf8.count > configuration.limits.maxQueryBytes {
            let error = QueryError(.limitExceeded, "the query is \(text.utf8.count) bytes; the limit is \(configuration.limits.maxQueryBytes)", at: nil)
            return .page(413, DashboardPage.query(text: text, outcome: .failure(error)))
        }
        let store = self.store
        let limits = configuration.limits.query
        do {
            let outcome = try await runBlocking { try TallyServer.chart(text, store: store, now: currentTimeMillis(), limits: limits) }
            switch outcome {
            case .success: return .page(200, DashboardPage.query(text: text, outcome: outcome))
            case .failure(let error):
                return .page(error.kind == .limitExceeded ? 413 : 400, DashboardPage.query(text: text, outcome: outcome))
            }
        } catch {
            return dashboardFailure(error)
        }
    }

    /// `GET /chart.svg?q=…[&width=800&height=320]`: the chart of a query as an SVG file; a bad query is 400 (text).
    func chartFile(_ request: APIRequest) async -> APIResponse {
        guard let text = request.query["q"], !text.trimmingSpaces.isEmpty else { return .text(400, "missing the query: add ?q=<query>") }
        if text.utf8.count > configuration.limits.maxQueryBytes {
            return .text(413, "the query is \(text.utf8.count) bytes; the limit is \(configuration.limits.maxQueryBytes)")
        }
        // A size that is not a number is an error too, not the default size.
        var size: [Int] = []
        for (name, standard, range) in [("width", 800, 240...4000), ("height", 320, 160...4000)] {
            guard let text = request.query[name] else { size.append(standard); continue }
            guard let n = Int(text), range.contains(n) else {
                return .text(400, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), found `\(text)`")
            }
            size.append(n)
        }
        let (width, height) = (size[0], size[1])
        let store = self.store
        let limits = configuration.limits.query
        do {
            let outcome = try await runBlocking {
                try TallyServer.chart(text, store: store, now: currentTimeMillis(), limits: limits, width: width, height: height)
            }
            switch outcome {
            case .success(let result):
                return APIResponse(status: 200, contentType: "image/svg+xml", body: Array(result.chart.svg().utf8),
                                   headers: [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
            case .failure(let error):
                return .text(error.kind == .limitExceeded ? 413 : 400, error.render(query: text))
            }
        } catch {
            return dashboardFailure(error)
        }
    }

    /// The time range of a dataset page's charts: the `range` up to now; or, when the dataset has no point in it, the
    /// `range` up to its latest point, as the overview's sparklines end at each series' latest point.
    struct DatasetWindow: Sendable {
        /// The argument of the charts' `since`: the range (`90d`), or the time it starts (`2024-02-11T06:00:00Z`).
        var since: String
        /// The dataset's latest point when it is older than the range before now (the window ends there).
        var staleLatest: Int64?
        /// Where the window starts (epoch milliseconds).
        var start: Int64

        init(range: String, latest: Int64?, now: Int64) throws(QueryError) {
            let duration = try QueryDuration(parsing: range)
            if let latest, latest < duration.subtracted(from: now) {
                start = duration.subtracted(from: latest)
                since = TimeText.format(start)
                staleLatest = latest
            } else {
                start = duration.subtracted(from: now)
                since = range
                staleLatest = nil
            }
        }
    }

    /// A query and its chart, sized for the dashboard's pages, with units from the series' `unit` attributes.
    struct ChartedResult: Sendable {
        var result: QueryResult
        var chart: Chart
        /// The spec it was laid out with (to lay it out again, lined up with others).
        var spec: ChartSpec
    }

    /// Runs `text` and lays its result out as a chart; a query error is the failure (other errors are thrown).
    static func chart(_ text: String, store: Store, now: Int64, limits: QueryLimits, width: Int = 1000,
                      height: Int = 300) throws -> Result<ChartedResult, QueryError> {
        let result: QueryResult
        do {
            result = try store.query(text, now: now, limits: limits)
        } catch let error as QueryError {
            return .failure(error)
        }
        let spec = store.chartSpec(for: result, title: text, width: width, height: height)
        return .success(ChartedResult(result: result, chart: Chart(result, spec: spec), spec: spec))
    }

    /// A failure of the store while rendering a page: logged, and shown as a page with status 500.
    func dashboardFailure(_ error: any Error) -> APIResponse {
        logger.error("dashboard page failed", metadata: ["error": "\(error)"])
        return .page(500, DashboardPage.failure("The store could not be read: \(error)"))
    }
}

extension APIRequest {
    /// The path and the query parameters (sorted by name), as a local URL to come back to.
    var pathWithQuery: String {
        HTMLText.url(path, query.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
}

extension APIResponse {
    /// Headers of every dashboard page: no scripts at all, styles and images from this server only, no framing,
    /// no caching (the pages show data), no referrer to other sites (with `no-referrer`, browsers would send
    /// `Origin: null` on the sign-in post, which the same-origin check must refuse).
    static let pageHeaders: [(String, String)] = [
        ("Content-Security-Policy",
         "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
    ]

    /// An HTML page.
    static func page(_ status: Int, _ html: String) -> APIResponse {
        APIResponse(status: status, contentType: "text/html; charset=utf-8", body: Array(html.utf8), headers: pageHeaders)
    }

    /// `303 See Other` to a local path.
    static func redirect(_ location: String) -> APIResponse {
        APIResponse(status: 303, contentType: "text/plain; charset=utf-8", body: Array("see \(location)\n".utf8),
                    headers: [("Location", location), ("Cache-Control", "no-store")])
    }

    /// A plain-text answer (the dashboard's non-HTML errors).
    static func text(_ status: Int, _ message: String) -> APIResponse {
        APIResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array((message + "\n").utf8),
                    headers: [("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")])
    }

    /// 405 with the methods the path takes.
    static func methodNotAllowed(_ request: APIRequest, allow: String) -> APIResponse {
        var response = text(405, "\(request.method) is not allowed on \(request.path)")
        response.headers.append(("Allow", allow))
        return response
    }
}
