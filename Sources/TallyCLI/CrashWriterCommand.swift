import ArgumentParser
import Tally
#if canImport(Glibc)
import Glibc
#endif

extension TallyCommand {
    /// For crash tests: writes numbered batches forever (or `--batches` of them), printing `ack I LSN` on
    /// standard output after each one is durable, so a test can kill the process at any moment and check that
    /// every acknowledged batch survived whole and nothing else is half-present.
    ///
    /// With `--trace` it also prints the phase it enters (`start I`, `opened`, `flushing`, `flushed`, `compacting`,
    /// `compacted`, `retaining C`, `retained C`, `deleting I`, `deleted I`), so a harness knows where a kill
    /// landed and which deletes or retentions may or may not have finished. `--check LOG` checks a store against
    /// the concatenated output of every writer run on it (scripts/crash-harness).
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
        @Flag(help: "Keep a document with every batch (the document log is written before the WAL).")
        var documents = false
        @Flag(help: "Print the phase entered before each flush, compaction, retention and delete.") var trace = false
        @Option(help: "Check the store against this log of writer output instead of writing; exit 1 on a violation.")
        var check: String?

        func run() throws {
            try runReportingErrors {
                if let check {
                    let summary = try CrashWriter.check(store: location.path, log: check, series: series)
                    printOut(summary)
                    return
                }
                let store = try Store.open(at: location.path, options: StoreOptions(flushThresholdPoints: flushThreshold))
                var start = 0
                // Continue after the batches already present (a restarted writer).
                if let info = store.series(key: CrashWriter.key(0)), let last = store.latest([info.id])[0] {
                    start = Int(last.time) + 1
                }
                func phase(_ text: String) {
                    guard trace else { return }
                    print(text)
                    fflush(nil)
                }
                phase("start \(start)")
                var i = start
                var lsns: [Int: LSN] = [:]
                while batches == 0 || i < start + batches {
                    let b = CrashWriter.batch(i, series: series)
                    if documents {
                        var b = b
                        b.origin.setDetail(BatchOrigin.contentHashKey, "crash-\(i)")
                        lsns[i] = try store.write(b, document: (kind: "test/crash", bytes: CrashWriter.document(i))).lsn
                    } else {
                        lsns[i] = try store.write(b).lsn
                    }
                    print("ack \(i)")
                    if deleteEvery > 0 && (i + 1) % deleteEvery == 0, let lsn = lsns[i - 3] {
                        phase("deleting \(i - 3)")
                        try store.delete(batch: lsn)
                        print("deleted \(i - 3)")
                    }
                    fflush(nil)
                    if flushEvery > 0 && (i + 1) % flushEvery == 0 {
                        phase("flushing")
                        try store.flush()
                        phase("flushed")
                    }
                    if compactEvery > 0 && (i + 1) % compactEvery == 0 {
                        phase("compacting")
                        try store.compact()
                        phase("compacted")
                    }
                    if retainEvery > 0 && (i + 1) % retainEvery == 0 && i >= keep {
                        phase("retaining \(i - keep)")
                        try store.retain(before: Int64(i - keep))
                        print("retained \(i - keep)")
                        fflush(nil)
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
            b.origin.setDetail("batch", "\(i)")
            for k in 0..<series {
                let s = b.addSeries(key(k))
                b.append(series: s, time: Int64(i), value: Double(i * 1000 + k))
            }
            return b
        }

        /// The document kept with batch `i` (with `--documents`): big enough to be compressed.
        static func document(_ i: Int) -> [UInt8] {
            Array("{\"batch\": \(i), \"rows\": [\(repeatElement("\(i)", count: 40).joined(separator: ", "))]}".utf8)
        }

        /// What the writer runs printed, in order (all runs on one store, concatenated).
        struct Log {
            var acknowledged = Set<Int>()
            /// Batches each run may have written: from its `start` to one past its last acknowledgement.
            var attempted = Set<Int>()
            var deleting = Set<Int>()
            var deleted = Set<Int>()
            /// The highest retention cutoff started (points before it may be gone) and finished (they must be).
            var retainStarted = Int.min
            var retainFinished = Int.min

            init(_ text: String) {
                var runStart: Int?
                var runLast: Int?
                func endRun() {
                    if let s = runStart { for i in s...max(s, (runLast ?? s - 1) + 1) { attempted.insert(i) } }
                    runStart = nil
                    runLast = nil
                }
                for line in text.split(separator: "\n") {
                    let parts = line.split(separator: " ")
                    guard parts.count == 2, let n = Int(parts[1]) else { continue }
                    switch parts[0] {
                    case "start": endRun(); runStart = n
                    case "ack": acknowledged.insert(n); runLast = n
                    case "deleting": deleting.insert(n)
                    case "deleted": deleted.insert(n)
                    case "retaining": retainStarted = max(retainStarted, n)
                    case "retained": retainFinished = max(retainFinished, n)
                    default: break
                    }
                }
                endRun()
                retainStarted = max(retainStarted, retainFinished)
            }
        }

        /// Opens the store for writing (as the next run would: torn tails cut, leftovers removed) and checks it
        /// against the log. Returns a one-line summary; throws a `CLIFailure` naming the first violation.
        static func check(store path: String, log logPath: String, series: Int) throws -> String {
            let text: String
            do throws(IOError) {
                let file = try File.openForReading(logPath)
                text = String(decoding: try file.read(count: try file.size(), at: 0), as: UTF8.self)
            } catch {
                throw CLIFailure(message: "cannot read \(logPath): \(error)", code: 1)
            }
            let log = Log(text)
            func fail(_ message: String) -> CLIFailure { CLIFailure(message: "crash check: \(message)", code: 1) }
            let store = try Store.open(at: path)
            var present: Set<Int>?
            for k in 0..<series {
                var times = Set<Int>()
                if let info = store.series(key: key(k)) {
                    let points = try store.read(info.id)
                    for (t, v) in zip(points.times, points.values) {
                        guard v == Double(Int(t) * 1000 + k) else { throw fail("series s\(k) at \(t) holds \(v)") }
                        times.insert(Int(t))
                    }
                }
                if let present, present != times {
                    let diff = present.symmetricDifference(times).sorted().prefix(5)
                    throw fail("batch cut in half: series s\(k) differs from s0 at \(Array(diff))")
                }
                present = times
            }
            let kept = present ?? []
            if let back = kept.intersection(log.deleted).min() { throw fail("deleted batch \(back) came back") }
            if let early = kept.filter({ $0 < log.retainFinished }).min() {
                throw fail("batch \(early) is older than the finished retention cutoff \(log.retainFinished)")
            }
            if let stranger = kept.subtracting(log.attempted).min() { throw fail("batch \(stranger) was never written") }
            let mayBeGone = log.deleting.union(log.deleted)
            let lost = log.acknowledged.filter { !kept.contains($0) && !mayBeGone.contains($0) && $0 >= log.retainStarted }
            if !lost.isEmpty { throw fail("acknowledged batches lost: \(lost.sorted().prefix(10))") }
            // Every kept document of a batch that is still present reads back, checksum and all, as written.
            var documents = 0
            for record in try store.imports() {
                guard record.origin.detail(BatchOrigin.documentKey) != nil,
                      let i = record.origin.detail("batch").flatMap({ Int($0) }), kept.contains(i) else { continue }
                guard let document = try store.document(ofBatch: record.lsn) else { throw fail("batch \(i): no document") }
                guard document.bytes == CrashWriter.document(i) else { throw fail("batch \(i): its document differs") }
                documents += 1
            }
            // No close: a close would flush, and the next run should find the store as the kill left it.
            let unacknowledged = kept.subtracting(log.acknowledged).count
            return "check ok: \(kept.count) batches present (\(unacknowledged) written but not acknowledged), "
                + "\(log.acknowledged.count) acknowledged, \(log.deleted.count) deleted, "
                + "\(log.deleting.subtracting(log.deleted).count) deletes cut short, \(documents) documents read back"
        }
    }
}
