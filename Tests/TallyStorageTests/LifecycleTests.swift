#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import TallyStorage
import TallyEncoding
import TallyTestSupport

@Suite("Lifecycle: compaction, retention, deletes")
struct LifecycleTests {
    let hour: Int64 = 3_600_000

    /// `scans` batches, each one point for each of `series` series, flushed every `flushEvery` scans.
    func scanByScan(_ store: Store, series: Int, scans: Int, flushEvery: Int) throws {
        for scan in 0..<scans {
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "scan \(scan)"))
            for k in 0..<series {
                let s = b.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "d\(k)"]))
                b.append(series: s, time: Int64(scan) * hour, value: Double(1000 + k * 10 + scan % 7))
            }
            try store.write(b)
            if (scan + 1) % flushEvery == 0 { try store.flush() }
        }
    }

    func everything(_ store: Store) throws -> [[(Int64, Double?)]] {
        try store.series(matching: .all).map { info in
            let c = try store.read(info.id)
            return zip(c.times, c.values).map { ($0, optionalValue($1)) }
        }
    }

    @Test func compactionMergesScanByScanSegmentsAndKeepsEveryPoint() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try scanByScan(store, series: 50, scans: 120, flushEvery: 10)
        // A later write replaces a point that is already in a segment.
        try store.write(batch(labels: ["dataset": "d3"], points: [(5 * hour, -1)]))
        let before = try everything(store)
        let statsBefore = store.stats()
        #expect(statsBefore.segments >= 12)
        let report = try store.compact()
        let statsAfter = store.stats()
        #expect(report.segmentsRemoved == statsBefore.segments + 1)   // the head flushed by compact counts too
        #expect(statsAfter.segments == 1)
        #expect(statsAfter.segmentBytes < statsBefore.segmentBytes)
        #expect(statsAfter.points == 50 * 120)
        let after = try everything(store)
        #expect(after.count == before.count)
        for (a, b) in zip(after, before) { #expect(same(a, b)) }
        #expect(try pairs(store, labels: ["dataset": "d3"]).first { $0.0 == 5 * hour }?.1 == -1)
        #expect(Store.verify(at: dir.path).isClean)
        // A month already in one segment of full blocks is left alone.
        #expect(try store.compact().segmentsRemoved == 0)
        try store.close()
        let reopened = try Store.open(at: dir.path)
        let again = try everything(reopened)
        for (a, b) in zip(again, before) { #expect(same(a, b)) }
        // Old segment files are gone.
        #expect(try files(dir.child("segments"), suffix: ".tseg").count == 1)
    }

    @Test func retentionDropsOldPointsAndEmptySeries() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let day: Int64 = 86_400_000
        let jan1: Int64 = 1_704_067_200_000   // 2024-01-01
        try store.write(batch(labels: ["dataset": "a"], points: (0..<90).map { (jan1 + Int64($0) * day, Double($0)) }))
        try store.write(batch(labels: ["dataset": "old"], points: (0..<10).map { (jan1 + Int64($0) * day, Double($0)) }))
        try store.flush()
        let cutoff = jan1 + 45 * day
        let report = try store.retain(before: cutoff)
        #expect(report.pointsBefore - report.pointsAfter == 45 + 10)
        let remaining = try pairs(store, labels: ["dataset": "a"])
        #expect(remaining.map(\.0) == (45..<90).map { jan1 + Int64($0) * day })
        #expect(store.series(matching: .all).map { $0.key[label: "dataset"] } == ["a"])
        let old = try #require(store.series(key: SeriesKey(metric: "row_count", labels: ["dataset": "old"])))
        #expect(store.latest([old.id])[0] == nil)
        #expect(store.stats().points == 45)
        // January's segment held only old points and is gone; February's and March's remain.
        #expect(store.stats().segments == 2)
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(try pairs(reopened, labels: ["dataset": "a"]).count == 45)
        #expect(reopened.series(matching: .all).count == 1)
    }

    @Test func retentionForOneSelectorLeavesTheRest() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(labels: ["dataset": "a"], points: [(1, 1), (2, 2), (3, 3)]))
        try store.write(batch(labels: ["dataset": "b"], points: [(1, 1), (2, 2), (3, 3)]))
        try store.retain(before: 3, selector: SeriesSelector(matchers: [try LabelMatcher(name: "dataset", op: .equal, value: "a")]))
        #expect(same(try pairs(store, labels: ["dataset": "a"]), [(3, 3)]))
        #expect(same(try pairs(store, labels: ["dataset": "b"]), [(1, 1), (2, 2), (3, 3)]))
    }

    @Test func deleteBySelectorAndRangeKeepsLatestCorrect() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1), (2, 2), (3, 3), (4, 4)]))
        let id = store.series(matching: .all)[0].id
        try store.delete(SeriesSelector(metric: "row_count"), in: TimeRange(from: 3, to: 10))
        #expect(same(try pairs(store), [(1, 1), (2, 2)]))
        #expect(store.latest([id])[0]?.time == 2)
        #expect(store.latest([id])[0]?.value == 2)
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(same(try pairs(reopened), [(1, 1), (2, 2)]))
        #expect(reopened.latest([id])[0]?.time == 2)
    }

    /// A delete that empties the later month's segment: the latest point comes back from the earlier month's
    /// segment, which the rewrite left alone (its footer is read again for it), and stays right after a reopen.
    @Test func deleteOfALaterMonthTakesTheLatestFromTheSegmentKept() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let day: Int64 = 86_400_000
        let february = 31 * day
        try store.write(batch(points: [(day, 10), (2 * day, 20)]))
        try store.write(batch(labels: ["dataset": "other"], points: [(3 * day, 5)]))
        try store.flush()
        try store.write(batch(points: [(february + day, 30), (february + 2 * day, 40)]))
        try store.flush()
        let id = try #require(store.series(key: SeriesKey(metric: "row_count", labels: ["dataset": "orders"]))).id
        #expect(store.latest([id])[0]?.value == 40)
        let report = try store.delete(SeriesSelector(metric: "row_count", matchers: [
            try LabelMatcher(name: "dataset", op: .equal, value: "orders")]), in: TimeRange(from: february, to: .max))
        #expect(report.segmentsRemoved == 1)
        #expect(same(try pairs(store), [(day, 10), (2 * day, 20)]))
        #expect(store.latest([id])[0]?.time == 2 * day)
        #expect(store.latest([id])[0]?.value == 20)
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(reopened.latest([id])[0]?.value == 20)
        #expect(Store.verify(at: dir.path).isClean)
    }

    @Test func deleteABatchRemovesExactlyItsPoints() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(labels: ["dataset": "a"], points: [(1, 1), (2, 2)]))
        let bad = try store.write(batch(labels: ["dataset": "a"], points: [(3, 99), (4, 99)]))
        try store.write(batch(labels: ["dataset": "b"], points: [(3, 3)]))
        try store.delete(batch: bad.lsn)
        #expect(same(try pairs(store, labels: ["dataset": "a"]), [(1, 1), (2, 2)]))
        #expect(same(try pairs(store, labels: ["dataset": "b"]), [(3, 3)]))
        #expect(Store.verify(at: dir.path).isClean)
    }

    @Test func backgroundCompactionRunsWhileWritersGoOn() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        func waitForOneSegment() {
            var waited = 0
            while store.stats().segments > 1 && waited < 800 {
                usleep(25_000)
                waited += 1
            }
        }
        try scanByScan(store, series: 10, scans: 30, flushEvery: 5)    // 6 small segments
        #expect(store.stats().segments == 6)
        let compaction = store.startBackgroundCompaction(interval: 0.1, minimumSegments: 3)
        waitForOneSegment()
        #expect(store.stats().segments == 1)
        // Writers go on while it runs; three more flushes make it compact again.
        for round in 0..<3 {
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "late \(round)"))
            let s = b.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "d0"]))
            b.append(series: s, time: Int64(100 + round) * hour, value: Double(round))
            try store.write(b)
            try store.flush()
        }
        waitForOneSegment()
        compaction.stop()
        #expect(store.stats().segments == 1)
        #expect(store.stats().points == 10 * 30 + 3)
        #expect(Store.verify(at: dir.path).isClean)
        try store.close()
    }

    /// On a handle that cannot write, the background loop says so once and ends, instead of failing every interval.
    @Test func backgroundCompactionOnAReadOnlyHandleSaysSoOnceAndEnds() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: [(1, 1)]))
            try store.close()
        }
        let reader = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        let errors = Mutex<[StoreError]>([])
        let compaction = reader.startBackgroundCompaction(interval: 0.05, minimumSegments: 1) { error in
            errors.withLock { $0.append(error) }
        }
        usleep(500_000)   // ten intervals
        compaction.stop()
        let seen = errors.withLock { $0 }
        #expect(seen.count == 1, "\(seen)")
        if case .readOnly? = seen.first {} else { Issue.record("expected .readOnly, got \(seen)") }
    }
}
