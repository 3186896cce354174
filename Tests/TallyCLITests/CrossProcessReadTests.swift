import Foundation
import Synchronization
import Testing
import Tally
import TallyTestSupport

/// A writer process (`tally _crash-writer`) appends, flushes every 2 batches and compacts every 5, while this
/// process opens the store read-only again and again: each open sees a consistent snapshot holding at least
/// every batch acknowledged before it, whole, with its values.
@Suite("Reading from another process while a writer flushes and compacts")
struct CrossProcessReadTests {
    @Test func readOnlyOpensSeeEveryAcknowledgedBatchWhole() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let series = 5
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tallyBinary)
        process.arguments = ["_crash-writer", "--store", store, "--series", "\(series)", "--batches", "100000",
                             "--flush-every", "2", "--compact-every", "5"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        let acknowledged = Atomic<Int>(0)
        Thread.detachNewThread {
            var lines = LineStream(out.fileHandleForReading)
            while let line = lines.next() {
                if line.hasPrefix("ack "), let i = Int(line.dropFirst(4)) { acknowledged.store(i + 1, ordering: .releasing) }
            }
        }
        while acknowledged.load(ordering: .acquiring) < 5 { usleep(2000) }
        var failures: [String] = []
        var opens = 0
        var largest = 0
        // At least 150 opens, and on until the writer has made 30 batches (15 flushes, 6 compactions) under them.
        while (opens < 150 || largest < 30) && opens < 5_000 && failures.count < 5 {
            let before = acknowledged.load(ordering: .acquiring)
            let reader: Store
            do throws(StoreError) { reader = try Store.open(at: store, options: StoreOptions(readOnly: true)) } catch {
                failures.append("open \(opens): \(error)")
                continue
            }
            opens += 1
            var counts: [Int] = []
            for k in 0..<series {
                guard let info = reader.series(key: SeriesKey(metric: "crash_metric", labels: ["series": "s\(k)"])) else {
                    counts.append(0)
                    continue
                }
                let points = try reader.read(info.id)
                if points.times != (0..<Int64(points.count)).map({ $0 }) {
                    failures.append("open \(opens), series \(k): times are not gapless: \(points.times.prefix(30))")
                }
                for (i, v) in points.values.enumerated() where v != Double(i * 1000 + k) {
                    failures.append("open \(opens), series \(k) at \(i) holds \(v)")
                    break
                }
                counts.append(points.count)
            }
            if Set(counts).count != 1 { failures.append("open \(opens): a batch is half visible: \(counts)") }
            if (counts.min() ?? 0) < before { failures.append("open \(opens): \(counts.min() ?? 0) batches, \(before) acknowledged before") }
            largest = max(largest, counts.max() ?? 0)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(opens >= 150)
        #expect(largest >= 30, "the writer made too little progress during the reads")
    }
}
