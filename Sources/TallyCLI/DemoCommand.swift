import ArgumentParser
import Tally
import TallyCharts

extension TallyCommand {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a demo store with a year of scan history and planted incidents, and show it.",
            discussion: """
                The demo is deterministic for a given day (it is anchored to today's UTC date unless --anchor says \
                otherwise), and holds no scan later than the moment it is built: today's scans are there up to now. \
                It replaces an earlier demo store, but never a store that is not a demo store, one another process \
                writes to, or one that does not open (the error says why).
                """
        )

        @Option(name: .customLong("store"), help: "Where to build it.")
        var store: String = "./tally-demo"

        @Option(help: "The last scan day, YYYY-MM-DD (default: today, UTC).")
        var anchor: String?

        func run() throws {
            try runReportingErrors {
                let now = currentTimeMillis(), today = DemoStore.today(now: now)
                var anchorDay = today
                if let anchor {
                    guard let t = TimeText.parse(anchor + "T00:00:00Z") else {
                        throw CLIFailure(message: "--anchor: expected a date like 2024-05-01, found \(anchor)", code: 2)
                    }
                    anchorDay = t
                }
                let demo = DemoStore(anchorDay: anchorDay, notAfter: now)
                // First whether the scans fit in the years Soda documents carry (that says more about an anchor in
                // year 10000); then that none is later than now: a later anchor would plant incidents that never
                // happen.
                try demo.validate()
                guard anchorDay <= today else {
                    throw CLIFailure(message: "--anchor \(anchor ?? "") is after today (\(TimeText.format(today).prefix(10))): "
                                     + "the demo's scans end today at the latest", code: 2)
                }
                if Store.exists(at: store) {
                    guard Store.metadata(at: store, DemoStore.metadataKey) != nil else {
                        throw CLIFailure(message: "\(store) holds a store that is not a demo store: not touching it (choose another --store)", code: 1)
                    }
                    // Not under a process that has it open for writing (a `tally serve`): opening it takes its lock,
                    // and fails while another process holds it. A store that does not open for another reason (a
                    // file it cannot read, damage, a newer format) is not removed either: the error says why.
                    do throws(StoreError) {
                        try Store.open(at: store).close()
                    } catch .locked(let lock, _) {
                        throw CLIFailure(message: "\(store): the demo store is in use by another writing process (lock "
                                         + "\(lock) is held): not replacing it (stop that process, or choose another --store)", code: 1)
                    } catch {
                        throw CLIFailure(message: "\(store): the demo store does not open, so it is not replaced: \(error) "
                                         + "(remove it to build a new one, or choose another --store)", code: 1)
                    }
                    Directory.removeTree(store)
                } else if Directory.exists(store), !((try? Directory.list(store)) ?? []).isEmpty {
                    throw CLIFailure(message: "\(store) exists and is not empty: not touching it (choose another --store)", code: 1)
                }
                let db = try Store.open(at: store)
                let summary = try demo.build(into: db)
                try db.compact()
                let stats = db.stats()
                printOut("Built a demo store in \(store):")
                printOut("  \(summary.seriesCount) series, \(summary.pointCount) points from \(summary.scanCount) scans, \(TimeText.format(summary.from)) to \(TimeText.format(summary.to))")
                printOut("  data sources: " + db.labelValues("datasource").joined(separator: ", ")
                         + "; datasets: " + db.labelValues("dataset").joined(separator: ", "))
                printOut("  \(stats.bytes) bytes on disk (\(stats.segmentBytes) in segments: \(formatFixed(Double(stats.segmentBytes) / Double(max(1, stats.points)), digits: 2)) bytes per point; \(stats.documentBytes) of kept Soda scan documents; \(stats.catalogBytes) of catalog)")
                printOut("")
                printOut("Planted incidents:")
                for incident in summary.incidents {
                    printOut("  \(incident.kind) in \(incident.series) from \(TimeText.format(incident.from)): \(incident.description)")
                }
                for incident in summary.incidents.prefix(2) {
                    guard let info = db.series(key: incident.series) else { continue }
                    let around = TimeRange(from: incident.from - 5 * 86_400_000, to: incident.from + 4 * 86_400_000)
                    let points = try db.read(info.id, in: around)
                    printOut("")
                    printOut("History of \(incident.series) around the \(incident.kind):")
                    for i in points.times.indices {
                        let value = optionalValue(points.values[i]).map { formatNumber($0) } ?? "null"
                        let mark = incident.from <= points.times[i] && points.times[i] < incident.to ? "   <- \(incident.kind)" : ""
                        printOut("  \(TimeText.format(points.times[i]))  \(value)\(mark)")
                    }
                }
                try printDemoQueries(db, summary: summary, storePath: store)
                try writeDemoReport(db, directory: store, summary: summary)
                try printDemoAnomalies(db, summary: summary)
                try db.close()
                printOut("")
                printOut("Explore it: tally series --store \(store)   |   tally export 'row_count{dataset=\"orders\"}' --store \(store)")
            }
        }
    }
}

/// A number as people read it: integers without a decimal point, others in Swift's shortest exact form.
func formatNumber(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return v == 0 && v.sign == .minus ? "-0" : "\(Int64(v))" }
    return "\(v)"
}

/// Writes `DIRECTORY/report.html`: a trend chart of each series with a planted incident, with its expected range and
/// the anomalies found, and the check outcomes per day, then prints its path.
func writeDemoReport(_ db: Store, directory: String, summary: DemoStore.Summary) throws {
    let now = summary.to
    var charts: [Chart] = []
    var seen = Set<SeriesKey>()
    for incident in summary.incidents where seen.insert(incident.series).inserted {
        let query = incident.series.description + " | anomalies"
        let result = try db.query(query, now: now)
        charts.append(Chart(result, spec: db.chartSpec(for: result, title: query, width: 960, height: 300)))
    }
    let outcomes = try db.query("check | outcomes by (dataset) | bucket 1d sum", now: now)
    charts.append(Chart(outcomes, spec: ChartSpec(title: "check | outcomes by (dataset) | bucket 1d sum", width: 960, height: 300)))
    let introduction = "A year of demo scans, \(TimeText.format(summary.from)) to \(TimeText.format(summary.to)). Planted incidents:\n"
        + summary.incidents.map { "• \($0.kind) in \($0.series) from \(TimeText.format($0.from)): \($0.description)" }
            .joined(separator: "\n")
    let path = directory + "/report.html"
    try writeChartFile(path, ChartPage.html(title: "Tally demo: trend charts of the planted incidents", charts: charts,
                                            introduction: introduction))
    printOut("")
    printOut("Trend charts of the incidents: \(path)")
}
