import ArgumentParser
import Tally

extension TallyBench {
    /// Time reading a short recent range against reading the whole history, over many series of a store.
    struct ReadRange: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "read-range",
            abstract: "Time one series' last --days against its whole history, per read, over --series series.",
            discussion: """
                Opens the store read-only, takes the first --series series, and for each the range of its last \
                --days days (ending at its latest point). Each repetition reads that range of every one of them, \
                then the whole history of every one of them. Figures are microseconds per read (median and \
                minimum over --reps repetitions) and the points read, so that two builds can be compared on the \
                same store.
                """
        )

        @Option(help: "The store directory.") var store: String
        @Option(help: "How many series to read (the first ones by id).") var series: Int = 1000
        @Option(help: "The recent range, in days, ending at each series' latest point.") var days: Int = 30
        @Option(help: "Repetitions.") var reps: Int = 7
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json

        func validate() throws {
            guard reps >= 1, series >= 1, days >= 1 else {
                throw ValidationError("--reps, --series and --days must be at least 1")
            }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        private func measure() throws {
            guard Store.exists(at: store) else { throw BenchFailure("no Tally store at \(store)") }
            let opened = try Store.open(at: store, options: StoreOptions(readOnly: true))
            let ids = Array(opened.series(matching: .all).map(\.id).sorted().prefix(series))
            let latest = opened.latest(ids)
            var recent: [(SeriesID, TimeRange)] = []
            for (id, point) in zip(ids, latest) {
                guard let point else { continue }
                recent.append((id, TimeRange(from: point.time - Int64(days) * 86_400_000, to: point.time + 1)))
            }
            guard !recent.isEmpty else { throw BenchFailure("no series with points in \(store)") }
            let whole = recent.map { ($0.0, TimeRange.all) }
            var recentSamples = Samples(), wholeSamples = Samples()
            var recentPoints = 0, wholePoints = 0
            for _ in 0..<reps {
                let (recentMillis, recentCount) = try timedMillis { try readAll(opened, recent) }
                let (wholeMillis, wholeCount) = try timedMillis { try readAll(opened, whole) }
                recentSamples.add(recentMillis * 1e3 / Double(recent.count))
                wholeSamples.add(wholeMillis * 1e3 / Double(recent.count))
                (recentPoints, wholePoints) = (recentCount, wholeCount)
            }
            let result = JSONValue.object([
                ("engine", .string("tally")), ("version", .string(tallyBenchVersion)), ("store", .string(store)),
                ("series", .int(recent.count)), ("days", .int(days)),
                ("recent_points", .int(recentPoints)), ("whole_points", .int(wholePoints)),
                ("recent_us_per_read", .object([("median", .double(recentSamples.median)),
                                                ("min", .double(recentSamples.min))])),
                ("whole_us_per_read", .object([("median", .double(wholeSamples.median)),
                                               ("min", .double(wholeSamples.min))])),
            ])
            emit(result, format: format)
        }
    }
}

/// Reads each series' range; returns the points read (so the reads cannot be optimised away).
@inline(never)
private func readAll(_ store: Store, _ reads: [(SeriesID, TimeRange)]) throws -> Int {
    var points = 0
    for (id, range) in reads { points += try store.read(id, in: range).times.count }
    return points
}
