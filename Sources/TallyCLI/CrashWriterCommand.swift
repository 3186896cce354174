import ArgumentParser
import Tally
#if canImport(Glibc)
import Glibc
#endif

extension TallyCommand {
    /// For crash tests: writes numbered batches forever (or `--batches` of them), printing `ack I LSN` on
    /// standard output after each one is durable, so a test can kill the process at any moment and check that
    /// every acknowledged batch survived whole and nothing else is half-present.
    struct CrashWriter: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "_crash-writer", abstract: "Write numbered batches for crash tests.", shouldDisplay: false)

        @OptionGroup var location: StoreLocation
        @Option(help: "Series per batch.") var series: Int = 20
        @Option(help: "Stop after this many batches (0: never).") var batches: Int = 0
        @Option(help: "Flush every N batches (0: only when the head is full).") var flushEvery: Int = 0
        @Option(help: "Flush when the head holds this many points.") var flushThreshold: Int = 4_000_000
        @Option(help: "Compact every N batches (0: never).") var compactEvery: Int = 0
        @Option(help: "Every N batches, drop the points older than the last `--keep` batches (0: never).") var retainEvery: Int = 0
        @Option(help: "How many recent batches retention keeps.") var keep: Int = 10
        @Option(help: "Every N batches, delete the batch written 3 batches before (by its LSN) (0: never).")
        var deleteEvery: Int = 0

        func run() throws {
            try runReportingErrors {
                let store = try Store.open(at: location.path, options: StoreOptions(flushThresholdPoints: flushThreshold))
                var start = 0
                // Continue after the batches already present (a restarted writer).
                if let info = store.series(key: CrashWriter.key(0)), let last = store.latest([info.id])[0] {
                    start = Int(last.time) + 1
                }
                var i = start
                var lsns: [Int: LSN] = [:]
                while batches == 0 || i < start + batches {
                    lsns[i] = try store.write(CrashWriter.batch(i, series: series)).lsn
                    print("ack \(i)")
                    if deleteEvery > 0 && (i + 1) % deleteEvery == 0, let lsn = lsns[i - 3] {
                        try store.delete(batch: lsn)
                        print("deleted \(i - 3)")
                    }
                    fflush(nil)
                    if flushEvery > 0 && (i + 1) % flushEvery == 0 { try store.flush() }
                    if compactEvery > 0 && (i + 1) % compactEvery == 0 { try store.compact() }
                    if retainEvery > 0 && (i + 1) % retainEvery == 0 && i >= keep {
                        try store.retain(before: Int64(i - keep))
                        print("retained \(i - keep)")
                    }
                    i += 1
                }
                try store.close()
            }
        }

        static func key(_ k: Int) -> SeriesKey {
            SeriesKey(metric: "crash_metric", labels: ["series": "s\(k)"])
        }

        /// Batch `i`: one point at time `i` for each series, value `i * 1000 + k`.
        static func batch(_ i: Int, series: Int) -> WriteBatch {
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "crash-writer"))
            for k in 0..<series {
                let s = b.addSeries(key(k))
                b.append(series: s, time: Int64(i), value: Double(i * 1000 + k))
            }
            return b
        }
    }
}
