import ArgumentParser
import Foundation
import Tally
import TallyAnalysis

extension TallyBench {
    /// `rolling N AGG` over one long series, for windows from narrow to very wide.
    struct Rolling: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time `m | rolling W AGG` over one series of --points points, for each window and aggregate.",
            discussion: """
                Builds a store with one series `m` of --points points a minute apart (seeded random values), \
                then runs `m | rolling W AGG` for every W in --windows and AGG in avg, max, stddev and median, \
                --reps times each, and reports milliseconds per query (median and minimum). The cost should not \
                grow with W. Each answer's last value is checked against the aggregate computed directly over \
                the last window (relative tolerance 1e-9); a mismatch exits with status 1.
                """
        )

        @Option(help: "Points in the series.") var points: Int = 200_000
        @Option(help: "Window sizes, comma-separated.") var windows: String = "10,1000,20000"
        @Option(help: "Repetitions per query.") var reps: Int = 5
        @Option(help: "The store directory to create.") var store: String
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json
        @Flag(help: "Delete an existing store at --store first.") var replace = false

        func validate() throws {
            guard points >= 1, reps >= 1 else { throw ValidationError("--points and --reps must be at least 1") }
            guard let sizes = windowSizes, sizes.allSatisfy({ $0 >= 1 && $0 <= points }) else {
                throw ValidationError("--windows must be comma-separated sizes from 1 to --points")
            }
        }

        var windowSizes: [Int]? {
            let parts = windows.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            return parts.contains(nil) || parts.isEmpty ? nil : parts.map { $0! }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        private func measure() throws {
            if replace { try removeTree(store) }
            if Store.exists(at: store) { throw BenchFailure("\(store) already holds a store; pass --replace") }
            let opened = try Store.open(at: store)
            var random = SplitMix64(seed: 5)
            let times = (0..<points).map { Int64($0) * 60_000 }
            let values = (0..<points).map { _ in Double(random.next() % 1_000_000) / 100 }
            var batch = WriteBatch(origin: BatchOrigin(kind: "bench", source: "rolling"))
            let series = batch.addSeries(SeriesKey(metric: "m"))
            batch.append(series: series, times: times[...], columnValues: values[...])
            try opened.importBulk(batch)

            var rows: [JSONValue] = []
            for window in windowSizes! {
                for name in ["avg", "max", "stddev", "median"] {
                    let query = "m | rolling \(window) \(name)"
                    var samples = Samples()
                    var last: Double?
                    for _ in 0..<reps {
                        let (ms, result) = try timedMillis { try opened.query(query) }
                        samples.add(ms)
                        last = result.series.first?.values.last
                    }
                    let direct = Aggregate(name: name)!.apply(values[(points - window)...])
                    guard let last, let direct, abs(last - direct) <= 1e-9 * max(1, abs(direct)) else {
                        throw BenchFailure("\(query): last value \(String(describing: last)), expected \(String(describing: direct))")
                    }
                    rows.append(.object([("window", .int(window)), ("aggregate", .string(name)),
                                         ("ms", .object([("median", .double(samples.median)),
                                                         ("min", .double(samples.min))]))]))
                }
            }
            try opened.close()
            emit(.object([("engine", .string("tally")), ("version", .string(tallyBenchVersion)),
                          ("points", .int(points)), ("queries", .array(rows))]), format: format)
        }
    }
}
