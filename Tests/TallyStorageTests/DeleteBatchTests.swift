#if canImport(Glibc)
import Glibc
#endif
import Testing
import TallyStorage
import TallyTestSupport

/// `Store.delete(batch:)`: what a deleted batch leaves behind, and that it is forgotten as a batch.
@Suite("Deleting a batch")
struct DeleteBatchTests {
    let day: Int64 = 86_400_000
    let may1: Int64 = 1_714_521_600_000   // 2024-05-01

    /// A batch of one series `m{s=...}` with the given (day, value) points, optionally carrying a content hash.
    func dayBatch(_ series: String = "a", _ points: [(Int64, Double)], hash: String? = nil) -> WriteBatch {
        var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "days", wallTime: 0))
        if let hash { b.origin.setDetail(BatchOrigin.contentHashKey, hash) }
        let s = b.addSeries(SeriesKey(metric: "m", labels: ["s": series]))
        for (d, v) in points { b.append(series: s, time: may1 + d * day, value: v) }
        return b
    }

    /// Two stored batches that hold one content identity (a scan stored both ways, as stores made before such
    /// duplicates were refused may hold): deleting the first leaves the second standing for it, so the content
    /// sent again is still a duplicate.
    @Test func deletingABatchLeavesAnotherThatHoldsItsContentStandingForIt() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.child("store"))
        let key = SeriesKey(metric: "m", labels: ["s": "a"])
        func origin(_ content: String) -> BatchOrigin {
            BatchOrigin(kind: "soda", source: content, wallTime: 0, details: ["content_hash": content, "results_hash": "r1"])
        }
        try store.load(series: [SeriesRecord(id: 1, key: key, kind: .measurement, attributes: Attributes(), createdLSN: 1)],
                       imports: [ImportRecord(lsn: 1, origin: origin("c1"), seriesCount: 1, pointCount: 1),
                                 ImportRecord(lsn: 2, origin: origin("c2"), seriesCount: 1, pointCount: 1)],
                       documents: [], points: [1: PointColumns(times: [may1, may1 + day], values: [1, 2], lsns: [1, 2])])
        #expect(store.batch(withContentHash: "r1") == 1)
        try store.delete(batch: 1)
        #expect(store.batch(withContentHash: "r1") == 2, "the other batch stands for the scan")
        var again = dayBatch("a", [(0, 1)])
        again.origin = origin("c3")
        let receipt = try store.write(again)
        #expect(receipt.isDuplicate && receipt.lsn == 2)
    }

    /// Every series' (time, value) pairs, by key, as a read returns them (series with no points left out).
    func contents(_ store: Store) throws -> [String: [(Int64, Double?)]] {
        var out: [String: [(Int64, Double?)]] = [:]
        for info in store.series(matching: .all, includingEmpty: true) {
            let c = try store.read(info.id)
            if !c.times.isEmpty { out[info.key.description] = zip(c.times, c.values).map { ($0, optionalValue($1)) } }
        }
        return out
    }

    func sameContents(_ a: [String: [(Int64, Double?)]], _ b: [String: [(Int64, Double?)]]) -> Bool {
        a.keys.sorted() == b.keys.sorted() && a.keys.allSatisfy { same(a[$0]!, b[$0]!) }
    }

    /// The latest-point cache agrees with the last point a read returns, for every series.
    func latestAgrees(_ store: Store) throws -> Bool {
        try store.series(matching: .all, includingEmpty: true).allSatisfy { info in
            let c = try store.read(info.id)
            let latest = store.latest([info.id])[0]
            return latest?.time == c.times.last && latest?.value.bitPattern == c.values.last?.bitPattern
        }
    }

    enum Compaction: CaseIterable { case none, beforeLater, afterLater }

    /// Batch 1 writes days 0–2 of `a` and day 0 of `b`; batch 2 (deleted) overwrites days 0 and 1 of `a` and
    /// writes day 5; batch 3 (when `later`) overwrites day 1 again. Each batch is flushed into a segment of its own
    /// when `flushEach`, and the store compacted at the point `compaction` says. Whatever the order, what is left is
    /// what the docs promise: no point where batch 2's value was read, batch 3's value where it wrote over it, and
    /// every point batch 2 did not touch.
    @Test(arguments: Compaction.allCases, [false, true])
    func deletedBatchLeavesTheSameWhateverWasCompacted(compaction: Compaction, later: Bool) throws {
        for flushEach in [true, false] {
            let dir = TemporaryDirectory()
            let store = try Store.open(at: dir.path)
            try store.write(dayBatch("a", [(0, 1), (1, 1), (2, 1)]))
            try store.write(dayBatch("b", [(0, 7)]))
            if flushEach { try store.flush() }
            let bad = try store.write(dayBatch("a", [(0, 2), (1, 2), (5, 2)]))
            if flushEach { try store.flush() }
            if compaction == .beforeLater { try store.compact() }
            if later {
                try store.write(dayBatch("a", [(1, 3)]))
                if flushEach { try store.flush() }
            }
            if compaction == .afterLater { try store.compact() }
            let report = try store.delete(batch: bad.lsn)
            // The points of batch 2 that reads returned, whatever the segments held.
            #expect(report.pointsDropped == (later ? 2 : 3), "\(compaction) later \(later) flushEach \(flushEach)")
            let expectedA: [(Int64, Double?)] = later ? [(may1 + day, 3), (may1 + 2 * day, 1)] : [(may1 + 2 * day, 1)]
            let expected: [String: [(Int64, Double?)]] = ["m{s=\"a\"}": expectedA, "m{s=\"b\"}": [(may1, 7)]]
            let after = try contents(store)
            #expect(sameContents(after, expected), "\(compaction) later \(later) flushEach \(flushEach): \(after)")
            #expect(try latestAgrees(store))
            #expect(Store.verify(at: dir.path).isClean)
            // A compaction afterwards changes nothing, nor does a reopen.
            try store.compact()
            #expect(sameContents(try contents(store), expected))
            try store.close()
            let reopened = try Store.open(at: dir.path)
            #expect(sameContents(try contents(reopened), expected))
            #expect(try latestAgrees(reopened))
            try reopened.close()
        }
    }

    /// The user's report: v1 then v2 at one time; deleting v2 left v1's value without a compaction, none with one.
    @Test func oneValueReplacedThenDeletedWithAndWithoutCompaction() throws {
        var results: [[String: [(Int64, Double?)]]] = []
        for compact in [false, true] {
            let dir = TemporaryDirectory()
            let store = try Store.open(at: dir.path)
            try store.write(dayBatch("a", [(0, 1)]))
            try store.flush()
            let v2 = try store.write(dayBatch("a", [(0, 2)]))
            try store.flush()
            if compact { try store.compact() }
            #expect(try store.delete(batch: v2.lsn).pointsDropped == 1)
            results.append(try contents(store))
            try store.close()
        }
        #expect(results[0]["m{s=\"a\"}"] == nil, "the replaced value came back: \(results[0])")
        #expect(sameContents(results[0], results[1]))
    }

    /// A store where the deleted batch's replaced value sits in its own segment, compacted in the background (as
    /// `tally serve` does) after the delete: it reads the same before, during and after, and after a reopen.
    @Test func backgroundCompactionAfterADeleteChangesNothing() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        for d in 0..<6 {
            try store.write(dayBatch("a", [(Int64(d), Double(d))]))
            try store.flush()
        }
        let bad = try store.write(dayBatch("a", [(2, 99), (3, 99)]))
        try store.flush()
        try store.write(dayBatch("a", [(3, 33)]))
        try store.flush()
        try store.delete(batch: bad.lsn)
        let expected = ["m{s=\"a\"}": [(may1, 0.0), (may1 + day, 1), (may1 + 3 * day, 33), (may1 + 4 * day, 4), (may1 + 5 * day, 5)]
            .map { ($0.0, Optional($0.1)) }]
        #expect(sameContents(try contents(store), expected))
        #expect(store.stats().segments > 1)
        let compaction = store.startBackgroundCompaction(interval: 0.05, minimumSegments: 1)
        var waited = 0
        while store.stats().segments > 1 && waited < 800 {
            #expect(sameContents(try contents(store), expected))
            usleep(10_000)
            waited += 1
        }
        compaction.stop()
        #expect(store.stats().segments == 1)
        #expect(sameContents(try contents(store), expected))
        try store.close()
        let reopened = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        #expect(sameContents(try contents(reopened), expected))
    }

    /// A deleted batch is forgotten: no longer among the batches, its content hash and document gone, so the same
    /// content lands again as a new batch (with a new LSN, also after a reopen and after a compaction).
    @Test(arguments: [false, true])
    func aDeletedBatchIsForgottenAndItsContentLandsAgain(compact: Bool) throws {
        let dir = TemporaryDirectory()
        var store = try Store.open(at: dir.path)
        try store.write(dayBatch("a", [(0, 1)], hash: "h1"), document: (kind: "test/doc", bytes: Array("one".utf8)))
        let second = try store.write(dayBatch("a", [(1, 2)], hash: "h2"), document: (kind: "test/doc", bytes: Array("two".utf8)))
        if compact { try store.compact() }
        #expect(try store.write(dayBatch("a", [(1, 2)], hash: "h2")).isDuplicate)
        try store.delete(batch: second.lsn)
        #expect(try store.imports().map(\.lsn) == [1])
        #expect(store.batch(withContentHash: "h2") == nil)
        #expect(store.batch(withContentHash: "h1") == 1)
        #expect(try store.document(ofBatch: second.lsn) == nil)
        #expect(Store.verify(at: dir.path).isClean)
        try store.close()
        store = try Store.open(at: dir.path)
        #expect(try store.imports().map(\.lsn) == [1])
        #expect(store.batch(withContentHash: "h2") == nil)
        let again = try store.write(dayBatch("a", [(1, 2)], hash: "h2"), document: (kind: "test/doc", bytes: Array("two".utf8)))
        #expect(!again.isDuplicate)
        #expect(again.lsn > second.lsn)
        #expect(try store.document(ofBatch: again.lsn)?.bytes == Array("two".utf8))
        #expect(sameContents(try contents(store), ["m{s=\"a\"}": [(may1, 1), (may1 + day, 2)]]))
        #expect(try store.write(dayBatch("a", [(1, 2)], hash: "h2")).isDuplicate)
        try store.close()
        store = try Store.open(at: dir.path)
        #expect(try store.imports().map(\.lsn) == [1, again.lsn])
        #expect(Store.verify(at: dir.path).isClean)
        try store.close()
    }

    /// An LSN no catalog row can hold (above 2⁶³ − 1, as a user may type) is no batch, not a crash.
    @Test func aBatchNumberBeyondAnyLSNIsNoBatch() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(dayBatch("a", [(0, 1)]))
        for lsn in [LSN(Int64.max) + 1, .max] {
            #expect(try store.importRecord(lsn: lsn) == nil)
            #expect(throws: StoreError.self) { try store.delete(batch: lsn) }
        }
        #expect(try store.imports().count == 1)
        try store.close()
    }

    /// Deleting the newest batch (written through the WAL, or a bulk import) never lets its LSN be given again:
    /// not in the open store, not after a reopen (a scan id names one scan for good).
    @Test func theNewestBatchsLSNIsNotReusedAfterItsDelete() throws {
        let dir = TemporaryDirectory()
        var store = try Store.open(at: dir.path)
        try store.write(dayBatch("a", [(0, 1)]))
        let newest = try store.write(dayBatch("a", [(1, 2)]))
        try store.delete(batch: newest.lsn)
        #expect(try store.write(dayBatch("c", [(0, 1)])).lsn == newest.lsn + 1)
        let last = try store.write(dayBatch("a", [(2, 3)]))
        try store.delete(batch: last.lsn)
        try store.close()
        store = try Store.open(at: dir.path)
        let bulk = try store.importBulk(dayBatch("b", [(0, 1)]))
        #expect(bulk.lsn == last.lsn + 1)
        try store.delete(batch: bulk.lsn)
        try store.close()
        store = try Store.open(at: dir.path)
        #expect(try store.write(dayBatch("a", [(3, 4)])).lsn == bulk.lsn + 1)
        try store.close()
    }

    /// A batch without points (attributes only) is forgotten too; its attributes stay.
    @Test func aBatchWithoutPointsIsForgotten() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(dayBatch("a", [(0, 1)]))
        try store.setAttributes(Attributes(["unit": "rows"]), of: SeriesSelector(metric: "m"))
        let edit = try #require(try store.imports().last)
        #expect(edit.origin.kind == "edit")
        #expect(try store.delete(batch: edit.lsn).pointsDropped == 0)
        #expect(try store.imports().map(\.lsn) == [1])
        #expect(store.series(matching: .all).first?.attributes["unit"] == "rows")
        try store.close()
    }

    /// Deleting a batch that was never written, or a second time, is bad input that names the id and the store.
    @Test func anUnknownOrDeletedBatchIsBadInputNamingIt() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let only = try store.write(dayBatch("a", [(0, 1)]))
        func expectRefused(_ lsn: LSN) {
            do {
                try store.delete(batch: lsn)
                Issue.record("deleting batch \(lsn) did not fail")
            } catch {
                guard case .invalid(let input) = error else { Issue.record("not bad input: \(error)"); return }
                #expect(input.message == "no batch \(lsn) in \(dir.path) (never written, or deleted)")
            }
        }
        expectRefused(99)
        #expect(try contents(store).count == 1)
        try store.delete(batch: only.lsn)
        expectRefused(only.lsn)
        try store.close()
    }

    /// A batch written after the delete's own flush (still in the head) is flushed and deleted, not refused.
    @Test func aBatchStillInTheHeadIsDeleted() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(dayBatch("a", [(0, 1)]))
        try store.flush()
        let fresh = try store.write(dayBatch("a", [(0, 5), (1, 5)]))
        #expect(try store.delete(batch: fresh.lsn).pointsDropped == 2)
        #expect(try contents(store).isEmpty)
        try store.close()
    }
}
