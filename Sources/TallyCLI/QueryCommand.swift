import ArgumentParser
import Tally

extension TallyCommand {
    struct QueryCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "query",
            abstract: "Run a query: a selector, then stages joined by | (see docs/query-language.md).",
            discussion: """
                Example: tally query 'row_count{dataset="orders"} | since 30d | bucket 1d avg'
                A query error exits with code 2 and shows the position of the problem.
                """
        )

        @OptionGroup var location: StoreLocation
        @Argument(help: "The query.") var query: String
        @Option(help: "Output format: table, csv or json.") var format: OutputFormat = .table
        @Option(help: nowOptionHelp) var now: String?

        func run() throws {
            try runReportingErrors {
                let result = try runQuery(query, on: try location.openForReading(), now: now)
                if format == .table, result.series.isEmpty, (try? Parser.parse(query))?.hasWhere == true {
                    // `where` leaves out the series it empties: say so, or "(no series)" reads as a bad selector.
                    printOut("(no series: the selector matched none, or `where` kept no point)\n")
                } else {
                    printOut(render(result, format))
                    // CSV is for programs, whose columns a note would change: it goes to standard error.
                    if format == .csv, let note = result.inProgressNote { printError("note: " + note) }
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export points as CSV (the format `tally ingest csv` reads, exactly) or JSON.",
            discussion: """
                SELECTOR is metric{label="v", label!="v", label=~"re", label!~"re"}, either part optional; \
                without it every series is exported. Ranges are half-open: since <= time < until.
                """
        )

        @OptionGroup var location: StoreLocation
        @Argument(help: "Which series (default: all).") var selector: String = ""
        @Option(help: "Only points at or after this time (ISO 8601, epoch ms, or a duration like 30d before now).")
        var since: String?
        @Option(help: "Only points before this time.") var until: String?
        @Option(help: ArgumentHelp("Output format: csv or json.", valueName: "csv|json")) var format: ExportFormat = .csv

        func run() throws {
            try runReportingErrors {
                let store = try location.openForReading()
                let seriesSelector = try parseSelectorOrExit(selector)
                let now = currentTimeMillis()
                let range = try timeRangeOptions(since: since, until: until, now: now)
                var series: [ResultSeries] = []
                for info in store.series(matching: seriesSelector) {
                    let points = try store.read(info.id, in: range)
                    if points.isEmpty { continue }
                    series.append(ResultSeries(metric: info.key.metric, labels: Labels(info.key.labels), kind: info.kind,
                                               times: points.times, values: points.values,
                                               outcomes: info.kind == .check ? points.outcomes : nil))
                }
                printOut(render(QueryResult(series: series), format.output))
            }
        }
    }

    struct SeriesCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "series", abstract: "List series, edit their attributes, link their histories.",
            subcommands: [SeriesList.self, SeriesSet.self, SeriesLink.self], defaultSubcommand: SeriesList.self)
    }

    struct SeriesList: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the series a selector chooses, with their latest point (the default).")

        @OptionGroup var location: StoreLocation
        @Argument(help: "Which series (default: all).") var selector: String = ""
        @Option(help: "Output format: table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            try runReportingErrors {
                let store = try location.openForReading()
                let seriesSelector = try parseSelectorOrExit(selector)
                let infos = store.series(matching: seriesSelector)
                let latest = store.latest(infos.map(\.id))
                switch format {
                case .json:
                    let items = zip(infos, latest).map { info, point -> String in
                        var fields = ["\"series\": " + JSONText.string(info.key.description),
                                      "\"metric\": " + JSONText.string(info.key.metric),
                                      "\"labels\": " + jsonObject(info.key.labels),
                                      "\"kind\": " + JSONText.string(info.kind.description),
                                      "\"attributes\": " + jsonObject(info.attributes.entries)]
                        if let point {
                            let outcome = Outcome(rawValue: point.outcome).map { ", \"outcome\": " + JSONText.string($0.description) } ?? ""
                            fields.append("\"latest\": {\"time\": \(JSONText.string(TimeText.format(point.time))), \"value\": \(optionalValue(point.value).map(JSONText.number) ?? "null")\(outcome)}")
                        }
                        return "{" + fields.joined(separator: ", ") + "}"
                    }
                    printOut("[" + items.joined(separator: ",\n ") + "]")
                default:
                    // A check's `name` (Soda labels checks by identity hashes) and its latest outcome: in CSV always
                    // (fixed columns for scripts), in the table when some series listed has them.
                    let named = format == .csv || infos.contains { $0.attributes["name"] != nil }
                    let checks = format == .csv || infos.contains { $0.kind == .check }
                    var rows = [["series", "kind"] + (named ? ["name"] : []) + ["latest_time", "latest_value"]
                                + (checks ? ["latest_outcome"] : [])]
                    for (info, point) in zip(infos, latest) {
                        var row = [info.key.description, info.kind.description]
                        if named { row.append(info.attributes["name"] ?? "") }
                        row += [point.map { TimeText.format($0.time) } ?? "",
                                point.map { NumberFormat.optional($0.value, null: "null") } ?? ""]
                        if checks { row.append(point.flatMap { Outcome(rawValue: $0.outcome) }.map(\.description) ?? "") }
                        rows.append(row)
                    }
                    if format == .csv {
                        for row in rows { printOut(row.map(CSVText.field).joined(separator: ",")) }
                    } else {
                        printOut(alignedTable(rows))
                    }
                }
            }
        }
    }
}

struct SeriesSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set attributes of series without starting new ones.",
        discussion: """
            Example: tally series set 'row_count{dataset="orders"}' unit=rows description='Rows loaded'
            A selector that matches no series exits 2 (a misspelt metric or label would otherwise pass unnoticed).
            """)

    @OptionGroup var location: StoreLocation
    @Argument(help: "Which series.") var selector: String
    @Argument(help: "NAME=VALUE pairs.") var assignments: [String]

    func run() throws {
        try runReportingErrors {
            var attributes: [String: String] = [:]
            for assignment in assignments {
                guard let eq = assignment.firstIndex(of: "="), isValidName(String(assignment[..<eq])) else {
                    throw CLIFailure(message: "expected NAME=VALUE with a name like unit or description, found \(assignment)", code: 2)
                }
                attributes[String(assignment[..<eq])] = String(assignment[assignment.index(after: eq)...])
            }
            let seriesSelector = try parseSelectorOrExit(selector)
            let store = try location.openForWriting()
            let matched: Int
            do { matched = try requireMatches(seriesSelector, text: selector, in: store).count } catch {
                try store.close()
                throw error
            }
            let changed = try store.setAttributes(Attributes(attributes), of: seriesSelector)
            try store.close()
            printOut("changed \(changed) series" + (changed < matched ? " (\(matched - changed) matched already had these attributes)" : ""))
        }
    }
}

struct SeriesLink: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Join the history of OLD into NEW (e.g. after a check was edited and its identity changed).")

    @OptionGroup var location: StoreLocation
    @Argument(help: "The series whose history moves (a selector naming exactly one series).") var old: String
    @Argument(help: "The series that keeps it.") var new: String

    func run() throws {
        try runReportingErrors {
            let store = try location.openForWriting()
            defer { try? store.close() }
            func one(_ text: String) throws -> SeriesKey {
                let selector = try parseSelectorOrExit(text)
                var found = store.series(matching: selector)
                // A series without points (OLD after a first link) is still the one a selector names.
                if found.isEmpty { found = store.series(matching: selector, includingEmpty: true) }
                guard found.count == 1 else {
                    throw CLIFailure(message: "\(text) selects \(found.count) series; it must select exactly one", code: 2)
                }
                return found[0].key
            }
            let (from, to) = (try one(old), try one(new))
            let report = try store.link(from, into: to)
            var line = "moved \(counted(report.moved, "point")) of \(from) into \(to)"
            if report.superseded > 0 {
                line += "; \(report.superseded) point\(report.superseded == 1 ? " was" : "s were") at times \(to) already had "
                    + "(its own were kept, \(report.superseded == 1 ? "that one is" : "those are") gone)"
            }
            if report.verdictsMoved > 0 { line += "; \(counted(report.verdictsMoved, "verdict")) moved with \(report.verdictsMoved == 1 ? "its point" : "their points")" }
            printOut(line)
        }
    }
}

/// The formats `tally export` writes (a table is for people, not for loading back).
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, json

    var output: OutputFormat { self == .csv ? .csv : .json }
}

/// Prints a query result in a format.
func render(_ result: QueryResult, _ format: OutputFormat) -> String {
    switch format {
    case .json: return result.json()
    case .csv: return result.csv()
    case .table: return result.table()
    }
}

/// `{"name": "value", ...}` for labels or attributes.
func jsonObject(_ pairs: [Label]) -> String {
    "{" + pairs.map { JSONText.string($0.name) + ": " + JSONText.string($0.value) }.joined(separator: ", ") + "}"
}

/// Rows as left-aligned columns, two spaces apart (see `alignedColumns`), without the final newline.
func alignedTable(_ rows: [[String]]) -> String {
    String(alignedColumns(rows).dropLast())
}

/// A time option: ISO 8601, epoch milliseconds, `now`, `now-7d`, or a bare duration meaning that long before now.
func parseInstant(_ text: String, now: Int64, option: String) throws -> Int64 {
    do throws(QueryError) {
        return try parseInstant(text, now: now)
    } catch {
        throw CLIFailure(message: "\(option): \(error.message)", code: 2)
    }
}

/// The range of `--since` and `--until` (either may be missing); a `--since` after the `--until` is bad input, not
/// an empty (or, for the store, a reversed) range.
func timeRangeOptions(since: String?, until: String?, now: Int64) throws -> TimeRange {
    let from = try since.map { try parseInstant($0, now: now, option: "--since") } ?? .min
    let to = try until.map { try parseInstant($0, now: now, option: "--until") } ?? .max
    do throws(ReversedTimeRangeError) {
        return try TimeRange(checkedFrom: from, to: to)
    } catch {
        throw CLIFailure(message: error.message(start: "--since", end: "--until"), code: 2)
    }
}

/// The help of every `--now` option.
let nowOptionHelp: ArgumentHelp = """
    The time `now` stands for: ISO 8601 (2025-05-01, 2025-05-01T06:00:00Z), epoch milliseconds, a duration before \
    the current time (7d), or now-7d (default: the current time).
    """

func parseNow(_ text: String) throws -> Int64 {
    try parseInstant(text, now: currentTimeMillis(), option: "--now")
}

/// Runs a command's query at `now` (the `--now` option; default: the current time). A query error is printed
/// under the query with a caret at its position, and the command exits 2.
func runQuery(_ text: String, on store: Store, now: String?) throws -> QueryResult {
    let nowMillis = try now.map(parseNow) ?? currentTimeMillis()
    do {
        return try store.query(text, now: nowMillis)
    } catch let error as QueryError {
        printError(error.render(query: text))
        throw ExitCode(2)
    }
}
