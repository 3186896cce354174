import ArgumentParser
import Tally

extension TallyCommand {
    struct Scans: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the Soda scans in the store.")

        @OptionGroup var location: StoreLocation
        @Option(help: "Only scans whose data time is at or after this time.") var since: String?
        @Option(help: "Only scans whose data time is before this time.") var until: String?
        @Option(help: "Only scans of this scan definition.") var definition: String?
        @Option(help: "Output format: table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            try runReportingErrors {
                let store = try location.openForReading()
                let now = currentTimeMillis()
                let range = try timeRangeOptions(since: since, until: until, now: now)
                let scans = try store.scans(dataTime: range).filter { definition == nil || $0.definition == definition }
                let header = ["scan", "definition", "datasource", "data_time", "metrics", "checks", "failed", "warned", "errors", "source"]
                let rows = scans.map { s -> [String] in
                    [String(s.id), s.definition ?? "", s.dataSource ?? "", s.dataTime.map(TimeText.format) ?? "",
                     String(s.measurements), String(s.checks), String(s.failedChecks), String(s.warnedChecks),
                     s.hasErrors ? "yes" : "no", s.source]
                }
                printRecords(header: header, rows: rows, format: format,
                             numeric: ["scan", "metrics", "checks", "failed", "warned"], booleans: ["errors"])
            }
        }
    }

    struct Batches: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every batch written to the store (CSV files, Soda scans, API writes, series edits).",
            discussion: """
                The batch id is what `tally delete --import ID` takes. `kind` says what wrote it (csv, soda, …), \
                `source` the file, key or endpoint, `written` when it was written.
                """)

        @OptionGroup var location: StoreLocation
        @Option(help: "Only batches of this kind (csv, soda, …).") var kind: String?
        @Option(help: "Output format: table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            try runReportingErrors {
                let store = try location.openForReading()
                let all = try store.imports()
                let batches = all.filter { kind == nil || $0.origin.kind == kind }
                // A misspelt kind must not pass for "no such batches yet".
                if let kind, batches.isEmpty, !all.isEmpty {
                    let kinds = Set(all.map(\.origin.kind)).sorted().joined(separator: ", ")
                    throw CLIFailure(message: "no batch has kind \(kind) (the kinds in \(location.path): \(kinds))", code: 2)
                }
                let header = ["batch", "kind", "source", "written", "series", "points"]
                let rows = batches.map { b -> [String] in
                    [String(b.lsn), b.origin.kind, b.origin.source, TimeText.format(b.origin.wallTime),
                     String(b.seriesCount), String(b.pointCount)]
                }
                printRecords(header: header, rows: rows, format: format, numeric: ["batch", "series", "points"],
                             empty: "(no batches)")
            }
        }
    }

    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one scan; --raw gives its document back.")

        @OptionGroup var location: StoreLocation
        @Argument(help: "The scan id (as `tally scans` lists it).") var id: UInt64
        @Flag(help: "Print the original document (JSON, without its token).") var raw = false

        func run() throws {
            try runReportingErrors {
                let store = try location.openForReading()
                guard let scan = try store.scans().first(where: { $0.id == id }) else {
                    throw CLIFailure(message: "no scan \(id) in \(location.path) (tally scans lists them)", code: 1)
                }
                if raw {
                    guard let document = try store.document(ofBatch: id) else {
                        throw CLIFailure(message: "scan \(id) has no stored document", code: 1)
                    }
                    guard !document.isLostToDamage else {
                        throw CLIFailure(message: "scan \(id)'s document was lost to damage (`tally repair` put a marker "
                                         + "in its place); the scan's points are kept", code: 1)
                    }
                    printOut(String(decoding: document.bytes, as: UTF8.self))
                    return
                }
                let rows = [["scan", String(scan.id)], ["definition", scan.definition ?? ""],
                            ["datasource", scan.dataSource ?? ""], ["data_time", scan.dataTime.map(TimeText.format) ?? ""],
                            ["received", TimeText.format(scan.received)], ["source", scan.source],
                            ["metrics", String(scan.measurements)], ["checks", String(scan.checks)],
                            ["failed_checks", String(scan.failedChecks)], ["warned_checks", String(scan.warnedChecks)],
                            ["has_errors", scan.hasErrors ? "yes" : "no"], ["content_hash", scan.contentHash ?? ""]]
                printOut(alignedTable(rows))
            }
        }
    }
}

/// Prints rows of a listing: an aligned table (`empty` when there are none), CSV with a header, or a JSON array
/// of objects keyed by the header (the `numeric` columns as numbers, the others as strings).
func printRecords(header: [String], rows: [[String]], format: OutputFormat, numeric: Set<String> = [],
                  booleans: Set<String> = [], empty: String? = nil) {
    switch format {
    case .table:
        printOut(rows.isEmpty && empty != nil ? empty! : alignedTable([header] + rows))
    case .csv:
        for row in [header] + rows { printOut(row.map(CSVText.field).joined(separator: ",")) }
    case .json:
        printOut("[" + rows.map { row in
            "{" + zip(header, row).map { name, value in
                let json = numeric.contains(name) ? value
                    : booleans.contains(name) ? (value == "yes" ? "true" : "false") : JSONText.string(value)
                return JSONText.string(name) + ": " + json
            }.joined(separator: ", ") + "}"
        }.joined(separator: ",\n ") + "]")
    }
}
