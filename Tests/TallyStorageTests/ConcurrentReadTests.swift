import Foundation
import Synchronization
import Testing
import TallyStorage
import TallyTestSupport

/// Readers on other threads, on the writer's own handle and on read-only handles opened again and again, while
/// one thread appends batches, flushes and compacts: every read is a consistent snapshot.
@Suite("Readers during appends, flushes and compactions")
struct ConcurrentReadTests {
    static let seriesCount = 6

    static func key(_ k: Int) -> SeriesKey { SeriesKey(metric: "m", labels: ["s": "\(k)"]) }

    /// Batch `i`: time `i` in every series, value `i * 100 + k`.
    static func batch(_ i: Int) -> WriteBatch {
        var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "concurrent"))
        for k in 0..<seriesCount {
            let s = b.addSeries(key(k))
            b.append(series: s, time: Int64(i), value: Double(i * 100 + k))
        }
        return b
    }

    /// Reads every series of `store` in order. Batches are applied whole and never removed, so series read later
    /// hold at least the batches of those read earlier; each is a gapless run 0..<n with its values.
    /// Returns the batch count seen in the first series, or a description of what was wrong.
    static func sweep(_ store: Store, atLeast floor: Int) -> Result<Int, SweepFailure> {
        var previous = floor
        var first = -1
        for k in 0..<seriesCount {
            guard let info = store.series(key: key(k)) else {
                if previous == 0 { continue }
                return .failure(SweepFailure(description: "series \(k) missing after \(previous) batches"))
            }
            let points: PointColumns
            do throws(StoreError) { points = try store.read(info.id) } catch {
                return .failure(SweepFailure(description: "read of series \(k): \(error)"))
            }
            let n = points.count
            guard points.times == (0..<Int64(n)).map({ $0 }) else {
                return .failure(SweepFailure(description: "series \(k): times are not 0..<\(n): \(points.times.prefix(20))"))
            }
            for (i, v) in points.values.enumerated() where v != Double(i * 100 + k) {
                return .failure(SweepFailure(description: "series \(k) at \(i) holds \(v)"))
            }
            guard n >= previous else {
                return .failure(SweepFailure(description: "series \(k) has \(n) batches, an earlier one \(previous)"))
            }
            previous = n
            if first < 0 { first = n }
        }
        return .success(max(first, 0))
    }

    struct SweepFailure: Error, CustomStringConvertible { let description: String }

    @Test func readersAlwaysSeeConsistentSnapshots() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path, options: StoreOptions(flushThresholdPoints: 200))
        let batches = 600
        let written = Atomic<Int>(0)
        let writerError = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do throws(StoreError) {
                for i in 0..<batches {
                    try store.write(ConcurrentReadTests.batch(i))
                    written.store(i + 1, ordering: .releasing)
                    if i % 25 == 24 { try store.flush() }
                    if i % 60 == 59 { try store.compact() }
                }
            } catch {
                writerError.withLock { $0 = "\(error)" }
            }
            written.store(Int.max, ordering: .releasing)
            done.signal()
        }
        let failures = Mutex<[String]>([])
        let sweeps = Atomic<Int>(0)
        let readersDone = DispatchSemaphore(value: 0)
        // Two threads read through the writer's handle; one opens read-only handles over and over.
        for reader in 0..<3 {
            Thread.detachNewThread {
                var seen = 0
                while true {
                    let finished = written.load(ordering: .acquiring) == Int.max
                    // Every handle sees at least what was acknowledged before it was opened or read.
                    let before = written.load(ordering: .acquiring)
                    let handle: Store
                    if reader == 2 {
                        do throws(StoreError) { handle = try Store.open(at: dir.path, options: StoreOptions(readOnly: true)) } catch {
                            failures.withLock { $0.append("read-only open: \(error)") }
                            break
                        }
                    } else {
                        handle = store
                    }
                    // The writer's handle never goes back.
                    let floor = reader == 2 ? 0 : seen
                    switch ConcurrentReadTests.sweep(handle, atLeast: floor) {
                    case .success(let n):
                        if n < min(before, batches) {
                            failures.withLock { $0.append("reader \(reader) saw \(n) batches after \(before) were acknowledged") }
                        }
                        seen = n
                    case .failure(let failure):
                        failures.withLock { $0.append("reader \(reader): \(failure)") }
                    }
                    sweeps.add(1, ordering: .relaxed)
                    if finished || failures.withLock({ $0.count }) > 5 { break }
                }
                readersDone.signal()
            }
        }
        done.wait()
        for _ in 0..<3 { readersDone.wait() }
        #expect(writerError.withLock { $0 } == nil)
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 }.prefix(5))")
        #expect(sweeps.load(ordering: .relaxed) >= 3)
        if case .success(let n) = ConcurrentReadTests.sweep(store, atLeast: batches) { #expect(n == batches) } else {
            Issue.record("the final read failed")
        }
        try store.close()
        #expect(Store.verify(at: dir.path).isClean)
    }
}
