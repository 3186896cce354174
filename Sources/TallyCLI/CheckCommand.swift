import ArgumentParser
import Tally

extension TallyCommand {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check series for anomalies, for scripts and CI: exit 1 when something is anomalous.",
            discussion: """
                Runs QUERY, adding `| anomalies` when it has no `anomalies` stage. Exit 1 when the latest point \
                (at or before now) of any series is an anomaly — or, when the query has a `where`, when any point \
                remains — printing the series, value, expected range and reason; exit 0 otherwise; exit 2 for a \
                bad query.
                Examples:
                  tally check 'row_count{datasource="warehouse"}'
                  tally check 'row_count | since 7d | anomalies sensitivity=3 | where anomaly'
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, json
        }

        @OptionGroup var location: StoreLocation
        @Argument(help: "The query.") var query: String
        @Option(help: "Output format: table or json.") var format: Format = .table
        @Option(help: "The time `now` stands for (ISO 8601; default: the current time).") var now: String?

        func run() throws {
            var failed = false
            try runReportingErrors {
                let store = try location.openForReading()
                let nowMillis = try now.map(parseNow) ?? currentTimeMillis()
                let report: AnomalyCheckReport
                do {
                    report = try store.check(query, now: nowMillis)
                } catch let error as QueryError {
                    printError(error.render(query: query))
                    throw ExitCode(2)
                }
                if report.matchedSeries == 0 { printError("warning: the selector matched no series") }
                printOut(format == .json ? Self.json(report) : Self.table(report))
                failed = report.failed
            }
            if failed { throw ExitCode(1) }
        }

        static func table(_ report: AnomalyCheckReport) -> String {
            var lines: [String] = []
            for f in report.findings {
                var parts = [report.mode == .latestPoint || f.anomaly == true ? "ANOMALY" : "MATCH",
                             f.seriesText, TimeText.format(f.time),
                             "value " + (f.value.map { formatAnomalyNumber($0) } ?? "null")]
                if let expected = f.expected {
                    parts.append("expected \(formatAnomalyNumber(expected, significant: 4)) (range \(formatAnomalyRange(lower: f.lower, upper: f.upper)))")
                }
                if let reason = f.reason { parts.append(reason) }
                lines.append(parts.joined(separator: "  "))
            }
            let n = report.matchedSeries
            switch (report.mode, report.failed) {
            case (.latestPoint, false):
                lines.append("ok: \(n) series checked, no latest point is anomalous")
            case (.latestPoint, true):
                lines.append("anomalous: \(report.failingSeries) of \(n) series")
            case (.anyPoint, false):
                lines.append("ok: no point of the \(n) series matched the query")
            case (.anyPoint, true):
                let points = report.findings.count
                lines.append("matched: \(points) point\(points == 1 ? "" : "s") in \(report.failingSeries) of \(n) series")
            }
            return lines.joined(separator: "\n")
        }

        static func json(_ report: AnomalyCheckReport) -> String {
            func number(_ v: Double?) -> String { v.map(JSONText.number) ?? "null" }
            let findings = report.findings.map { f -> String in
                var fields = ["\"series\": " + JSONText.string(f.seriesText),
                              "\"metric\": " + JSONText.string(f.metric),
                              "\"labels\": " + jsonObject(Array(f.labels)),
                              "\"time\": " + JSONText.string(TimeText.format(f.time)),
                              "\"value\": " + number(f.value),
                              "\"expected\": " + number(f.expected),
                              "\"lower\": " + number(f.lower),
                              "\"upper\": " + number(f.upper),
                              "\"score\": " + number(f.score)]
                if let a = f.anomaly { fields.append("\"anomaly\": \(a)") }
                fields.append("\"reason\": " + (f.reason.map(JSONText.string) ?? "null"))
                return "{" + fields.joined(separator: ", ") + "}"
            }
            return "{\"status\": \(JSONText.string(report.failed ? "anomalous" : "ok")), "
                + "\"mode\": \(JSONText.string(report.mode.rawValue)), \"series\": \(report.matchedSeries), "
                + "\"failing_series\": \(report.failingSeries), \"findings\": ["
                + findings.joined(separator: ",\n  ") + "]}"
        }
    }
}
