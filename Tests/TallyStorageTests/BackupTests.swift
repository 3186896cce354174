import Foundation
import Synchronization
import Testing
import TallyStorage
import TallyTestSupport

@Suite("Backup and restore")
struct BackupTests {
    @Test func backupDuringWritesHoldsEveryAcknowledgedBatch() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path, options: StoreOptions(flushThresholdPoints: 500))
        try store.importBulk(batch(labels: ["dataset": "bulk"], points: (0..<1000).map { (Int64($0), Double($0)) }))
        let acknowledged = Mutex<[Int]>([])
        let stop = Atomic<Bool>(false)
        let writerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var i = 0
            while !stop.load(ordering: .relaxed) && i < 5000 {
                if (try? store.write(batch(labels: ["dataset": "live"], points: [(Int64(i), Double(i) * 2)]))) != nil {
                    acknowledged.withLock { $0.append(i) }
                }
                i += 1
            }
            writerDone.signal()
        }
        while acknowledged.withLock({ $0.count }) < 100 { usleep(1000) }
        let before = acknowledged.withLock { $0 }
        let report = try store.backup(to: dir.child("backup"))
        stop.store(true, ordering: .relaxed)
        writerDone.wait()
        #expect(report.segments >= 1)
        #expect(Store.verify(at: dir.child("backup")).isClean)
        let restoredReport = try Store.restore(from: dir.child("backup"), to: dir.child("restored"))
        #expect(restoredReport.isClean)
        let restored = try Store.open(at: dir.child("restored"))
        let live = try #require(restored.series(key: SeriesKey(metric: "row_count", labels: ["dataset": "live"])))
        let points = try restored.read(live.id)
        let present = Set(points.times.map { Int($0) })
        #expect(before.allSatisfy { present.contains($0) }, "an acknowledged batch is missing from the backup")
        for (t, v) in zip(points.times, points.values) { #expect(v == Double(t) * 2) }
        #expect(try pairs(restored, labels: ["dataset": "bulk"]).count == 1000)
        // The original store is untouched and still writable.
        try store.write(batch(labels: ["dataset": "live"], points: [(100_000, 1)]))
        try store.close()
    }

    @Test func backupRefusesAnExistingDirectoryAndRestoreADamagedBackup() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1)]))
        try store.flush()
        #expect(throws: StoreError.self) { try store.backup(to: dir.path) }
        try store.backup(to: dir.child("b"))
        let segment = try #require(try files(dir.child("b/segments"), suffix: ".tseg").first)
        var bytes = try readFileBytes(segment)
        bytes[bytes.count / 2] ^= 0x10
        try writeFileBytes(segment, bytes)
        #expect(throws: StoreError.self) { _ = try Store.restore(from: dir.child("b"), to: dir.child("r")) }
        #expect(!Directory.exists(dir.child("r")))
    }
}
