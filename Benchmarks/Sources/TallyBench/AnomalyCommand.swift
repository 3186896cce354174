import ArgumentParser
import Tally
import TallyAnalysis

extension TallyBench {
    /// `tally check` over a whole store: the latest point of every series judged by the default detector.
    struct Anomaly: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time store.check (tally check) over --series daily series of --points points each.",
            discussion: """
                Builds a store of daily row counts `rows{table="tN"}` with a weekly pattern and noise; the \
                latest point of every 100th series is planted far outside its range (a drop to a tenth). Then \
                times store.check("rows") — the default anomaly detector over every series, reading from the \
                store — once cold (after reopening) and --reps times warm, and reports how many of the planted \
                drops were found and how many other series were flagged.
                """
        )

        @Option(help: "Number of series.") var series: Int = 10_000
        @Option(help: "Daily points per series.") var points: Int = 365
        @Option(help: "Warm runs.") var reps: Int = 3
        @Option(help: "The store directory to create.") var store: String
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json
        @Flag(help: "Delete an existing store at --store first.") var replace = false

        func validate() throws {
            guard series >= 1, points >= 30, reps >= 1 else {
                throw ValidationError("--series and --reps must be at least 1, --points at least 30")
            }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        private func measure() throws {
            if replace { try removeTree(store) }
            if Store.exists(at: store) { throw BenchFailure("\(store) already holds a store; pass --replace") }
            let day: Int64 = 86_400_000
            let first: Int64 = 1_672_531_200_000   // 2023-01-01T00:00:00Z
            let now = first + Int64(points) * day
            printError("anomaly: building \(series) series x \(points) days in \(store) ...")
            let writer = try Store.open(at: store)
            var random = SplitMix64(seed: 42)
            var batch = WriteBatch(origin: BatchOrigin(kind: "bench", source: "anomaly"))
            batch.reserveCapacity(points: series * points)
            for s in 0..<series {
                let index = batch.addSeries(SeriesKey(metric: "rows", labels: [Label("table", "t\(s)")]))
                let base = 1_000 + Double(random.next() % 100_000)
                for d in 0..<points {
                    let weekday = d % 7
                    let pattern = weekday >= 5 ? 0.6 : 1.0
                    let noise = 1 + (Double(random.next() % 2001) - 1000) / 50_000   // ±2 %
                    var value = (base * pattern * noise).rounded()
                    if d == points - 1 && s % 100 == 0 { value = (value / 10).rounded() }
                    batch.append(series: index, time: first + Int64(d) * day, value: value)
                }
            }
            try writer.importBulk(batch)
            try writer.close()
            let planted = Set((0..<series).filter { $0 % 100 == 0 }.map { "t\($0)" })

            _ = dropPageCache()
            let reader = try Store.open(at: store, options: StoreOptions(readOnly: true))
            let cpuStart = processCPUSeconds()
            let (coldMillis, report) = try timedMillis { try reader.check("rows", now: now) }
            let coldCPUMillis = (processCPUSeconds() - cpuStart) * 1e3
            var warm = Samples(), warmCPU = Samples()
            for _ in 0..<reps {
                let start = processCPUSeconds()
                warm.add(try timedMillis { try reader.check("rows", now: now) }.ms)
                warmCPU.add((processCPUSeconds() - start) * 1e3)
            }
            let flagged = Set(report.findings.compactMap { $0.labels["table"] })
            let found = flagged.intersection(planted).count
            guard report.matchedSeries == series else {
                throw BenchFailure("check matched \(report.matchedSeries) series; the store has \(series)")
            }
            let result = JSONValue.object([
                ("engine", .string("tally")), ("version", .string(tallyBenchVersion)),
                ("series", .int(series)), ("points_per_series", .int(points)),
                ("cold_ms", .double(coldMillis)), ("cold_cpu_ms", .double(coldCPUMillis)),
                ("warm", warm.warmJSON), ("warm_cpu_ms", warmCPU.warmJSON),
                ("planted", .int(planted.count)), ("planted_found", .int(found)),
                ("other_series_flagged", .int(flagged.count - found)),
                ("maxrss_mb", .double(maxRSSMiB())),
            ])
            emit(result, format: format)
        }
    }
}
