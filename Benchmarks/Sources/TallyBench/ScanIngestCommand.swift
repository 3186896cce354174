import ArgumentParser
import Tally

extension TallyBench {
    /// Scan-shaped durable ingest: the counterpart of the kit's scan_ingest_peer.py.
    struct ScanIngest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan-ingest",
            abstract: "Write one durable batch per scan, one point per series, and time the scan loop.",
            discussion: """
                Scan k writes every series at 2024-01-01T00:00:00Z + k hours with the values of \
                scan_ingest_peer.py's formula, through store.write (durable when it returns). The batches are \
                built before the loop; only the loop is timed (points_per_s, scan_ms), then close (close_s).
                """
        )

        @Option(help: "Series per scan.") var series: Int = 10_000
        @Option(help: "Number of scans.") var scans: Int = 300
        @Option(help: "The store directory to create (must not hold a store unless --replace).") var store: String
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json
        @Option(help: "StoreOptions.flushThresholdPoints (default: the store's default).")
        var flushThresholdPoints: Int?
        @Flag(help: "Delete an existing store at --store first.") var replace = false

        func validate() throws {
            guard series >= 1 && scans >= 1 else { throw ValidationError("--series and --scans must be at least 1") }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        private func measure() throws {
            if replace { try removeTree(store) }
            if Store.exists(at: store) {
                throw BenchFailure("\(store) already holds a store; pass --replace or choose a new path")
            }
            var options = StoreOptions()
            if let flushThresholdPoints { options.flushThresholdPoints = flushThresholdPoints }
            let points = series * scans

            // The batches, before anything is timed. They share one series list (copy-on-write).
            var template = WriteBatch(origin: BatchOrigin(kind: "scan", source: "scan-ingest"))
            for s in 0..<series { template.addSeries(scanKey(s)) }
            var batches: [WriteBatch] = []
            batches.reserveCapacity(scans)
            for k in 0..<scans { batches.append(scanBatch(template, scan: k, series: series)) }

            let writer = try Store.open(at: store, options: options)
            var latencies = Samples()
            printError("scan-ingest: \(series) series x \(scans) scans into \(store) ...")
            let loopStart = monotonicSeconds()
            let cpuStart = processCPUSeconds()
            for batch in batches {
                let (ms, _) = try timedMillis { try writer.write(batch) }
                latencies.add(ms)
            }
            let loopSeconds = monotonicSeconds() - loopStart
            let loopCPUSeconds = processCPUSeconds() - cpuStart
            batches = []
            let (closeMillis, _) = try timedMillis { try writer.close() }
            let bytes = directoryBytes(store)

            // Check (untimed): every point is there, and each series' latest value is the last scan's.
            let reader = try Store.open(at: store, options: StoreOptions(readOnly: true))
            let stats = reader.stats()
            var failures: [String] = []
            if stats.points != points { failures.append("the store holds \(stats.points) points, expected \(points)") }
            let ids = try (0..<series).map { s -> SeriesID in
                guard let info = reader.series(key: scanKey(s)) else { throw BenchFailure("no series \(scanKey(s))") }
                return info.id
            }
            let lastTime = scanTime(scans - 1)
            for (s, point) in reader.latest(ids).enumerated() {
                let want = scanValue(series: s, scan: scans - 1)
                if point?.time != lastTime || point?.value.bitPattern != want.bitPattern {
                    failures.append("series \(s): latest \(String(describing: point)), expected \(want) at \(lastTime)")
                    break
                }
            }

            let result = JSONValue.object([
                ("engine", .string("tally")), ("version", .string(tallyBenchVersion)),
                ("series", .int(series)), ("scans", .int(scans)), ("points", .int(points)),
                ("total_s", .double(loopSeconds)), ("points_per_s", .double(Double(points) / loopSeconds)),
                ("total_cpu_s", .double(loopCPUSeconds)),
                ("scan_ms", .object([
                    ("p50", .double(latencies.median)), ("p90", .double(latencies.percentile(0.90))),
                    ("p99", .double(latencies.percentile(0.99))), ("max", .double(latencies.max)),
                    ("mean", .double(latencies.mean)),
                ])),
                ("close_s", .double(closeMillis / 1e3)),
                ("bytes", .int(bytes)), ("bytes_per_point", .double(Double(bytes) / Double(points))),
                ("maxrss_mb", .double(maxRSSMiB())),
                ("flush_threshold_points", .int(options.flushThresholdPoints)),
                ("segments", .int(stats.segments)),
                ("answers_ok", .bool(failures.isEmpty)),
            ])
            emit(result, format: format)
            if !failures.isEmpty {
                for failure in failures { printError("tally-bench: wrong answer: \(failure)") }
                throw ExitCode(1)
            }
        }
    }
}

/// The key of scan series `s`: metric `scan`, label `series="s"`.
func scanKey(_ s: Int) -> SeriesKey {
    SeriesKey(metric: "scan", labels: [Label("series", String(s))])
}

/// The time of scan `k`: hourly from 2024-01-01T00:00:00Z.
func scanTime(_ k: Int) -> Int64 {
    1_704_067_200_000 + Int64(k) * 3_600_000
}

/// Scan `k`'s batch: one point per series of `template` (whose series `s` has index `s`).
func scanBatch(_ template: WriteBatch, scan k: Int, series: Int) -> WriteBatch {
    var batch = template
    batch.origin = BatchOrigin(kind: "scan", source: "scan-\(k)")
    batch.reserveCapacity(points: series)
    let time = scanTime(k)
    for s in 0..<series { batch.append(series: s, time: time, value: scanValue(series: s, scan: k)) }
    return batch
}

/// SplitMix64's output function (all arithmetic mod 2^64).
func splitMix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// The value of series `s` at scan `k`: the formula of scan_ingest_peer.py's docstring, operation for operation.
func scanValue(series s: Int, scan k: Int) -> Double {
    let h = splitMix64(UInt64(s) &* 1_000_003 &+ UInt64(k))
    let u = Double(h >> 11) * 0x1p-53
    switch s % 4 {
    case 0: return Double(1000 + (s % 1000) * 10 + 5 * k) + (20 * u).rounded(.down)
    case 1: return Double(100 + s % 7 + k / 50)
    case 2: return ((0.95 + 0.05 * u) * 10000).rounded(.toNearestOrEven) / 10000
    default: return 50 + (u - 0.5) * 10 + Double(k % 24) * 0.1
    }
}
