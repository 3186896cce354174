import ArgumentParser
import Tally

extension TallyCommand {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check series for anomalies, for scripts and CI: exit 1 when something is anomalous.",
            discussion: """
                Runs QUERY, adding `| anomalies` when it has no `anomalies` stage. Exit 1 when the latest point \
                (at or before now) of any series raises an alert — or, when the query has a `where`, when any point \
                remains — printing the series, value, expected range and reason; exit 0 otherwise; exit 2 for a \
                bad query, or for one that matches no series (a misspelt metric or label would otherwise pass \
                in silence; --allow-empty makes that exit 0); exit 3 when the check could not run (no store at \
                the path, or a read that failed). A latest point the detector cannot judge (too little history, or no value), or a \
                series with no point at or before now, does not fail the check; it is listed as NOT JUDGED \
                (`not_judged` in JSON) with its reason. \
                With the default options every anomaly is an alert; with `anomalies refractory=3d` a \
                latest point within 3 days after an earlier alert (the same incident) exits 0 and is listed as \
                FLAGGED, and so is a flag the other alert rules hold back: `likelihood=on|strict` (the likelihood                 gate) and `recurring=on` (a flag at the same time of day or week as in the two periods before).
                Examples:
                  tally check 'row_count{datasource="warehouse"}'
                  tally check 'row_count{datasource="warehouse"} | anomalies refractory=3d'
                  tally check 'row_count | since 7d | anomalies sensitivity=3 | where anomaly'
                  tally check 'cpu_percent{host="db1"} | anomalies profile=streaming'
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, json
        }

        @OptionGroup var location: StoreLocation
        @Argument(help: "The query.") var query: String
        @Option(help: "Output format: table or json.") var format: Format = .table
        @Option(help: nowOptionHelp) var now: String?
        @Flag(help: "Exit 0 when the query matches no series (default: exit 2, as for a bad query).")
        var allowEmpty = false

        func run() throws {
            var failed = false
            do {
                try runReportingErrors { failed = try runChecking() }
            } catch let code as ExitCode where code.rawValue == 1 {
                // Exit 1 means "anomalous" here: a check that could not run (no store at the path, a read that
                // failed) exits 3, so that CI tells a broken setup from an incident.
                throw ExitCode(3)
            }
            if failed { throw ExitCode(1) }
        }

        /// Runs the check and prints its report; returns whether it found something. With `--format json`, an
        /// error is also a JSON object on standard output (`{"status": "error", "error": "…"}`), so that a script
        /// reading it finds one either way; the message goes to standard error as for every command.
        private func runChecking() throws -> Bool {
            do {
                let store = try location.openForReading()
                let report = try store.check(query, now: try now.map(parseNow) ?? currentTimeMillis())
                if report.matchedSeries == 0 && !allowEmpty {
                    throw CLIFailure(message: "the query matched no series, so nothing was checked; `tally series SELECTOR` "
                                     + "lists what exists (pass --allow-empty when matching nothing is fine)", code: 2)
                }
                printOut(format == .json ? Self.json(report) : Self.table(report))
                return report.failed
            } catch {
                if format == .json {
                    let text = (error as? CLIFailure)?.message ?? (error as? QueryError)?.description ?? "\(error)"
                    printOut("{\"status\": \"error\", \"error\": \(JSONText.string(text))}")
                }
                guard let queryError = error as? QueryError else { throw error }
                printError(queryError.render(query: query))
                throw ExitCode(2)
            }
        }

        static func table(_ report: AnomalyCheckReport) -> String {
            var lines: [String] = []
            let rows = report.findings.map { f in
                (f, report.mode == .latestPoint || f.anomaly == true ? "ANOMALY" : "MATCH")
            } + report.quiet.map { ($0, "FLAGGED") } + report.unjudged.map { ($0, "NOT JUDGED") }
            for (f, tag) in rows {
                var parts = [tag, f.seriesText + (f.name.map { " (\($0))" } ?? ""), TimeText.format(f.time),
                             "value " + (f.value.map { formatAnomalyNumber($0) } ?? "null")]
                if let outcome = f.outcome { parts.append("outcome " + outcome) }
                if let expected = f.expected {
                    parts.append("expected \(formatAnomalyNumber(expected, significant: 4)) (range \(formatAnomalyRange(lower: f.lower, upper: f.upper)))")
                }
                if let reason = f.reason { parts.append(reason) }
                if tag == "FLAGGED" { parts.append("(no new alert: refractory period, likelihood gate or recurring flag)") }
                lines.append(parts.joined(separator: "  "))
            }
            for series in report.withoutPoints { lines.append("NOT JUDGED  \(series.seriesText)  no point at or before now") }
            let n = report.matchedSeries
            // What the summary adds: flags without a new alert, series not judged.
            var suffix = report.quiet.isEmpty ? "" : "; \(counted(report.quiet.count, "latest point")) "
                + "flagged without a new alert"
            if !report.unjudged.isEmpty || !report.withoutPoints.isEmpty {
                let k = report.unjudged.count + report.withoutPoints.count
                suffix += "; \(k) series not judged (too little history, no value, or no point)"
            }
            switch (report.mode, report.failed) {
            case (.latestPoint, false):
                let verdict = report.quiet.isEmpty ? "no latest point is anomalous" : "no latest point raises a new alert"
                lines.append("ok: \(n) series checked, \(verdict)" + suffix)
            case (.latestPoint, true):
                lines.append("anomalous: \(report.failingSeries) of \(n) series" + suffix)
            case (.anyPoint, false):
                lines.append("ok: no point of the \(n) series matched the query")
            case (.anyPoint, true):
                let points = report.findings.count
                lines.append("matched: \(counted(points, "point")) in \(report.failingSeries) of \(n) series")
            }
            return lines.joined(separator: "\n")
        }

        static func json(_ report: AnomalyCheckReport) -> String {
            func number(_ v: Double?) -> String { v.map(JSONText.number) ?? "null" }
            func names(_ s: some CheckReportSeries) -> [String] {
                ["\"series\": " + JSONText.string(s.seriesText), "\"metric\": " + JSONText.string(s.metric),
                 "\"labels\": " + jsonObject(Array(s.labels))]
            }
            func object(_ f: AnomalyCheckReport.Finding) -> String {
                var fields = names(f) + ["\"time\": " + JSONText.string(TimeText.format(f.time)),
                              "\"value\": " + number(f.value),
                              "\"expected\": " + number(f.expected),
                              "\"lower\": " + number(f.lower),
                              "\"upper\": " + number(f.upper),
                              "\"score\": " + number(f.score)]
                if let outcome = f.outcome { fields.append("\"outcome\": " + JSONText.string(outcome)) }
                if let name = f.name { fields.append("\"name\": " + JSONText.string(name)) }
                if let a = f.anomaly { fields.append("\"anomaly\": \(a)") }
                if let a = f.alert { fields.append("\"alert\": \(a)") }
                fields.append("\"reason\": " + (f.reason.map(JSONText.string) ?? "null"))
                return "{" + fields.joined(separator: ", ") + "}"
            }
            return "{\"status\": \(JSONText.string(report.failed ? "anomalous" : "ok")), "
                + "\"mode\": \(JSONText.string(report.mode.rawValue)), \"series\": \(report.matchedSeries), "
                + "\"failing_series\": \(report.failingSeries), \"findings\": ["
                + report.findings.map(object).joined(separator: ",\n  ") + "], \"quiet\": ["
                + report.quiet.map(object).joined(separator: ",\n  ") + "], \"not_judged\": ["
                + (report.unjudged.map(object) + report.withoutPoints.map { series in
                    "{" + (names(series) + ["\"time\": null", "\"reason\": \"no point at or before now\""]).joined(separator: ", ") + "}"
                }).joined(separator: ",\n  ") + "]}"
        }
    }
}
