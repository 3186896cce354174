import Tally
import TallyCharts

/// The dashboard's HTML pages. Every page is complete without scripts: charts are inline SVG, navigation is links
/// and forms. Everything that comes from the store, the request or an error goes through ``HTMLText/escape(_:)``.
enum DashboardPage {
    /// The most series the overview lists (the first ones, in key order); the page says when there are more.
    static let maxOverviewSeries = 2_000
    /// The most points per series the query page's table shows (the latest ones).
    static let maxTableRows = 200

    /// What the overview shows.
    struct Overview: Sendable {
        var catalog: DashboardCatalog
        /// The sparkline SVG of each metric row.
        var sparklines: [SeriesID: String]
        /// The metrics whose latest point is anomalous (as `tally check` judges it), with the reason.
        var anomalies: [SeriesID: String] = [:]
    }

    /// The overview's model, kept with what it was computed from.
    struct CachedOverview: Sendable {
        /// The store's ``Store/changeCount`` read before the model was computed.
        var changeCount: UInt64
        /// When it was computed (epoch milliseconds).
        var made: Int64
        var model: Overview

        /// Whether it still stands: the store has not changed since, and it is younger than
        /// ``DashboardPage/overviewMaxAgeMillis`` (as time passes, a point stored ahead of its time comes due).
        func isFresh(changeCount: UInt64, now: Int64) -> Bool {
            changeCount == self.changeCount && now >= made && now - made < DashboardPage.overviewMaxAgeMillis
        }
    }

    /// How long the overview's model is reused while the store does not change.
    static let overviewMaxAgeMillis: Int64 = 5 * 60_000

    /// One chart of a page: its query and the chart, or the query's error.
    struct ChartBlock: Sendable {
        var heading: String
        var query: String
        var outcome: Result<TallyServer.ChartedResult, QueryError>
    }

    /// What a dataset page shows.
    struct DatasetModel: Sendable {
        var dataset: DashboardCatalog.Dataset
        var range: String
        /// The dataset's latest point, when it is older than the range before now and the charts end there instead.
        var staleLatest: Int64?
        var charts: [ChartBlock]
        /// The metrics with no point in the range, listed instead of charted.
        var staleMetrics: [StaleMetric] = []
    }

    /// A metric of a dataset page with no point in its range: when it was last scanned, and a query of the range
    /// before that.
    struct StaleMetric: Sendable {
        var heading: String
        var latest: Int64
        var query: String
    }

    // MARK: Layout

    /// A whole page: head, the top bar (with sign-out when `signedIn`), then `body` in `<main>`.
    static func layout(title: String, signedIn: Bool = true, body: String) -> String {
        var o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        o += "<title>\(HTMLText.escape(title)) · Tally</title>\n"
        o += "<link rel=\"stylesheet\" href=\"/assets/tally.css\">\n"
        o += "<link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">\n</head>\n<body>\n"
        o += "<header class=\"top\"><a class=\"brand\" href=\"/\">Tally</a>"
        if signedIn {
            o += "<nav><a href=\"/\">Overview</a><a href=\"/query\">Query</a></nav>"
            o += "<form method=\"post\" action=\"/sign-out\"><button type=\"submit\">Sign out</button></form>"
        }
        o += "</header>\n<main>\n" + body + "</main>\n</body>\n</html>\n"
        return o
    }

    /// `2024-05-01 06:00 UTC` (`+10000-01-01 00:00 UTC`, `-0044-03-15 12:00 UTC` outside years 0000–9999).
    static func time(_ millis: Int64) -> String {
        let iso = TimeText.format(millis)
        let date = iso.prefix { $0 != "T" }
        return String(date) + " " + String(iso.dropFirst(date.count + 1).prefix(5)) + " UTC"
    }

    /// `1 data source`, `12,000 points`.
    static func counted(_ n: Int, _ one: String, _ many: String) -> String {
        ChartText.grouped(Double(n), decimals: 0) + " " + (n == 1 ? one : many)
    }

    /// A value for people (`12,345`, `84.12`, `null`) with its unit; seconds of a minute or more also as the two
    /// largest units of time (`11,354 seconds (3h 9m)`: a freshness is read in hours, not seconds).
    /// Milliseconds (`ms`) likewise: `81,426,990,802 ms (134w 4d)`.
    static func value(_ v: Double, unit: String? = nil) -> String {
        guard let v = optionalValue(v) else { return "null" }
        let seconds: Double? = switch unit {
        case "seconds", "s": v
        case "ms", "milliseconds": v / 1000
        default: nil
        }
        let readable = seconds.flatMap(readableSeconds).map { " (" + $0 + ")" } ?? ""
        return ChartText.number(v, unit: unit) + readable
    }

    /// A row's latest value for people: as ``value(_:unit:)``, except a time kept as epoch seconds (Soda's
    /// `max(created_at)`, attribute `derived_from=timestamp_epoch_seconds`), which is written as the time it is.
    static func value(_ v: Double, of row: DashboardCatalog.Row) -> String {
        if row.info.attributes["derived_from"] == "timestamp_epoch_seconds", let s = optionalValue(v), s.isFinite,
           abs(s) < 9e15 {
            return time(Int64((s * 1000).rounded(.down)))
        }
        return value(v, unit: row.unit)
    }

    /// `3h 9m`, `2d 4h`, `1w 2d`, `45m 10s`, for a finite number of seconds of at least a minute (whole seconds,
    /// the two largest units, the second left out when it is zero); `nil` under a minute.
    static func readableSeconds(_ v: Double) -> String? {
        guard v.isFinite, abs(v) >= 60, abs(v) < 1e15 else { return nil }
        var rest = Int64(abs(v).rounded())
        var parts: [String] = []
        for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where parts.count < 2 {
            let n = rest / size
            if n > 0 || !parts.isEmpty {
                if n > 0 { parts.append("\(n)\(unit)") } else { break }
            }
            rest -= n * size
        }
        return (v < 0 ? "-" : "") + parts.joined(separator: " ")
    }

    /// An expected value as its reasons write it (four significant digits, whole numbers kept whole: `16,636`,
    /// `0.1234`): a model's output has no exact value to show.
    static func modelValue(_ v: Double) -> String {
        guard let v = optionalValue(v) else { return "null" }
        return v.isFinite ? formatAnomalyNumber(v, significant: 4) : ChartText.number(v)
    }

    /// An outcome badge.
    static func badge(_ outcome: Outcome?) -> String {
        guard let outcome else { return "<span class=\"badge\">none</span>" }
        return "<span class=\"badge \(outcome.description)\">\(outcome == .notEvaluated ? "not evaluated" : outcome.description)</span>"
    }

    static func datasetURL(dataSource: String, dataset: String, range: String? = nil) -> String {
        var parameters = [("datasource", dataSource), ("dataset", dataset)]
        if let range { parameters.append(("range", range)) }
        return HTMLText.url("/dataset", parameters)
    }

    static func shown(_ name: String) -> String { name.isEmpty ? "(none)" : name }

    // MARK: Sign-in

    /// The sign-in form; `error` is shown above it.
    static func signIn(error: String?, next: String) -> String {
        var o = "<section class=\"signin\">\n<h1>Sign in</h1>\n"
        o += "<p class=\"muted\">Paste an API key (<code>tally keys create --role read</code> prints one). "
        o += "The dashboard only reads; a write key works too.</p>\n"
        if let error { o += "<div class=\"error-box\" role=\"alert\">\(HTMLText.escape(error))</div>\n" }
        o += "<form method=\"post\" action=\"/sign-in\">\n"
        o += "<label for=\"key\">API key</label>\n"
        o += "<input type=\"password\" id=\"key\" name=\"key\" autocomplete=\"off\" required autofocus>\n"
        o += "<input type=\"hidden\" name=\"next\" value=\"\(HTMLText.escape(next))\">\n"
        o += "<input type=\"submit\" value=\"Sign in\">\n</form>\n</section>\n"
        return layout(title: "Sign in", signedIn: false, body: o)
    }

    /// The text for a person when a key or session could not be checked (the key catalog could not be read).
    static let credentialsUnchecked = "The server could not read its key catalog to check your key. Try again in a moment."

    /// A page that says the request could not be answered now, and why (`text`), with a link to try `path` again.
    static func unavailable(_ text: String, retry path: String) -> String {
        var o = "<section class=\"signin\">\n<h1>Try again</h1>\n"
        o += "<div class=\"error-box\" role=\"alert\">\(HTMLText.escape(text))</div>\n"
        o += "<p><a href=\"\(HTMLText.escape(path))\">Try again</a></p>\n</section>\n"
        return layout(title: "Try again", signedIn: false, body: o)
    }

    // MARK: Overview

    static func overview(_ model: Overview) -> String {
        let catalog = model.catalog
        var o = "<h1>Data quality</h1>\n"
        let datasets = catalog.dataSources.reduce(0) { $0 + $1.datasets.count }
        o += "<p class=\"muted\">\(counted(catalog.seriesCount, "series", "series")) in \(counted(catalog.dataSources.count, "data source", "data sources")) "
            + "and \(counted(datasets, "dataset", "datasets"))."
        if catalog.listed < catalog.seriesCount { o += " The first \(catalog.listed) are listed." }
        o += " Sparklines show the 30 days up to each series' latest point.</p>\n"
        if catalog.dataSources.isEmpty {
            o += "<p>The store has no series yet: ingest Soda scan results or a points CSV (see the README).</p>\n"
        }
        for source in catalog.dataSources {
            o += "<h2>Data source: \(HTMLText.escape(shown(source.name)))</h2>\n"
            for dataset in source.datasets {
                o += "<section class=\"dataset\">\n<h3><a href=\"\(HTMLText.escape(datasetURL(dataSource: source.name, dataset: dataset.name)))\">"
                o += HTMLText.escape(shown(dataset.name)) + "</a></h3>\n"
                if !dataset.checks.isEmpty {
                    let counts = dataset.latestOutcomes
                    o += "<p class=\"counts\">Latest check outcomes: "
                    for outcome in [Outcome.fail, .error, .warn, .pass, .notEvaluated] where counts[outcome] != nil {
                        o += badge(outcome) + " \(counts[outcome]!) "
                    }
                    o += "</p>\n"
                }
                let anomalous = dataset.metrics.filter { model.anomalies[$0.info.id] != nil }.count
                if anomalous > 0 {
                    o += "<p class=\"counts\">Latest metric values: <span class=\"badge anomaly\">anomaly</span> \(anomalous)</p>\n"
                }
                if !dataset.metrics.isEmpty {
                    o += "<table class=\"metrics\">\n<tr><th>metric</th><th>trend</th><th class=\"num\">latest</th><th class=\"num\">at</th></tr>\n"
                    for row in dataset.metrics {
                        o += "<tr><td>\(HTMLText.escape(row.name))</td><td>\(model.sparklines[row.info.id] ?? "")</td>"
                        // An anomalous latest value is marked, its reason in the title.
                        let mark = model.anomalies[row.info.id].map {
                            " <span class=\"badge anomaly\" title=\"\(HTMLText.escape($0))\">anomaly</span>"
                        } ?? ""
                        o += "<td class=\"num\">\(row.latest.map { HTMLText.escape(value($0.value, of: row)) } ?? "")\(mark)</td>"
                        o += "<td class=\"num\">\(row.latest.map { time($0.time) } ?? "")</td></tr>\n"
                    }
                    o += "</table>\n"
                }
                if !dataset.checks.isEmpty {
                    o += "<table class=\"checks\">\n<tr><th>check</th><th>latest outcome</th><th class=\"num\">value</th><th class=\"num\">at</th></tr>\n"
                    for row in dataset.checks {
                        o += "<tr><td>\(HTMLText.escape(row.name))</td>"
                        o += "<td>\(badge(row.latest.flatMap { Outcome(rawValue: $0.outcome) }))</td>"
                        o += "<td class=\"num\">\(row.latest.map { HTMLText.escape(value($0.value, of: row)) } ?? "")</td>"
                        o += "<td class=\"num\">\(row.latest.map { time($0.time) } ?? "")</td></tr>\n"
                    }
                    o += "</table>\n"
                }
                o += "</section>\n"
            }
        }
        return layout(title: "Overview", body: o)
    }

    // MARK: Dataset

    static func dataset(_ model: DatasetModel) -> String {
        let dataset = model.dataset
        var o = "<p class=\"crumbs\"><a href=\"/\">Overview</a> / data source \(HTMLText.escape(shown(dataset.dataSource)))</p>\n"
        o += "<h1>\(HTMLText.escape(shown(dataset.name)))</h1>\n"
        o += rangeLinks(dataSource: dataset.dataSource, dataset: dataset.name, current: model.range)
        if let latest = model.staleLatest {
            let span = rangeWords(model.range)
            o += "<p class=\"notice\">Nothing in the last \(span): the latest scan was on \(time(latest)); "
                + "showing the \(span) before it.</p>\n"
        }
        if !dataset.checks.isEmpty {
            o += "<h2>Checks</h2>\n<table class=\"checks\">\n<tr><th>check</th><th>latest outcome</th><th class=\"num\">value</th><th class=\"num\">at</th></tr>\n"
            for row in dataset.checks {
                o += "<tr><td>\(HTMLText.escape(row.name))</td><td>\(badge(row.latest.flatMap { Outcome(rawValue: $0.outcome) }))</td>"
                o += "<td class=\"num\">\(row.latest.map { HTMLText.escape(value($0.value, of: row)) } ?? "")</td>"
                o += "<td class=\"num\">\(row.latest.map { time($0.time) } ?? "")</td></tr>\n"
            }
            o += "</table>\n"
        }
        for block in model.charts {
            o += "<section class=\"chart\">\n<h2>\(HTMLText.escape(block.heading))</h2>\n"
            o += chartOrError(block.outcome, query: block.query)
            o += "<p><a href=\"\(HTMLText.escape(HTMLText.url("/query", [("q", block.query)])))\">Open this query</a></p>\n</section>\n"
        }
        if !model.staleMetrics.isEmpty {
            o += "<section class=\"stale\">\n<h2>Not scanned in the last \(rangeWords(model.range))</h2>\n<ul>\n"
            for metric in model.staleMetrics {
                let url = HTMLText.escape(HTMLText.url("/query", [("q", metric.query)]))
                o += "<li><a href=\"\(url)\">\(HTMLText.escape(metric.heading))</a>: latest point \(time(metric.latest))</li>\n"
            }
            o += "</ul>\n</section>\n"
        }
        return layout(title: shown(dataset.name), body: o)
    }

    /// A dashboard range in words: `7d` is `7 days`, `1y` is `year`.
    static func rangeWords(_ range: String) -> String {
        switch range {
        case "1y": return "year"
        case let r where r.hasSuffix("d"): return String(r.dropLast()) + " days"
        default: return range
        }
    }

    /// The 400 page for a `range` the dataset page does not offer, linking to the ranges it does.
    static func badRange(_ range: String, dataSource: String, dataset: String) -> String {
        var o = "<h1>Bad request</h1>\n<div class=\"error-box\" role=\"alert\">range must be one of "
        o += TallyServer.dashboardRanges.joined(separator: ", ") + "; found "
        o += (range.isEmpty ? "nothing" : "<code>\(HTMLText.escape(range))</code>") + ".</div>\n"
        return layout(title: "Bad request", body: o + rangeLinks(dataSource: dataSource, dataset: dataset, current: nil))
    }

    /// `Range: 7d 30d …`, a link per range the dashboard offers for the dataset; `current` marked as the page's.
    private static func rangeLinks(dataSource: String, dataset: String, current: String?) -> String {
        var o = "<p class=\"ranges\">Range: "
        for range in TallyServer.dashboardRanges {
            let url = HTMLText.escape(datasetURL(dataSource: dataSource, dataset: dataset, range: range))
            o += range == current ? "<a class=\"current\" href=\"\(url)\" aria-current=\"page\">\(range)</a>" : "<a href=\"\(url)\">\(range)</a>"
        }
        return o + "</p>\n"
    }

    /// A chart's inline SVG, or its query's error with the position marked.
    static func chartOrError(_ outcome: Result<TallyServer.ChartedResult, QueryError>, query: String) -> String {
        switch outcome {
        case .success(let charted):
            return "<figure class=\"chart\">\n" + charted.chart.svg() + "</figure>\n"
        case .failure(let error):
            return errorBox(error, query: query)
        }
    }

    /// `Query error at 1:13: …` and the query's line with a caret under the position.
    static func errorBox(_ error: QueryError, query: String) -> String {
        var o = "<div class=\"error-box\" role=\"alert\">\n<strong>"
        o += error.span == nil ? "Query error" : "Query error at line \(error.line), column \(error.column)"
        o += "</strong>: \(HTMLText.escape(error.fullMessage))\n"
        // The query's line with the caret: the message is in the heading already.
        if let marked = error.markedLine(query: query) { o += "<pre>\(HTMLText.escape(marked))</pre>\n" }
        o += "</div>\n"
        return o
    }

    // MARK: Query

    /// The query form; with an outcome, the chart and the table of the result, or the error.
    static func query(text: String, outcome: Result<TallyServer.ChartedResult, QueryError>?) -> String {
        var o = "<h1>Query</h1>\n<form class=\"query\" method=\"get\" action=\"/query\">\n"
        o += "<label for=\"q\">A query in Tally's query language (docs/query-language.md)</label>\n"
        o += "<textarea id=\"q\" name=\"q\" spellcheck=\"false\" required>\(HTMLText.escape(text))</textarea>\n"
        o += "<p><button type=\"submit\">Run</button></p>\n</form>\n"
        guard let outcome else {
            o += "<p class=\"examples muted\">For example: <code>row_count | since 30d</code>, "
            o += "<code>row_count{dataset=\"orders\"} | since 90d | anomalies</code>, "
            o += "<code>check | since 30d | outcomes</code>, <code>row_count | since 60d | forecast 14d</code>.</p>\n"
            return layout(title: "Query", body: o)
        }
        switch outcome {
        case .failure(let error):
            o += errorBox(error, query: text)
        case .success(let charted):
            o += "<figure class=\"chart\">\n" + charted.chart.svg() + "</figure>\n"
            o += "<p><a href=\"\(HTMLText.escape(HTMLText.url("/chart.svg", [("q", text)])))\">The chart as an SVG file</a></p>\n"
            o += resultTables(charted.result)
        }
        return layout(title: "Query", body: o)
    }

    /// One table per series: its points (the latest ``maxTableRows``), with the annotation columns it has.
    static func resultTables(_ result: QueryResult) -> String {
        var o = "<h2>Result</h2>\n"
        if result.series.isEmpty { return o + "<p>No series matched.</p>\n" }
        o += "<p class=\"muted\">\(counted(result.series.count, "series", "series")), \(counted(result.series.reduce(0) { $0 + $1.count }, "point", "points")).</p>\n"
        for s in result.series {
            o += "<h3>\(HTMLText.escape(seriesKeyText(metric: s.metric, labels: s.labels)))</h3>\n"
            let first = max(0, s.count - maxTableRows)
            if first > 0 { o += "<p class=\"muted\">The latest \(maxTableRows) of \(s.count) points.</p>\n" }
            o += "<table class=\"result\">\n<tr><th class=\"num\">time</th><th class=\"num\">value</th>"
            if s.outcomes != nil { o += "<th>outcome</th>" }
            if s.expected != nil { o += "<th class=\"num\">expected</th>" }
            if s.lower != nil && s.upper != nil { o += "<th class=\"num\">expected range</th>" }
            if s.score != nil { o += "<th class=\"num\">score</th>" }
            if s.anomaly != nil { o += "<th>anomaly</th>" }
            if s.reasons != nil { o += "<th>note</th>" }
            o += "</tr>\n"
            for i in first..<s.count {
                // The point of a bucket that had not ended holds only part of its time.
                let soFar = result.partialBuckets.bucket(holding: s.times[i]).map { " <span class=\"muted\">\($0.label)</span>" } ?? ""
                // A forecast point has no value yet: an empty cell, not `null`.
                let isForecast = s.isNull(at: i) && s.reason(at: i)?.hasPrefix("forecast") == true
                let shown = isForecast ? "" : HTMLText.escape(value(s.values[i]))
                o += "<tr><td class=\"num\">\(time(s.times[i]))</td><td class=\"num\">\(shown)\(soFar)</td>"
                if let outcomes = s.outcomes { o += "<td>\(outcomes[i] == 0 ? "" : badge(Outcome(rawValue: outcomes[i])))</td>" }
                // Model outputs as the reasons write them (`16,636` and `16,950–19,840`, not `16,636.1845`), so the
                // columns and the note agree. A point without a model's value (a history before a forecast, a cold
                // start) leaves the cells empty.
                if let expected = s.expected {
                    o += "<td class=\"num\">\(optionalValue(expected[i]) == nil ? "" : HTMLText.escape(modelValue(expected[i])))</td>"
                }
                if let lower = s.lower, let upper = s.upper {
                    let lo = optionalValue(lower[i]), hi = optionalValue(upper[i])
                    let text = lo == nil && hi == nil ? "" : formatAnomalyRange(lower: lo, upper: hi)
                    o += "<td class=\"num\">\(HTMLText.escape(text))</td>"
                }
                if let score = s.score {
                    o += "<td class=\"num\">\(optionalValue(score[i]).map { ChartText.number($0, maxDecimals: 2) } ?? "")</td>"
                }
                if let anomaly = s.anomaly {
                    // A flag the alert rules silenced (refractory period, likelihood gate, recurrence) says so, as the
                    // chart's hollow marker does.
                    let silenced = anomaly[i] && s.alert?[i] == false
                    o += "<td>\(anomaly[i] ? "<strong>anomaly</strong>" + (silenced ? " (no alert)" : "") : "")</td>"
                }
                if s.reasons != nil { o += "<td>\(HTMLText.escape(s.reason(at: i) ?? ""))</td>" }
                o += "</tr>\n"
            }
            o += "</table>\n"
        }
        return o
    }

    // MARK: Errors

    static func notFound(_ message: String) -> String {
        layout(title: "Not found", body: "<h1>Not found</h1>\n<p>\(HTMLText.escape(message))</p>\n<p><a href=\"/\">Back to the overview</a></p>\n")
    }

    static func failure(_ message: String) -> String {
        layout(title: "Error", body: "<h1>Something went wrong</h1>\n<div class=\"error-box\" role=\"alert\">\(HTMLText.escape(message))</div>\n")
    }
}
