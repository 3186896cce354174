import ArgumentParser
import Tally
import TallyAnalysis

extension TallyCommand {
    struct Backtest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How each anomaly method and sensitivity would have alerted on the history.",
            discussion: """
                Walks every series SELECTOR chooses with each method and sensitivity (with a year of history \
                before the window) and counts, in the window, alerts per 1,000 scans and alert events (runs of \
                consecutive alerts) per 1,000 scans; against `tally feedback` verdicts, where a series has any: \
                precision (alerts on points marked anomaly / alerts), recall (marked points flagged) and event \
                recall (marked incidents with at least one alert). A series with verdicts counts as fully \
                reviewed. Verdicts only score; the detector never sees them. With `--options "refractory=3d"` \
                (or `likelihood=on`) the alerts are those the refractory period (or the likelihood gate) lets \
                through, as `tally check` would have raised them; JSON also gives the flagged points underneath.
                Example: tally backtest 'row_count{datasource="warehouse"}' --since 180d --sensitivities 3,4,5
                """)

        @OptionGroup var location: StoreLocation
        @Argument(help: "Which series (default: all).") var selector: String = ""
        @Option(help: "The window: a duration before now (180d) or a time.") var since: String = "180d"
        @Option(help: "Methods, comma-separated: auto, level, seasonal, holt_winters.")
        var methods: String = "auto,level,seasonal,holt_winters"
        @Option(help: "Sensitivities, comma-separated.") var sensitivities: String = "2,3,4,5"
        @Option(help: "Other detector options for every walk, e.g. \"direction=down season=7d\".") var options: String = ""
        @Flag(help: "One row per series and setting as well.") var perSeries = false
        @Option(help: "Output format: table, csv or json.") var format: OutputFormat = .table
        @Option(help: nowOptionHelp) var now: String?

        func run() throws {
            try runReportingErrors {
                var base: AnomalyOptions
                do { base = try AnomalyOptions.parse(options) } catch {
                    throw CLIFailure(message: "--options: \(error)", code: 2)
                }
                // The walks set these two themselves: in --options they would be overridden without a word.
                for (name, flag) in [("method", "--methods"), ("sensitivity", "--sensitivities")]
                where AnomalyOptions.givenNames(in: options).contains(name) {
                    throw CLIFailure(message: "--options: \(name)= is what \(flag) sets (backtest walks each value it lists); "
                                     + "give it as \(flag) instead", code: 2)
                }
                var chosen: [AnomalyMethod] = []
                for word in methods.split(separator: ",") {
                    do {
                        let o = try AnomalyOptions.parse("method=" + word.trimmingSpaces)
                        if !chosen.contains(o.method) { chosen.append(o.method) }
                    } catch {
                        throw CLIFailure(message: "--methods: \(error)", code: 2)
                    }
                }
                var levels: [Double] = []
                for word in sensitivities.split(separator: ",") {
                    guard let s = try? AnomalyOptions.parse("sensitivity=" + word.trimmingSpaces).sensitivity else {
                        throw CLIFailure(message: "--sensitivities: expected numbers above 0 and at most 50, such as 2,3,4,5; found \(word)", code: 2)
                    }
                    if !levels.contains(s) { levels.append(s) }
                }
                guard !chosen.isEmpty, !levels.isEmpty else {
                    throw CLIFailure(message: "--methods and --sensitivities need at least one value each", code: 2)
                }
                base.method = chosen[0]
                let seriesSelector = try parseSelectorOrExit(selector)
                let store = try location.openForReading()
                let nowMillis = try now.map(parseNow) ?? currentTimeMillis()
                let from = try parseInstant(since, now: nowMillis, option: "--since")
                // The window is `--since` to now; one that would end before it starts is bad input.
                do throws(ReversedTimeRangeError) {
                    _ = try TimeRange(checkedFrom: from, to: nowMillis)
                } catch {
                    throw CLIFailure(message: error.message(start: "--since", end: "now"), code: 2)
                }
                // A selector that matches nothing is a mistake to report, not a table of zeros (exit 2, as
                // `feedback` and `check`).
                try requireMatches(seriesSelector, text: selector, in: store)
                let settings = chosen.flatMap { m in levels.map { BacktestSetting(method: m, sensitivity: $0) } }
                // The window ends just after now (at the last millisecond of time, there).
                let to = TimeRange.millisecond(at: nowMillis).upperBound
                let report = try store.backtest(seriesSelector, from: from, to: to, settings: settings, base: base)
                printOut(Self.render(report, format: format, perSeries: perSeries, base: base))
                // A table of zeros says nothing about the settings: say why (on stderr, the table stays as it is).
                if report.totals.allSatisfy({ $0.judged == 0 }) {
                    printError("note: no point was judged from \(TimeText.format(from)) to \(TimeText.format(nowMillis)): "
                               + "the matched series have no points there, or too little history before them")
                }
            }
        }

        static func render(_ report: StoreBacktestReport, format: OutputFormat, perSeries: Bool,
                           base: AnomalyOptions = AnomalyOptions()) -> String {
            let rows = report.totals + (perSeries ? report.perSeries : [])
            func fixed(_ v: Double, _ digits: Int) -> String { formatFixed(v, digits: digits) }
            func share(_ v: Double?) -> String { v.map { fixed($0, 2) } ?? "" }
            switch format {
            case .json:
                func number(_ v: Double?) -> String { v.map { JSONText.number($0) } ?? "null" }
                let items = rows.map { r -> String in
                    "{\"series\": \(r.series.map { JSONText.string($0.description) } ?? "null"), "
                        + "\"method\": \(JSONText.string(r.method.rawValue)), \"sensitivity\": \(JSONText.number(r.sensitivity)), "
                        + "\"series_count\": \(r.seriesCount), \"judged\": \(r.judged), \"alerts\": \(r.alerts), "
                        + "\"alert_events\": \(r.alertEvents), \"flagged\": \(r.flagged), "
                        + "\"alerts_per_1000\": \(JSONText.number(r.alertsPer1000)), "
                        + "\"events_per_1000\": \(JSONText.number(r.eventsPer1000)), "
                        + "\"series_with_feedback\": \(r.seriesWithFeedback), \"true_positives\": \(r.truePositives), "
                        + "\"labelled_anomalies\": \(r.labelledAnomalies), \"labelled_events\": \(r.labelledEvents), "
                        + "\"caught_events\": \(r.caughtEvents), \"precision\": \(number(r.precision)), "
                        + "\"recall\": \(number(r.recall)), \"event_recall\": \(number(r.eventRecall))}"
                }
                return "{\"from\": \(JSONText.string(TimeText.format(report.from))), \"rows\": [\n "
                    + items.joined(separator: ",\n ") + "]}"
            case .csv, .table:
                var table = [["method", "sensitivity", "series", "judged", "alerts", "alerts_per_1000", "events_per_1000",
                              "precision", "recall", "event_recall"]]
                // When alerts can be fewer than flags, the flags underneath the alerts get a column.
                let thinned = base.thinsAlerts
                if thinned { table[0].insert("flagged", at: 4) }
                if perSeries { table[0].insert("for", at: 0) }
                for r in rows {
                    var row = [r.method.rawValue, NumberFormat.plain(r.sensitivity).replacingDotZero, "\(r.seriesCount)",
                               "\(r.judged)", "\(r.alerts)", fixed(r.alertsPer1000, 1), fixed(r.eventsPer1000, 1),
                               share(r.precision), share(r.recall), share(r.eventRecall)]
                    if thinned { row.insert("\(r.flagged)", at: 4) }
                    if perSeries { row.insert(r.series?.description ?? "all", at: 0) }
                    table.append(row)
                }
                if format == .csv { return table.map { $0.map(CSVText.field).joined(separator: ",") }.joined(separator: "\n") }
                let labelled = report.totals.first?.seriesWithFeedback ?? 0
                let note = labelled == 0
                    ? "no feedback in the window: precision and recall need `tally feedback` verdicts"
                    : "precision and recall from \(labelled) series with feedback"
                var thinnedNote = ""
                if thinned { thinnedNote = "\nalerts: flagged points left after " + base.alertRulesText }
                return alignedTable(table) + "\n\nwindow from \(TimeText.format(report.from)); " + note + thinnedNote
            }
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces.
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

extension String {
    /// `4` for `4.0`.
    var replacingDotZero: String { hasSuffix(".0") ? String(dropLast(2)) : self }
}
