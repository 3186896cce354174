import ArgumentParser
import Tally

extension TallyBench {
    /// Parsing Tally's CSV point format: an ordinary file, and one whose header is very wide.
    struct CSV: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csv",
            abstract: "Time CSVImport.parse on --rows rows of three labels, and on a header of --header-columns labels.",
            discussion: """
                The ordinary file has --rows rows `time,metric,value,dataset,column,check` over 1,000 series \
                (ISO 8601 times, decimal values). The wide file has a header of time, metric, value and \
                --header-columns label columns, and --wide-rows rows that fill one label each. Both are built in \
                memory and parsed into a write batch (nothing is written to disk), --reps times; the figures \
                are milliseconds per parse (median and minimum) and rows per second. The batch's point count is \
                checked; a mismatch exits with status 1.
                """
        )

        @Option(help: "Rows of the ordinary file.") var rows: Int = 1_000_000
        @Option(help: "Label columns in the wide header.") var headerColumns: Int = 100_000
        @Option(help: "Rows of the wide file.") var wideRows: Int = 100
        @Option(help: "Repetitions.") var reps: Int = 3
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json

        func validate() throws {
            guard rows >= 1, headerColumns >= 1, wideRows >= 1, reps >= 1 else {
                throw ValidationError("--rows, --header-columns, --wide-rows and --reps must be at least 1")
            }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        private func measure() throws {
            var ordinary = "time,metric,value,dataset,column,check\n"
            for r in 0..<rows {
                let s = r % 1_000
                let second = r / 1_000
                ordinary += "2024-01-01T\(twoDigits(second / 3600 % 24)):\(twoDigits(second / 60 % 60)):"
                ordinary += "\(twoDigits(second % 60))Z,rows,\(r % 9_973).25,d\(s / 50),c\(s % 50),ok\n"
            }
            var wide = "time,metric,value"
            for c in 0..<headerColumns { wide += ",l\(c)" }
            wide += "\n"
            for r in 0..<wideRows {
                wide += "\(r * 1000),m,\(r)" + String(repeating: ",", count: r % headerColumns)
                wide += ",v" + String(repeating: ",", count: headerColumns - 1 - r % headerColumns) + "\n"
            }
            let ordinaryResult = try timeParse(Array(ordinary.utf8), name: "ordinary.csv", points: rows)
            let wideResult = try timeParse(Array(wide.utf8), name: "wide.csv", points: wideRows)
            emit(.object([
                ("engine", .string("tally")), ("version", .string(tallyBenchVersion)),
                ("ordinary", .object([("rows", .int(rows)), ("bytes", .int(ordinary.utf8.count))] + ordinaryResult)),
                ("wide_header", .object([("columns", .int(headerColumns + 3)), ("rows", .int(wideRows)),
                                         ("bytes", .int(wide.utf8.count))] + wideResult)),
            ]), format: format)
        }

        private func timeParse(_ bytes: [UInt8], name: String, points: Int) throws -> [(String, JSONValue)] {
            var samples = Samples()
            for _ in 0..<reps {
                let (ms, batch) = try timedMillis {
                    try CSVImport.parse(bytes, fileName: name, origin: BatchOrigin(kind: "bench", source: name))
                }
                guard batch.pointCount == points else {
                    throw BenchFailure("\(name): \(batch.pointCount) points parsed, expected \(points)")
                }
                samples.add(ms)
            }
            return [("ms", .object([("median", .double(samples.median)), ("min", .double(samples.min))])),
                    ("rows_per_s", .double(Double(points) / samples.median * 1000))]
        }
    }
}

private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
