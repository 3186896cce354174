import ArgumentParser
import Foundation
import Tally

extension TallyBench {
    /// The WAL replay rate after a crash: how fast a store whose head was never flushed opens again.
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the WAL replay of a crashed store (scans written durably, never flushed).",
            discussion: """
                Writes --scans durable scans of --series points each (as scan-ingest) with flushing off, so \
                every point is only in the WAL; copies the store directory while the writer still holds it (a \
                crash image: what a SIGKILL leaves), then opens the copy as the writer, which replays the WAL, \
                and checks that every point is there. Prints replay_ms, points_per_s and the WAL's bytes.
                """
        )

        @Option(help: "Series per scan.") var series: Int = 10_000
        @Option(help: "Number of scans.") var scans: Int = 100
        @Option(help: "The store directory to create; the crash image goes to STORE.crash.") var store: String
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json
        @Flag(help: "Delete existing stores at --store and STORE.crash first.") var replace = false

        func validate() throws {
            guard series >= 1 && scans >= 1 else { throw ValidationError("--series and --scans must be at least 1") }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        private func measure() throws {
            let image = store + ".crash"
            if replace {
                try removeTree(store)
                try removeTree(image)
            }
            if Store.exists(at: store) || Store.exists(at: image) {
                throw BenchFailure("\(store) or \(image) already holds a store; pass --replace")
            }
            let points = series * scans
            var template = WriteBatch(origin: BatchOrigin(kind: "scan", source: "replay"))
            for s in 0..<series { template.addSeries(scanKey(s)) }
            let writer = try Store.open(at: store, options: StoreOptions(flushThresholdPoints: Int.max))
            printError("replay: writing \(series) series x \(scans) scans into the WAL of \(store) ...")
            for k in 0..<scans { try writer.write(scanBatch(template, scan: k, series: series)) }
            try FileManager.default.copyItem(atPath: store, toPath: image)
            let walBytes = directoryBytes(image + "/wal")
            try writer.close()

            _ = dropPageCache()
            let cpuStart = processCPUSeconds()
            let (ms, reopened) = try timedMillis { try Store.open(at: image) }
            let cpuMillis = (processCPUSeconds() - cpuStart) * 1e3
            let stats = reopened.stats()
            try reopened.close()
            guard stats.points == points else {
                throw BenchFailure("the replayed store holds \(stats.points) points; \(points) were acknowledged")
            }
            let result = JSONValue.object([
                ("engine", .string("tally")), ("version", .string(tallyBenchVersion)),
                ("series", .int(series)), ("scans", .int(scans)), ("points", .int(points)),
                ("wal_bytes", .int(walBytes)), ("replay_ms", .double(ms)), ("replay_cpu_ms", .double(cpuMillis)),
                ("points_per_s", .double(Double(points) / (ms / 1e3))),
                ("maxrss_mb", .double(maxRSSMiB())),
            ])
            emit(result, format: format)
        }
    }
}
