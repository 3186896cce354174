import ArgumentParser
import Tally

extension TallyBench {
    /// A store with very many series of a few points each: open time and the index's memory per series.
    struct ManySeries: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "many-series",
            abstract: "Build a store of --series series with --points points each, then time its open and measure its index.",
            discussion: """
                Series i is metric `m<i mod 20>` with labels dataset="d<i / 20>" and column="c<i mod 20>", as a \
                warehouse of many tables with a few checked columns each. The build (timed, untimed by the open \
                figures) imports batches of 100,000 series. Then: drop the page cache (root only), open read-only \
                (cold), answer `latest` of every series, and measure the index as the heap bytes in use \
                (mallinfo2) and the RSS grown by the open, per series; then --reps warm opens (median).
                """
        )

        @Option(help: "The store directory to create.") var store: String
        @Option(help: "Number of series.") var series: Int = 1_000_000
        @Option(help: "Points per series.") var points: Int = 3
        @Option(help: "Warm opens.") var reps: Int = 3
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json
        @Flag(help: "Delete an existing store at --store first.") var replace = false
        @Flag(help: "Measure an existing store at --store (built by an earlier run with the same --series and --points) instead of building one.")
        var reuse = false

        func validate() throws {
            guard series >= 1, points >= 1, reps >= 1 else {
                throw ValidationError("--series, --points and --reps must be at least 1")
            }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        private func measure() throws {
            var build: Double?
            if reuse && Store.exists(at: store) {
                printError("reusing the store in \(store); opening ...")
            } else {
                if replace { try removeTree(store) }
                if Store.exists(at: store) { throw BenchFailure("\(store) already holds a store; pass --replace or --reuse") }
                printError("building \(series) series × \(points) points in \(store) ...")
                build = try buildStore()
                printError("built in \(fixed(build!, 2)) s; opening ...")
            }

            let dropped = dropPageCache()
            let heapBefore = heapBytesInUse(), rssBefore = currentRSSBytes()
            let (coldOpen, opened) = try timedMillis { try Store.open(at: store, options: StoreOptions(readOnly: true)) }
            let heapAfter = heapBytesInUse(), rssAfter = currentRSSBytes()
            let (coldQuery, latest) = timedMillis { opened.latest(opened.series(matching: .all).map(\.id)) }
            let answered = latest.compactMap { $0 }.count
            let total = opened.stats()
            guard answered == series, total.series == series, total.points == series * points else {
                throw BenchFailure("the store answers \(answered) latest points for \(total.series) series and " +
                                   "\(total.points) points; expected \(series) series of \(points) points")
            }
            var open = Samples(), query = Samples()
            for _ in 0..<reps {
                let (ms, again) = try timedMillis { try Store.open(at: store, options: StoreOptions(readOnly: true)) }
                open.add(ms)
                query.add(timedMillis { again.latest(again.series(matching: .all).map(\.id)) }.ms)
            }
            let result = JSONValue.object([
                ("engine", .string("tally")), ("version", .string(tallyBenchVersion)),
                ("series", .int(series)), ("points_per_series", .int(points)), ("build_s", .double(build ?? .nan)),
                ("bytes", .int(directoryBytes(store))), ("cold_caches_dropped", .bool(dropped)),
                ("cold", .object([("open_ms", .double(coldOpen)), ("first_latest_ms", .double(coldQuery))])),
                ("open_ms", open.warmJSON), ("first_latest_ms", query.warmJSON),
                ("index_heap_bytes_per_series", .double(Double(heapAfter - heapBefore) / Double(series))),
                ("index_rss_bytes_per_series", .double(Double(rssAfter - rssBefore) / Double(series))),
                ("maxrss_mb", .double(maxRSSMiB())),
            ])
            emit(result, format: format)
        }

        /// Imports the series in batches of 100,000 (one point per day each), then closes the store.
        private func buildStore() throws -> Double {
            let start = monotonicSeconds()
            let db = try Store.open(at: store)
            let day: Int64 = 86_400_000
            let first: Int64 = 1_700_006_400_000
            var next = 0
            while next < series {
                let end = min(series, next + 100_000)
                var batch = WriteBatch(origin: BatchOrigin(kind: "bench", source: "many-series"))
                batch.reserveCapacity(points: (end - next) * points)
                for i in next..<end {
                    let index = batch.addSeries(SeriesKey(metric: "m\(i % 20)", labels: [
                        Label("column", "c\(i % 20)"), Label("dataset", "d\(i / 20)"),
                    ]))
                    for p in 0..<points {
                        batch.append(series: index, time: first + Int64(p) * day, value: Double(i &* 31 &+ p))
                    }
                }
                try db.importBulk(batch)
                next = end
            }
            try db.close()
            return monotonicSeconds() - start
        }
    }
}
