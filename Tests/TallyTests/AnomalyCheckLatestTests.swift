import Foundation
import Testing
@testable import Tally
import TallyAnalysis
import TallyTestSupport

/// `Store.check` in its latest-point mode walks each series only up to its latest point at or before `now` and
/// annotates only that point. Its findings, quiet list and judged points must equal, field by field, those of the
/// full path (the whole query run, every point annotated) on stores of many shapes and queries of both kinds (read
/// one series at a time; through the executor).
@Suite("check: latest-point shortcut equals the full walk")
struct AnomalyCheckLatestTests {
    typealias D = AnomalyTestData
    typealias Finding = AnomalyCheckReport.Finding

    static let days = 200

    /// A weekly pattern around `level` (weekends at 60%), 2% noise, whole counts.
    static func weekly(_ seed: UInt64, level: Double = 10_000, count: Int = days) -> [Double?] {
        var noise = D.Noise(seed: seed)
        return (0..<count).map { noise.count(level * (D.isWeekend($0) ? 0.6 : 1), relative: 0.02) }
    }

    /// The series, their feedback (day → verdict), by dataset.
    static func series() -> [(String, [Int64], [Double?], [Int: FeedbackVerdict])] {
        let times = D.daily(days)
        var out: [(String, [Int64], [Double?], [Int: FeedbackVerdict])] = []
        out.append(("weekly", times, weekly(1), [:]))
        var drop = weekly(2)
        drop[days - 1] = 900                                                   // today's load failed
        out.append(("drop-today", times, drop, [:]))
        var incident = weekly(3)
        for d in (days - 3)..<days { incident[d] = 2_000 }                     // a three-day incident, still going on
        out.append(("incident", times, incident, [:]))
        var recent = weekly(4)
        recent[days - 3] = 1_500                                               // an alert two days ago
        recent[days - 1] = 1_400                                               // and another today
        out.append(("two-drops", times, recent, [:]))
        var confirmed = weekly(5)
        confirmed[150] = 500
        confirmed[151] = 600
        confirmed[days - 1] = (confirmed[days - 1] ?? 0) * 1.2                 // a rise, maybe out of range
        out.append(("feedback", times, confirmed, [150: .anomaly, 151: .exclude, 170: .expected]))
        var accepted = weekly(6)
        for d in 160..<days { accepted[d] = (accepted[d] ?? 0) * 1.5 }         // a step up, marked expected
        out.append(("feedback-expected", times, accepted, [160: .expected, 161: .expected]))
        var noise = D.Noise(seed: 8)
        var level: [Double?] = (0..<days).map { _ in noise.count(500, relative: 0.05) }
        level[days - 1] = 800
        out.append(("level", times, level, [:]))
        var growing = weekly(9)
        for d in 0..<days { growing[d] = (growing[d] ?? 0) + Double(d * 40) }
        out.append(("growing", times, growing, [:]))
        var shift = weekly(10)
        for d in 185..<days { shift[d] = (shift[d] ?? 0) * 0.5 }                 // a persistent level shift
        out.append(("shift", times, shift, [:]))
        var stuck = weekly(11)
        for d in 170..<days { stuck[d] = 7_777 }
        out.append(("stuck", times, stuck, [:]))
        out.append(("cold", Array(times.suffix(5)), Array(weekly(12).suffix(5)), [:]))
        var nulls = weekly(13)
        for d in stride(from: 3, to: days, by: 11) { nulls[d] = nil }
        nulls[days - 2] = nil
        nulls[days - 1] = 1_000
        out.append(("nulls", times, nulls, [:]))
        var nullLatest = weekly(14)
        nullLatest[days - 1] = nil
        nullLatest[days - 2] = 800
        out.append(("null-latest", times, nullLatest, [:]))
        // Points after `now` (which is at most a day after day 199): the latest at or before now is judged, a
        // later drop is not.
        let longer = D.daily(days + 12)
        var future = weekly(15, count: days + 12)
        future[days - 1] = 1_200
        future[days + 5] = 100
        out.append(("future", longer, future, [:]))
        out.append(("all-future", Array(longer.suffix(8)), Array(weekly(16, count: days + 12).suffix(8)), [:]))
        var spiky = weekly(17)
        for d in stride(from: 20, to: days, by: 9) { spiky[d] = (spiky[d] ?? 0) * 2.5 }   // bursty: the gate matters
        spiky[days - 1] = (spiky[days - 1] ?? 0) * 3
        out.append(("spiky", times, spiky, [:]))
        return out
    }

    static func store(_ dir: TemporaryDirectory) throws -> Store {
        let data = series()
        let store = try D.store(dir, data.map { (D.key($0.0), $0.1, $0.2) })
        for (name, times, _, verdicts) in data {
            let id = try #require(store.series(key: D.key(name))).id
            for (day, verdict) in verdicts.sorted(by: { $0.key < $1.key }) {
                try store.setFeedback(series: id, time: times[day], verdict: verdict)
            }
        }
        return store
    }

    /// The fields of two findings that differ (NaN equals NaN).
    static func differences(_ a: Finding, _ b: Finding) -> [String] {
        func same(_ x: Double?, _ y: Double?) -> Bool {
            switch (x, y) {
            case (nil, nil): return true
            case let (x?, y?): return x == y || (x.isNaN && y.isNaN)
            default: return false
            }
        }
        var out: [String] = []
        if a.metric != b.metric { out.append("metric") }
        if a.labels != b.labels { out.append("labels") }
        if a.time != b.time { out.append("time") }
        if !same(a.value, b.value) { out.append("value") }
        if !same(a.expected, b.expected) { out.append("expected") }
        if !same(a.lower, b.lower) { out.append("lower") }
        if !same(a.upper, b.upper) { out.append("upper") }
        if !same(a.score, b.score) { out.append("score") }
        if a.anomaly != b.anomaly { out.append("anomaly") }
        if a.alert != b.alert { out.append("alert") }
        if a.reason != b.reason { out.append("reason: \(a.reason ?? "nil") vs \(b.reason ?? "nil")") }
        return out
    }

    static func expectSame(_ fast: [Finding], _ full: [Finding], _ what: String) {
        #expect(fast.count == full.count, "\(what): \(fast.count) vs \(full.count)")
        for (a, b) in zip(fast, full) {
            let diff = differences(a, b)
            #expect(diff.isEmpty, "\(what) \(b.seriesText) at \(b.time): \(diff)")
        }
    }

    /// Every series' latest point at or before `now` as a finding (flagged or not), from a report's result.
    static func latestRows(_ report: AnomalyCheckReport, now: Int64) -> [Finding] {
        let partial = report.result.partialBuckets
        return report.result.series.compactMap { s in
            Store.latestJudgedIndex(s, now: now, partial: partial).map { Store.finding(s, $0) }
        }
    }

    /// Runs `text` both ways and compares; returns the fast report.
    @discardableResult
    static func compare(_ store: Store, _ text: String, now: Int64) throws -> AnomalyCheckReport {
        let fast = try store.check(text, now: now)
        let full = try store.check(text, now: now, limits: QueryLimits(), fullWalk: true)
        let what = "`\(text)` now=\(D.text(now))"
        #expect(fast.mode == .latestPoint && full.mode == .latestPoint, "\(what)")
        #expect(fast.matchedSeries == full.matchedSeries, "\(what)")
        expectSame(fast.findings, full.findings, what + " findings")
        expectSame(fast.quiet, full.quiet, what + " quiet")
        expectSame(latestRows(fast, now: now), latestRows(full, now: now), what + " latest points")
        // The shortcut ran: at most one point per series (the full path keeps every point).
        #expect(fast.result.series.allSatisfy { $0.count <= 1 }, "\(what)")
        return fast
    }

    static let queries: [String] = {
        let t = D.daily(days)
        return [
            // A selector and time ranges: read one series at a time.
            "row_count",
            "row_count | anomalies refractory=3d",
            "row_count | anomalies refractory=5",
            "row_count | anomalies likelihood=on",
            "row_count | anomalies refractory=4 likelihood=on sensitivity=3",
            "row_count | anomalies sensitivity=3 direction=down season=off",
            "row_count | anomalies method=seasonal training=60d",
            "row_count | anomalies training=40",
            "row_count | since \(D.text(t[120]))",
            "row_count | since \(D.text(t[185])) | anomalies refractory=7d",
            "row_count | since \(D.text(t[198])) | anomalies refractory=3d likelihood=on",
            "row_count | between \(D.text(t[100])) and \(D.text(t[199] + D.hour)) | anomalies method=level",
            "row_count | until \(D.text(t[190]))",
            "row_count{dataset=~\"f.*\"} | since 60d",
            // Through the executor, with the latest-point stage.
            "row_count | since \(D.text(t[150])) | anomalies training=30",
            "row_count | since \(D.text(t[120])) | bucket 1d avg | anomalies",
            "row_count | bucket 2d max | anomalies refractory=3d",
            "row_count | diff | anomalies",
            "row_count | last 60 | anomalies refractory=2",
            "row_count | since \(D.text(t[160])) | rolling 3 avg | anomalies likelihood=on",
        ]
    }()

    @Test func findingsEqualTheFullWalk() throws {
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        let times = D.daily(Self.days)
        var findings = 0, quiet = 0
        for now in [times[Self.days - 1] + D.hour, times[Self.days - 1], times[Self.days - 3] + D.hour, times[160]] {
            for text in Self.queries {
                let report = try Self.compare(store, text, now: now)
                findings += report.findings.count
                quiet += report.quiet.count
            }
        }
        // The comparisons covered alerts and silenced flags.
        #expect(findings > 20)
        #expect(quiet > 0)
    }

    /// Enough series for the check to judge them in two parts on two cores: the findings, in order, are still
    /// the full walk's.
    @Test func manySeriesJudgedInTwoPartsKeepTheirOrder() throws {
        let dir = TemporaryDirectory()
        let times = D.daily(Self.days)
        var data: [(SeriesKey, [Int64], [Double?])] = []
        for s in 0..<70 {
            var values = Self.weekly(UInt64(100 + s))
            if s % 3 == 0 { values[Self.days - 1] = 700 }                 // every third series drops today
            // Longer and shorter histories side by side.
            let keep = s % 2 == 0 ? Self.days : Self.days / 3
            data.append((D.key("s\(String(format: "%02d", s))"), Array(times.suffix(keep)), Array(values.suffix(keep))))
        }
        let store = try D.store(dir, data)
        let report = try Self.compare(store, "row_count", now: times[Self.days - 1] + D.hour)
        #expect(report.matchedSeries == 70)
        #expect(report.findings.count >= 20, "the planted drops are found")
    }

    @Test func theShortcutJudgesWhatTheScenarioPlants() throws {
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        let times = D.daily(Self.days)
        let now = times[Self.days - 1] + D.hour
        let plain = try Self.compare(store, "row_count", now: now)
        let failing = Set(plain.findings.compactMap { $0.labels["dataset"] })
        #expect(failing.isSuperset(of: ["drop-today", "incident", "two-drops", "future", "nulls"]))
        #expect(!failing.contains("all-future") && !failing.contains("cold") && !failing.contains("null-latest"))
        // The latest point at or before now, not the later drop.
        let future = try #require(plain.findings.first { $0.labels["dataset"] == "future" })
        #expect(future.time == times[Self.days - 1])
        // An incident's earlier alert silences its latest flag; the rest still alert.
        let refractory = try Self.compare(store, "row_count | anomalies refractory=3d", now: now)
        let quiet = Set(refractory.quiet.compactMap { $0.labels["dataset"] })
        #expect(quiet.isSuperset(of: ["incident", "two-drops"]))
        #expect(refractory.findings.contains { $0.labels["dataset"] == "drop-today" })
        // Through a range: the alert two days ago is in the history before the range, and still silences.
        let ranged = try Self.compare(store, "row_count | since \(D.text(times[Self.days - 1])) | anomalies refractory=3d",
                                      now: now)
        #expect(Set(ranged.quiet.compactMap { $0.labels["dataset"] }).isSuperset(of: ["incident", "two-drops"]))
    }

    /// A latest point the detector cannot judge (a series of five points, a null latest value) does not fail
    /// the check and is not counted as fine either: it is listed in `unjudged`, with its reason; a judged series is
    /// not. The shortcut and the full walk agree.
    @Test func unjudgedLatestPointsAreListed() throws {
        let dir = TemporaryDirectory()
        let times = D.daily(60)
        var withNull: [Double?] = Self.weekly(3, count: 60)
        withNull[59] = nil
        let store = try D.store(dir, [(D.key("young"), Array(times.prefix(5)), Array(Self.weekly(1, count: 5))),
                                      (D.key("gap"), times, withNull),
                                      (D.key("steady"), times, Self.weekly(2, count: 60))])
        let now = times[59] + D.hour
        for full in [false, true] {
            let report = try store.check("row_count", now: now, limits: QueryLimits(), fullWalk: full)
            #expect(!report.failed && report.matchedSeries == 3)
            let unjudged = Dictionary(uniqueKeysWithValues: report.unjudged.map { ($0.labels["dataset"] ?? "", $0) })
            #expect(Set(unjudged.keys) == ["young", "gap"], "\(unjudged.keys)")
            #expect(unjudged["young"]?.reason?.hasPrefix("needs ") == true, "\(String(describing: unjudged["young"]?.reason))")
            #expect(unjudged["gap"]?.value == nil && unjudged["gap"]?.reason != nil)
        }
    }

    @Test func anEmptyStoreAndTheAnyPointMode() throws {
        let dir = TemporaryDirectory()
        let empty = try Store.open(at: dir.child("empty"))
        let none = try empty.check("row_count", now: D.start)
        #expect(none.matchedSeries == 0 && none.findings.isEmpty && none.result.series.isEmpty)
        // A query with a `where` keeps its full behaviour (every remaining point).
        let store = try Self.store(dir)
        let now = D.daily(Self.days)[Self.days - 1] + D.hour
        let text = "row_count{dataset=\"drop-today\"} | since 30d | anomalies | where anomaly"
        let report = try store.check(text, now: now)
        let full = try store.check(text, now: now, limits: QueryLimits(), fullWalk: true)
        #expect(report.mode == .anyPoint)
        Self.expectSame(report.findings, full.findings, text)
        #expect(report.result.series.map(\.count) == full.result.series.map(\.count))
    }
}
