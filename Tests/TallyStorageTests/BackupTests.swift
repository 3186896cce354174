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

    /// `Store.backup(storeAt:to:)` copies from outside the writing process (as `tally backup` does while
    /// `tally serve` runs): while a writer writes, flushes every 40 points, compacts and imports in bulk, each
    /// backup holds exactly the batches up to the LSN it reports, every one acknowledged before it started among
    /// them, and verifies.
    @Test func aBackupFromOutsideWhileTheWriterFlushesAndCompactsIsAConsistentPrefix() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.child("store"), options: StoreOptions(flushThresholdPoints: 40))
        let acknowledged = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let writerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var i = 0
            while !stop.load(ordering: .relaxed) && i < 20_000 {
                guard (try? store.write(batch(labels: ["dataset": "live"], points: [(Int64(i), Double(i))]))) != nil else { break }
                acknowledged.store(i + 1, ordering: .relaxed)
                i += 1
                if i % 150 == 0 { _ = try? store.compact() }
                // A bulk import now and then: a batch that lands in a segment, not in the WAL.
                if i % 70 == 0 {
                    _ = try? store.importBulk(batch(labels: ["dataset": "bulk\(i)"], points: [(Int64(i), 1)]))
                }
            }
            writerDone.signal()
        }
        for k in 0..<6 {
            while acknowledged.load(ordering: .relaxed) < 100 * (k + 1) { usleep(1000) }
            let before = acknowledged.load(ordering: .relaxed)
            let report = try Store.backup(storeAt: dir.child("store"), to: dir.child("b\(k)"))
            #expect(!Directory.exists(dir.child("b\(k).partial-\(getpid())")))
            let verified = try Store.restore(from: dir.child("b\(k)"), to: dir.child("r\(k)"))
            #expect(verified.isClean)
            let restored = try Store.open(at: dir.child("r\(k)"), options: StoreOptions(readOnly: true))
            let live = try #require(restored.series(key: SeriesKey(metric: "row_count", labels: ["dataset": "live"])))
            let times = try restored.read(live.id).times.map { Int($0) }
            #expect(times == Array(0..<times.count), "backup \(k) is not a prefix of the batches")
            #expect(times.count >= before, "backup \(k) lacks acknowledged batches: \(times.count) < \(before)")
            // Every batch up to the LSN reported, and none after: bulk imports included.
            let lsns = try restored.imports().map { Int($0.lsn) }
            #expect(lsns == Array(1...Int(report.lsn)), "backup \(k): batches \(lsns.suffix(5)) up to \(report.lsn)")
            try restored.close()
        }
        stop.store(true, ordering: .relaxed)
        writerDone.wait()
        #expect(store.stats().segments >= 1, "the writer flushed")
        try store.close()
    }

    /// A backup that fails part-way leaves nothing that looks like a backup: neither the directory nor its
    /// partial copy. A path without a store is refused before anything is made.
    @Test func aFailedBackupLeavesNoDirectory() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.child("store"))
        for i in 0..<5 { try store.write(batch(points: [(Int64(i), 1)])) }
        try store.close()
        let wal = try #require(try files(dir.child("store/wal"), suffix: ".wal").first)
        var bytes = try readFileBytes(wal)
        // A closed store's WAL is its header alone (the close flushed the records): damage the header.
        bytes[bytes.count / 3] ^= 0x40
        try writeFileBytes(wal, bytes)
        #expect(throws: StoreError.self) { try Store.backup(storeAt: dir.child("store"), to: dir.child("b")) }
        #expect(!Directory.exists(dir.child("b")) && !Directory.exists(dir.child("b.partial-\(getpid())")))
        #expect(throws: StoreError.self) { try Store.backup(storeAt: dir.child("nothing"), to: dir.child("c")) }
        #expect(!Directory.exists(dir.child("c")) && !Directory.exists(dir.child("nothing")))
    }

    /// A backup inside one of the store's own folders (`segments/`, `wal/`, `documents/`, also through a link or
    /// `..`) is refused before anything is made: a directory in `segments/` made every later open fail. A file
    /// someone left in `segments/` is not removed by an open; a half-written segment is.
    @Test func aBackupInsideItsStoreIsRefusedAndStrayFilesStay() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.child("s"))
        try store.write(batch(points: [(1, 1)]))
        try store.close()
        for inside in [dir.child("s/segments/b"), dir.child("s/wal/b"), dir.child("s/nothing/../documents/b")] {
            #expect(throws: StoreError.self) { try Store.backup(storeAt: dir.child("s"), to: inside) }
            #expect(!Directory.exists(inside))
        }
        #expect(symlink(dir.child("s"), dir.child("link")) == 0)
        #expect(throws: StoreError.self) { try Store.backup(storeAt: dir.child("s"), to: dir.child("link/segments/b")) }
        try Store.backup(storeAt: dir.child("s"), to: dir.child("outside"))
        // A trailing slash names the same directory: the copy lands there, and nothing is left beside it.
        let slashed = try Store.backup(storeAt: dir.child("s"), to: dir.child("slashed") + "/")
        #expect(slashed.segments >= 1 && Store.verify(at: dir.child("slashed")).isClean)
        #expect(try Directory.list(dir.path).filter { $0.hasPrefix("slashed") } == ["slashed"])
        try writeFileBytes(dir.child("s/segments/NOTES.txt"), Array("mine".utf8))
        try writeFileBytes(dir.child("s/segments/00000000000000ff.tseg.tmp"), [1, 2, 3])
        try Store.open(at: dir.child("s")).close()
        #expect(Directory.exists(dir.child("s/segments/NOTES.txt")))
        #expect(!Directory.exists(dir.child("s/segments/00000000000000ff.tseg.tmp")), "a segment left half-written is removed")
    }

    /// The path rules backups, loads and chart files build their sibling paths with.
    @Test func parentsAndTrailingSlashes() {
        #expect(Directory.withoutTrailingSlashes("backups/b//") == "backups/b")
        #expect(Directory.withoutTrailingSlashes("/") == "/")
        #expect(Directory.parent(of: "backups/b/") == "backups")
        #expect(Directory.parent(of: "/b") == "/")
        #expect(Directory.parent(of: "b") == ".")
        #expect(Directory.parent(of: "/srv/tally/b") == "/srv/tally")
    }

    @Test func backupRefusesAnExistingDirectoryAndRestoreADamagedBackup() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1)]))
        try store.flush()
        // An existing target is a conflict (`.exists`, naming it), not bad input, and nothing is written into it.
        let taken = dir.child("taken")
        try Directory.create(taken)
        for target in [dir.path, taken, taken + "/"] {
            do {
                try store.backup(to: target)
                Issue.record("a backup into \(target) should be refused")
            } catch {
                guard case .exists(let path, _) = error else { Issue.record("expected .exists, got \(error)"); continue }
                #expect(path == Directory.withoutTrailingSlashes(target))
            }
        }
        #expect(try Directory.list(taken).isEmpty)
        try store.backup(to: dir.child("b"))
        do {
            _ = try Store.restore(from: dir.child("b"), to: taken)
            Issue.record("a restore into an existing directory should be refused")
        } catch {
            guard case .exists(taken, _) = error else { Issue.record("expected .exists(\(taken)), got \(error)"); return }
        }
        #expect(try Directory.list(taken).isEmpty)
        let segment = try #require(try files(dir.child("b/segments"), suffix: ".tseg").first)
        var bytes = try readFileBytes(segment)
        bytes[bytes.count / 2] ^= 0x10
        try writeFileBytes(segment, bytes)
        #expect(throws: StoreError.self) { _ = try Store.restore(from: dir.child("b"), to: dir.child("r")) }
        #expect(!Directory.exists(dir.child("r")))
    }

    /// Damage the store has is copied as it is; the backup says so when it is made (both ways of making one).
    @Test func aBackupOfADamagedStoreReportsTheDamage() throws {
        let dir = TemporaryDirectory()
        let storePath = dir.child("s")
        do {
            let store = try Store.open(at: storePath)
            try store.write(batch(points: [(1, 1), (2, 2)]))
            try store.close()
        }
        let clean = try Store.backup(storeAt: storePath, to: dir.child("clean"))
        #expect(clean.problems.isEmpty && clean.segments == 1)
        let segment = try #require(try files(storePath + "/segments", suffix: ".tseg").first)
        var bytes = try readFileBytes(segment)
        bytes[12 + 4] ^= 0x10   // inside the first block: the store still opens, reading that block fails
        try writeFileBytes(segment, bytes)
        let outside = try Store.backup(storeAt: storePath, to: dir.child("outside"))
        #expect(outside.problems.contains { $0.path.hasSuffix(segment.split(separator: "/").last.map(String.init) ?? "?") },
                "\(outside.problems)")
        let store = try Store.open(at: storePath)
        let inside = try store.backup(to: dir.child("inside"))
        #expect(!inside.problems.isEmpty && inside.problems.count == outside.problems.count)
        // The copies are kept (the best there is), and restoring one is refused, as before.
        #expect(Directory.exists(dir.child("outside")) && Directory.exists(dir.child("inside")))
        #expect(throws: StoreError.self) { _ = try Store.restore(from: dir.child("outside"), to: dir.child("r")) }
    }

    /// A document record being appended while a backup from outside copies the log (its WAL record not yet written)
    /// is left out of the copy, which verifies clean, instead of being copied half and reported as damage.
    @Test func aDocumentBeingAppendedIsLeftOutOfABackup() throws {
        let dir = TemporaryDirectory()
        let storePath = dir.child("s")
        do {
            let store = try Store.open(at: storePath)
            try store.write(batch(points: [(1, 1)]), document: (kind: "test", bytes: Array("{\"a\": 1}".utf8)))
            try store.close()
        }
        let log = try #require(try files(storePath + "/documents", suffix: ".tdoc").first)
        let whole = try readFileBytes(log)
        // The first bytes of the next record: a length, and a little of what it covers.
        try writeFileBytes(log, whole + [200, 0, 0, 0, 1, 2, 3, 4, 5, 6])
        let report = try Store.backup(storeAt: storePath, to: dir.child("b"))
        #expect(report.problems.isEmpty, "\(report.problems)")
        let copied = try #require(try files(dir.child("b/documents"), suffix: ".tdoc").first)
        #expect(try readFileBytes(copied) == whole)
    }

    /// A complete but damaged last document record is copied as it is (verify names it in the backup's problems);
    /// only a record whose length runs past what was copied is left out.
    @Test func aDamagedLastDocumentRecordIsCopiedAndReported() throws {
        let dir = TemporaryDirectory()
        let storePath = dir.child("s")
        let store = try Store.open(at: storePath)
        try store.write(batch(points: [(1, 1)]), document: (kind: "test", bytes: Array("{\"a\": 1}".utf8)))
        try store.flush()
        let log = try #require(try files(storePath + "/documents", suffix: ".tdoc").first)
        var bytes = try readFileBytes(log)
        bytes[bytes.count - 2] ^= 0x01
        try writeFileBytes(log, bytes)
        let report = try store.backup(to: dir.child("b"))
        let copied = try #require(try files(dir.child("b/documents"), suffix: ".tdoc").first)
        #expect(try readFileBytes(copied) == bytes)
        #expect(report.problems.contains { $0.detail.contains("checksum") }, "\(report.problems)")
    }
}
