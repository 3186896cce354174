import ArgumentParser
import Tally

extension TallyBench {
    /// Time to open an existing store and answer its first query.
    struct OpenStore: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "open",
            abstract: "Time opening an existing store (median of --reps) and its first latest query.",
            discussion: """
                Each repetition opens the store, then asks for the latest point of every series \
                (series(matching: .all), then latest). When the page cache can be dropped (root), one cold \
                repetition runs first. Warm figures are the median and minimum of --reps repetitions.
                """
        )

        @Option(help: "The store directory.") var store: String
        @Option(help: "Warm repetitions.") var reps: Int = 5
        @Option(help: "Open read-only or as the writer.") var mode: OpenMode = .readOnly
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json

        func validate() throws {
            guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        private func measure() throws {
            guard Store.exists(at: store) else { throw BenchFailure("no Tally store at \(store)") }
            let dropped = dropPageCache()
            let cold = try openOnce()
            var open = Samples(), query = Samples(), total = Samples(), cpu = Samples()
            for _ in 0..<reps {
                let cpuStart = processCPUSeconds()
                let run = try openOnce()
                cpu.add((processCPUSeconds() - cpuStart) * 1e3)
                open.add(run.openMillis)
                query.add(run.queryMillis)
                total.add(run.openMillis + run.queryMillis)
            }
            let result = JSONValue.object([
                ("engine", .string("tally")), ("version", .string(tallyBenchVersion)), ("store", .string(store)),
                ("mode", .string(mode.rawValue)), ("bytes", .int(directoryBytes(store))),
                ("series", .int(cold.series)), ("points", .int(cold.points)),
                ("cold_caches_dropped", .bool(dropped)),
                ("cold", .object([("open_ms", .double(cold.openMillis)), ("first_latest_ms", .double(cold.queryMillis)),
                                  ("total_ms", .double(cold.openMillis + cold.queryMillis))])),
                ("open_ms", open.warmJSON), ("first_latest_ms", query.warmJSON), ("total_ms", total.warmJSON),
                ("total_cpu_ms", cpu.warmJSON),
                ("maxrss_mb", .double(maxRSSMiB())),
            ])
            emit(result, format: format)
        }

        private func openOnce() throws -> (openMillis: Double, queryMillis: Double, series: Int, points: Int) {
            let (openMillis, opened) = try timedMillis { try Store.open(at: store, options: mode.options) }
            let (queryMillis, latest) = timedMillis { opened.latest(opened.series(matching: .all).map(\.id)) }
            let points = opened.stats().points
            if mode == .writer { try opened.close() }
            return (openMillis, queryMillis, latest.count, points)
        }
    }
}
