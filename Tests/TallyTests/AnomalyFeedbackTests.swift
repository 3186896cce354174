import Foundation
import Testing
import Tally
import TallyTestSupport

/// Verdicts in the store (`feedback` table) and their effect on the anomaly stages.
@Suite("feedback: storage and effect on the detectors")
struct AnomalyFeedbackTests {
    typealias D = AnomalyTestData

    @Test func verdictsAreStoredReplacedListedAndRemoved() throws {
        let dir = TemporaryDirectory()
        let times = D.daily(10)
        let store = try D.store(dir, [(D.key("a"), times, times.map { _ in 1.0 }), (D.key("b"), times, times.map { _ in 2.0 })])
        let a = try #require(store.series(key: D.key("a"))).id, b = try #require(store.series(key: D.key("b"))).id
        let first = try store.setFeedback(series: a, time: times[3], verdict: .anomaly, note: "load failed", wallTime: 111)
        try store.setFeedback(series: a, time: times[5], verdict: .exclude)
        try store.setFeedback(series: b, time: times[3], verdict: .expected)
        // A second verdict on the same point replaces the first and keeps its id.
        let again = try store.setFeedback(series: a, time: times[3], verdict: .expected, note: "was a holiday", wallTime: 222)
        #expect(again.id == first.id)
        let all = try store.feedback()
        #expect(all.map(\.series) == [a, a, b])
        #expect(all[0] == FeedbackRecord(id: first.id, series: a, time: times[3], verdict: .expected,
                                         note: "was a holiday", created: 222))
        #expect(try store.feedback(series: [b]).map(\.verdict) == [.expected])
        #expect(try store.feedback(series: [a], in: TimeRange(from: times[4], to: times[9])).map(\.time) == [times[5]])
        // Durable, and readable read-only.
        try store.close()
        let reader = try Store.open(at: dir.child("store"), options: StoreOptions(readOnly: true))
        #expect(try reader.feedback().count == 3)
        #expect(throws: StoreError.self) { try reader.setFeedback(series: a, time: times[1], verdict: .anomaly) }
        let writer = try Store.open(at: dir.child("store"))
        #expect(try writer.removeFeedback(ids: [first.id, 999]) == 1)
        #expect(try writer.removeFeedback(series: b) == 1)
        #expect(try writer.feedback().map(\.time) == [times[5]])
        // The highest id was removed (b's, 3): a new verdict does not get it again, even after a reopen.
        try writer.close()
        let later = try Store.open(at: dir.child("store"))
        let next = try later.setFeedback(series: b, time: times[7], verdict: .anomaly)
        #expect(next.id == 4)
        try later.close()
    }

    @Test func aStoreCreatedBeforeTheFeedbackTableGetsIt() throws {
        // The version-1 fixture was written before the table existed.
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TallyStorageTests/Fixtures/store-v1").path
        let dir = TemporaryDirectory()
        let copy = dir.child("store")
        try FileManager.default.copyItem(atPath: fixture, toPath: copy)
        // Read-only, before any writable open: no table, no verdicts, no error.
        let before = try Store.open(at: copy, options: StoreOptions(readOnly: true))
        #expect(try before.feedback().isEmpty)
        let store = try Store.open(at: copy)
        let orders = try #require(store.series(key: SeriesKey(metric: "row_count", labels: ["dataset": "orders"])))
        let t = try #require(try store.read(orders.id).times.first)
        try store.setFeedback(series: orders.id, time: t, verdict: .anomaly)
        try store.close()
        let reader = try Store.open(at: copy, options: StoreOptions(readOnly: true))
        #expect(try reader.feedback().map(\.verdict) == [.anomaly])
    }

    /// 40 days of ~500 rows, then eight blocks of four normal days and a month-end load of ~700, then a 700.
    static func loads() -> (times: [Int64], values: [Double?], loadIndices: [Int]) {
        var noise = D.Noise(seed: 42)
        var values: [Double?] = (0..<40).map { _ in noise.count(500, relative: 0.02) }
        var loads: [Int] = []
        for _ in 0..<8 {
            values += (0..<4).map { _ in noise.count(500, relative: 0.02) }
            loads.append(values.count)
            values.append(noise.count(700, relative: 0.02))
        }
        values.append(700)
        return (D.daily(values.count), values, loads)
    }

    @Test func markingFlaggedPointsExpectedMakesASimilarLaterPointNormal() throws {
        let dir = TemporaryDirectory()
        let (times, values, loads) = Self.loads()
        let store = try D.store(dir, [(D.key("told"), times, values), (D.key("plain"), times, values)])
        let now = times.last! + D.day
        let query = "row_count | anomalies method=level level_shift=off"
        let before = try store.query(query, now: now).series
        #expect(before.allSatisfy { $0.anomaly![loads[0]] && $0.anomaly!.last == true })
        let told = try #require(store.series(key: D.key("told"))).id
        for i in loads { try store.setFeedback(series: told, time: times[i], verdict: .expected) }
        let after = try store.query(query, now: now).series
        let plain = try #require(after.first { $0.labels["dataset"] == "plain" })
        let marked = try #require(after.first { $0.labels["dataset"] == "told" })
        #expect(plain.anomaly!.last == true, "unmarked, a 700 stays an anomaly")
        #expect(marked.anomaly!.last == false, "marked normal, 700 is now within the range: \(marked.reason(at: marked.count - 1) ?? "")")
        #expect(marked.anomaly![loads[0]], "a verdict does not rewrite the verdict on the point itself")
        // Confirmed anomalies instead: the 700 stays flagged.
        for i in loads { try store.setFeedback(series: told, time: times[i], verdict: .anomaly) }
        let confirmed = try #require(try store.query(query, now: now).series.first { $0.labels["dataset"] == "told" })
        #expect(confirmed.anomaly!.last == true)
    }

    @Test func excludedPointsAreLeftOutOfTraining() throws {
        // A backfill of 15 slightly high points: excluded, the later ranges are those of the series without them.
        var noise = D.Noise(seed: 43)
        let all = D.daily(85)
        var values: [Double?] = (0..<60).map { _ in noise.count(200, relative: 0.03) }
        values += (0..<15).map { _ in noise.count(215, relative: 0.03) }
        values += (0..<10).map { _ in noise.count(200, relative: 0.03) }
        let backfill = 60..<75
        let withoutTimes = all.indices.filter { !backfill.contains($0) }.map { all[$0] }
        let withoutValues = all.indices.filter { !backfill.contains($0) }.map { values[$0] }
        let dir = TemporaryDirectory()
        let store = try D.store(dir, [(D.key("excluded"), all, values), (D.key("absent"), withoutTimes, withoutValues),
                                      (D.key("kept"), all, values)])
        let excludedID = try #require(store.series(key: D.key("excluded"))).id
        for i in backfill { try store.setFeedback(series: excludedID, time: all[i], verdict: .exclude, note: "backfill") }
        let series = try store.query("row_count | since \(D.text(all[75])) | anomalies method=level", now: all.last! + D.day).series
        func named(_ name: String) throws -> ResultSeries { try #require(series.first { $0.labels["dataset"] == name }) }
        let excluded = try named("excluded"), absent = try named("absent"), kept = try named("kept")
        #expect(excluded.count == 10 && absent.count == 10)
        #expect(excluded.expected! == absent.expected!)
        #expect(excluded.upper! == absent.upper!)
        #expect(excluded.lower! == absent.lower!)
        // Kept in training, the backfill moves the baseline.
        #expect(kept.expected! != excluded.expected!)
    }
}
