import Testing
import TallyTestSupport
@testable import TallyStorage

/// `Store.changeCount` moves with every change to what the store holds, and not with reads, so that a reader may
/// keep what it computed while it stands (the dashboard's overview does).
@Suite struct StoreChangeCountTests {
    @Test func everyKindOfChangeMovesTheCountAndReadsDoNot() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.child("store"))
        var last = store.changeCount
        func moved(_ what: String) {
            let now = store.changeCount
            #expect(now != last, "\(what) did not move the count")
            last = now
        }
        let key = SeriesKey(metric: "row_count", labels: ["dataset": "orders"])
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "a"))
        let s = batch.addSeries(key, kind: .measurement)
        for k in 0..<10 { batch.append(series: s, time: Int64(k) * 1_000, value: Double(k)) }
        let receipt = try store.write(batch)
        moved("write")

        // Reads and a flush leave it.
        _ = try store.read(try #require(store.series(key: key)).id)
        _ = store.series()
        try store.flush()
        #expect(store.changeCount == last, "a read or a flush moved the count")

        var bulk = WriteBatch(origin: BatchOrigin(kind: "test", source: "b"))
        let t = bulk.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "customers"]), kind: .measurement)
        bulk.append(series: t, time: 50_000, value: 1)
        try store.importBulk(bulk)
        moved("importBulk")
        let id = try #require(store.series(key: key)).id
        let verdict = try store.setFeedback(series: id, time: 3_000, verdict: .exclude)
        moved("setFeedback")
        try store.removeFeedback(ids: [verdict.id])
        moved("removeFeedback(ids:)")
        try store.setFeedback(series: id, time: 4_000, verdict: .expected)
        moved("setFeedback")
        try store.removeFeedback(series: id)
        moved("removeFeedback(series:)")
        var grouped = WriteBatch(origin: BatchOrigin(kind: "test", source: "group"))
        grouped.append(series: grouped.addSeries(key, kind: .measurement), time: 20_000, value: 3)
        _ = try store.writeGroup([GroupWrite(batch: grouped)]).map { try $0.get() }
        moved("writeGroup")
        var other = WriteBatch(origin: BatchOrigin(kind: "test", source: "other"))
        let renamed = SeriesKey(metric: "row_count", labels: ["dataset": "orders_v2"])
        other.append(series: other.addSeries(renamed, kind: .measurement), time: 30_000, value: 4)
        try store.write(other)
        moved("write")
        try store.link(renamed, into: key)
        moved("link")
        try store.setAttributes(Attributes(["unit": "rows"]), of: SeriesSelector(metric: "row_count"))
        moved("setAttributes")
        try store.setMetadata("note", "x")
        moved("setMetadata")
        try store.delete(SeriesSelector(metric: "row_count"), in: TimeRange(from: 0, to: 2_000))
        moved("delete(selector)")
        try store.delete(batch: receipt.lsn)
        moved("delete(batch:)")
        try store.retain(before: 60_000)
        moved("retain")
        // A compaction keeps what readers see.
        try store.compact()
        #expect(store.changeCount == last, "a compaction moved the count")
    }

    /// Loading a dump into an empty store is a change too.
    @Test func loadingADumpMovesTheCount() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.child("store"))
        let before = store.changeCount
        let record = SeriesRecord(id: 1, key: SeriesKey(metric: "m", labels: [:]), kind: .measurement,
                                  attributes: Attributes(), createdLSN: 1)
        let batch = ImportRecord(lsn: 1, origin: BatchOrigin(kind: "test", source: "dump"), seriesCount: 1, pointCount: 1)
        try store.load(series: [record], imports: [batch], documents: [],
                       points: [1: PointColumns(times: [1_000], values: [1], lsns: [1])])
        #expect(store.changeCount != before)
        #expect(try store.read(1).values == [1])
    }
}
