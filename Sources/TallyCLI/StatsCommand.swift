import ArgumentParser
import Tally

/// Output formats for commands that print data.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

extension TallyCommand {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show series, points and bytes on disk.",
            discussion: """
                `points` counts the points stored, including a value that a later write replaced at the same time \
                in the same series, until `tally compact` merges the two (a query sees only the later value).
                """)

        @OptionGroup var location: StoreLocation
        @Option(help: "Output format: table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            try runReportingErrors {
                let stats = try location.openForReading().stats()
                let rows: [(String, String)] = [
                    ("series", "\(stats.series)"), ("points", "\(stats.points)"), ("head_points", "\(stats.headPoints)"),
                    ("segments", "\(stats.segments)"), ("segment_bytes", "\(stats.segmentBytes)"),
                    ("wal_bytes", "\(stats.walBytes)"), ("catalog_bytes", "\(stats.catalogBytes)"),
                    ("document_bytes", "\(stats.documentBytes)"),
                    ("bytes", "\(stats.bytes)"), ("bytes_per_point", formatFixed(stats.bytesPerPoint, digits: 3)),
                ]
                switch format {
                case .json:
                    printOut("{" + rows.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
                case .csv:
                    printOut(rows.map(\.0).joined(separator: ","))
                    printOut(rows.map(\.1).joined(separator: ","))
                case .table:
                    let width = rows.map(\.0.count).max() ?? 0
                    for (name, value) in rows {
                        printOut(name + String(repeating: " ", count: width - name.count + 2) + value)
                    }
                }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every checksum of every file; exit 1 naming each damaged file and offset.")

        @OptionGroup var location: StoreLocation

        func run() throws {
            try runReportingErrors {
                guard Store.exists(at: location.path) else {
                    throw CLIFailure(message: "no Tally store at \(location.path)", code: 1)
                }
                let report = Store.verify(at: location.path)
                for note in report.notes { printError("note: \(note)") }
                for problem in report.problems { printError("\(problem.isNewerFormat ? "not checked" : "damaged"): \(problem)") }
                printOut("checked \(counted(report.segmentsChecked, "segment")) (\(counted(report.blocksChecked, "block"))), "
                         + "\(counted(report.walFilesChecked, "WAL file")) (\(counted(report.walRecordsChecked, "record"))), "
                         + "\(counted(report.documentsChecked, "stored document")) and the catalog: "
                         + (report.isClean ? "clean" : counted(report.problems.count, "problem")))
                if !report.isClean { throw ExitCode(1) }
            }
        }
    }
}

/// A number with a fixed count of decimals (no Foundation).
func formatFixed(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int64(scaled / scale)
    var fraction = String(Int64(scaled) - whole * Int64(scale))
    fraction = String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
    return (value < 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + fraction : "")
}
