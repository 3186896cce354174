import ArgumentParser
import Tally

extension TallyCommand {
    struct Feedback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "feedback",
            abstract: "Tell the anomaly detectors what a point was: expected, anomaly or exclude.",
            discussion: """
                tally feedback SELECTOR --at TIME expected|anomaly|exclude [--note TEXT]
                  expected: the point is normal (it trains the baseline even when flagged);
                  anomaly:  a confirmed incident (never trains the baseline, never becomes a level shift);
                  exclude:  left out of training (a backfill, a maintenance window).
                tally feedback list [SELECTOR]      tally feedback remove SELECTOR --at TIME | --all, or --id N
                """,
            subcommands: [FeedbackAdd.self, FeedbackList.self, FeedbackRemove.self],
            defaultSubcommand: FeedbackAdd.self)
    }

    struct FeedbackAdd: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Record a verdict on a point of each series SELECTOR chooses (the default subcommand).",
            discussion: """
                TIME is the point's time (ISO 8601, epoch ms, a duration before now such as 3d, or `latest`). \
                Without a point at exactly TIME, the nearest point within half the series' scan interval \
                (at most 12 hours) is meant.
                Example: tally feedback 'row_count{dataset="orders"}' --at 2024-05-01 anomaly --note "load failed"
                """)

        @OptionGroup var location: StoreLocation
        @Argument(help: "Which series.") var selector: String
        @Argument(help: "expected, anomaly or exclude.") var verdict: String
        @Option(help: "The point's time (or `latest`).") var at: String
        @Option(help: "A note (who, why).") var note: String = ""

        func run() throws {
            try runReportingErrors {
                guard let v = FeedbackVerdict(rawValue: verdict.lowercased()) else {
                    throw CLIFailure(message: "expected a verdict: expected, anomaly or exclude; found \(verdict)", code: 2)
                }
                let seriesSelector = try parseSelectorOrExit(selector)
                let store = try location.openForWriting()
                defer { try? store.close() }
                let infos = try requireMatches(seriesSelector, text: selector, in: store)
                let target = try feedbackTarget(at, now: currentTimeMillis())
                var marked = 0
                for info in infos {
                    guard let point = try store.feedbackPoint(of: info, at: target) else {
                        if case .time(let t) = target { printError("\(info.key): no point at or near \(TimeText.format(t))") }
                        else { printError("\(info.key): no point") }
                        continue
                    }
                    let record = try store.setFeedback(series: info.id, time: point.time, verdict: v, note: note)
                    marked += 1
                    printOut("marked \(info.key) at \(TimeText.format(point.time)) (value \(point.value.map { formatAnomalyNumber($0) } ?? "null")) as \(v) [id \(record.id)]")
                }
                if marked == 0 { throw CLIFailure(message: "no series has a point at \(at)", code: 1) }
            }
        }
    }

    struct FeedbackList: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the verdicts on the series SELECTOR chooses (default: all).")

        @OptionGroup var location: StoreLocation
        @Argument(help: "Which series (default: all).") var selector: String = ""
        @Option(help: "Output format: table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            try runReportingErrors {
                let seriesSelector = try parseSelectorOrExit(selector)
                let store = try location.openForReading()
                // Series without points too: a verdict outlives its point (a delete, retention, a link that left it).
                let infos = selector.isEmpty ? store.series(matching: seriesSelector, includingEmpty: true)
                    : try requireMatches(seriesSelector, text: selector, in: store, includingEmpty: true)
                let keys = Dictionary(uniqueKeysWithValues: infos.map { ($0.id, $0.key) })
                let records = try store.feedback(series: infos.map(\.id))
                var rows: [[String]] = []
                var items: [String] = []
                for r in records {
                    let key = keys[r.series]?.description ?? "#\(r.series)"
                    let value = try store.read(r.series, in: .millisecond(at: r.time)).values.first
                        .flatMap(optionalValue)
                    rows.append(["\(r.id)", key, TimeText.format(r.time), value.map(NumberFormat.plain) ?? "",
                                 r.verdict.rawValue, r.note, TimeText.format(r.created)])
                    items.append("{\"id\": \(r.id), \"series\": \(JSONText.string(key)), "
                                 + "\"time\": \(JSONText.string(TimeText.format(r.time))), "
                                 + "\"value\": \(value.map(JSONText.number) ?? "null"), "
                                 + "\"verdict\": \(JSONText.string(r.verdict.rawValue)), \"note\": \(JSONText.string(r.note)), "
                                 + "\"created\": \(JSONText.string(TimeText.format(r.created)))}")
                }
                let header = ["id", "series", "time", "value", "verdict", "note", "created"]
                switch format {
                case .json: printOut("[" + items.joined(separator: ",\n ") + "]")
                case .csv: for row in [header] + rows { printOut(row.map(CSVText.field).joined(separator: ",")) }
                case .table: printOut(rows.isEmpty ? "(no feedback)" : alignedTable([header] + rows))
                }
            }
        }
    }

    struct FeedbackRemove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove verdicts: by --id, at --at TIME on the series SELECTOR chooses, or --all of theirs.")

        @OptionGroup var location: StoreLocation
        @Argument(help: "Which series.") var selector: String?
        @Option(help: "The point's time (as for `tally feedback`).") var at: String?
        @Flag(help: "Every verdict on the series.") var all = false
        @Option(parsing: .upToNextOption, help: "Verdict ids (from `tally feedback list`).") var id: [Int64] = []

        func validate() throws {
            if id.isEmpty {
                guard selector != nil else { throw ValidationError("give a SELECTOR with --at TIME or --all, or --id N") }
                guard (at != nil) != all else { throw ValidationError("give either --at TIME or --all with a SELECTOR") }
            } else if selector != nil || at != nil || all {
                throw ValidationError("--id takes no SELECTOR, --at or --all")
            }
        }

        func run() throws {
            try runReportingErrors {
                if !id.isEmpty {
                    let store = try location.openForWriting()
                    defer { try? store.close() }
                    let removed = try store.removeFeedback(ids: id)
                    // An id that names no verdict (a typo, or removed before) is not a silent "removed 0".
                    guard removed > 0 else {
                        throw CLIFailure(message: "no verdict with id \(id.map(String.init).joined(separator: ", ")) (tally feedback list shows them)", code: 1)
                    }
                    printOut("removed \(counted(removed, "verdict"))")
                    return
                }
                let seriesSelector = try parseSelectorOrExit(selector ?? "")
                let store = try location.openForWriting()
                defer { try? store.close() }
                var removed = 0
                let target = try at.map { try feedbackTarget($0, now: currentTimeMillis()) }
                for info in try requireMatches(seriesSelector, text: selector ?? "", in: store, includingEmpty: true) {
                    if all {
                        removed += try store.removeFeedback(series: info.id)
                    } else if let target {
                        // The stored verdict nearest to TIME within the same tolerance as when it was given.
                        let time: Int64
                        if let point = try store.feedbackPoint(of: info, at: target) { time = point.time }
                        else if case .time(let t) = target { time = t }
                        else { continue }
                        removed += try store.removeFeedback(series: info.id, in: .millisecond(at: time))
                    }
                }
                printOut("removed \(counted(removed, "verdict"))")
            }
        }
    }
}

/// `--at TEXT` as a verdict's target; text that is no time is bad input naming `--at`.
func feedbackTarget(_ text: String, now: Int64) throws -> FeedbackTarget {
    do throws(QueryError) {
        return try FeedbackTarget(parsing: text, now: now)
    } catch {
        throw CLIFailure(message: "--at: \(error.message)", code: 2)
    }
}
